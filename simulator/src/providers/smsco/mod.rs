//! smsco.ge: `smsapi2.php` (send and balance) and `getstatus.php`, each also under `/api/`.
//!
//! A PHP service reading `$_REQUEST`: GET and POST alike, exact parameter names, the last of a
//! repeated parameter wins. Bodies are plain text with no trailing newline, HTTP 200 always.

pub mod accounts;
pub mod errors;
pub mod quirks;
pub mod send;
mod status;

use std::net::IpAddr;

use axum::response::Response;
use compact_str::CompactString;

use crate::domain::{Endpoint, Provider};
use crate::http::params::{DuplicateParams, NameMatching, Params};
use crate::http::{BodyKind, OverLimit, Read, with_content_type};
use crate::providers::{Descriptor, ProviderDocument, Routed, Runner, route_merging_slashes};
pub use accounts::{Section, SmscoAccount, SmscoAccountPatch, State};
pub use errors::SmscoError;
pub use quirks::*;
pub use send::SendSms;
pub use status::MessageStatus;

/// smsco.ge, as the rest of the program sees it.
#[derive(Debug, Clone, Copy)]
pub struct Smsco;

/// `smsapi2.php`: sending and the balance.
pub const SEND: Endpoint = Endpoint::new(Provider::Smsco, "send");
/// `getstatus.php`.
pub const STATUS: Endpoint = Endpoint::new(Provider::Smsco, "status");

/// getstatus.php's documented path.
pub const STATUS_PATH: &str = "/components/com_smsreseller/getstatus.php";

/// Every smsco path and the endpoint it serves.
pub const PATHS: &[(&str, Endpoint)] = &[
    ("/components/com_smsreseller/smsapi2.php", SEND),
    ("/api/sendsms.php", SEND),
    (STATUS_PATH, STATUS),
    ("/api/getstatus.php", STATUS),
];

impl Descriptor for Smsco {
    const PROVIDER: Provider = Provider::Smsco;
    const HOSTS: &'static [&'static str] = &["smsco.ge", "www.smsco.ge"];
    const ENDPOINTS: &'static [Endpoint] = &[SEND, STATUS];
    const CREDENTIALS: &'static [(&'static str, &'static str)] = &[
        ("username", "{{smsco.username}}"),
        ("password", "{{smsco.password}}"),
    ];
    const LIVE_ENV: &'static [(&'static str, &'static str)] = &[
        ("username", "SMSIM_LIVE_SMSCO_USERNAME"),
        ("password", "SMSIM_LIVE_SMSCO_PASSWORD"),
    ];
    const ACCOUNT_ID: &'static str = "username";
    /// The largest request body by default: PHP's default `post_max_size` (8M); past it PHP runs the script with no POST parameters.
    const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
    /// What a body over `limits.body_bytes.smsco` gets.
    const OVER_BODY_LIMIT: OverLimit = OverLimit::Ignore;
    /// The methods the endpoints take, for the `Allow` header of a 405.
    const ALLOW: &'static str = "GET, POST";
    // 2907: the gateway is unavailable.
    const TEMPORARY_ERROR: i64 = 2907;
    const ZONE: (&'static str, i64) = ("georgia", UTC_OFFSET_HOURS);

    const DOCUMENTS: &'static [ProviderDocument] = &[ProviderDocument {
        id: "smsco-ru",
        title: "smsco.ge's API document",
        signature: "com_smsreseller/smsapi2.php",
    }];

    type Quirks = Quirks;
    type Section = Section;
    type State = State;
    type Account = SmscoAccount;
    type AccountPatch = SmscoAccountPatch;

    /// The endpoint `path` names as Apache reads it: exactly, or with repeated slashes merged (with a
    /// lint).
    fn route(path: &str) -> Option<Routed> {
        route_merging_slashes(PATHS, path)
    }

    #[inline(always)]
    fn dispatch<R: Runner<Self>>(endpoint: Endpoint, runner: R) -> R::Output {
        if endpoint == SEND {
            runner.run::<SendSms>()
        } else {
            runner.run::<MessageStatus>()
        }
    }

    /// smsco's own reply for code `code` (a code its error table has).
    fn error_response(quirks: &Quirks, code: i64) -> Response {
        let error = SmscoError::from_code(code).unwrap_or(SmscoError::GatewayUnavailable);
        text(quirks, error.body(quirks.error_body))
    }

    fn check_error_code(code: i64) -> Result<(), String> {
        SmscoError::check(code)
    }

    accounts_in_fields!(SmscoAccount, SmscoAccountPatch, username);

    fn banner_line(a: &SmscoAccount) -> String {
        format!(
            "  smsco     username={} password={} balance={} brand={}",
            a.username,
            a.password,
            a.balance,
            a.brand.as_deref().unwrap_or("-")
        )
    }
}

/// The id of a send, shared by its recipients' messages; getstatus.php finds them by it.
pub const MES_ID: &str = "mes_id";

/// Georgia is UTC+4 all year: `schedule` is read in Georgia time.
pub const UTC_OFFSET_HOURS: i64 = 4;

fn text(quirks: &Quirks, body: String) -> Response {
    with_content_type(body, &quirks.content_type)
}

/// Reads `$_REQUEST`: query and form body, body winning, PHP's decoding. Unrecognised names
/// are noted.
fn read(read: Read<'_, Quirks>, known: &'static [&'static str]) -> (Params, Option<IpAddr>) {
    let Read {
        raw,
        lints,
        account,
        ..
    } = read;
    let client_ip = raw.client.map(|c| c.ip());
    if matches!(raw.body_kind(), BodyKind::Json | BodyKind::Other) {
        lints.push(format!(
            "body ignored: PHP reads form bodies only, got {:?}",
            raw.media_type()
        ));
    }
    let body = raw.body_params();
    let params = Params::new(
        raw.query_params(),
        body,
        NameMatching::Exact,
        DuplicateParams::Last,
        true,
        known,
    );
    *account = params
        .value("username")
        .map(|u| CompactString::from(u.as_ref()));
    if let Some(lint) = params.ignored_lint() {
        lints.push(lint);
    }
    let strays = params.strays();
    if !strays.is_empty() && known.contains(&"message") && params.get("message").is_some() {
        lints.push(format!(
            "unrecognised parameters {strays}: if they belong to the message, an unencoded '&' cut it short"
        ));
    } else if !strays.is_empty() {
        lints.push(format!(
            "unrecognised parameters {strays} ignored (names are case-sensitive)"
        ));
    }
    (params, client_ip)
}
