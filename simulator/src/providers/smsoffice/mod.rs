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

use axum::extract::Request;
use axum::response::Response;
use compact_str::CompactString;

use crate::domain::messages::Status;
use crate::domain::{Endpoint, Provider};
use crate::http::params::Params;
use crate::http::{
    BodyKind, OverLimit, RawRequest, Read, pages, target_len, with_content_type,
};
use crate::providers::{Descriptor, ProviderDocument, Invalid, Routed, Runner, exact};
pub use accounts::{Section, SmsofficeAccount, SmsofficeAccountPatch, State};
pub use balance::Balance;
pub use callbacks::{CallbackConfig, OperatorPrefix, validate_callback_url};
use errors::Envelope;
pub use errors::SmsofficeError;
pub use quirks::*;
pub use send::SendSms;
pub use status::MessageStatus;

/// smsoffice.ge, as the rest of the program sees it.
#[derive(Debug, Clone, Copy)]
pub struct Smsoffice;

/// `/api/v2/send/`.
pub const SEND: Endpoint = Endpoint::new(Provider::Smsoffice, "send");
/// `/api/getBalance`.
pub const BALANCE: Endpoint = Endpoint::new(Provider::Smsoffice, "balance");
/// `/api/v2/getMessageStatus/`.
pub const STATUS: Endpoint = Endpoint::new(Provider::Smsoffice, "status");

/// Every smsoffice path and the endpoint it serves.
pub const PATHS: &[(&str, Endpoint)] = &[
    ("/api/v2/send", SEND),
    ("/api/v2/send/", SEND),
    ("/api/getBalance", BALANCE),
    ("/api/getBalance/", BALANCE),
    ("/api/v2/getMessageStatus", STATUS),
    ("/api/v2/getMessageStatus/", STATUS),
];

impl Descriptor for Smsoffice {
    const PROVIDER: Provider = Provider::Smsoffice;
    const HOSTS: &'static [&'static str] = &["smsoffice.ge", "www.smsoffice.ge"];
    // DOC: its document's examples call `https://smsoffice.ge/api/v2/send/` (and http://).
    const HTTPS_DOCUMENTED: bool = true;
    const ENDPOINTS: &'static [Endpoint] = &[SEND, BALANCE, STATUS];
    const CREDENTIALS: &'static [(&'static str, &'static str)] = &[("key", "{{smsoffice.key}}")];
    const LIVE_ENV: &'static [(&'static str, &'static str)] =
        &[("key", "SMSIM_LIVE_SMSOFFICE_KEY")];
    const ACCOUNT_ID: &'static str = "key";
    /// The largest request body by default: IIS request filtering's default `maxAllowedContentLength`; past it the server refuses the request (413 here).
    const MAX_BODY_BYTES: usize = 30_000_000;
    /// What a body over `limits.body_bytes.smsoffice` gets.
    const OVER_BODY_LIMIT: OverLimit = OverLimit::Refuse;
    /// The methods the endpoints take, for the `Allow` header of a 405.
    const ALLOW: &'static str = "GET, POST";
    // -100 "Temporary delay".
    const TEMPORARY_ERROR: i64 = -100;
    const ZONE: (&'static str, i64) = ("georgia", UTC_OFFSET_HOURS);
    const CALLBACKS: bool = true;

    const DOCUMENTS: &'static [ProviderDocument] = &[
        ProviderDocument {
            id: "smsoffice-ka",
            title: "smsoffice.ge's API document in Georgian",
            signature: "გამჭოლი მესიჯების გასაგზავნად",
        },
        ProviderDocument {
            id: "smsoffice-en",
            title: "smsoffice.ge's API document in English",
            signature: "For transactional messages use urgent=true",
        },
    ];

    type Quirks = Quirks;
    type Section = Section;
    type State = State;
    type Account = SmsofficeAccount;
    type AccountPatch = SmsofficeAccountPatch;

    /// The endpoint `path` names as IIS reads it: exactly, or ignoring letter case (with a lint).
    fn route(path: &str) -> Option<Routed> {
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

    fn unknown_path_hint(path: &str) -> Option<String> {
        unknown_path_hint(path)
    }

    #[inline(always)]
    fn dispatch<R: Runner<Self>>(endpoint: Endpoint, runner: R) -> R::Output {
        match endpoint.name() {
            "send" => runner.run::<SendSms>(),
            "balance" => runner.run::<Balance>(),
            _ => runner.run::<MessageStatus>(),
        }
    }

    /// smsoffice's own reply for ErrorCode `code` (a code its error table has).
    fn error_response(quirks: &Quirks, code: i64) -> Response {
        let error = SmsofficeError::from_code(code).unwrap_or(SmsofficeError::TemporaryDelay);
        envelope(quirks, Envelope::error(error))
    }

    fn check_error_code(code: i64) -> Result<(), String> {
        SmsofficeError::check(code)
    }

    accounts_in_fields!(SmsofficeAccount, SmsofficeAccountPatch, key);

    fn check_account(account: &SmsofficeAccount) -> Result<(), Invalid> {
        check_callback_url(account.callback_url.as_deref(), "callback_url")
    }

    fn check_patch(patch: &SmsofficeAccountPatch) -> Result<(), Invalid> {
        check_callback_url(patch.callback_url.as_ref().and_then(|u| u.as_deref()), "callback_url")
    }

    fn validate(section: &Section, quirks: &Quirks) -> Result<(), Invalid> {
        for (field, value) in [
            ("quirks.smsoffice.max_content_chars", quirks.max_content_chars),
            ("quirks.smsoffice.max_request_target", quirks.max_request_target),
        ] {
            if value == 0 {
                return Err(Invalid {
                    field: field.to_owned(),
                    why: "must be at least 1".to_owned(),
                });
            }
        }
        for (i, account) in section.accounts.iter().enumerate() {
            // An empty URL in the file means none.
            check_callback_url(
                account.callback_url.as_deref().filter(|u| !u.is_empty()),
                &format!("smsoffice.accounts[{i}].callback_url"),
            )?;
        }
        Ok(())
    }

    fn banner_line(a: &SmsofficeAccount) -> String {
        format!(
            "  smsoffice key={} balance={} api_enabled={}",
            a.key, a.balance, a.api_enabled
        )
    }
}

/// A callback URL the engine can call, or none.
fn check_callback_url(url: Option<&str>, field: &str) -> Result<(), Invalid> {
    match url {
        Some(url) => validate_callback_url(url).map_err(|why| Invalid {
            field: field.to_owned(),
            why,
        }),
        None => Ok(()),
    }
}

/// What to say of a path no smsoffice endpoint serves, when a client is known to call it.
pub fn unknown_path_hint(path: &str) -> Option<String> {
    path.eq_ignore_ascii_case("/api/send.aspx").then(|| {
        "/api/send.aspx is smsoffice's retired send endpoint and answers 404; the current one is /api/v2/send/".to_owned()
    })
}

/// The id smsoffice finds messages by: the client's `reference`.
pub const REFERENCE: &str = "reference";

/// Georgia is UTC+4 all year.
pub const UTC_OFFSET_HOURS: i64 = 4;

fn json_response(quirks: &Quirks, body: String) -> Response {
    with_content_type(body, &quirks.content_type)
}

fn envelope(quirks: &Quirks, envelope: Envelope) -> Response {
    with_content_type(envelope.to_body(), &quirks.content_type)
}

/// IIS's refusal of a target over `smsoffice.max_request_target`, before any body is read: 414,
/// or 404 as the `smsoffice.long_target` quirk says.
#[allow(clippy::result_large_err)] // The page as it is, like every refusal (see Handler).
fn check_target(request: &Request, quirks: &Quirks) -> Result<(), Response> {
    if target_len(request.uri()) > quirks.max_request_target {
        return Err(match quirks.long_target {
            LongTarget::UriTooLong => pages::uri_too_long(),
            LongTarget::NotFound => pages::not_found(),
        });
    }
    Ok(())
}

/// The request and its parameters, noting repeated and unrecognised ones among `known`.
fn read<'a>(read: Read<'a, Quirks>, known: &'static [&'static str]) -> (&'a RawRequest, Params) {
    let Read {
        raw,
        quirks,
        lints,
        account,
        ..
    } = read;
    match raw.body_kind() {
        BodyKind::Empty | BodyKind::UrlEncoded | BodyKind::Multipart => {}
        BodyKind::Json | BodyKind::Other => lints.push(format!(
            "body ignored: smsoffice reads form bodies only (application/x-www-form-urlencoded), got {:?}",
            raw.media_type()
        )),
    }
    let body = raw.body_params();
    // ASP.NET reads an item without `=` as a value with no name: the parameter stays absent.
    let params = Params::new(
        raw.query_params(),
        body,
        quirks.param_names,
        quirks.duplicate_params,
        false,
        known,
    );
    note_params(&params, known, quirks, lints);
    *account = params.value("key").map(|k| CompactString::from(k.as_ref()));
    (raw, params)
}

/// Notes repeated and unrecognised parameters.
fn note_params(params: &Params, known: &[&str], quirks: &Quirks, lints: &mut Vec<String>) {
    let (repeated, strays) = params.unusual();
    for name in repeated {
        lints.push(format!(
            "parameter {name} given more than once; quirk smsoffice.duplicate_params = {:?} chose the value",
            quirks.duplicate_params
        ));
    }
    if let Some(lint) = params.ignored_lint() {
        lints.push(lint);
    }
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
fn authenticate(state: &State, key: &str) -> Result<usize, SmsofficeError> {
    let (place, _, account) = state
        .accounts
        .get_full(key)
        .ok_or(SmsofficeError::KeyIncorrect)?;
    if !account.api_enabled {
        return Err(SmsofficeError::ApiDisabled);
    }
    Ok(place)
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
