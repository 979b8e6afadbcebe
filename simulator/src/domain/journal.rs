//! The request journal: what every request was, and how it was answered. Bounded.

use serde::Serialize;

use super::Provider;
use super::clock::Timestamp;
use super::ring::NumberedLog;

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Increasing id.
    pub id: u64,
    /// When it arrived, on the simulator's clock.
    pub at: Timestamp,
    /// HTTP method.
    #[serde(serialize_with = "method_text")]
    pub method: http::Method,
    /// The request target exactly as received (origin or absolute form).
    pub target: String,
    /// The provider whose endpoint answered, if any.
    pub provider: Option<Provider>,
    /// The endpoint's name (`send`, `balance`, `status`), if any.
    pub endpoint: Option<&'static str>,
    /// HTTP status answered; `null` when no reply was sent (an injected hang, reset or close).
    pub status: Option<u16>,
    /// The client's address as seen by the provider.
    pub client: Option<std::net::IpAddr>,
    /// Things accepted but risky against the real service.
    pub lints: Vec<String>,
    /// The fault injected into this exchange, if any.
    pub fault: Option<String>,
}

fn method_text<S: serde::Serializer>(method: &http::Method, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(method.as_str())
}

/// The journal, oldest first; when full, the oldest entry is evicted and counted.
pub type Journal = NumberedLog<JournalEntry>;
