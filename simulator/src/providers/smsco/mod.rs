//! smsco.ge: `smsapi2.php` (send and balance) and `getstatus.php`, each also under `/api/`.
//!
//! A PHP service reading `$_REQUEST`: GET and POST alike, exact parameter names, the last of a
//! repeated parameter wins. Bodies are plain text with no trailing newline, HTTP 200 always.

pub mod errors;
pub mod send;

use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;

use crate::config::{DuplicateParams, NameMatching, Quirks, UnknownMesId};
use crate::domain::messages::{LookupKey, Message, Status};
use crate::domain::{Provider, Sim};
use crate::http::params::Params;
use crate::http::{Answer, BodyKind, RawRequest, ReadError, with_content_type};
use errors::SmscoError;
use send::SmscoRequest;

/// Every smsco path and the endpoint it serves.
pub const PATHS: &[(&str, &str)] = &[
    ("/components/com_smsreseller/smsapi2.php", "send"),
    ("/api/sendsms.php", "send"),
    ("/components/com_smsreseller/getstatus.php", "status"),
    ("/api/getstatus.php", "status"),
];

/// Whether smsco has code `code`; the refusal lists the valid ones.
pub fn check_code(code: i64) -> Result<(), String> {
    super::check_code_in(
        code,
        SmscoError::ALL.iter().map(|e| i64::from(e.code())),
        "an smsco code",
    )
}

/// smsco's own reply for code `code` (validated by [`check_code`]).
pub fn error_response(sim: &Sim, code: i64) -> Response {
    let error = SmscoError::from_code(code).unwrap_or(SmscoError::GatewayUnavailable);
    text(&sim.config().quirks, error.body())
}

fn text(quirks: &Quirks, body: String) -> Response {
    with_content_type(body, &quirks.smsco_content_type)
}

/// Reads `$_REQUEST`: query and form body, body winning, PHP's decoding.
async fn read(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
    lints: &mut Vec<String>,
) -> Result<(Params, Option<std::net::IpAddr>), ReadError> {
    let raw = RawRequest::read(request, client, sim.config().limits.max_body_bytes).await?;
    let client_ip = raw.client.map(|c| c.ip());
    if matches!(raw.body_kind(), BodyKind::Json | BodyKind::Other) {
        lints.push(format!(
            "body ignored: PHP reads form bodies only, got {:?}",
            raw.media_type()
        ));
    }
    let body = raw.body_params().await;
    Ok((
        Params::new(
            raw.query_params(),
            body,
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
        ),
        client_ip,
    ))
}

fn note_strays(params: &Params, known: &[&str], lints: &mut Vec<String>) {
    let strays = params.strays(known);
    if !strays.is_empty() {
        lints.push(format!(
            "unrecognised parameters {strays:?} ignored (names are case-sensitive)"
        ));
    }
}

pub(crate) async fn send_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let quirks = &sim.config().quirks;
    let mut lints = Vec::new();
    let (params, client_ip) = match read(sim, request, client, &mut lints).await {
        Ok(read) => read,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    note_strays(&params, send::KNOWN, &mut lints);
    let request = SmscoRequest {
        client_ip,
        ..SmscoRequest::from_params(&params)
    };
    let now = sim.now();
    let result = send::send(&mut sim.world(), quirks, &request, now, &mut lints);
    let body = match result {
        Ok(reply) => {
            sim.wake_engine();
            reply.body()
        }
        Err(e) => e.body(),
    };
    Answer::new(text(quirks, body), lints)
}

/// The status digit of one message.
pub fn status_digit(status: Status) -> u8 {
    match status {
        Status::Accepted | Status::Scheduled => 2,
        Status::Pending => 0,
        Status::Delivered => 1,
        Status::Undelivered => 3,
        Status::Expired => 5,
        Status::Rejected => 6,
    }
}

/// The digit of a whole `mes_id`: one recipient's own; for several, `2` while any is unfinished,
/// `1` when all were delivered, else the first failure's digit.
pub fn aggregate_digit(messages: &[&Message]) -> u8 {
    match messages {
        [one] => status_digit(one.status),
        many if many.iter().any(|m| !m.status.is_final()) => 2,
        many => many
            .iter()
            .find(|m| m.status != Status::Delivered)
            .map_or(1, |m| status_digit(m.status)),
    }
}

pub(crate) async fn status_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let quirks = &sim.config().quirks;
    let mut lints = Vec::new();
    let (params, _) = match read(sim, request, client, &mut lints).await {
        Ok(read) => read,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    note_strays(&params, &["username", "password", "mes_id"], &mut lints);
    let body = {
        let mut world = sim.world();
        match send::authenticate(&mut world, &params.get("username"), &params.get("password")) {
            Err(e) => e.body(),
            Ok(account) => {
                let username = account.username.clone();
                let mes_id = params
                    .get("mes_id")
                    .and_then(|m| m.trim().parse::<u64>().ok());
                let messages: Vec<&Message> = match mes_id {
                    None => Vec::new(),
                    Some(mes_id) => world
                        .messages
                        .by_key(&LookupKey::MesId(mes_id))
                        .filter(|m| m.provider == Provider::Smsco && m.account == username)
                        .collect(),
                };
                match (messages.is_empty(), quirks.smsco_status_unknown_mes_id) {
                    (false, _) => aggregate_digit(&messages).to_string(),
                    (true, UnknownMesId::Empty) => String::new(),
                    (true, UnknownMesId::Error2904) => SmscoError::SendingFailed.body(),
                }
            }
        }
    };
    Answer::new(text(quirks, body), lints)
}
