//! The request journal: what every request was, and how it was answered. Bounded.

use serde::Serialize;

use std::borrow::Cow;

use super::clock::Timestamp;
use super::ring::NumberedLog;
use super::{Endpoint, Provider};

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Increasing id.
    pub id: u64,
    /// When it arrived, on the simulator's clock.
    pub at: Timestamp,
    /// HTTP method, as sent; empty for a request refused unread whose bytes do not start with
    /// one (a TLS handshake on the plain port).
    pub method: Cow<'static, str>,
    /// The request target exactly as received (origin or absolute form); for a request refused
    /// unread, as far as its request line shows it.
    pub target: String,
    /// `http`, or `https` for a request that came over TLS.
    pub scheme: Scheme,
    /// The host the client asked for (its `Host` header, or the authority of an absolute
    /// target), as sent.
    pub host: Option<compact_str::CompactString>,
    /// The provider whose endpoint answered, if any (none for a request the HTTP layer refused
    /// unread: its lint says why).
    pub provider: Option<Provider>,
    /// The endpoint that answered (serialised as its name: `send`, `balance`, `status`).
    pub endpoint: Option<Endpoint>,
    /// The account the request named (smsoffice key, smsco username, getsms login), as sent.
    pub account: Option<compact_str::CompactString>,
    /// The first and last id of the messages the request created (consecutive), if any.
    pub messages: Option<(u64, u64)>,
    /// HTTP status answered; `null` when no reply was sent (an injected hang, reset or close).
    pub status: Option<u16>,
    /// The client's address as seen by the provider.
    pub client: Option<std::net::IpAddr>,
    /// Things accepted but risky against the real service; for a request refused unread, why.
    pub lints: Vec<String>,
    /// The fault injected into this exchange, if any.
    pub fault: Option<String>,
}

/// How a request reached the simulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// HTTP inside TLS: the HTTPS listener, or a `CONNECT` tunnel to a provider's host.
    Https,
}

/// The journal, oldest first; when full, the oldest entry is evicted and counted.
pub type Journal = NumberedLog<JournalEntry>;
