//! The inbox: one page, served from the binary, that drives everything through the admin API
//! (no request leaves the simulator: no CDN, no web fonts, no build step).

use axum::response::{Html, IntoResponse, Redirect, Response};

/// The page: HTML, CSS and script in one file.
pub const PAGE: &str = include_str!("ui/inbox.html");

/// `GET /__admin/ui/`.
pub(super) async fn page() -> Response {
    ([(http::header::CACHE_CONTROL, "no-cache")], Html(PAGE)).into_response()
}

/// `GET /__admin/ui`: to the page's own address, so its relative calls resolve.
pub(super) async fn redirect() -> Redirect {
    Redirect::permanent("/__admin/ui/")
}

#[cfg(test)]
mod tests {
    use super::PAGE;

    #[test]
    fn the_page_is_small_and_asks_nothing_of_the_network() {
        assert!(PAGE.len() <= 150 * 1024, "{} bytes", PAGE.len());
        for outside in ["http://", "https://", "//fonts.", "@import", " src="] {
            assert!(!PAGE.contains(outside), "the page refers to {outside:?}");
        }
        // Its one link is an empty icon, so the browser asks for no /favicon.ico.
        assert_eq!(PAGE.matches("<link").count(), 1);
        assert!(PAGE.contains(r#"<link rel="icon" href="data:,">"#));
    }
}
