//! getsms.uz `/smsgateway/status/`: every message of a request, every value a string.

use serde_json::{Value, json};

use crate::domain::World;
use crate::domain::messages::{LookupKey, Message, Status};
use crate::domain::{Provider, clock::Timestamp};

use super::errors::GetsmsError;
use super::input::GetsmsInput;
use super::send::authenticate;

/// Tashkent is UTC+5 all year.
const TASHKENT: i64 = 5;

/// The status word getsms uses for a neutral status.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Accepted | Status::Scheduled | Status::Pending => "sent",
        Status::Delivered => "delivered",
        Status::Undelivered | Status::Expired | Status::Rejected => "failed",
    }
}

fn entered(message: &Message, status: Status) -> Option<Timestamp> {
    message
        .history
        .iter()
        .find(|c| c.status == status)
        .map(|c| c.at)
}

fn row(message: &Message, user_id: u64) -> Value {
    let date = |t: Timestamp| t.format_datetime(TASHKENT);
    let description = match message.status {
        Status::Delivered => "OK".to_owned(),
        s if s.is_final() => message.reason.clone().unwrap_or_default(),
        _ => String::new(),
    };
    json!({
        "recipient": message.destination,
        "text": message.content,
        "user_id": user_id.to_string(),
        "date_received": date(message.created_at),
        "date_sent": date(entered(message, Status::Pending).unwrap_or(message.created_at)),
        "date_delivered": entered(message, Status::Delivered).map(date),
        "message_id": message.message_id.unwrap_or_default().to_string(),
        "request_id": message.request_id.unwrap_or_default().to_string(),
        "status": status_word(message.status),
        "count_messages": message.segments.to_string(),
        "client_ip": message.client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        "description": description,
    })
}

/// The request ids of `data`: an array of objects with a `request_id` string of digits or
/// integer. Anything else is 400.
fn request_ids(input: &GetsmsInput) -> Result<Vec<u64>, GetsmsError> {
    let data = input
        .data
        .as_ref()
        .and_then(|d| d.parse())
        .ok_or(GetsmsError::RequestIdWrong)?;
    let array = data
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or(GetsmsError::RequestIdWrong)?;
    array
        .iter()
        .map(|item| match item.get("request_id") {
            Some(Value::String(s)) => s.trim().parse().ok(),
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        })
        .collect::<Option<Vec<u64>>>()
        .ok_or(GetsmsError::RequestIdWrong)
}

/// Answers a status request.
pub fn status(world: &mut World, input: &GetsmsInput) -> Result<Value, GetsmsError> {
    let account = authenticate(world, input)?;
    let (login, user_id) = (account.login.clone(), account.user_id);
    let ids = request_ids(input)?;
    let mut rows = Vec::new();
    for id in ids {
        let before = rows.len();
        rows.extend(
            world
                .messages
                .by_key(&LookupKey::RequestId(id))
                .filter(|m| m.provider == Provider::Getsms && m.account == login)
                .map(|m| row(m, user_id)),
        );
        if rows.len() == before {
            return Err(GetsmsError::RequestIdWrong);
        }
    }
    Ok(Value::Array(rows))
}
