//! The three providers, each in its own folder: routes, wire formats, error codes.

pub mod getsms;
pub mod smsco;
pub mod smsoffice;

use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;
use http::Method;

use crate::domain::{Provider, Sim};
use crate::http::{Answer, RouteTag, pages};

/// Runs the endpoint `tag` names (from [`route_of`]) for a request from `client`. The endpoints take GET and POST (HEAD runs
/// GET and the reply goes without its body); any other method gets a 405 page naming the methods
/// the provider documents.
pub async fn dispatch(
    sim: &Sim,
    tag: RouteTag,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    if !matches!(*request.method(), Method::GET | Method::POST | Method::HEAD) {
        let allow = match tag.provider {
            Provider::Smsoffice | Provider::Smsco => "GET, POST",
            Provider::Getsms => "POST",
        };
        return Answer::from(pages::method_not_allowed(allow));
    }
    match (tag.provider, tag.endpoint) {
        (Provider::Smsoffice, "send") => smsoffice::send_handler(sim, request, client).await,
        (Provider::Smsoffice, "balance") => smsoffice::balance_handler(sim, request, client).await,
        (Provider::Smsoffice, _) => smsoffice::status_handler(sim, request, client).await,
        (Provider::Smsco, "send") => smsco::send_handler(sim, request, client).await,
        (Provider::Smsco, _) => smsco::status_handler(sim, request, client).await,
        (Provider::Getsms, "send") => getsms::send_handler(sim, request, client).await,
        (Provider::Getsms, _) => getsms::status_handler(sim, request, client).await,
    }
}

/// `Ok` when `code` is among `valid`; otherwise a refusal that lists them.
pub fn check_code_in(
    code: i64,
    valid: impl Iterator<Item = i64>,
    what: &str,
) -> Result<(), String> {
    let valid: Vec<i64> = valid.collect();
    if valid.contains(&code) {
        return Ok(());
    }
    let list: Vec<String> = valid.iter().map(ToString::to_string).collect();
    Err(format!("{code} is not {what}; valid: {}", list.join(", ")))
}

/// The provider endpoint a path belongs to, from the providers' path tables.
pub fn route_of(path: &str) -> Option<RouteTag> {
    let tables = [
        (Provider::Smsoffice, smsoffice::PATHS),
        (Provider::Smsco, smsco::PATHS),
        (Provider::Getsms, getsms::PATHS),
    ];
    tables.into_iter().find_map(|(provider, paths)| {
        paths
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, endpoint)| RouteTag { provider, endpoint })
    })
}

/// Whether `provider` has error code `code` (for fault specs); the refusal lists valid codes.
pub fn check_error_code(provider: Provider, code: i64) -> Result<(), String> {
    match provider {
        Provider::Smsoffice => smsoffice::check_code(code),
        Provider::Smsco => smsco::check_code(code),
        Provider::Getsms => getsms::check_code(code),
    }
}

/// `provider`'s own error reply for `code`.
pub fn error_response(sim: &Sim, provider: Provider, code: i64) -> Response {
    match provider {
        Provider::Smsoffice => smsoffice::error_response(sim, code),
        Provider::Smsco => smsco::error_response(sim, code),
        Provider::Getsms => getsms::error_response(sim, code),
    }
}
