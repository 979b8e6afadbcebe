//! Deciding a message's fate by hand.

use axum::extract::State;
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{AdminResult, AppState, Body, Path, error, parse_body};
use crate::domain::messages::Status;
use crate::engine::Undecidable;

/// The final statuses a person may decide.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FinalStatus {
    Delivered,
    Undelivered,
    Expired,
    Rejected,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Decision {
    outcome: FinalStatus,
    reason: Option<String>,
}

/// `POST /__admin/messages/{id}/outcome`: moves a message that has not ended to the outcome now,
/// as if its rule had decided it (history, provider status and callbacks follow); 409 for a
/// message that already ended, 404 for one not held.
pub(super) async fn decide(
    State(app): State<AppState>,
    Path(id): Path<u64>,
    Body(body): Body,
) -> AdminResult {
    let Decision { outcome, reason } = parse_body(&body)?;
    let status = match outcome {
        FinalStatus::Delivered => Status::Delivered,
        FinalStatus::Undelivered => Status::Undelivered,
        FinalStatus::Expired => Status::Expired,
        FinalStatus::Rejected => Status::Rejected,
    };
    match app.engine.decide(id, status, reason).await {
        Ok(()) => {}
        Err(Undecidable::NotFound) => {
            return Err(error(StatusCode::NOT_FOUND, format!("no message {id}")));
        }
        Err(Undecidable::Final(status)) => {
            return Err(error(
                StatusCode::CONFLICT,
                format!("message {id} already ended: {}", json!(status)),
            ));
        }
    }
    let message = app.sim.state().world.messages.get(id).cloned();
    // Held a moment ago; evicted since only under a flood of sends.
    let message =
        message.ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no message {id}")))?;
    Ok(axum::Json(super::listings::message_json(
        &app.sim, &message,
    )))
}
