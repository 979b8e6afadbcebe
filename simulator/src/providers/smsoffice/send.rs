//! smsoffice.ge `send`: the check order, number classification, charging and storing.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use ::http::Method;
use smallvec::SmallVec;
use axum::extract::Request;
use axum::response::Response;

use super::errors::{Envelope, Output, SmsofficeError};
use super::{
    CheckOrder, Quirks, SenderCase, ShowServiceTime, SlashlessPost, SmsofficeAccount, State,
};
use super::{REFERENCE, authenticate, check_target, envelope, read};
use crate::domain::clock::Timestamp;
use crate::domain::error::charge;
use crate::domain::messages::{IdValue, ProviderId};
use crate::domain::numbers::{self, GEORGIA, NumberClass};
use crate::domain::segments;
use crate::domain::{Origin, Provider, World};
use crate::http::params::{Params, known_params, looks_encoded_twice};
use crate::http::{self, Handler, Read, Run, pages};

known_params! {
    /// Parameter names send knows; anything else is ignored and noted.
    KEY = "key",
    DESTINATION = "destination",
    SENDER = "sender",
    CONTENT = "content",
    URGENT = "urgent",
    REFERENCE = "reference",
    CONTENT_TYPE = "contentType",
    SCHEDULED_AT = "scheduledAt",
    SHOW_SERVICE_TIME = "showServiceTime",
}

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
        let flag = |place: usize| {
            params
                .known_value(place)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let flash = match params
            .known_value(place::CONTENT_TYPE)
            .as_deref()
            .map(str::trim)
        {
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
                .known_value(place::SCHEDULED_AT)
                .and_then(|raw| match raw.trim().parse::<i64>() {
                    Ok(secs) => Some(Timestamp(secs.saturating_mul(1000))),
                    Err(_) => {
                        lints.push(format!(
                            "scheduledAt={raw:?} is not Unix seconds; the message is sent at once"
                        ));
                        None
                    }
                });
        let content = params.known_value(place::CONTENT);
        if let Some(content) = &content
            && looks_encoded_twice(content)
        {
            lints.push(format!(
                "content {content:?} still holds percent-escapes after decoding: it looks encoded twice, and the real service shows them as typed"
            ));
        }
        let reference = params
            .known_value(place::REFERENCE)
            .filter(|r| !r.is_empty());
        if let Some(r) = &reference
            && r.chars().count() > 20
        {
            lints.push(format!(
                "reference {r:?} is over 20 characters, the documented maximum"
            ));
        }
        SendRequest {
            key: params.known_value(place::KEY),
            destination: params.known_value(place::DESTINATION),
            sender: params.known_value(place::SENDER),
            content,
            urgent: flag(place::URGENT),
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
    let fields = check_fields(state, quirks, request)?;
    let account = &mut state.accounts[fields.account];
    let sender_active = check_sender_and_content(account, quirks, &fields)?;
    let numbers = sort_numbers(&fields, account, request.urgent && sender_active, lints);
    if request.urgent && !sender_active && !numbers.stop_listed.is_empty() {
        lints.push(format!(
            "urgent=true does not pass the stop list: sender {:?} is not active",
            fields.sender
        ));
    }
    if numbers.valid.is_empty() {
        return Err(numbers.refusal());
    }

    let count = segments::count(fields.content);
    let cost = u64::from(count.segments) * numbers.valid.len() as u64;
    charge(&mut account.balance, cost)?;

    let account_key = world.names.shared(&account.key);
    let sender = world.names.shared(fields.sender);
    let content: Arc<str> = Arc::from(fields.content);
    let reference = request.reference.as_ref().map(|reference| ProviderId {
        name: REFERENCE,
        value: IdValue::Text(reference.to_string()),
        indexed: true,
    });
    let origin = Origin {
        provider: Provider::Smsoffice,
        account: &account_key,
        sender: &sender,
        now,
        scheduled_at: request.scheduled_at.filter(|at| *at > now),
        client_ip: request.client_ip,
        ids: reference.as_slice(),
    };
    for number in &numbers.valid {
        world.accept_in(&origin, (*number).to_owned(), &content, count, |message| {
            message.flash = request.flash;
            message.urgent = request.urgent;
        });
    }
    Ok(Accepted {
        sent: numbers.valid.len(),
        stop_listed: numbers.stop_listed,
        charged: cost,
    })
}

/// The parameters every send needs, present, and the account the key names.
struct Fields<'a> {
    /// The account's place among the provider's accounts.
    account: usize,
    destination: &'a str,
    sender: &'a str,
    content: &'a str,
}

/// Presence of every parameter and the key's validity, in the order `smsoffice.check_order`
/// gives: 10, 30, 40, 50, 80, 120.
fn check_fields<'a>(
    state: &State,
    quirks: &Quirks,
    request: &'a SendRequest,
) -> Result<Fields<'a>, SmsofficeError> {
    let key = request.key.as_deref().ok_or(SmsofficeError::KeyMissing)?;
    let mut account = None;
    if quirks.check_order == CheckOrder::AuthFirst {
        account = Some(authenticate(state, key)?);
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
    let account = match account {
        Some(place) => place,
        None => authenticate(state, key)?,
    };
    Ok(Fields {
        account,
        destination,
        sender,
        content,
    })
}

/// The sender's form and registration, a destination list that is not empty, and the content's
/// length; whether the sender is active.
fn check_sender_and_content(
    account: &SmsofficeAccount,
    quirks: &Quirks,
    fields: &Fields<'_>,
) -> Result<bool, SmsofficeError> {
    if !sender_is_well_formed(fields.sender) {
        return Err(SmsofficeError::SenderMalformed);
    }
    let sender_active = account
        .sender(fields.sender, quirks.sender_case == SenderCase::Ignore)
        .ok_or(SmsofficeError::SenderNotFound)?
        .active;
    // Only commas (or nothing): every item of the list is empty.
    if fields.destination.bytes().all(|b| b == b',') {
        return Err(SmsofficeError::DestinationEmpty);
    }
    if fields.content.is_empty() {
        return Err(SmsofficeError::ContentEmpty);
    }
    // .NET counts string length in UTF-16 code units.
    if segments::utf16_len(fields.content) > quirks.max_content_chars {
        return Err(SmsofficeError::ContentTooLong);
    }
    Ok(sender_active)
}

/// The destinations sorted by what the service does with each.
struct Numbers<'a> {
    total: usize,
    /// Room for a few numbers without an allocation: most sends name one.
    valid: SmallVec<[&'a str; 4]>,
    foreign: usize,
    invalid: usize,
    stop_listed: Vec<String>,
}

impl Numbers<'_> {
    /// The error for a send none of whose numbers can be sent to: 60, 70, 110 or 140.
    fn refusal(&self) -> SmsofficeError {
        if self.foreign == self.total {
            SmsofficeError::NoValidNumbers
        } else if self.invalid == self.total {
            SmsofficeError::AllInvalidFormat
        } else if self.stop_listed.len() == self.total {
            SmsofficeError::AllStopListed
        } else {
            SmsofficeError::StopListedOrInvalid
        }
    }
}

/// Sorts the destination list: valid, foreign, malformed, or stop-listed (unless the send may
/// pass the stop list), noting numbers that lack the country code.
fn sort_numbers<'a>(
    fields: &Fields<'a>,
    account: &SmsofficeAccount,
    passes_stop_list: bool,
    lints: &mut Vec<String>,
) -> Numbers<'a> {
    let mut numbers = Numbers {
        total: 0,
        valid: SmallVec::new(),
        foreign: 0,
        invalid: 0,
        stop_listed: Vec::new(),
    };
    for number in fields.destination.split(',').filter(|n| !n.is_empty()) {
        numbers.total += 1;
        if numbers::looks_like_local_georgian(number) {
            lints.push(format!(
                "destination {number} lacks the country code; the real service needs 995{number}"
            ));
        }
        match numbers::classify(number, GEORGIA) {
            NumberClass::Valid if account.is_stop_listed(number) && !passes_stop_list => {
                numbers.stop_listed.push(number.to_owned());
            }
            NumberClass::Valid => numbers.valid.push(number),
            NumberClass::Foreign => numbers.foreign += 1,
            NumberClass::InvalidFormat => numbers.invalid += 1,
        }
    }
    numbers
}

/// A decoded send request.
#[derive(Debug)]
pub struct SendSms {
    params: Params,
    client_ip: Option<IpAddr>,
    /// When the request arrived, for `ServiceTime`; `None` unless asked for.
    service_time_from: Option<Instant>,
}

impl Handler for SendSms {
    type Quirks = Quirks;
    type State = State;
    type Output = (Result<Accepted, SmsofficeError>, Option<Instant>);

    fn check_head(
        request: &Request,
        quirks: &Quirks,
        lints: &mut Vec<String>,
    ) -> Result<(), Response> {
        if request.method() == Method::POST && !request.uri().path().ends_with('/') {
            lints.push(
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
        check_target(request, quirks)
    }

    fn decode(request: Read<'_, Quirks>) -> Result<SendSms, Response> {
        let (started, quirks) = (request.arrived, request.quirks);
        let (raw, params) = read(request, KNOWN);
        let show_service_time = quirks.show_service_time == ShowServiceTime::Output
            && params
                .known_value(place::SHOW_SERVICE_TIME)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        Ok(SendSms {
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
            Ok(accepted) => Envelope::success(Some(Output::Send {
                stop_listed: (!accepted.stop_listed.is_empty()).then_some(accepted.stop_listed),
                service_time: service_time_from.map(|t| t.elapsed().as_millis() as u64),
            })),
            Err(e) => Envelope::error(e),
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
