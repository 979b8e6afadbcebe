//! HTTP plumbing that knows no provider: reading requests, parameter decoding, the connection a
//! request came on and how its end is read, fixed pages, and the shape every provider endpoint
//! takes ([`Handler`]).

pub mod connection;
pub mod half_close;
mod handler;
pub mod pages;
pub mod params;
pub mod signals;
pub mod timer;

pub use connection::{ConnControl, Connection, Kill, Scheme};
pub use handler::{Handler, Read, Reply, Run};

use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::response::Response;
use http::{HeaderMap, Method, header};
use http_body_util::{BodyExt, Limited};

use params::ParamList;

/// A provider endpoint's answer and the lints noted while producing it (for the journal).
#[derive(Debug)]
pub struct Answer {
    /// What the client gets.
    pub response: Response,
    /// Things accepted but risky against the real service.
    pub lints: Vec<String>,
    /// The account the request named, for the journal.
    pub account: Option<compact_str::CompactString>,
    /// The first and last id of the messages it created, for the journal.
    pub messages: Option<(u64, u64)>,
}

impl Answer {
    /// An answer with lints.
    pub fn new(response: Response, lints: Vec<String>) -> Answer {
        Answer {
            response,
            lints,
            account: None,
            messages: None,
        }
    }
}

impl From<Response> for Answer {
    fn from(response: Response) -> Answer {
        Answer::new(response, Vec::new())
    }
}

/// A 200 response with `body` and the given `Content-Type` (falls back to text/plain if the
/// configured value is not a valid header, which config validation already prevents).
pub fn with_content_type(body: impl Into<Body>, content_type: &str) -> Response {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type_value(content_type));
    response
}

/// Most content types one thread keeps made (the providers' configured ones: a few).
const CONTENT_TYPES_KEPT: usize = 8;

thread_local! {
    /// Content types already made into header values: cloning one shares its bytes, where
    /// making it anew copies and checks them on every reply.
    static CONTENT_TYPES: std::cell::RefCell<Vec<(Box<str>, http::HeaderValue)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// `content_type` as a header value (text/plain if it is not a valid one, which config
/// validation already prevents), made once per thread.
fn content_type_value(content_type: &str) -> http::HeaderValue {
    CONTENT_TYPES.with_borrow_mut(|kept| {
        if let Some((_, value)) = kept.iter().find(|(text, _)| **text == *content_type) {
            return value.clone();
        }
        let value = http::HeaderValue::from_str(content_type)
            .unwrap_or_else(|_| http::HeaderValue::from_static("text/plain; charset=utf-8"));
        if kept.len() == CONTENT_TYPES_KEPT {
            kept.remove(0);
        }
        kept.push((content_type.into(), value.clone()));
        value
    })
}

/// The length in bytes of a request target as received (origin or absolute form), without
/// building it.
pub fn target_len(uri: &http::Uri) -> usize {
    let path_and_query = uri.path_and_query().map_or(1, |pq| pq.as_str().len());
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => {
            scheme.len() + 3 + authority.as_str().len() + path_and_query
        }
        _ => path_and_query,
    }
}

/// How the body was read as parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body bytes.
    Empty,
    /// `application/x-www-form-urlencoded`.
    UrlEncoded,
    /// `multipart/form-data`.
    Multipart,
    /// `application/json`, left for the provider to read.
    Json,
    /// Any other content type: not read as parameters, as PHP and ASP.NET do.
    Other,
}

/// A request read whole: what the providers need of it.
#[derive(Debug)]
pub struct RawRequest {
    /// HTTP method.
    pub method: Method,
    /// The request target as received.
    pub uri: http::Uri,
    /// Request headers.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Bytes,
    /// True when a body over the limit was left unread (and `body` is empty).
    pub body_ignored: bool,
    /// The connection's peer address, when known.
    pub client: Option<SocketAddr>,
    /// A `multipart/form-data` body's fields, read with the body (reading them may wait, the
    /// rest of an endpoint's decoding never does).
    multipart: Option<Box<ParamList>>,
}

/// What a provider's web server does with a request body over its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLimit {
    /// Refuses the request: 413.
    Refuse,
    /// Runs the request as if it had no body (PHP past `post_max_size`).
    Ignore,
}

/// How much body an endpoint reads, what happens past it, and how long it waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    /// The most bytes read.
    pub bytes: usize,
    /// What a larger body gets.
    pub over: OverLimit,
    /// The longest wait for the next part of the body.
    pub read_timeout: Duration,
    /// The longest time the whole body may take.
    pub total_timeout: Duration,
}

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The body exceeds `limits.max_body_bytes`.
    #[error("request body over the limit")]
    TooLarge,
    /// The body ended in an I/O error.
    #[error("request body unreadable")]
    Broken,
    /// The body came too slowly: a pause longer than the read timeout, or longer in all than the
    /// body timeout.
    #[error("request body too slow")]
    TimedOut,
}

impl ReadError {
    /// The page this error is answered with.
    pub fn into_response(self) -> Response {
        match self {
            ReadError::TooLarge => pages::payload_too_large(),
            ReadError::Broken => pages::bad_request(),
            ReadError::TimedOut => pages::request_timeout(),
        }
    }
}

/// Reads a body up to `limit`: nothing when it is empty; nothing either when its declared length
/// is over the limit (refused, or ignored as PHP does, before a byte is read); otherwise frame by
/// frame, each within the read timeout and all within the body timeout. Whether it was ignored.
async fn read_body(body: Body, limit: BodyLimit) -> Result<(Bytes, bool), ReadError> {
    use axum::body::HttpBody;
    if body.is_end_stream() {
        return Ok((Bytes::new(), false));
    }
    let over = |limit: BodyLimit| match limit.over {
        OverLimit::Refuse => Err(ReadError::TooLarge),
        OverLimit::Ignore => Ok((Bytes::new(), true)),
    };
    if body.size_hint().lower() > limit.bytes as u64 {
        return over(limit);
    }
    let deadline = tokio::time::Instant::now() + limit.total_timeout;
    let mut body = Limited::new(body, limit.bytes);
    let mut parts: Vec<Bytes> = Vec::new();
    loop {
        let wait = limit
            .read_timeout
            .min(deadline.saturating_duration_since(tokio::time::Instant::now()));
        let frame = match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return Err(ReadError::TimedOut),
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) if e.is::<http_body_util::LengthLimitError>() => return over(limit),
            Ok(Some(Err(_))) => return Err(ReadError::Broken),
        };
        if let Ok(data) = frame.into_data() {
            parts.push(data);
        }
    }
    Ok(match parts.len() {
        0 => (Bytes::new(), false),
        1 => (parts.swap_remove(0), false),
        _ => (parts.concat().into(), false),
    })
}

impl RawRequest {
    /// Reads the request, its body up to `limit.bytes`; `client` is the connection's peer. A body
    /// over the limit is never held: reading stops there (at once when `Content-Length` says so),
    /// and the request is refused or read without a body as `limit.over` says.
    pub async fn read(
        request: Request,
        client: Option<SocketAddr>,
        limit: BodyLimit,
    ) -> Result<RawRequest, ReadError> {
        let (parts, body) = request.into_parts();
        let (body, body_ignored) = read_body(body, limit).await?;
        let mut raw = RawRequest::from_parts(parts, body, body_ignored, client);
        if raw.body_kind() == BodyKind::Multipart {
            // Boxed: multipart reading is rare and its state large; every other request would
            // carry that size in its future.
            raw.multipart = Some(Box::new(Box::pin(raw.multipart_params()).await));
        }
        Ok(raw)
    }

    /// A request whose body is known to be empty, taken as it is without waiting.
    pub fn bodyless(request: Request, client: Option<SocketAddr>) -> RawRequest {
        RawRequest::from_parts(request.into_parts().0, Bytes::new(), false, client)
    }

    /// The request of `parts` with the body read (multipart fields not yet read).
    fn from_parts(
        parts: http::request::Parts,
        body: Bytes,
        body_ignored: bool,
        client: Option<SocketAddr>,
    ) -> RawRequest {
        RawRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
            body_ignored,
            client,
            multipart: None,
        }
    }

    /// The body's media type, lowercase, without parameters.
    pub fn media_type(&self) -> String {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// How the body would be read as parameters.
    pub fn body_kind(&self) -> BodyKind {
        if self.body.is_empty() {
            return BodyKind::Empty;
        }
        match self.media_type().as_str() {
            "application/x-www-form-urlencoded" => BodyKind::UrlEncoded,
            "multipart/form-data" => BodyKind::Multipart,
            "application/json" => BodyKind::Json,
            _ => BodyKind::Other,
        }
    }

    /// The query string's parameters.
    pub fn query_params(&self) -> ParamList {
        ParamList::from_urlencoded_text(self.uri.query().unwrap_or(""))
    }

    /// The body's form parameters (urlencoded or multipart; file parts are not parameters, as in
    /// PHP's `$_POST` and ASP.NET's `Request.Form`). Other bodies give none.
    pub fn body_params(&self) -> ParamList {
        match self.body_kind() {
            BodyKind::UrlEncoded => ParamList::from_urlencoded(&self.body),
            BodyKind::Multipart => self.multipart.as_deref().cloned().unwrap_or_default(),
            _ => ParamList::default(),
        }
    }

    async fn multipart_params(&self) -> ParamList {
        let mut list = ParamList::default();
        let Some(boundary) = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| multer::parse_boundary(v).ok())
        else {
            return list;
        };
        let body = self.body.clone();
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(body) });
        let mut multipart = multer::Multipart::new(stream, boundary);
        // A malformed part ends the reading; what was read before it still counts.
        while let Ok(Some(field)) = multipart.next_field().await {
            let name = field.name().map(str::to_owned);
            let is_file = field.file_name().is_some();
            let Ok(bytes) = field.bytes().await else {
                break;
            };
            if let (Some(name), false) = (name, is_file) {
                list.push(&name, &String::from_utf8_lossy(&bytes));
            }
        }
        list
    }
}

/// The method's name without allocating for the standard ones.
pub fn method_name(method: &Method) -> Cow<'static, str> {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    const NAMES: [&str; 9] = [
        "GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
    ];
    match STANDARD.iter().position(|m| m == method) {
        Some(i) => Cow::Borrowed(NAMES[i]),
        None => Cow::Owned(method.as_str().to_owned()),
    }
}

/// `s` cut to at most `max` bytes at a character boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_carries_its_configured_content_type_each_time() {
        let types = [
            "application/json; charset=utf-8",
            "text/html; charset=UTF-8",
        ];
        // More types than a thread keeps, twice over: each reply still gets its own.
        for round in 0..2 {
            for i in 0..CONTENT_TYPES_KEPT + 2 {
                let content_type = format!("{}; v={i}", types[i % 2]);
                let response = with_content_type("x", &content_type);
                assert_eq!(
                    response.headers()[header::CONTENT_TYPE],
                    content_type.as_str(),
                    "round {round}"
                );
            }
        }
        let invalid = with_content_type("x", "text/plain\nx: y");
        assert_eq!(
            invalid.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
    }
}
