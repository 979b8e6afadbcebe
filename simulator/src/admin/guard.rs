//! What stands between the admin API and a web page the developer happens to visit: the `Host`
//! check that defeats DNS rebinding, the refusal of cross-origin and simple (form-like) requests
//! that change state, and the token. Provider paths never pass here: clients reach them through
//! proxies and real host names.

use std::net::IpAddr;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};

use super::{AdminError, error};
use crate::sim::Sim;

/// The header a caller may send instead of `Content-Type: application/json` on a bodyless call
/// that changes state (reset, DELETE). A browser sends neither without a CORS preflight, which
/// the admin API never grants.
pub const INTENT_HEADER: &str = "x-smsim";

/// Checks every admin call in turn: its `Host`, its `Origin` and content type when it changes
/// state, and the token. Every answer it lets through is marked `nosniff`.
pub async fn guard(State(sim): State<Sim>, request: Request, next: Next) -> Response {
    let mut response = match check(&sim, &request) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            let unauthorized = refusal.status == StatusCode::UNAUTHORIZED;
            let mut response = refusal.into_response();
            if unauthorized {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            response
        }
    };
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Every check, in order.
fn check(sim: &Sim, request: &Request) -> Result<(), AdminError> {
    let config = sim.config();
    check_host(request.headers(), config)?;
    if changes_state(request.method()) {
        check_origin(request.headers())?;
        check_intent(request.headers())?;
    }
    check_token(request, config.admin_token.as_deref())
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// The host part of a `Host` value (`name`, `1.2.3.4`, `[::1]`), lowercase, without the port.
fn host_name(host: &str) -> String {
    let host = host.trim();
    let name = match host.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// A `Host` the admin API answers to: any IP address (DNS rebinding needs a name), `localhost`
/// and names under `.localhost` (which browsers resolve to loopback themselves), and the names
/// the configuration allows (`*` for any). A request without `Host` comes from no browser.
fn host_allowed(name: &str, allowed: &[String]) -> bool {
    name.parse::<IpAddr>().is_ok()
        || name == "localhost"
        || name.ends_with(".localhost")
        || allowed
            .iter()
            .any(|a| a == "*" || a.trim_end_matches('.').eq_ignore_ascii_case(name))
}

fn check_host(headers: &HeaderMap, config: &crate::config::Config) -> Result<(), AdminError> {
    let Some(host) = headers.get(header::HOST) else {
        return Ok(());
    };
    let name = host_name(&String::from_utf8_lossy(host.as_bytes()));
    if host_allowed(&name, &config.allowed_hosts) {
        return Ok(());
    }
    Err(error(
        StatusCode::FORBIDDEN,
        format!(
            "the admin API does not answer to host {name:?}: only loopback names, IP addresses and \
             names given with --allowed-host (SMSIM_ALLOWED_HOSTS), so that no web page can reach it \
             by DNS rebinding"
        ),
    ))
}

/// A state-changing call from a page must come from the simulator's own origin: the `Origin`
/// header, when a browser sends one, names the same host and port as `Host`.
fn check_origin(headers: &HeaderMap) -> Result<(), AdminError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = String::from_utf8_lossy(origin.as_bytes());
    let own = headers
        .get(header::HOST)
        .map(|h| String::from_utf8_lossy(h.as_bytes()).to_ascii_lowercase());
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .map(str::to_ascii_lowercase);
    if authority.is_some() && authority == own {
        return Ok(());
    }
    Err(error(
        StatusCode::FORBIDDEN,
        format!("admin calls that change state are refused from another origin ({origin})"),
    ))
}

/// A state-changing call says it is one in a way no plain HTML form or `no-cors` fetch can:
/// `Content-Type: application/json`, or the `X-Smsim` header.
fn check_intent(headers: &HeaderMap) -> Result<(), AdminError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"));
    if json || headers.contains_key(INTENT_HEADER) {
        return Ok(());
    }
    Err(error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "admin calls that change state take `Content-Type: application/json` (or, without a \
         body, an `X-Smsim: 1` header), so that no web page can send them as a form",
    ))
}

/// Refuses a call without the configured token (`Authorization: Bearer <token>`, the scheme in
/// any letter case) with 401; without a configured token every call passes. The page itself,
/// its files and `/health` need none.
fn check_token(request: &Request, token: Option<&str>) -> Result<(), AdminError> {
    let authorizations: Vec<&HeaderValue> = request
        .headers()
        .get_all(header::AUTHORIZATION)
        .iter()
        .collect();
    if authorizations.len() > 1 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "more than one Authorization header",
        ));
    }
    let Some(token) = token else {
        return Ok(());
    };
    // Paths here are inside `/__admin` (the nest strips it). The page holds no data: it asks
    // for the token and sends it with each call.
    let path = request.uri().path();
    if path == "/health" || path == "/ui" || path.starts_with("/ui/") {
        return Ok(());
    }
    let given = authorizations
        .first()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, value)| value.trim());
    // A browser's EventSource cannot set headers: the event stream also takes the token in
    // the query string (the request log masks it).
    let in_query = path == "/events"
        && request.uri().query().is_some_and(|query| {
            form_urlencoded::parse(query.as_bytes())
                .any(|(name, value)| name == "access_token" && value == token)
        });
    if given == Some(token) || in_query {
        return Ok(());
    }
    Err(error(
        StatusCode::UNAUTHORIZED,
        "this simulator's admin API needs `Authorization: Bearer <token>` (--admin-token)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_without_port_and_case() {
        assert_eq!(host_name("LocalHost:8800"), "localhost");
        assert_eq!(host_name("[::1]:8800"), "::1");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("smsim.test.:80"), "smsim.test");
    }

    #[test]
    fn only_addresses_loopback_names_and_allowed_names_pass() {
        let none: Vec<String> = Vec::new();
        for ok in ["127.0.0.1", "::1", "10.1.2.3", "localhost", "app.localhost"] {
            assert!(host_allowed(ok, &none), "{ok}");
        }
        for refused in [
            "attacker.example",
            "localhost.attacker.example",
            "127.0.0.1.nip.io",
        ] {
            assert!(!host_allowed(refused, &none), "{refused}");
        }
        let allowed = vec!["smsim".to_owned()];
        assert!(host_allowed("smsim", &allowed));
        assert!(!host_allowed("other", &allowed));
        assert!(host_allowed("anything", &["*".to_owned()]));
    }
}
