//! The few non-provider answers: short HTML pages like the ones a real web server sends, so no
//! client ever sees a framework's default page.

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

/// A short HTML page with `status`.
pub fn html(status: StatusCode, text: &str) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<html><head><title>{code} {reason}</title></head><body><h1>{reason}</h1><p>{text}</p></body></html>",
        code = status.as_u16()
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// 404 for a path no provider has.
pub fn not_found() -> Response {
    html(
        StatusCode::NOT_FOUND,
        "The resource you are looking for has been removed, had its name changed, or is temporarily unavailable.",
    )
}

/// 405 naming the methods the path takes.
pub fn method_not_allowed(allow: &'static str) -> Response {
    let mut response = html(
        StatusCode::METHOD_NOT_ALLOWED,
        "The HTTP verb used to access this page is not allowed.",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// 413 for a body over the configured limit.
pub fn payload_too_large() -> Response {
    let mut response = html(
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request body is too large.",
    );
    // The rest of the body is never read: the connection cannot carry another request.
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 414 for a request target over the provider's limit.
pub fn uri_too_long() -> Response {
    html(StatusCode::URI_TOO_LONG, "The request URL is too long.")
}

/// 408 for a body that came too slowly, as Apache's `mod_reqtimeout` answers.
pub fn request_timeout() -> Response {
    let mut response = html(
        StatusCode::REQUEST_TIMEOUT,
        "Server timeout waiting for the HTTP request from the client.",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// 400 for a body that could not be read at all (the client went away mid-body).
pub fn bad_request() -> Response {
    html(StatusCode::BAD_REQUEST, "The request could not be read.")
}

/// 301 to `location`, as IIS answers a path that needs a trailing slash.
pub fn moved_permanently(location: &str) -> Response {
    let mut response = html(StatusCode::MOVED_PERMANENTLY, "Object moved.");
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
