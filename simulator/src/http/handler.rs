//! The shape of every provider endpoint. The gateway runs each one the same way: decode the
//! request outside the world lock, execute it under the lock, build the reply after releasing it.

use std::future::Future;
use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;

use compact_str::CompactString;

use super::{BodyLimit, RawRequest};
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
    /// How much body to read, and what a larger one gets.
    pub body_limit: BodyLimit,
    /// Where lints go: things accepted but risky against the real service.
    pub lints: &'a mut Vec<String>,
    /// Where the provider's read step notes the account the request names (smsoffice key,
    /// smsco username, getsms login), for the journal.
    pub account: &'a mut Option<CompactString>,
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
    /// Where the account the request names goes.
    pub account: &'a mut Option<CompactString>,
}

impl<'a, Q> Inbound<'a, Q> {
    /// Reads the request's body up to the limit: a body broken off is refused with 400, one over
    /// the limit with 413 or read as none (with a lint), as the provider's server does.
    pub async fn read(self) -> Result<Read<'a, Q>, Response> {
        let limit = self.body_limit;
        let raw = RawRequest::read(self.request, self.client, limit)
            .await
            .map_err(|e| e.into_response())?;
        if raw.body_ignored {
            self.lints.push(format!(
                "body over {} bytes ignored, as PHP ignores a body past post_max_size",
                limit.bytes
            ));
        }
        Ok(Read {
            raw,
            quirks: self.quirks,
            lints: self.lints,
            account: self.account,
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
