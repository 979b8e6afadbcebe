//! The three providers, each in its own folder: routes, wire formats, error codes.

pub mod getsms;
pub mod smsco;
pub mod smsoffice;

use axum::Router;
use axum::response::Response;
use axum::routing::MethodRouter;

use crate::domain::{Provider, Sim};
use crate::http::{RouteTag, pages};

use crate::server::AppState;

/// Every provider's routes, merged; their paths do not collide.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(smsoffice::routes())
        .merge(smsco::routes())
        .merge(getsms::routes())
}

/// A provider's router from its path table: `handler` gives each endpoint's method router, and
/// any other method gets a 405 page naming `allow`.
pub fn routes_from(
    paths: &[(&'static str, &'static str)],
    allow: &'static str,
    handler: impl Fn(&str) -> MethodRouter<AppState>,
) -> Router<AppState> {
    paths
        .iter()
        .fold(Router::new(), |router, (path, endpoint)| {
            router.route(
                path,
                handler(endpoint).fallback(move || async move { pages::method_not_allowed(allow) }),
            )
        })
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

/// The provider endpoint a path belongs to, from the same tables the routers are built from.
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
