//! smsoffice.ge: `/api/v2/send/`, `/api/getBalance`, `/api/v2/getMessageStatus/`.
//!
//! An ASP.NET service: parameter names are case-insensitive, replies are a JSON envelope
//! `{"Success","Message","Output","ErrorCode"}` with HTTP 200 for every business outcome.

pub mod callbacks;
pub mod errors;
pub mod send;

use std::time::Instant;

use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;
use http::Method;

use crate::config::{
    BalanceBadKey, CheckOrder, Quirks, ShowServiceTime, SlashlessPost, StatusNeverSent,
};
use crate::domain::messages::{LookupKey, Status};
use crate::domain::{Provider, Sim};
use crate::http::params::Params;
use crate::http::{Answer, BodyKind, RawRequest, ReadError, pages, with_content_type};
use errors::{Envelope, Output, SmsofficeError};
use send::SendRequest;

/// Every smsoffice path and the endpoint it serves.
pub const PATHS: &[(&str, &str)] = &[
    ("/api/v2/send", "send"),
    ("/api/v2/send/", "send"),
    ("/api/getBalance", "balance"),
    ("/api/getBalance/", "balance"),
    ("/api/v2/getMessageStatus", "status"),
    ("/api/v2/getMessageStatus/", "status"),
];

/// Whether smsoffice has ErrorCode `code`; the refusal lists the valid ones.
pub fn check_code(code: i64) -> Result<(), String> {
    super::check_code_in(
        code,
        SmsofficeError::ALL.iter().map(|e| i64::from(e.code())),
        "an smsoffice ErrorCode",
    )
}

/// smsoffice's own reply for ErrorCode `code` (validated by [`check_code`]).
pub fn error_response(sim: &Sim, code: i64) -> Response {
    let error = i32::try_from(code)
        .ok()
        .and_then(SmsofficeError::from_code)
        .unwrap_or(SmsofficeError::TemporaryDelay);
    envelope(&sim.config().quirks, Envelope::error(error))
}

fn json_response(quirks: &Quirks, body: String) -> Response {
    with_content_type(body, &quirks.smsoffice_content_type)
}

fn envelope(quirks: &Quirks, envelope: Envelope) -> Response {
    json_response(quirks, envelope.to_json())
}

/// A transport-level refusal, before any parameter is read.
enum Refusal {
    /// 414: the request target is over `smsoffice.max_request_target`.
    TargetTooLong,
    /// 413 or 400: the body could not be read.
    Body(ReadError),
}

impl Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::TargetTooLong => pages::uri_too_long(),
            Refusal::Body(e) => e.into_response(),
        }
    }
}

/// Reads the request and its parameters, or says why it is refused at the HTTP level.
async fn read(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
    lints: &mut Vec<String>,
) -> Result<(RawRequest, Params), Refusal> {
    let quirks = &sim.config().quirks;
    if crate::http::target_len(request.uri()) > quirks.smsoffice_max_request_target {
        return Err(Refusal::TargetTooLong);
    }
    let raw = RawRequest::read(request, client, sim.config().limits.max_body_bytes)
        .await
        .map_err(Refusal::Body)?;
    match raw.body_kind() {
        BodyKind::Empty | BodyKind::UrlEncoded | BodyKind::Multipart => {}
        BodyKind::Json | BodyKind::Other => lints.push(format!(
            "body ignored: smsoffice reads form bodies only (application/x-www-form-urlencoded), got {:?}",
            raw.media_type()
        )),
    }
    let body = raw.body_params().await;
    // ASP.NET reads an item without `=` as a value with no name: the parameter stays absent.
    let params = Params::new(
        raw.query_params(),
        body,
        quirks.smsoffice_param_names,
        quirks.smsoffice_duplicate_params,
        false,
    );
    Ok((raw, params))
}

fn note_params(params: &Params, known: &[&str], quirks: &Quirks, lints: &mut Vec<String>) {
    for name in params.repeated(known) {
        lints.push(format!(
            "parameter {name} given more than once; quirk smsoffice.duplicate_params = {:?} chose the value",
            quirks.smsoffice_duplicate_params
        ));
    }
    let strays = params.strays(known);
    if strays.is_empty() {
        return;
    }
    if params.get("content").is_some() {
        lints.push(format!(
            "unrecognised parameters {strays:?}: if they belong to the content, an unencoded '&' cut it short"
        ));
    } else {
        lints.push(format!("unrecognised parameters {strays:?} ignored"));
    }
}

pub(crate) async fn send_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let started = Instant::now();
    let quirks = &sim.config().quirks;
    let mut lints = Vec::new();
    let slashless_post = request.method() == Method::POST && !request.uri().path().ends_with('/');
    if slashless_post {
        lints.push(
            "POST to /api/v2/send without the trailing slash: the documented path is /api/v2/send/"
                .into(),
        );
        if quirks.smsoffice_slashless_post == SlashlessPost::Redirect {
            let location = match request.uri().query() {
                Some(q) => format!("/api/v2/send/?{q}"),
                None => "/api/v2/send/".to_owned(),
            };
            return Answer::new(pages::moved_permanently(&location), lints);
        }
    }
    let (raw, params) = match read(sim, request, client, &mut lints).await {
        Ok(read) => read,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    note_params(&params, send::KNOWN, quirks, &mut lints);
    let mut request = SendRequest::from_params(&params, &mut lints);
    request.client_ip = raw.client.map(|c| c.ip());
    let show_service_time = quirks.smsoffice_show_service_time == ShowServiceTime::Output
        && params
            .get("showServiceTime")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    let now = sim.now();
    let result = send::send(&mut sim.world(), quirks, &request, now, &mut lints);
    let reply = match result {
        Ok(accepted) => {
            sim.wake_engine();
            Envelope::success(Some(Output::Send {
                stop_listed: (!accepted.stop_listed.is_empty()).then_some(accepted.stop_listed),
                service_time: show_service_time.then(|| started.elapsed().as_millis() as u64),
            }))
        }
        Err(e) => Envelope::error(e),
    };
    Answer::new(envelope(quirks, reply), lints)
}

pub(crate) async fn balance_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let quirks = &sim.config().quirks;
    let mut lints = Vec::new();
    let (_raw, params) = match read(sim, request, client, &mut lints).await {
        Ok(read) => read,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    note_params(&params, &["key"], quirks, &mut lints);
    let key = params.get("key");
    let balance = key
        .as_deref()
        .and_then(|k| sim.world().smsoffice.get(k).map(|a| a.balance));
    let response = match (balance, quirks.smsoffice_balance_bad_key) {
        (Some(balance), _) => json_response(quirks, balance.to_string()),
        (None, BalanceBadKey::Zero) => json_response(quirks, "0".to_owned()),
        (None, BalanceBadKey::Envelope) => {
            let e = if key.is_none() {
                SmsofficeError::KeyMissing
            } else {
                SmsofficeError::KeyIncorrect
            };
            envelope(quirks, Envelope::error(e))
        }
    };
    Answer::new(response, lints)
}

/// The status word smsoffice uses for a neutral status.
pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Accepted | Status::Scheduled | Status::Pending => "Pending",
        Status::Delivered => "Delivered",
        Status::Undelivered | Status::Rejected => "Undelivered",
        Status::Expired => "Expired",
    }
}

pub(crate) async fn status_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let quirks = &sim.config().quirks;
    let mut lints = Vec::new();
    let (_raw, params) = match read(sim, request, client, &mut lints).await {
        Ok(read) => read,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    note_params(
        &params,
        &["key", "destination", "reference"],
        quirks,
        &mut lints,
    );
    let reply = match message_status(sim, quirks, &params) {
        Ok(status) => Envelope::success(Some(Output::Status { status })),
        Err(e) => Envelope::error(e),
    };
    Answer::new(envelope(quirks, reply), lints)
}

fn message_status(
    sim: &Sim,
    quirks: &Quirks,
    params: &Params,
) -> Result<&'static str, SmsofficeError> {
    let key = params.get("key").ok_or(SmsofficeError::KeyMissing)?;
    let world = sim.world();
    let authenticate = || -> Result<(), SmsofficeError> {
        let account = world
            .smsoffice
            .get(&key)
            .ok_or(SmsofficeError::KeyIncorrect)?;
        if !account.api_enabled {
            return Err(SmsofficeError::ApiDisabled);
        }
        Ok(())
    };
    if quirks.smsoffice_check_order == CheckOrder::AuthFirst {
        authenticate()?;
    }
    let destination = params
        .get("destination")
        .ok_or(SmsofficeError::DestinationMissing)?;
    if quirks.smsoffice_check_order == CheckOrder::PresenceFirst {
        authenticate()?;
    }
    // Messages sent without a reference cannot be looked up (documented).
    let reference = params.get("reference").filter(|r| !r.is_empty());
    let found = reference.and_then(|reference| {
        world
            .messages
            .by_key(&LookupKey::Reference(reference))
            .rev()
            .find(|m| {
                m.provider == Provider::Smsoffice
                    && m.account == key
                    && m.destination == destination
            })
    });
    Ok(match (found, quirks.smsoffice_status_never_sent) {
        (Some(message), _) => status_word(message.status),
        (None, StatusNeverSent::Unknown) => "Unknown",
        (None, StatusNeverSent::Pending) => "Pending",
    })
}
