//! The shape of every provider endpoint. The gateway runs each one the same way: decode the
//! request outside the world lock, execute it under the lock, build the reply after releasing it.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;

use crate::domain::World;
use crate::domain::clock::Timestamp;

/// What an endpoint knows of a request before reading it.
#[derive(Debug)]
pub struct Inbound<'a, Q> {
    /// The provider's quirks.
    pub quirks: &'a Q,
    /// The connection's peer, when there is a socket.
    pub client: Option<SocketAddr>,
    /// The largest body to read (`limits.max_body_bytes`).
    pub max_body_bytes: usize,
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
        request: Request,
        inbound: Inbound<'_, Self::Quirks>,
        lints: &mut Vec<String>,
    ) -> impl Future<Output = Result<Self, Response>> + Send;

    /// Runs the endpoint's checks and effects under the world lock.
    fn execute(
        self,
        world: &mut World,
        state: &mut Self::State,
        quirks: &Self::Quirks,
        now: Timestamp,
        lints: &mut Vec<String>,
    ) -> Self::Output;

    /// The exact reply for `output`.
    fn respond(output: Self::Output, quirks: &Self::Quirks) -> Reply;
}
