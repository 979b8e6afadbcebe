//! The shape of every provider endpoint. The gateway runs each one the same way: decode the
//! request outside the world lock, execute it under the lock, build the reply after releasing it.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;

use super::RawRequest;
use crate::domain::World;
use crate::domain::clock::Timestamp;

/// A request as it arrives at an endpoint, not yet read.
#[derive(Debug)]
pub struct Inbound<'a, Q> {
    /// The request; its body may still be arriving.
    pub request: Request,
    /// The provider's quirks.
    pub quirks: &'a Q,
    /// The connection's peer, when there is a socket.
    pub client: Option<SocketAddr>,
    /// The largest body to read (`limits.max_body_bytes`).
    pub max_body_bytes: usize,
    /// Where lints go: things accepted but risky against the real service.
    pub lints: &'a mut Vec<String>,
}

/// A request read whole, with what came with it.
#[derive(Debug)]
pub struct Read<'a, Q> {
    /// The request and its body.
    pub raw: RawRequest,
    /// The provider's quirks.
    pub quirks: &'a Q,
    /// Where lints go.
    pub lints: &'a mut Vec<String>,
}

impl<'a, Q> Inbound<'a, Q> {
    /// Reads the request's body (up to `max_body_bytes`); a body over the limit or broken off is
    /// refused with 413 or 400.
    pub async fn read(self) -> Result<Read<'a, Q>, Response> {
        let raw = RawRequest::read(self.request, self.client, self.max_body_bytes)
            .await
            .map_err(|e| e.into_response())?;
        Ok(Read {
            raw,
            quirks: self.quirks,
            lints: self.lints,
        })
    }
}

/// What an endpoint runs with under the world lock.
#[derive(Debug)]
pub struct Run<'a, S, Q> {
    /// The provider-neutral world.
    pub world: &'a mut World,
    /// The provider's own state.
    pub state: &'a mut S,
    /// The provider's quirks.
    pub quirks: &'a Q,
    /// The simulator's time for this request.
    pub now: Timestamp,
    /// Where lints go.
    pub lints: &'a mut Vec<String>,
}

/// An endpoint's reply.
#[derive(Debug)]
pub struct Reply {
    /// What the client gets.
    pub response: Response,
    /// True when the request scheduled something (an accepted message): the engine is woken.
    pub wake_engine: bool,
}

impl From<Response> for Reply {
    fn from(response: Response) -> Reply {
        Reply {
            response,
            wake_engine: false,
        }
    }
}

/// One provider endpoint: a decoded request, ready to run.
pub trait Handler: Sized + Send {
    /// The provider's quirks.
    type Quirks: Sync;
    /// The provider's part of the world (accounts, id counters).
    type State;
    /// What running it produced, turned into a reply outside the lock.
    type Output;

    /// Reads and decodes the request without touching the world. An HTTP-level refusal (a body
    /// over the limit, a target too long, a redirect) is the error.
    fn decode(
        inbound: Inbound<'_, Self::Quirks>,
    ) -> impl Future<Output = Result<Self, Response>> + Send;

    /// Runs the endpoint's checks and effects under the world lock.
    fn execute(self, run: Run<'_, Self::State, Self::Quirks>) -> Self::Output;

    /// The exact reply for `output`.
    fn respond(output: Self::Output, quirks: &Self::Quirks) -> Reply;
}
