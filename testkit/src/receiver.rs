//! A scripted callback receiver on loopback: answers from a script, records every hit, and wakes
//! waiters on each one (tests await hits; they never sleep).

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use tokio::sync::Notify;

/// One answer: a status and body, or a hang (never answers).
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status and body.
    Reply(u16, Cow<'static, str>),
    /// No answer at all.
    Hang,
}

/// One callback as received.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The query parameters, decoded as a form (`+` is a space).
    pub params: BTreeMap<String, String>,
    /// Who called.
    pub peer: SocketAddr,
    /// The request headers.
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Answer>>,
    after_script: Mutex<Option<Answer>>,
    hits: Mutex<Vec<Hit>>,
    hit: Notify,
}

/// A running receiver; it stops with the runtime that started it.
pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Answers `script` in order, then `200 OK` forever.
    pub async fn start(script: Vec<Answer>) -> std::io::Result<Receiver> {
        Receiver::start_with(script, Answer::Reply(200, "OK".into())).await
    }

    /// Answers `script` in order, then `after` forever.
    pub async fn start_with(script: Vec<Answer>, after: Answer) -> std::io::Result<Receiver> {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            after_script: Mutex::new(Some(after)),
            ..Default::default()
        });
        let app = Router::new()
            .fallback(get(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Ok(Receiver { addr, shared })
    }

    /// `http://ADDR/cb`, to set as a callback URL (any path is answered).
    pub fn url(&self) -> String {
        format!("http://{}/cb", self.addr)
    }

    /// Every hit so far, oldest first.
    pub fn hits(&self) -> Vec<Hit> {
        lock(&self.shared.hits).clone()
    }

    /// Waits (at most 30 s) until at least `n` hits arrived; panics if they do not.
    pub async fn wait_for(&self, n: usize) {
        let wait = async {
            loop {
                let notified = self.shared.hit.notified();
                if lock(&self.shared.hits).len() >= n {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(Duration::from_secs(30), wait)
            .await
            .expect("callbacks arrive");
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> (StatusCode, String) {
    let params = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    lock(&shared.hits).push(Hit {
        params,
        peer,
        headers,
    });
    shared.hit.notify_waiters();
    let answer = lock(&shared.script)
        .pop_front()
        .or_else(|| lock(&shared.after_script).clone());
    match answer {
        Some(Answer::Reply(status, body)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            body.into_owned(),
        ),
        Some(Answer::Hang) | None => std::future::pending().await,
    }
}
