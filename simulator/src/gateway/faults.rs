//! Applying faults to provider requests, in one place: endpoints know nothing of them.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Frame;
use rand::RngCore;

use super::{Exchange, dispatch, error_response};
use crate::domain::faults::{FaultKind, FaultSpec, Target};
use crate::domain::{Endpoint, Provider};
use crate::http::{Answer, Connection, Kill};
use crate::sim::Sim;

/// How long a truncated reply waits after its first half before the connection is cut.
const TRUNCATE_PAUSE: std::time::Duration = std::time::Duration::from_millis(20);

/// The fault (if any) picked for a request to `endpoint`.
pub(super) fn pick(sim: &Sim, endpoint: Endpoint) -> Option<FaultSpec> {
    if !sim.faults_may_apply() {
        return None;
    }
    let mut state = sim.state();
    let world = &mut state.world;
    world.faults.pick(Target::Request(endpoint), &mut world.rng)
}

/// Applies `fault` to a request to `endpoint`.
pub(super) async fn apply(
    sim: &Sim,
    endpoint: Endpoint,
    request: Request,
    connection: Option<&Connection>,
    fault: FaultSpec,
) -> (Answer, Option<String>) {
    let answer = match fault.kind {
        FaultKind::Error(code) => Answer::from(error_response(sim, endpoint.provider(), code)),
        FaultKind::Http(status) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Answer::from(response)
        }
        FaultKind::Delay(delay) => {
            tokio::time::sleep(delay).await;
            dispatch(sim, endpoint, request, connection.map(|c| c.peer)).await
        }
        FaultKind::Hang | FaultKind::Reset | FaultKind::Close => {
            // No reply ever comes, so the journal is written here, before going silent.
            let exchange = Exchange::of(sim, &request, connection);
            // No reply goes out: the response handed back is dropped.
            let _ = exchange.record(
                sim,
                Some(endpoint),
                None,
                Answer::from(Response::new(Body::empty())),
                Some(fault.text.clone()),
            );
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
        FaultKind::Garbage => Answer::from(garbage(sim, endpoint)),
        FaultKind::Truncate => {
            let answer = dispatch(sim, endpoint, request, connection.map(|c| c.peer)).await;
            Answer::new(truncate(answer.response).await, answer.lints)
        }
        // Callback-only kinds are refused for request scopes when parsed.
        FaultKind::Drop | FaultKind::Duplicate => {
            dispatch(sim, endpoint, request, connection.map(|c| c.peer)).await
        }
    };
    (answer, Some(fault.text))
}

/// 200 with the provider's content type, random bytes from the seeded generator, then close.
fn garbage(sim: &Sim, endpoint: Endpoint) -> Response {
    let mut bytes = vec![0u8; 256];
    sim.state().world.rng.fill_bytes(&mut bytes);
    let provider = endpoint.provider();
    let mut response = error_response(sim, provider, any_code(provider));
    *response.body_mut() = Body::from(bytes);
    response.headers_mut().remove(header::CONTENT_LENGTH);
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Any valid code of the provider: `garbage` only borrows its content type.
fn any_code(provider: Provider) -> i64 {
    crate::providers::entry(provider).temporary_error
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
