//! The shape of every provider endpoint. The gateway runs each one the same way: check its
//! head, read its body, decode it outside the world lock, execute it under the lock, build the
//! reply after releasing it.

use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;

use compact_str::CompactString;

use super::RawRequest;
use crate::domain::World;
use crate::domain::clock::Timestamp;

/// A request read whole, with what came with it.
#[derive(Debug)]
pub struct Read<'a, Q> {
    /// The request and its body (borrowed: handlers keep what they need of it, and moving it
    /// costs every request a copy of its few hundred bytes).
    pub raw: &'a RawRequest,
    /// The provider's quirks.
    pub quirks: &'a Q,
    /// Where lints go: things accepted but risky against the real service.
    pub lints: &'a mut Vec<String>,
    /// Where the provider's decoding notes the account the request names (smsoffice key,
    /// smsco username, getsms login), for the journal.
    pub account: &'a mut Option<CompactString>,
    /// When the request reached its endpoint, before its body was read.
    pub arrived: Instant,
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

/// One provider endpoint: a decoded request, ready to run. Nothing here waits: the gateway
/// reads the body (the one thing that may) between [`Handler::check_head`] and
/// [`Handler::decode`], so a request without a body is answered in one synchronous pass.
pub trait Handler: Sized + Send {
    /// The provider's quirks.
    type Quirks: Sync;
    /// The provider's part of the world (accounts, id counters).
    type State;
    /// What running it produced, turned into a reply outside the lock.
    type Output;

    /// What the provider's web server refuses on the request line and headers alone, before it
    /// reads a byte of body (a target too long, a path it serves no more, a redirect). Lints
    /// noted here are kept whatever follows. (A refusal is the provider's page, unboxed like
    /// every reply here: the error is rare, and the lint's size worry is a move of 128 bytes.)
    #[allow(clippy::result_large_err)]
    fn check_head(
        _request: &Request,
        _quirks: &Self::Quirks,
        _lints: &mut Vec<String>,
    ) -> Result<(), Response> {
        Ok(())
    }

    /// Decodes the request, read whole, without touching the world. A refusal at the HTTP
    /// level is the error.
    #[allow(clippy::result_large_err)]
    fn decode(read: Read<'_, Self::Quirks>) -> Result<Self, Response>;

    /// Runs the endpoint's checks and effects under the world lock.
    fn execute(self, run: Run<'_, Self::State, Self::Quirks>) -> Self::Output;

    /// The exact reply for `output`.
    fn respond(output: Self::Output, quirks: &Self::Quirks) -> Reply;
}
