//! The inbox: one page, served from the binary, that drives everything through the admin API
//! (no request leaves the simulator: no CDN, no web fonts, no build step). Its HTML, style and
//! script are three files, so that the page's Content-Security-Policy can allow only the
//! simulator's own files: no inline script or style runs, whatever a message holds.

use axum::response::{IntoResponse, Redirect, Response};
use http::header;

/// The page's HTML.
pub const PAGE: &str = include_str!("ui/inbox.html");
/// The page's style sheet.
pub const STYLE: &str = include_str!("ui/inbox.css");
/// The page's script.
pub const SCRIPT: &str = include_str!("ui/inbox.js");

/// What the browser may do with the page: load its own script, style and API, and nothing else;
/// no page may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

fn file(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        body,
    )
        .into_response()
}

/// `GET /__admin/ui/`.
pub(super) async fn page() -> Response {
    file("text/html; charset=utf-8", PAGE)
}

/// `GET /__admin/ui/inbox.css`.
pub(super) async fn style() -> Response {
    file("text/css; charset=utf-8", STYLE)
}

/// `GET /__admin/ui/inbox.js`.
pub(super) async fn script() -> Response {
    file("text/javascript; charset=utf-8", SCRIPT)
}

/// `GET /__admin/ui`: to the page's own address, so its relative calls resolve.
pub(super) async fn redirect() -> Redirect {
    Redirect::permanent("/__admin/ui/")
}

#[cfg(test)]
mod tests {
    use super::{PAGE, SCRIPT, STYLE};

    #[test]
    fn the_page_is_small_and_asks_nothing_of_the_network() {
        let all = [PAGE, STYLE, SCRIPT].concat();
        assert!(all.len() <= 150 * 1024, "{} bytes", all.len());
        for outside in ["http://", "https://", "//fonts.", "@import"] {
            assert!(!all.contains(outside), "the page refers to {outside:?}");
        }
        // Its links are an empty icon, so the browser asks for no /favicon.ico, and its own
        // style sheet; its one script is its own file.
        assert_eq!(PAGE.matches("<link").count(), 2);
        assert!(PAGE.contains(r#"<link rel="icon" href="data:,">"#));
        assert!(PAGE.contains(r#"<link rel="stylesheet" href="inbox.css">"#));
        assert_eq!(PAGE.matches(" src=").count(), 1);
        assert!(PAGE.contains(r#"<script src="inbox.js"></script>"#));
    }

    #[test]
    fn nothing_inline_needs_the_policy_loosened() {
        assert!(!PAGE.contains("<style"), "inline style element");
        assert!(!PAGE.contains("style="), "inline style attribute");
        assert_eq!(PAGE.matches("<script").count(), 1, "inline script");
        let handler = regex::Regex::new(r"\son[a-z]+\s*=").unwrap();
        assert!(!handler.is_match(PAGE), "inline event handler");
        assert!(!SCRIPT.contains("innerHTML"), "markup built from text");
        assert!(
            !SCRIPT.contains("style:"),
            "a style attribute set from script"
        );
    }
}
