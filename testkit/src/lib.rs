//! What smsim's own tests, its contract harness and its benchmark share to talk HTTP/1.1 on
//! loopback: a raw client that sends exact bytes and returns the reply as it came off the wire
//! ([`http1`]), and a scripted callback receiver ([`receiver`]).

pub mod http1;
pub mod receiver;

pub use http1::{Reply, RequestBytes};
pub use receiver::{Answer, Hit, Receiver};

/// Encodes a query or form component as `application/x-www-form-urlencoded` does (a space is
/// `+`, every byte outside `A-Z a-z 0-9 * - . _` is `%XX`).
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
