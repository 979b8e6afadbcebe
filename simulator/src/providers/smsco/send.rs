//! smsco.ge `smsapi2.php`: balance query or send, in the provider's check order.

use std::sync::Arc;

use axum::response::Response;

use super::errors::SmscoError;
use super::{
    BalanceFlag, BalanceUnit, CheckOrder, MES_ID, NonLatin, Quirks, SmscoAccount, State,
    UTC_OFFSET_HOURS,
};
use super::{read, text};
use crate::domain::clock::Timestamp;
use crate::domain::error::{Error as DomainError, charge};
use std::borrow::Cow;

use crate::domain::messages::{IdValue, ProviderId};
use crate::domain::numbers::{self, GEORGIA, NumberClass};
use crate::domain::{Origin, Provider, World, segments, transliterate};
use crate::http::params::{Params, known_params, looks_encoded_twice};
use crate::http::{Handler, Read, Reply, Run};

known_params! {
    /// Parameter names smsapi2.php reads.
    USERNAME = "username",
    PASSWORD = "password",
    RECIPIENT = "recipient",
    MESSAGE = "message",
    SCHEDULE = "schedule",
    BALANCE = "balance",
}

/// The credentials every smsco endpoint reads, as given: `None` absent, `Some("")` empty.
/// Values borrow from the request's parameters.
#[derive(Debug, Clone, Default)]
pub struct Login<'a> {
    /// Login.
    pub username: Option<Cow<'a, str>>,
    /// Password.
    pub password: Option<Cow<'a, str>>,
}

impl Login<'_> {
    /// Reads `username` and `password`.
    pub fn from_params(params: &Params) -> Login<'_> {
        Login {
            username: params.value("username"),
            password: params.value("password"),
        }
    }

    /// The same credentials, owning their text.
    pub fn into_owned(self) -> Login<'static> {
        Login {
            username: self.username.map(|u| Cow::Owned(u.into_owned())),
            password: self.password.map(|p| Cow::Owned(p.into_owned())),
        }
    }
}

/// The parameters as given: `None` absent, `Some("")` empty. Values borrow from the request's
/// parameters.
#[derive(Debug, Clone, Default)]
pub struct SmscoRequest<'a> {
    /// `username` and `password`.
    pub login: Login<'a>,
    /// Comma-separated numbers.
    pub recipient: Option<Cow<'a, str>>,
    /// Text.
    pub message: Option<Cow<'a, str>>,
    /// `YYYY-MM-DD HH:mm:ss`, Georgia time.
    pub schedule: Option<Cow<'a, str>>,
    /// The balance flag.
    pub balance: Option<Cow<'a, str>>,
    /// The caller's address.
    pub client_ip: Option<std::net::IpAddr>,
}

impl SmscoRequest<'_> {
    /// Reads the parameters of a send (`params` decoded with [`KNOWN`]).
    pub fn from_params(params: &Params) -> SmscoRequest<'_> {
        SmscoRequest {
            login: Login {
                username: params.known_value(place::USERNAME),
                password: params.known_value(place::PASSWORD),
            },
            recipient: params.known_value(place::RECIPIENT),
            message: params.known_value(place::MESSAGE),
            schedule: params.known_value(place::SCHEDULE),
            balance: params.known_value(place::BALANCE),
            client_ip: None,
        }
    }
}

/// What smsapi2.php answers when nothing failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Success {
    /// `balance=true`: the credit in tetri.
    Balance(u64),
    /// `OK <tetri> <mes_id>`.
    Sent {
        /// Tetri charged.
        tetri: u64,
        /// The request's message id.
        mes_id: u64,
    },
}

impl Success {
    /// The exact body.
    pub fn body(&self, quirks: &Quirks) -> String {
        match self {
            Success::Balance(tetri) => match quirks.balance_unit {
                BalanceUnit::Tetri => tetri.to_string(),
                BalanceUnit::Lari => format!("{}.{:02}", tetri / 100, tetri % 100),
            },
            Success::Sent { tetri, mes_id } => format!("OK {tetri} {mes_id}"),
        }
    }
}

fn is_empty(value: &Option<Cow<'_, str>>) -> bool {
    value.as_deref().is_none_or(str::is_empty)
}

/// Checks `username` and `password` against the accounts: 2910, 2911, 2905.
pub fn authenticate<'a>(
    state: &'a mut State,
    login: &Login<'_>,
) -> Result<&'a mut SmscoAccount, SmscoError> {
    let username = login
        .username
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or(SmscoError::UsernameEmpty)?;
    let password = login
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or(SmscoError::PasswordEmpty)?;
    match state.accounts.get_mut(username) {
        Some(account) if account.password == password => Ok(account),
        _ => Err(DomainError::UnknownAccount.into()),
    }
}

/// Parses `YYYY-MM-DD HH:mm:ss` (exactly that shape: four-digit year, every field two digits)
/// as Georgia time.
pub fn parse_schedule(raw: &str) -> Option<Timestamp> {
    let shape_ok = raw.len() == 19
        && raw.bytes().enumerate().all(|(i, c)| match i {
            4 | 7 => c == b'-',
            10 => c == b' ',
            13 | 16 => c == b':',
            _ => c.is_ascii_digit(),
        });
    shape_ok
        .then(|| Timestamp::parse_datetime(raw, UTC_OFFSET_HOURS))
        .flatten()
}

/// Runs every check in order; on success charges the account and stores one message per
/// accepted recipient, all under one `mes_id`.
pub fn send(
    world: &mut World,
    state: &mut State,
    quirks: &Quirks,
    request: &SmscoRequest<'_>,
    now: Timestamp,
    lints: &mut Vec<String>,
) -> Result<Success, SmscoError> {
    let fields_first = quirks.check_order == CheckOrder::FieldsFirst;
    if fields_first && !balance_flag_set(quirks, request) {
        check_fields(request)?;
    }
    let account = authenticate(state, &request.login)?;
    if wants_balance(quirks, request, lints) {
        return Ok(Success::Balance(account.balance));
    }
    if !fields_first {
        check_fields(request)?;
    }
    let brand = account
        .brand
        .clone()
        .filter(|b| !b.is_empty())
        .ok_or(SmscoError::SenderEmpty)?;
    let scheduled_at = scheduled_at(request, now)?;
    let valid = valid_recipients(request.recipient.as_deref().unwrap_or_default(), lints);
    if valid.is_empty() {
        return Err(SmscoError::SendingFailed);
    }

    let message = request.message.as_deref().unwrap_or_default();
    let delivered = delivered_text(message, quirks, lints);
    let count = segments::count(&delivered);
    // A cost too large to count cannot be paid either.
    let tetri = account
        .price_per_segment
        .checked_mul(u64::from(count.segments))
        .and_then(|t| t.checked_mul(valid.len() as u64))
        .ok_or(SmscoError::CreditExhausted)?;
    charge(&mut account.balance, tetri)?;

    let mes_id = state.take_mes_id();
    let username = world
        .names
        .shared(request.login.username.as_deref().unwrap_or_default());
    let brand = world.names.shared(&brand);
    let content: Arc<str> = Arc::from(message);
    let mes_ids = [ProviderId {
        name: MES_ID,
        value: IdValue::Number(mes_id),
        indexed: true,
    }];
    let origin = Origin {
        provider: Provider::Smsco,
        account: &username,
        sender: &brand,
        now,
        scheduled_at,
        client_ip: request.client_ip,
        ids: &mes_ids,
    };
    for number in valid {
        world.accept_in(&origin, number.to_owned(), &content, count, |stored| {
            stored.delivered_content = (delivered != message).then(|| delivered.clone());
        });
    }
    Ok(Success::Sent { tetri, mes_id })
}

/// The recipient and the message are given: 2912, 2913, 2915.
fn check_fields(request: &SmscoRequest<'_>) -> Result<(), SmscoError> {
    match (is_empty(&request.recipient), is_empty(&request.message)) {
        (true, true) => Err(SmscoError::RequiredFieldsEmpty),
        (true, false) => Err(SmscoError::RecipientEmpty),
        (false, true) => Err(SmscoError::MessageEmpty),
        (false, false) => Ok(()),
    }
}

/// Whether the request's `balance` flag asks for the balance (`smsco.balance_flag` says which
/// values do).
fn balance_flag_set(quirks: &Quirks, request: &SmscoRequest<'_>) -> bool {
    match (quirks.balance_flag, request.balance.as_deref()) {
        (_, None) => false,
        (BalanceFlag::TrueOnly, Some(flag)) => flag.trim().eq_ignore_ascii_case("true"),
        (BalanceFlag::AnyNonempty, Some(flag)) => !flag.is_empty() && flag != "0",
    }
}

/// Whether the request reads the balance; a flag that does not is noted.
fn wants_balance(quirks: &Quirks, request: &SmscoRequest<'_>, lints: &mut Vec<String>) -> bool {
    let wants = balance_flag_set(quirks, request);
    if !wants && let Some(flag) = request.balance.as_deref() {
        lints.push(format!(
            "balance={flag:?} is not `true`: a message is sent instead of reading the balance"
        ));
    }
    wants
}

/// The `schedule` time, if one is given: 2909 when malformed, 2908 when past.
fn scheduled_at(
    request: &SmscoRequest<'_>,
    now: Timestamp,
) -> Result<Option<Timestamp>, SmscoError> {
    let Some(raw) = request.schedule.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let at = parse_schedule(raw).ok_or(SmscoError::InvalidScheduleFormat)?;
    if at < now {
        return Err(SmscoError::UnableToSchedule);
    }
    Ok(Some(at))
}

/// The recipients that are valid Georgian numbers, noting those that lack the country code.
fn valid_recipients<'a>(recipient: &'a str, lints: &mut Vec<String>) -> Vec<&'a str> {
    recipient
        .split(',')
        .filter(|n| !n.is_empty())
        .filter(|n| {
            if numbers::looks_like_local_georgian(n) {
                lints.push(format!(
                    "recipient {n} lacks the country code; the real service needs 995{n}"
                ));
            }
            numbers::classify(n, GEORGIA) == NumberClass::Valid
        })
        .collect()
}

/// The text as smsco delivers it (Latin only, `smsco.non_latin`), noting a change and a text
/// that looks encoded twice.
fn delivered_text(message: &str, quirks: &Quirks, lints: &mut Vec<String>) -> String {
    if looks_encoded_twice(message) {
        lints.push(format!(
            "message {message:?} still holds percent-escapes after decoding: it looks encoded twice, and the real service shows them as typed"
        ));
    }
    let delivered = transliterate::to_gsm7(message, quirks.non_latin == NonLatin::Transliterate);
    if delivered != message {
        lints.push(format!(
            "smsco carries Latin text only: the message is delivered as {delivered:?}"
        ));
    }
    delivered
}

/// A decoded smsapi2.php request: its parameters, read when it runs.
#[derive(Debug)]
pub struct SendSms {
    params: Params,
    client_ip: Option<std::net::IpAddr>,
}

impl Handler for SendSms {
    type Quirks = Quirks;
    type State = State;
    type Output = Result<Success, SmscoError>;

    fn decode(request: Read<'_, Quirks>) -> Result<SendSms, Response> {
        let (params, client_ip) = read(request, KNOWN);
        Ok(SendSms { params, client_ip })
    }

    fn execute(self, run: Run<'_, State, Quirks>) -> Self::Output {
        let request = SmscoRequest {
            client_ip: self.client_ip,
            ..SmscoRequest::from_params(&self.params)
        };
        send(
            run.world, run.state, run.quirks, &request, run.now, run.lints,
        )
    }

    fn respond(output: Self::Output, quirks: &Quirks) -> Reply {
        // Reading the balance schedules nothing; only a send wakes the engine.
        let wake_engine = matches!(output, Ok(Success::Sent { .. }));
        let body = match output {
            Ok(reply) => reply.body(quirks),
            Err(e) => e.body(quirks.error_body),
        };
        Reply {
            response: text(quirks, body),
            wake_engine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_format_is_exact_and_in_georgia_time() {
        let at = parse_schedule("2012-10-01 12:30:00").unwrap();
        assert_eq!(at.format_datetime(UTC_OFFSET_HOURS), "2012-10-01 12:30:00");
        for bad in [
            "2012-10-01T12:30:00",
            "2012-10-01 12:30",
            "2012-13-01 12:30:00",
            "2012-02-30 00:00:00",
            "12-10-01 12:30:00",
            "tomorrow",
        ] {
            assert!(parse_schedule(bad).is_none(), "{bad}");
        }
    }
}
