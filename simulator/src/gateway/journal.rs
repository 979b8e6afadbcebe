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

/// Writes the journal entry of a request the HTTP layer refused before any endpoint saw it (a
/// malformed request line or header, a head past its limits), from `head`, the bytes it left
/// unread: its method, target and `Host` where they can be read there. `status` is what the
/// client was answered (`None`: closed unanswered); `why` becomes the entry's lint, so the
/// journal and the inbox say what to fix.
pub fn record_refused(
    sim: &Sim,
    head: &[u8],
    scheme: Scheme,
    client: IpAddr,
    status: Option<u16>,
    why: &str,
) {
    let (method, target) = request_line(head);
    let host =
        header_value(head, "host").map(|host| CompactString::from(truncate(&host, HOST_MAX)));
    let id = sim.journal().record(|id| JournalEntry {
        id,
        at: sim.now(),
        method: Cow::Owned(method),
        target,
        scheme,
        host,
        provider: None,
        endpoint: None,
        account: None,
        messages: None,
        status,
        client: Some(client),
        lints: vec![why.to_owned()],
        fault: None,
    });
    sim.events().publish(Event::Request(id));
}

/// The method and target of a request line as sent (the target cut at the journal's limit), or
/// two empty strings for bytes that do not start with a method (a TLS handshake, not HTTP).
fn request_line(head: &[u8]) -> (String, String) {
    // Enough of the line for the longest target the journal keeps.
    let line = &head[..head.len().min(JOURNAL_TARGET_MAX + 64)];
    let line = match line.iter().position(|&b| b == b'\n') {
        Some(end) => &line[..end],
        None => line,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some(space) = line.iter().position(|&b| b == b' ') else {
        return (String::new(), String::new());
    };
    let method = &line[..space];
    if method.is_empty() || method.len() > 20 || !method.iter().all(u8::is_ascii_alphabetic) {
        return (String::new(), String::new());
    }
    let rest = &line[space + 1..];
    let target = match rest.windows(6).rposition(|w| w == b" HTTP/") {
        Some(version) => &rest[..version],
        None => rest,
    };
    let target = String::from_utf8_lossy(target);
    (
        String::from_utf8_lossy(method).into_owned(),
        truncate(&target, JOURNAL_TARGET_MAX).to_owned(),
    )
}

/// The value of the header `name` (any letter case) among the lines after the request line.
fn header_value(head: &[u8], name: &str) -> Option<String> {
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(head.len());
    head[..end].split(|&b| b == b'\n').skip(1).find_map(|line| {
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name.as_bytes())
            .then(|| String::from_utf8_lossy(line[colon + 1..].trim_ascii()).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_head_is_read_for_its_method_target_and_host() {
        let head = b"GET /api/v2/send/?content=hello world HTTP/1.1\r\nX-A: 1\r\nhOST:  smsoffice.ge \r\n\r\n";
        assert_eq!(
            request_line(head),
            (
                "GET".to_owned(),
                "/api/v2/send/?content=hello world".to_owned()
            )
        );
        assert_eq!(header_value(head, "host").as_deref(), Some("smsoffice.ge"));
        // A line cut short keeps what came; a line past the journal's limit is cut there.
        let long = format!("GET /x?{} HTTP/1.1\r\n", "a".repeat(70_000));
        let (method, target) = request_line(long.as_bytes());
        assert_eq!((method.as_str(), target.len()), ("GET", JOURNAL_TARGET_MAX));
        assert_eq!(request_line(b"POST /smsgateway/ HT").1, "/smsgateway/ HT");
        // Not HTTP: no method, no target, no host.
        let tls = [
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];
        assert_eq!(request_line(&tls), (String::new(), String::new()));
        assert_eq!(request_line(b"G@T / HTTP/1.1\r\n").0, "");
        assert_eq!(
            header_value(b"GET / HTTP/1.1\r\n\r\nHost: body", "host"),
            None
        );
    }
}
