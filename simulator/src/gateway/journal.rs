//! What the journal and the log note of each provider request.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};

use axum::extract::Request;

use crate::domain::Endpoint;
use crate::domain::clock::Timestamp;
use crate::domain::journal::JournalEntry;
use crate::http::{method_name, truncate};
use crate::sim::Sim;

/// The longest request target the journal keeps (longer ones are cut at a character boundary).
const JOURNAL_TARGET_MAX: usize = 2048;

/// What the journal notes of one request, taken before the request is handed on.
#[derive(Debug, Clone)]
pub struct Exchange {
    at: Timestamp,
    method: Cow<'static, str>,
    target: String,
    client: Option<IpAddr>,
}

impl Exchange {
    /// Notes the request's method, target, client and arrival time.
    pub fn of<B>(sim: &Sim, request: &Request<B>, client: Option<SocketAddr>) -> Exchange {
        let uri = request.uri();
        // The origin form (nearly every request) is kept as received without formatting the URI.
        let target = match (uri.scheme(), uri.path_and_query()) {
            (None, Some(path_and_query)) => {
                truncate(path_and_query.as_str(), JOURNAL_TARGET_MAX).to_owned()
            }
            _ => {
                let mut target = uri.to_string();
                let len = truncate(&target, JOURNAL_TARGET_MAX).len();
                target.truncate(len);
                target
            }
        };
        Exchange {
            at: sim.now(),
            method: method_name(request.method()),
            target,
            client: client.map(|c| c.ip()),
        }
    }

    /// Writes the journal entry and the log line. `status` is `None` when no reply was sent.
    pub fn record(
        self,
        sim: &Sim,
        endpoint: Option<Endpoint>,
        status: Option<u16>,
        lints: Vec<String>,
        fault: Option<String>,
    ) {
        // Plain exchanges are debug-level (the journal has them); lints and faults are worth
        // a line in the default log.
        if lints.is_empty() && fault.is_none() {
            tracing::debug!(method = %self.method, target = %truncate(&self.target, 200), status, "request");
        } else {
            tracing::info!(
                method = %self.method,
                target = %truncate(&self.target, 200),
                provider = endpoint.map(|e| e.provider().name()),
                endpoint = endpoint.map(|e| e.name()),
                status,
                lints = ?lints,
                fault,
                "request"
            );
        }
        sim.journal().record(|id| JournalEntry {
            id,
            at: self.at,
            method: self.method,
            target: self.target,
            provider: endpoint.map(|e| e.provider()),
            endpoint,
            status,
            client: self.client,
            lints,
            fault,
        });
    }
}
