//! What the journal and the log note of each provider request.

use std::borrow::Cow;
use std::net::IpAddr;

use compact_str::CompactString;

use axum::extract::Request;
use axum::response::Response;

use crate::domain::Endpoint;
use crate::domain::clock::Timestamp;
use crate::domain::journal::{JournalEntry, Scheme};
use crate::events::Event;
use crate::http::{Answer, Connection, method_name, truncate};
use crate::sim::Sim;

/// The longest request target the journal keeps (longer ones are cut at a character boundary).
const JOURNAL_TARGET_MAX: usize = 2048;

/// The longest `Host` the journal keeps.
const HOST_MAX: usize = 256;

/// The longest request target a log line shows.
const LOG_TARGET_MAX: usize = 200;

/// What the journal notes of one request, taken before the request is handed on.
#[derive(Debug, Clone)]
pub struct Exchange {
    at: Timestamp,
    method: Cow<'static, str>,
    target: String,
    scheme: Scheme,
    host: Option<CompactString>,
    client: Option<IpAddr>,
}

impl Exchange {
    /// Notes the request's method, target, scheme, host, client and arrival time.
    pub fn of<B>(sim: &Sim, request: &Request<B>, connection: Option<&Connection>) -> Exchange {
        let uri = request.uri();
        let host = match uri.authority() {
            Some(authority) => Some(authority.as_str()),
            None => request
                .headers()
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok()),
        }
        .map(|host| CompactString::from(truncate(host, HOST_MAX)));
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
            scheme: connection.map_or(Scheme::Http, |c| c.scheme),
            host,
            client: connection.map(|c| c.peer.ip()),
        }
    }

    /// The scheme the request came by.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host the client asked for, without its port.
    pub fn host_name(&self) -> Option<&str> {
        let host = self.host.as_deref()?;
        let port_at = host.bytes().rposition(|b| b == b':');
        Some(match port_at {
            Some(at) if host.as_bytes()[at + 1..].iter().all(u8::is_ascii_digit) => &host[..at],
            _ => host,
        })
    }

    /// Writes the journal entry and the log line, and hands back the answer's response.
    /// `status` is `None` when no reply was sent.
    pub fn record(
        self,
        sim: &Sim,
        endpoint: Option<Endpoint>,
        status: Option<u16>,
        answer: Answer,
        fault: Option<String>,
    ) -> Response {
        let Answer {
            response,
            lints,
            account,
            messages,
        } = answer;
        // The log line masks credentials; the journal keeps the target as received (it is the
        // tester's own data, read through the admin API).
        crate::log::RequestLine {
            method: &self.method,
            target: truncate(&self.target, LOG_TARGET_MAX),
            provider: endpoint.map(|e| e.provider().name()),
            endpoint: endpoint.map(|e| e.name()),
            status,
            lints: &lints,
            fault: fault.as_deref(),
        }
        .write();
        let id = sim.journal().record(|id| JournalEntry {
            id,
            at: self.at,
            method: self.method,
            target: self.target,
            scheme: self.scheme,
            host: self.host,
            provider: endpoint.map(|e| e.provider()),
            endpoint,
            account,
            messages,
            status,
            client: self.client,
            lints,
            fault,
        });
        sim.events().publish(Event::Request(id));
        response
    }
}
