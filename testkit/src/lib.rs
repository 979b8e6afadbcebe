//! What smsim's own tests, its contract harness and its benchmark share to talk HTTP/1.1 on
//! loopback: a raw client that sends exact bytes and returns the reply as it came off the wire
//! ([`http1`]), and a scripted callback receiver ([`receiver`]).

pub mod http1;
pub mod receiver;

pub use http1::{Reply, RequestBytes};
pub use receiver::{Answer, Hit, Receiver};

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query or form component: everything but RFC 3986 unreserved characters.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, NOT_UNRESERVED).to_string()
}
