//! smsoffice.ge `send`: the check order, number classification, charging and storing.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use ::http::Method;
use axum::response::Response;

use super::errors::{Envelope as Reply, Output, SmsofficeError};
use super::{CheckOrder, Quirks, SenderCase, ShowServiceTime, SlashlessPost, State};
use super::{REFERENCE, authenticate, envelope, read};
use crate::domain::clock::Timestamp;
use crate::domain::error::charge;
use crate::domain::messages::{Envelope, IdValue, Message, ProviderId};
use crate::domain::numbers::{self, GEORGIA, NumberClass};
use crate::domain::segments;
use crate::domain::{Provider, World};
use crate::http::params::{Params, looks_encoded_twice};
use crate::http::{self, Handler, Inbound, Run, pages};

/// Parameter names send knows; anything else is ignored and noted.
pub const KNOWN: &[&str] = &[
    "key",
    "destination",
    "sender",
    "content",
    "urgent",
    "reference",
    "contentType",
    "scheduledAt",
    "showServiceTime",
];

/// The send parameters as given: `None` absent, `Some("")` empty. Values borrow from the
/// request's parameters.
#[derive(Debug, Clone, Default)]
pub struct SendRequest<'a> {
    /// API key.
    pub key: Option<Cow<'a, str>>,
    /// Comma-separated numbers.
    pub destination: Option<Cow<'a, str>>,
    /// Sender title.
    pub sender: Option<Cow<'a, str>>,
    /// Text.
    pub content: Option<Cow<'a, str>>,
    /// `urgent=true`.
    pub urgent: bool,
    /// Client reference for callbacks and status.
    pub reference: Option<Cow<'a, str>>,
    /// `contentType=2`.
    pub flash: bool,
    /// `scheduledAt`, when it parsed.
    pub scheduled_at: Option<Timestamp>,
    /// The caller's address.
    pub client_ip: Option<IpAddr>,
}

impl<'a> SendRequest<'a> {
    /// Reads the parameters, noting lints for values the real service may treat otherwise.
    pub fn from_params(params: &'a Params, lints: &mut Vec<String>) -> SendRequest<'a> {
        let flag = |name: &str| {
            params
                .value(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let flash = match params.value("contentType").as_deref().map(str::trim) {
            None | Some("1") => false,
            Some("2") => true,
            Some(other) => {
                lints.push(format!(
                    "contentType={other:?} is neither 1 (text) nor 2 (flash); sent as text"
                ));
                false
            }
        };
        let scheduled_at =
            params
                .value("scheduledAt")
                .and_then(|raw| match raw.trim().parse::<i64>() {
                    Ok(secs) => Some(Timestamp(secs.saturating_mul(1000))),
                    Err(_) => {
                        lints.push(format!(
                            "scheduledAt={raw:?} is not Unix seconds; the message is sent at once"
                        ));
                        None
                    }
                });
        let content = params.value("content");
        if let Some(content) = &content
            && looks_encoded_twice(content)
        {
            lints.push(format!(
                "content {content:?} still holds percent-escapes after decoding: it looks encoded twice, and the real service shows them as typed"
            ));
        }
        let reference = params.value("reference").filter(|r| !r.is_empty());
        if let Some(r) = &reference
            && r.chars().count() > 20
        {
            lints.push(format!(
                "reference {r:?} is over 20 characters, the documented maximum"
            ));
        }
        SendRequest {
            key: params.value("key"),
            destination: params.value("destination"),
            sender: params.value("sender"),
            content,
            urgent: flag("urgent"),
            reference,
            flash,
            scheduled_at,
            client_ip: None,
        }
    }
}

/// What an accepted send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// Valid numbers dropped because they are stop-listed.
    pub stop_listed: Vec<String>,
    /// Messages stored.
    pub sent: usize,
    /// Balance taken.
    pub charged: u64,
}

/// A sender title the provider can send from: up to 11 of `A-Za-z0-9 .-`, or up to 16 digits
/// with an optional leading `+`.
fn sender_is_well_formed(sender: &str) -> bool {
    let alpha = (1..=11).contains(&sender.len())
        && sender
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'.' | b'-'));
    let digits = sender.strip_prefix('+').unwrap_or(sender);
    let numeric = (1..=16).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    alpha || numeric
}

/// Runs every check in order against `world`; on success charges the account and stores one
/// message per destination sent.
pub fn send(
    world: &mut World,
    state: &mut State,
    quirks: &Quirks,
    request: &SendRequest,
    now: Timestamp,
    lints: &mut Vec<String>,
) -> Result<Accepted, SmsofficeError> {
    let key = request.key.as_deref().ok_or(SmsofficeError::KeyMissing)?;
    if quirks.check_order == CheckOrder::AuthFirst {
        authenticate(state, key)?;
    }
    let destination = request
        .destination
        .as_deref()
        .ok_or(SmsofficeError::DestinationMissing)?;
    let sender = request
        .sender
        .as_deref()
        .ok_or(SmsofficeError::SenderMissing)?;
    let content = request
        .content
        .as_deref()
        .ok_or(SmsofficeError::ContentMissing)?;
    if quirks.check_order == CheckOrder::PresenceFirst {
        authenticate(state, key)?;
    }
    let account = state
        .accounts
        .get_mut(key)
        .ok_or(SmsofficeError::KeyIncorrect)?;

    if !sender_is_well_formed(sender) {
        return Err(SmsofficeError::SenderMalformed);
    }
    let sender_active = account
        .sender(sender, quirks.sender_case == SenderCase::Ignore)
        .ok_or(SmsofficeError::SenderNotFound)?
        .active;
    let numbers: Vec<&str> = destination.split(',').filter(|n| !n.is_empty()).collect();
    if numbers.is_empty() {
        return Err(SmsofficeError::DestinationEmpty);
    }
    if content.is_empty() {
        return Err(SmsofficeError::ContentEmpty);
    }
    // .NET counts string length in UTF-16 code units.
    if content.encode_utf16().count() > quirks.max_content_chars {
        return Err(SmsofficeError::ContentTooLong);
    }

    let mut valid = Vec::new();
    let (mut foreign, mut invalid, mut stop_listed) = (0usize, 0usize, Vec::new());
    for number in &numbers {
        if numbers::looks_like_local_georgian(number) {
            lints.push(format!(
                "destination {number} lacks the country code; the real service needs 995{number}"
            ));
        }
        match numbers::classify(number, GEORGIA) {
            NumberClass::Valid
                if account.is_stop_listed(number) && !(request.urgent && sender_active) =>
            {
                stop_listed.push((*number).to_owned());
            }
            NumberClass::Valid => valid.push(*number),
            NumberClass::Foreign => foreign += 1,
            NumberClass::InvalidFormat => invalid += 1,
        }
    }
    if request.urgent && !sender_active && !stop_listed.is_empty() {
        lints.push(format!(
            "urgent=true does not pass the stop list: sender {sender:?} is not active"
        ));
    }
    if valid.is_empty() {
        let total = numbers.len();
        return Err(if foreign == total {
            SmsofficeError::NoValidNumbers
        } else if invalid == total {
            SmsofficeError::AllInvalidFormat
        } else if stop_listed.len() == total {
            SmsofficeError::AllStopListed
        } else {
            SmsofficeError::StopListedOrInvalid
        });
    }

    let count = segments::count(content);
    let cost = u64::from(count.segments) * valid.len() as u64;
    charge(&mut account.balance, cost)?;

    let account_key: Arc<str> = Arc::from(account.key.as_str());
    let sender: Arc<str> = Arc::from(sender);
    let content: Arc<str> = Arc::from(content);
    let scheduled_at = request.scheduled_at.filter(|at| *at > now);
    for number in &valid {
        let envelope = Envelope {
            provider: Provider::Smsoffice,
            account: &account_key,
            sender: &sender,
            destination: (*number).to_owned(),
            content: &content,
        };
        let mut message =
            Message::accepted(world.messages.next_id(), envelope, count, now, scheduled_at);
        message.flash = request.flash;
        message.urgent = request.urgent;
        if let Some(reference) = &request.reference {
            message.ids.push(ProviderId {
                name: REFERENCE,
                value: IdValue::Text(reference.to_string()),
                indexed: true,
            });
        }
        message.client_ip = request.client_ip;
        world.accept(message);
    }
    Ok(Accepted {
        stop_listed,
        sent: valid.len(),
        charged: cost,
    })
}

/// A decoded send request.
#[derive(Debug)]
pub struct Send {
    params: Params,
    client_ip: Option<IpAddr>,
    /// When the request arrived, for `ServiceTime`; `None` unless asked for.
    service_time_from: Option<Instant>,
}

impl Handler for Send {
    type Quirks = Quirks;
    type State = State;
    type Output = (Result<Accepted, SmsofficeError>, Option<Instant>);

    async fn decode(inbound: Inbound<'_, Quirks>) -> Result<Send, Response> {
        let started = Instant::now();
        let quirks = inbound.quirks;
        let request = &inbound.request;
        if request.method() == Method::POST && !request.uri().path().ends_with('/') {
            inbound.lints.push(
                "POST to /api/v2/send without the trailing slash: the documented path is /api/v2/send/"
                    .into(),
            );
            if quirks.slashless_post == SlashlessPost::Redirect {
                let location = match request.uri().query() {
                    Some(q) => format!("/api/v2/send/?{q}"),
                    None => "/api/v2/send/".to_owned(),
                };
                return Err(pages::moved_permanently(&location));
            }
        }
        let (raw, params) = read(inbound, KNOWN).await?;
        let show_service_time = quirks.show_service_time == ShowServiceTime::Output
            && params
                .value("showServiceTime")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Ok(Send {
            params,
            client_ip: raw.client.map(|c| c.ip()),
            service_time_from: show_service_time.then_some(started),
        })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> Self::Output {
        let mut request = SendRequest::from_params(&self.params, run.lints);
        request.client_ip = self.client_ip;
        let result = send(
            run.world, run.state, run.quirks, &request, run.now, run.lints,
        );
        (result, self.service_time_from)
    }

    fn respond((result, service_time_from): Self::Output, quirks: &Quirks) -> http::Reply {
        let wake_engine = result.is_ok();
        let reply = match result {
            Ok(accepted) => Reply::success(Some(Output::Send {
                stop_listed: (!accepted.stop_listed.is_empty()).then_some(accepted.stop_listed),
                service_time: service_time_from.map(|t| t.elapsed().as_millis() as u64),
            })),
            Err(e) => Reply::error(e),
        };
        http::Reply {
            response: envelope(quirks, reply),
            wake_engine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_titles() {
        for ok in [
            "SMSOFFICE",
            "smsoffice",
            "My Shop",
            "a.b-c",
            "12345678901",
            "+995577123456",
            "1234567890123456",
        ] {
            assert!(sender_is_well_formed(ok), "{ok}");
        }
        for bad in [
            "",
            "TOOLONGSENDER",
            "ჯიპი",
            "a_b",
            "+",
            "12345678901234567",
            "a+b",
        ] {
            assert!(!sender_is_well_formed(bad), "{bad}");
        }
    }
}
