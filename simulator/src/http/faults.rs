//! Applying faults to provider requests, in one place: handlers know nothing of them.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Frame;
use rand::RngCore;
use tokio::sync::oneshot;

use crate::domain::Sim;
use crate::domain::faults::{FaultKind, FaultSpec};
use crate::http::{Answer, Connection, Exchange, RouteTag};
use crate::providers;

/// How long a truncated reply waits after its first half before the connection is cut.
const TRUNCATE_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// How a connection is to be ended without a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kill {
    /// A TCP reset (RST): clients see "connection reset by peer".
    Reset,
    /// An orderly close (FIN) with no reply: clients see an empty reply.
    Close,
}

/// Lets a request end its own connection; the server makes one per connection.
#[derive(Debug, Clone, Default)]
pub struct ConnControl(Arc<Mutex<Option<oneshot::Sender<Kill>>>>);

impl ConnControl {
    /// A control and the receiver the connection task waits on.
    pub fn new() -> (ConnControl, oneshot::Receiver<Kill>) {
        let (tx, rx) = oneshot::channel();
        (ConnControl(Arc::new(Mutex::new(Some(tx)))), rx)
    }

    fn kill(&self, how: Kill) {
        if let Some(tx) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = tx.send(how);
        }
    }
}

/// Picks the fault (if any) for a request to the endpoint `tag` and applies it; otherwise runs the
/// endpoint. Returns the answer and the fault's text for the journal.
pub async fn inject(
    sim: &Sim,
    tag: RouteTag,
    request: Request,
    connection: Option<&Connection>,
) -> (Answer, Option<String>) {
    let picked = if sim.faults_may_apply() {
        let mut world = sim.world();
        let world = &mut *world;
        world
            .faults
            .pick(tag.provider, tag.endpoint, &mut world.rng)
    } else {
        None
    };
    match picked {
        None => (
            providers::dispatch(sim, tag, request, connection.map(|c| c.peer)).await,
            None,
        ),
        // Boxed: the fault paths' futures are large and rare; the plain path stays small.
        Some(fault) => Box::pin(apply(sim, tag, request, connection, fault)).await,
    }
}

/// Applies `fault` to a request to the endpoint `tag`.
async fn apply(
    sim: &Sim,
    tag: RouteTag,
    request: Request,
    connection: Option<&Connection>,
    fault: FaultSpec,
) -> (Answer, Option<String>) {
    let answer = match fault.kind {
        FaultKind::Error(code) => Answer::from(providers::error_response(sim, tag.provider, code)),
        FaultKind::Http(status) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Answer::from(response)
        }
        FaultKind::Delay(delay) => {
            tokio::time::sleep(delay).await;
            providers::dispatch(sim, tag, request, connection.map(|c| c.peer)).await
        }
        FaultKind::Hang | FaultKind::Reset | FaultKind::Close => {
            // No reply ever comes, so the journal is written here, before going silent.
            let exchange = Exchange::of(sim, &request, connection.map(|c| c.peer));
            exchange.record(sim, Some(tag), None, Vec::new(), Some(fault.text.clone()));
            let how = match fault.kind {
                FaultKind::Reset => Some(Kill::Reset),
                FaultKind::Close => Some(Kill::Close),
                _ => None,
            };
            if let (Some(how), Some(connection)) = (how, connection) {
                connection.control.kill(how);
            }
            return std::future::pending().await;
        }
        FaultKind::Garbage => Answer::from(garbage(sim, tag)),
        FaultKind::Truncate => {
            let answer = providers::dispatch(sim, tag, request, connection.map(|c| c.peer)).await;
            Answer::new(truncate(answer.response).await, answer.lints)
        }
        // Callback-only kinds are refused for request scopes when parsed.
        FaultKind::Drop | FaultKind::Duplicate => {
            providers::dispatch(sim, tag, request, connection.map(|c| c.peer)).await
        }
    };
    (answer, Some(fault.text))
}

/// 200 with the provider's content type, random bytes from the seeded generator, then close.
fn garbage(sim: &Sim, tag: RouteTag) -> Response {
    let mut bytes = vec![0u8; 256];
    sim.world().rng.fill_bytes(&mut bytes);
    let mut response = providers::error_response(sim, tag.provider, default_code(tag));
    *response.body_mut() = Body::from(bytes);
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Any valid code of the provider: `garbage` only borrows its content type.
fn default_code(tag: RouteTag) -> i64 {
    match tag.provider {
        crate::domain::Provider::Smsoffice => -100,
        crate::domain::Provider::Smsco => 2907,
        crate::domain::Provider::Getsms => 101,
    }
}

/// The real response's headers with its full `Content-Length`, half its body, then the
/// connection is cut.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let full = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full.len()));
    let half = full.slice(..full.len() / 2);
    // Yield the half, pause so hyper flushes headers and half to the client, then fail the body,
    // which makes hyper cut the connection short of Content-Length.
    let frames = futures_util::stream::unfold(Some(half), |state| async move {
        match state {
            Some(half) => Some((Ok(Frame::data(half)), None)),
            None => {
                tokio::time::sleep(TRUNCATE_PAUSE).await;
                Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "truncated by fault",
                    )),
                    None,
                ))
            }
        }
    });
    Response::from_parts(parts, Body::new(http_body_util::StreamBody::new(frames)))
}
