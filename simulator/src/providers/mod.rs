//! The three providers, each in its own folder: routes, wire formats, error codes.

pub mod getsms;
pub mod smsco;
pub mod smsoffice;

use axum::Router;

use crate::domain::Sim;

/// Every provider's routes, merged; their paths do not collide.
pub fn routes() -> Router<Sim> {
    Router::new()
        .merge(smsoffice::routes())
        .merge(smsco::routes())
        .merge(getsms::routes())
}
