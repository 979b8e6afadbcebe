//! getsms.uz `/smsgateway/status/`: every message of a request, every value a string.

use axum::response::Response;
use serde::Serialize;

use super::errors::GetsmsError;
use super::input::GetsmsInput;
use super::request_ids::request_ids;
use super::send::authenticate;
use super::{Decoded, MESSAGE_ID, Handled, Quirks, REQUEST_ID, State, StatusWords};
use super::decode;
use crate::domain::clock::Timestamp;
use crate::domain::messages::{IdValue, LookupKey, Message, Status};
use crate::domain::{Provider, World};
use crate::http::{Handler, Read, Reply, Run};

/// The status word getsms uses for a neutral status, in the words quirk `getsms.status_words`
/// chooses.
pub fn status_word(status: Status, words: StatusWords) -> &'static str {
    match (status, words) {
        (Status::Delivered, _) => "delivered",
        (Status::Accepted | Status::Scheduled | Status::Pending, StatusWords::SentFailed) => "sent",
        (
            Status::Accepted | Status::Scheduled | Status::Pending,
            StatusWords::PendingUndelivered,
        ) => "pending",
        (_, StatusWords::SentFailed) => "failed",
        (_, StatusWords::PendingUndelivered) => "undelivered",
    }
}

/// One message's row; every value a string (`date_delivered` null until delivered).
#[derive(Debug, Serialize)]
pub struct StatusRow {
    recipient: String,
    text: String,
    user_id: String,
    date_received: String,
    date_sent: String,
    date_delivered: Option<String>,
    message_id: String,
    request_id: String,
    status: &'static str,
    count_messages: String,
    client_ip: String,
    description: String,
}

fn entered(message: &Message, status: Status) -> Option<Timestamp> {
    message
        .history
        .iter()
        .find(|c| c.status == status)
        .map(|c| c.at)
}

impl StatusRow {
    fn of(message: &Message, user_id: u64, quirks: &Quirks) -> StatusRow {
        let words = quirks.status_words;
        let offset = quirks.date_zone.utc_offset_hours();
        let date = |t: Timestamp| t.format_datetime(offset);
        let description = match message.status {
            Status::Delivered => "OK".to_owned(),
            s if s.is_final() => message.reason.clone().unwrap_or_default(),
            _ => String::new(),
        };
        StatusRow {
            recipient: message.destination.clone(),
            text: message.content.to_string(),
            user_id: user_id.to_string(),
            date_received: date(message.created_at),
            date_sent: date(entered(message, Status::Pending).unwrap_or(message.created_at)),
            date_delivered: entered(message, Status::Delivered).map(date),
            message_id: message
                .id_number(MESSAGE_ID)
                .unwrap_or_default()
                .to_string(),
            request_id: message
                .id_number(REQUEST_ID)
                .unwrap_or_default()
                .to_string(),
            status: status_word(message.status, words),
            count_messages: message.segments.to_string(),
            client_ip: message
                .client_ip
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            description,
        }
    }
}

/// Answers a status request.
pub fn status(
    world: &World,
    state: &mut State,
    input: &GetsmsInput,
    ids: Result<Vec<u64>, GetsmsError>,
    quirks: &Quirks,
) -> Result<Vec<StatusRow>, GetsmsError> {
    let account = authenticate(state, input)?;
    let (login, user_id) = (account.login.as_str(), account.user_id);
    let ids = ids?;
    let mut rows = Vec::new();
    for id in ids {
        let before = rows.len();
        rows.extend(
            world
                .messages
                .by_key(&LookupKey {
                    name: REQUEST_ID,
                    value: IdValue::Number(id),
                })
                .filter(|m| m.provider == Provider::Getsms && *m.account == *login)
                .map(|m| StatusRow::of(m, user_id, quirks)),
        );
        if rows.len() == before {
            return Err(GetsmsError::RequestIdWrong);
        }
    }
    Ok(rows)
}

/// A decoded `/smsgateway/status/` request, its request ids parsed before the world lock.
#[derive(Debug)]
pub struct MessageStatus {
    decoded: Decoded,
    ids: Result<Vec<u64>, GetsmsError>,
}

impl Handler for MessageStatus {
    type Quirks = Quirks;
    type State = State;
    type Output = Handled<Vec<StatusRow>>;

    fn decode(request: Read<'_, Quirks>) -> Result<MessageStatus, Response> {
        let decoded = decode(request);
        let ids = request_ids(decoded.input.data.as_ref());
        Ok(MessageStatus { decoded, ids })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> Self::Output {
        let MessageStatus {
            decoded: Decoded { input, caller },
            ids,
        } = self;
        if caller.admitted(run.state).is_none() {
            run.lints.clear();
            return Handled::Forbidden;
        }
        Handled::from_result(status(
            run.world,
            run.state,
            &input,
            ids,
            run.quirks,
        ))
    }

    fn respond(output: Self::Output, quirks: &Quirks) -> Reply {
        output.respond(quirks, false)
    }
}
