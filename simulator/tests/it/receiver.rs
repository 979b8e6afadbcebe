//! A scripted callback receiver on loopback: answers from a script, records every hit, and
//! wakes waiters on each one (tests await hits; they never sleep).

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
    Reply(u16, &'static str),
    Hang,
}

/// One callback as received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub params: BTreeMap<String, String>,
    pub peer: SocketAddr,
    pub headers: HeaderMap,
}

#[derive(Default)]
struct Shared {
    script: Mutex<VecDeque<Answer>>,
    after_script: Mutex<Option<Answer>>,
    hits: Mutex<Vec<Hit>>,
    hit: Notify,
}

pub struct Receiver {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Receiver {
    /// Answers `script` in order, then `OK` forever.
    pub async fn start(script: Vec<Answer>) -> Receiver {
        Receiver::start_with(script, Answer::Reply(200, "OK")).await
    }

    /// Answers `script` in order, then `after` forever.
    pub async fn start_with(script: Vec<Answer>, after: Answer) -> Receiver {
        let shared = Arc::new(Shared {
            script: Mutex::new(script.into()),
            after_script: Mutex::new(Some(after)),
            ..Default::default()
        });
        let app = Router::new()
            .route("/cb", get(handle))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Receiver { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}/cb", self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    /// Waits (bounded) until at least `n` hits arrived.
    pub async fn wait_for(&self, n: usize) {
        let wait = async {
            loop {
                let notified = self.shared.hit.notified();
                if self.shared.hits.lock().unwrap().len() >= n {
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

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> (StatusCode, &'static str) {
    let params = query
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), smsim::http::params::decode(v.as_bytes())))
        .collect();
    shared.hits.lock().unwrap().push(Hit {
        params,
        peer,
        headers,
    });
    shared.hit.notify_waiters();
    let answer = shared
        .script
        .lock()
        .unwrap()
        .pop_front()
        .or_else(|| shared.after_script.lock().unwrap().clone());
    match answer {
        Some(Answer::Reply(status, body)) => (StatusCode::from_u16(status).unwrap(), body),
        Some(Answer::Hang) | None => std::future::pending().await,
    }
}
