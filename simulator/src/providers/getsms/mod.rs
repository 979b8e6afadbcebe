//! getsms.uz: `POST /smsgateway/` and `POST /smsgateway/status/`, behind an IP allow-list.
//!
//! A PHP service: replies are JSON arrays sent as `text/html`, HTTP 200 for every business
//! outcome; a caller not on the allow-list gets 403 and an HTML page.

pub mod errors;
pub mod input;
pub mod send;
pub mod status;

use std::net::{IpAddr, Ipv4Addr};

use std::net::SocketAddr;

use axum::extract::Request;
use axum::response::Response;
use http::StatusCode;

use crate::domain::Sim;
use crate::domain::allow_list::normalize;
use crate::http::{Answer, RawRequest, ReadError, pages, with_content_type};
use errors::to_body;
use input::GetsmsInput;

/// Every getsms path and the endpoint it serves.
pub const PATHS: &[(&str, &str)] = &[
    ("/smsgateway/", "send"),
    ("/smsgateway", "send"),
    ("/smsgateway/status/", "status"),
    ("/smsgateway/status", "status"),
];

/// Whether getsms has error_no `code`; the refusal lists the valid ones.
pub fn check_code(code: i64) -> Result<(), String> {
    super::check_code_in(
        code,
        errors::GetsmsError::ALL.iter().map(|e| i64::from(e.code())),
        "a getsms error_no",
    )
}

/// getsms's own reply for error_no `code` (validated by [`check_code`]).
pub fn error_response(sim: &Sim, code: i64) -> Response {
    let error =
        errors::GetsmsError::from_code(code).unwrap_or(errors::GetsmsError::CredentialsIncorrect);
    json_reply(sim, &error.reply())
}

/// The caller's address: the connection's peer, or the first `X-Forwarded-For` entry when the
/// simulator is told it sits behind a proxy. Without a socket (router tests), loopback.
pub fn client_ip(raw: &RawRequest, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            raw.headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .split(',')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .flatten();
    normalize(
        forwarded
            .or(raw.client.map(|c| c.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    )
}

/// Why a request is turned away before getsms looks at it.
enum Refusal {
    /// The body could not be read (413, 400).
    Body(ReadError),
    /// The caller is not on the allow-list (403).
    Forbidden,
}

impl Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Body(e) => e.into_response(),
            Refusal::Forbidden => pages::html(
                StatusCode::FORBIDDEN,
                "Connections from unknown hosts are refused.",
            ),
        }
    }
}

/// Reads the request and checks the allow-list.
async fn admit(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
    lints: &mut Vec<String>,
) -> Result<(GetsmsInput, IpAddr), Refusal> {
    let raw = RawRequest::read(request, client, sim.config().limits.max_body_bytes)
        .await
        .map_err(Refusal::Body)?;
    let allowed = {
        let world = sim.world();
        let ip = client_ip(&raw, world.getsms_trust_forwarded_for);
        world
            .getsms_allow_list
            .iter()
            .any(|range| range.contains(ip))
            .then_some(ip)
    };
    let ip = allowed.ok_or(Refusal::Forbidden)?;
    if raw.method == http::Method::GET {
        lints.push("GET on a getsms endpoint: the service expects POST".into());
    }
    let input = GetsmsInput::read(&raw, sim.config().quirks.getsms_get_params, lints).await;
    Ok((input, ip))
}

fn json_reply(sim: &Sim, value: &serde_json::Value) -> Response {
    let quirks = &sim.config().quirks;
    let php = quirks.getsms_json_escape == crate::config::JsonEscape::PhpDefault;
    with_content_type(to_body(value, php), &quirks.getsms_content_type)
}

pub(crate) async fn send_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let mut lints = Vec::new();
    let (input, ip) = match admit(sim, request, client, &mut lints).await {
        Ok(admitted) => admitted,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    let now = sim.now();
    let reply = send::send(
        &mut sim.world(),
        &sim.config().quirks,
        &input,
        now,
        ip,
        &mut lints,
    );
    if reply.is_ok() {
        sim.wake_engine();
    }
    let value = reply.unwrap_or_else(|e| e.reply());
    Answer::new(json_reply(sim, &value), lints)
}

pub(crate) async fn status_handler(
    sim: &Sim,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    let mut lints = Vec::new();
    let (input, _) = match admit(sim, request, client, &mut lints).await {
        Ok(admitted) => admitted,
        Err(refusal) => return Answer::new(refusal.into_response(), lints),
    };
    let reply = status::status(&mut sim.world(), &input);
    let value = reply.unwrap_or_else(|e| e.reply());
    Answer::new(json_reply(sim, &value), lints)
}
