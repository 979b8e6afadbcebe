//! The three providers, each in its own folder: routes, wire formats, error codes.

pub mod getsms;
pub mod smsco;
pub mod smsoffice;

use axum::Router;

use crate::server::AppState;

/// Every provider's routes, merged; their paths do not collide.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(smsoffice::routes())
        .merge(smsco::routes())
        .merge(getsms::routes())
}
