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

/// A request target written with every credential parameter's value as `***`. Formatting does
/// the work, so a log line that is filtered out costs nothing.
struct Masked<'a>(&'a str);

impl std::fmt::Display for Masked<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some((path, query)) = self.0.split_once('?') else {
            return f.write_str(self.0);
        };
        f.write_str(path)?;
        f.write_str("?")?;
        for (i, item) in query.split('&').enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            match item.split_once('=') {
                Some((name, _)) if is_credential(name) => {
                    f.write_str(name)?;
                    f.write_str("=***")?;
                }
                _ => f.write_str(item)?,
            }
        }
        Ok(())
    }
}

/// Query parameters that may carry the admin token (the event stream takes `access_token`).
const ADMIN_TOKEN_PARAMS: [&str; 2] = ["access_token", "token"];

/// Whether a raw parameter name names a credential, read as PHP and ASP.NET read names
/// (percent-decoded, any case, spaces and an array suffix ignored).
fn is_credential(raw_name: &str) -> bool {
    // Most names are plain: read them as they are, without decoding into a new string.
    if !raw_name.contains(['%', '+', '[', ' ']) {
        return credential_name(raw_name);
    }
    let decoded = percent_encoding::percent_decode_str(&raw_name.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned();
    let name = decoded.trim();
    credential_name(name.split('[').next().unwrap_or(name).trim())
}

/// Whether `name` (decoded) is any provider's credential name or the admin token's: the log
/// masks them whatever the path.
fn credential_name(name: &str) -> bool {
    ADMIN_TOKEN_PARAMS
        .iter()
        .copied()
        .chain(
            crate::providers::ENTRIES
                .iter()
                .flat_map(|e| e.credentials.iter().map(|c| c.0)),
        )
        .any(|credential| name.eq_ignore_ascii_case(credential))
}

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
        Some(match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
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
        let target = Masked(truncate(&self.target, LOG_TARGET_MAX));
        if lints.is_empty() && fault.is_none() {
            tracing::info!(method = %self.method, target = %target, status, "request");
        } else {
            tracing::info!(
                method = %self.method,
                target = %target,
                provider = endpoint.map(|e| e.provider().name()),
                endpoint = endpoint.map(|e| e.name()),
                status,
                lints = ?lints,
                fault,
                "request"
            );
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_targets_mask_every_credential_spelling() {
        let masked =
            Masked("/api?KEY=s1&destination=995&passwor%64=s2&+login=s3&password[]=s4&x=key")
                .to_string();
        assert_eq!(
            masked,
            "/api?KEY=***&destination=995&passwor%64=***&+login=***&password[]=***&x=key"
        );
        assert_eq!(Masked("/smsgateway/").to_string(), "/smsgateway/");
    }

    #[test]
    fn an_admin_token_in_a_query_string_is_masked() {
        assert_eq!(
            Masked("/__adminx/events?access_token=s3cret&Token=s3cret").to_string(),
            "/__adminx/events?access_token=***&Token=***"
        );
    }

    #[test]
    fn every_providers_credentials_are_masked_from_its_declaration() {
        for entry in crate::providers::ENTRIES {
            for (name, _) in entry.credentials {
                let target = format!("/x?{name}=secret&other=1");
                assert_eq!(
                    Masked(&target).to_string(),
                    format!("/x?{name}=***&other=1"),
                    "{}",
                    entry.provider
                );
            }
        }
    }
}
