//! smsoffice delivery callbacks: a GET to the account's URL for every new state of a message
//! sent with a `reference`, with `reference, status, reason, destination, timestamp, operator`.

use serde::{Deserialize, Serialize};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::{
    CallbackClock, CallbackStatusCase, CallbackZone, Quirks, REFERENCE, State, UTC_OFFSET_HOURS,
    status_word,
};
use crate::domain::Provider;
use crate::domain::clock::Timestamp;
use crate::domain::messages::{Message, Status};
use crate::domain::schedule::CallbackJob;
use crate::http::params::encode;

/// The callback's `timestamp`: `YYYYMMDDHHMMSS`.
const TIMESTAMP: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day][hour][minute][second]");
/// The same with the 12-hour clock, as .NET writes `yyyyMMddhhmmss`.
const TIMESTAMP_12H: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day][hour repr:12][minute][second]");

/// The documented source address of real smsoffice callbacks.
pub const SOURCE_ADDRESS: &str = "91.239.206.90";

/// One entry of the operator table: numbers starting with `prefix` belong to `code`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorPrefix {
    /// Number prefix, country code included, e.g. `99557`.
    pub prefix: String,
    /// MCC+MNC, e.g. `28202`.
    pub code: String,
}

/// smsoffice callback delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallbackConfig {
    /// Seconds of simulator time before each retry of an unacknowledged callback; its length
    /// is the number of retries.
    pub retry_backoff_seconds: Vec<f64>,
    /// How long one attempt may take (real milliseconds) before it counts as failed.
    pub timeout_ms: u64,
    /// Callbacks in flight at once.
    pub max_in_flight: usize,
    /// Local address outgoing callbacks are sent from (e.g. `127.0.0.2`).
    pub bind: Option<std::net::IpAddr>,
    /// Add `X-Forwarded-For` and `X-Real-IP: 91.239.206.90`, the provider's documented source,
    /// for receivers that check it behind a proxy.
    pub forwarded_headers: bool,
}

impl Default for CallbackConfig {
    fn default() -> CallbackConfig {
        CallbackConfig {
            retry_backoff_seconds: vec![10.0, 60.0, 300.0],
            timeout_ms: 5000,
            max_in_flight: 64,
            bind: None,
            forwarded_headers: false,
        }
    }
}

/// The MCC+MNC of `destination` by the longest matching prefix, or empty when unknown.
pub fn operator_code<'a>(operators: &'a [OperatorPrefix], destination: &str) -> &'a str {
    operators
        .iter()
        .filter(|o| destination.starts_with(o.prefix.as_str()))
        .max_by_key(|o| o.prefix.len())
        .map_or("", |o| o.code.as_str())
}

/// The callback URL reporting `message`'s current state, delivered (if it was) at `at`.
pub fn callback_url(
    base: &str,
    message: &Message,
    quirks: &Quirks,
    operators: &[OperatorPrefix],
    at: Timestamp,
) -> String {
    let word = status_word(message.status);
    let status = match quirks.callback_status_case {
        CallbackStatusCase::Capitalized => word.to_owned(),
        CallbackStatusCase::Lowercase => word.to_ascii_lowercase(),
    };
    let reason = if message.status == Status::Delivered {
        String::new()
    } else {
        message.reason.clone().unwrap_or_default()
    };
    let timestamp = if message.status == Status::Delivered {
        let format = match quirks.callback_clock {
            CallbackClock::H24 => TIMESTAMP,
            CallbackClock::H12 => TIMESTAMP_12H,
        };
        let offset = match quirks.callback_zone {
            CallbackZone::Georgia => UTC_OFFSET_HOURS,
            CallbackZone::Utc => 0,
        };
        at.format(format, offset)
    } else {
        String::new()
    };
    let separator = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{separator}reference={}&status={}&reason={}&destination={}&timestamp={}&operator={}",
        encode(message.id_text(REFERENCE).unwrap_or_default()),
        encode(&status),
        encode(&reason),
        encode(&message.destination),
        timestamp,
        encode(operator_code(operators, &message.destination)),
    )
}

/// The callback owed for `message`'s move from `previous`, if any: only smsoffice messages
/// sent with a reference, to an account with a callback URL, whose status word changed.
pub fn job_for(
    state: &State,
    message: &Message,
    previous: Status,
    quirks: &Quirks,
    operators: &[OperatorPrefix],
    at: Timestamp,
) -> Option<CallbackJob> {
    if message.provider != Provider::Smsoffice
        || status_word(previous) == status_word(message.status)
    {
        return None;
    }
    message.id_text(REFERENCE)?;
    let account = state.accounts.get(&*message.account)?;
    let base = account.callback_url.as_deref().filter(|u| !u.is_empty())?;
    Some(CallbackJob {
        message_id: message.id,
        url: callback_url(base, message, quirks, operators, at),
        attempt: 1,
        fault: None,
    })
}

/// Checks that a callback URL is one the engine can call: absolute `http://` with a host, and no
/// white space or control character (which would never reach a receiver intact).
pub fn validate_callback_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?} holds white space or a control character; percent-encode it"
        ));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(_)) => Ok(()),
        (Some("https"), _) => Err(format!(
            "{url:?}: https callback URLs are not supported; use http"
        )),
        _ => Err(format!("{url:?} must be an absolute http:// URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::messages::Origin;

    fn message(status: Status, reason: Option<&str>) -> Message {
        let origin = Origin {
            provider: Provider::Smsoffice,
            account: &"demo-key".into(),
            sender: &"SMSOFFICE".into(),
            now: Timestamp(0),
            scheduled_at: None,
            client_ip: None,
            ids: &[],
        };
        let mut message = Message::accepted(
            1,
            &origin,
            "995577123456".into(),
            &"hi".into(),
            crate::domain::segments::count("hi"),
        );
        message.status = status;
        message.reason = reason.map(str::to_owned);
        message.ids.push(crate::domain::messages::ProviderId {
            name: REFERENCE,
            value: crate::domain::messages::IdValue::Text("12345678".into()),
            indexed: true,
        });
        message
    }

    fn operators() -> Vec<OperatorPrefix> {
        vec![
            OperatorPrefix {
                prefix: "9955".into(),
                code: "28299".into(),
            },
            OperatorPrefix {
                prefix: "99557".into(),
                code: "28202".into(),
            },
        ]
    }

    #[test]
    fn reproduces_the_documented_example() {
        // The document's example: delivered 2013-05-01 12:02:02 (Georgia), operator 28202.
        let at = Timestamp::parse_datetime("2013-05-01 12:02:02", UTC_OFFSET_HOURS).unwrap();
        let quirks = Quirks {
            callback_status_case: CallbackStatusCase::Lowercase,
            ..Quirks::default()
        };
        let url = callback_url(
            "http://www.yoururl.com/callback",
            &message(Status::Delivered, None),
            &quirks,
            &operators(),
            at,
        );
        assert_eq!(
            url,
            "http://www.yoururl.com/callback?reference=12345678&status=delivered&reason=&destination=995577123456&timestamp=20130501120202&operator=28202"
        );
    }

    #[test]
    fn failures_carry_the_reason_and_no_timestamp() {
        let url = callback_url(
            "http://h/cb?token=a b",
            &message(Status::Undelivered, Some("Subscriber absent")),
            &Quirks::default(),
            &[],
            Timestamp(0),
        );
        assert_eq!(
            url,
            "http://h/cb?token=a b&reference=12345678&status=Undelivered&reason=Subscriber%20absent&destination=995577123456&timestamp=&operator="
        );
    }
}
