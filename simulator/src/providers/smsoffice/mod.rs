//! smsoffice.ge: `/api/v2/send/`, `/api/getBalance`, `/api/v2/getMessageStatus/`, and delivery
//! callbacks.
//!
//! An ASP.NET service: parameter names are case-insensitive, replies are a JSON envelope
//! `{"Success","Message","Output","ErrorCode"}` with HTTP 200 for every business outcome.

pub mod accounts;
mod balance;
pub mod callbacks;
pub mod errors;
pub mod quirks;
pub mod send;
mod status;

use axum::response::Response;
use compact_str::CompactString;

use crate::domain::Endpoint;
use crate::domain::messages::Status;
use crate::http::params::Params;
use crate::http::{
    BodyKind, Inbound, OverLimit, RawRequest, Read, pages, target_len, with_content_type,
};
use crate::providers::{Routed, exact};
pub use accounts::{Section, SmsofficeAccount, SmsofficeAccountPatch, State};
pub use balance::Balance;
pub use callbacks::{CallbackConfig, OperatorPrefix};
use errors::Envelope;
pub use errors::SmsofficeError;
pub use quirks::*;
pub use send::Send;
pub use status::MessageStatus;

/// Every smsoffice path and the endpoint it serves.
pub const PATHS: &[(&str, Endpoint)] = &[
    ("/api/v2/send", Endpoint::SmsofficeSend),
    ("/api/v2/send/", Endpoint::SmsofficeSend),
    ("/api/getBalance", Endpoint::SmsofficeBalance),
    ("/api/getBalance/", Endpoint::SmsofficeBalance),
    ("/api/v2/getMessageStatus", Endpoint::SmsofficeStatus),
    ("/api/v2/getMessageStatus/", Endpoint::SmsofficeStatus),
];

/// The endpoint `path` names as IIS reads it: exactly, or ignoring letter case (with a lint).
pub fn route(path: &str) -> Option<Routed> {
    if let Some(endpoint) = exact(PATHS, path) {
        return Some(Routed {
            endpoint,
            lint: None,
        });
    }
    let (documented, endpoint) = PATHS.iter().find(|(p, _)| p.eq_ignore_ascii_case(path))?;
    Some(Routed {
        endpoint: *endpoint,
        lint: Some(format!(
            "path {path} differs in letter case from {documented}: IIS ignores case, so the real service serves it"
        )),
    })
}

/// What to say of a path no smsoffice endpoint serves, when a client is known to call it.
pub fn unknown_path_hint(path: &str) -> Option<String> {
    path.eq_ignore_ascii_case("/api/send.aspx").then(|| {
        "/api/send.aspx is smsoffice's retired send endpoint and answers 404; the current one is /api/v2/send/".to_owned()
    })
}

/// The parameters that carry credentials, and the placeholders contract fixtures write for them.
pub const CREDENTIALS: &[(&str, &str)] = &[("key", "{{smsoffice.key}}")];

/// The largest request body by default: IIS request filtering's default `maxAllowedContentLength`; past it the server refuses the request (413 here).
pub const MAX_BODY_BYTES: usize = 30_000_000;

/// What a body over `limits.body_bytes.smsoffice` gets.
pub const OVER_BODY_LIMIT: OverLimit = OverLimit::Refuse;

/// The methods the endpoints take, for the `Allow` header of a 405.
pub const ALLOW: &str = "GET, POST";

/// The id smsoffice finds messages by: the client's `reference`.
pub const REFERENCE: &str = "reference";

/// Georgia is UTC+4 all year.
pub const UTC_OFFSET_HOURS: i64 = 4;

/// smsoffice's own reply for ErrorCode `code` (a code its error table has).
pub fn error_response(quirks: &Quirks, code: i64) -> Response {
    let error = SmsofficeError::from_code(code).unwrap_or(SmsofficeError::TemporaryDelay);
    envelope(quirks, Envelope::error(error))
}

fn json_response(quirks: &Quirks, body: String) -> Response {
    with_content_type(body, &quirks.content_type)
}

fn envelope(quirks: &Quirks, envelope: Envelope) -> Response {
    json_response(quirks, envelope.to_json())
}

/// Reads the request and its parameters, noting repeated and unrecognised ones among `known`,
/// or the HTTP-level refusal: 414 for a target over `smsoffice.max_request_target`, 413 or 400
/// for a body that cannot be read.
async fn read(
    inbound: Inbound<'_, Quirks>,
    known: &[&str],
) -> Result<(RawRequest, Params), Response> {
    if target_len(inbound.request.uri()) > inbound.quirks.max_request_target {
        return Err(pages::uri_too_long());
    }
    let Read {
        raw,
        quirks,
        lints,
        account,
    } = inbound.read().await?;
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
        quirks.param_names,
        quirks.duplicate_params,
        false,
    );
    note_params(&params, known, quirks, lints);
    *account = params.value("key").map(|k| CompactString::from(k.as_ref()));
    Ok((raw, params))
}

/// Notes repeated and unrecognised parameters.
fn note_params(params: &Params, known: &[&str], quirks: &Quirks, lints: &mut Vec<String>) {
    for name in params.repeated(known) {
        lints.push(format!(
            "parameter {name} given more than once; quirk smsoffice.duplicate_params = {:?} chose the value",
            quirks.duplicate_params
        ));
    }
    if let Some(lint) = params.ignored_lint() {
        lints.push(lint);
    }
    let strays = params.strays(known);
    if strays.is_empty() {
        return;
    }
    if known.contains(&"content") && params.get("content").is_some() {
        lints.push(format!(
            "unrecognised parameters {strays}: if they belong to the content, an unencoded '&' cut it short"
        ));
    } else {
        lints.push(format!("unrecognised parameters {strays} ignored"));
    }
}

/// Checks that `key` names an account with API access: 80, 120.
fn authenticate(state: &State, key: &str) -> Result<(), SmsofficeError> {
    let account = state
        .accounts
        .get(key)
        .ok_or(SmsofficeError::KeyIncorrect)?;
    if !account.api_enabled {
        return Err(SmsofficeError::ApiDisabled);
    }
    Ok(())
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
