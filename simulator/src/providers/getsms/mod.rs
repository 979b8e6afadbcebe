//! getsms.uz: `POST /smsgateway/` and `POST /smsgateway/status/`, behind an IP allow-list.
//!
//! A PHP service: replies are JSON arrays sent as `text/html`, HTTP 200 for every business
//! outcome; a caller not on the allow-list gets 403 and an HTML page.

pub mod accounts;
pub mod allow_list;
pub mod batch;
pub mod errors;
pub mod input;
pub mod quirks;
pub mod request_ids;
pub mod send;
pub mod status;

use std::net::{IpAddr, Ipv4Addr};

use axum::response::Response;
use compact_str::CompactString;
use http::StatusCode;
use serde::Serialize;

use crate::domain::{Endpoint, Provider};
use crate::http::{
    OverLimit, RawRequest, Read, Reply, pages, with_content_type,
};
use crate::providers::{Descriptor, ProviderDocument, Routed, Runner, route_merging_slashes};
pub use accounts::{GetsmsAccount, GetsmsAccountPatch, Section, State};
use allow_list::normalize;
pub use errors::GetsmsError;
use errors::to_body;
use input::GetsmsInput;
pub use quirks::*;
pub use send::SendSms;
pub use status::MessageStatus;

/// getsms.uz, as the rest of the program sees it.
#[derive(Debug, Clone, Copy)]
pub struct Getsms;

/// `/smsgateway/`.
pub const SEND: Endpoint = Endpoint::new(Provider::Getsms, "send");
/// `/smsgateway/status/`.
pub const STATUS: Endpoint = Endpoint::new(Provider::Getsms, "status");

/// Every getsms path and the endpoint it serves.
pub const PATHS: &[(&str, Endpoint)] = &[
    ("/smsgateway/", SEND),
    ("/smsgateway", SEND),
    ("/smsgateway/status/", STATUS),
    ("/smsgateway/status", STATUS),
];

impl Descriptor for Getsms {
    const PROVIDER: Provider = Provider::Getsms;
    // The document writes its endpoints with the address 185.8.212.184.
    const HOSTS: &'static [&'static str] = &["getsms.uz", "www.getsms.uz", "185.8.212.184"];
    const ENDPOINTS: &'static [Endpoint] = &[SEND, STATUS];
    const CREDENTIALS: &'static [(&'static str, &'static str)] = &[
        ("login", "{{getsms.login}}"),
        ("password", "{{getsms.password}}"),
    ];
    const LIVE_ENV: &'static [(&'static str, &'static str)] = &[
        ("login", "SMSIM_LIVE_GETSMS_LOGIN"),
        ("password", "SMSIM_LIVE_GETSMS_PASSWORD"),
    ];
    const ACCOUNT_ID: &'static str = "login";
    /// The largest request body by default: PHP's default `post_max_size` (8M); past it PHP runs the script with no POST parameters.
    const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;
    /// What a body over `limits.body_bytes.getsms` gets.
    const OVER_BODY_LIMIT: OverLimit = OverLimit::Ignore;
    /// The methods the endpoints take, for the `Allow` header of a 405.
    const ALLOW: &'static str = "POST";
    // 101: a garbage reply only borrows its content type.
    const TEMPORARY_ERROR: i64 = 101;
    const ZONE: (&'static str, i64) = ("tashkent", UTC_OFFSET_HOURS);

    const DOCUMENTS: &'static [ProviderDocument] = &[ProviderDocument {
        id: "getsms-uz",
        title: "getsms.uz's API document",
        signature: "GETSMS.UZ tizimi bilan integratsiyalash",
    }];

    type Quirks = Quirks;
    type Section = Section;
    type State = State;
    type Account = GetsmsAccount;
    type AccountPatch = GetsmsAccountPatch;

    /// The endpoint `path` names as the getsms web server reads it: exactly, or with repeated slashes
    /// merged; a path without its documented trailing slash is served with a lint.
    fn route(path: &str) -> Option<Routed> {
        let mut routed = route_merging_slashes(PATHS, path)?;
        if routed.lint.is_none() && !path.ends_with('/') {
            routed.lint = Some(format!(
                "{path} without the trailing slash: the documented path is {path}/"
            ));
        }
        Some(routed)
    }

    #[inline(always)]
    fn dispatch<R: Runner<Self>>(endpoint: Endpoint, runner: R) -> R::Output {
        if endpoint == SEND {
            runner.run::<SendSms>()
        } else {
            runner.run::<MessageStatus>()
        }
    }

    /// getsms's own reply for error_no `code` (a code its error table has).
    fn error_response(quirks: &Quirks, code: i64) -> Response {
        let error = GetsmsError::from_code(code).unwrap_or(GetsmsError::CredentialsIncorrect);
        json_reply(quirks, &error.reply(quirks.error_key), 1)
    }

    fn check_error_code(code: i64) -> Result<(), String> {
        GetsmsError::check(code)
    }

    accounts_in_fields!(GetsmsAccount, GetsmsAccountPatch, login);

    fn banner_line(a: &GetsmsAccount) -> String {
        format!(
            "  getsms    login={} password={} balance={} blocked={}",
            a.login, a.password, a.balance, a.blocked
        )
    }
}

/// The id of a send, shared by its items' messages; the status call finds them by it.
pub const REQUEST_ID: &str = "request_id";
/// The id of one item's message.
pub const MESSAGE_ID: &str = "message_id";

/// Tashkent is UTC+5 all year: status dates are written in Tashkent time.
pub const UTC_OFFSET_HOURS: i64 = 5;

/// A reply item's usual length in bytes, to size the reply buffer once.
const ITEM_BYTES: usize = 256;

fn json_reply(quirks: &Quirks, value: &impl Serialize, items: usize) -> Response {
    let php = quirks.json_escape == JsonEscape::PhpDefault;
    let body = to_body(value, php, items.max(1) * ITEM_BYTES);
    with_content_type(body, &quirks.content_type)
}

/// Where a request came from: the connection's peer (loopback without a socket) and the first
/// `X-Forwarded-For` entry, which counts when the simulator is told it sits behind a proxy.
#[derive(Debug, Clone, Copy)]
struct Caller {
    peer: IpAddr,
    forwarded: Option<IpAddr>,
}

impl Caller {
    fn of(raw: &RawRequest) -> Caller {
        let forwarded = raw
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|first| first.trim().parse().ok());
        Caller {
            peer: raw
                .client
                .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.ip()),
            forwarded,
        }
    }

    /// The caller's address if the allow-list admits it.
    fn admitted(self, state: &State) -> Option<IpAddr> {
        let ip = normalize(match (state.trust_forwarded_for, self.forwarded) {
            (true, Some(forwarded)) => forwarded,
            _ => self.peer,
        });
        state
            .allow_list
            .iter()
            .any(|range| range.contains(ip))
            .then_some(ip)
    }
}

/// A request read and its parameters decoded, not yet admitted.
#[derive(Debug)]
struct Decoded {
    input: GetsmsInput,
    caller: Caller,
}

/// Decodes the parameters; the allow-list is checked under the world lock, where it can change.
fn decode(read: Read<'_, Quirks>) -> Decoded {
    let Read {
        raw,
        quirks,
        lints,
        account,
        ..
    } = read;
    if raw.method == http::Method::GET {
        lints.push("GET on a getsms endpoint: the service expects POST".into());
    }
    let input = GetsmsInput::read(raw, quirks.get_params, lints);
    *account = input.login.as_deref().map(CompactString::from);
    Decoded {
        caller: Caller::of(raw),
        input,
    }
}

/// What a getsms endpoint came to.
#[derive(Debug)]
pub enum Handled<T> {
    /// The caller is not on the allow-list: 403, and getsms looked at nothing.
    Forbidden,
    /// A top-level error object.
    Refused(GetsmsError),
    /// The reply array.
    Answered(T),
}

impl<T: Serialize> Handled<Vec<T>> {
    fn from_result(result: Result<Vec<T>, GetsmsError>) -> Handled<Vec<T>> {
        match result {
            Ok(reply) => Handled::Answered(reply),
            Err(e) => Handled::Refused(e),
        }
    }

    /// The reply; `scheduled` says whether an answered request scheduled deliveries.
    fn respond(self, quirks: &Quirks, scheduled: bool) -> Reply {
        match self {
            Handled::Forbidden => Reply::from(pages::html(
                StatusCode::FORBIDDEN,
                "Connections from unknown hosts are refused.",
            )),
            Handled::Refused(e) => Reply::from(json_reply(quirks, &e.reply(quirks.error_key), 1)),
            Handled::Answered(reply) => Reply {
                response: json_reply(quirks, &reply, reply.len()),
                wake_engine: scheduled,
            },
        }
    }
}
