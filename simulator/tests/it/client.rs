//! A raw HTTP/1.1 client over loopback: exact bytes out, exact bytes back, nothing normalised.

use std::net::SocketAddr;

use smsim::Simulator;

pub use smsim_testkit::Reply;
use smsim_testkit::http1::{send_raw, send_raw_from};

/// The request bytes: `head` (request line and headers, without the blank line), then `Host`,
/// `Connection: close`, a `Content-Length` for a body, and the body.
fn request_bytes(addr: SocketAddr, head: &[u8], body: &[u8]) -> Vec<u8> {
    let mut request = head.to_vec();
    request.extend_from_slice(format!("\r\nHost: {addr}\r\nConnection: close\r\n").as_bytes());
    if !body.is_empty() {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    request
}

/// Sends `head` and `body` on a fresh connection with `Connection: close`, and reads the whole
/// reply.
pub async fn raw(addr: SocketAddr, head: &[u8], body: &[u8]) -> Reply {
    send_raw(addr, &request_bytes(addr, head, body))
        .await
        .expect("a whole HTTP reply")
}

/// `GET target`.
pub async fn get(sim: &Simulator, target: &str) -> Reply {
    raw(sim.addr(), format!("GET {target} HTTP/1.1").as_bytes(), b"").await
}

/// `POST target` with an urlencoded body.
pub async fn post_form(sim: &Simulator, target: &str, body: &str) -> Reply {
    post(
        sim,
        target,
        "application/x-www-form-urlencoded",
        body.as_bytes(),
    )
    .await
}

/// `POST target` with any content type and body bytes.
pub async fn post(sim: &Simulator, target: &str, content_type: &str, body: &[u8]) -> Reply {
    let head = format!("POST {target} HTTP/1.1\r\nContent-Type: {content_type}");
    raw(sim.addr(), head.as_bytes(), body).await
}

/// A `multipart/form-data` body of text fields; returns (content type, body).
pub fn multipart(fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----smsimBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Percent-encodes a form component.
pub fn enc(s: &str) -> String {
    smsim_testkit::encode(s)
}

/// `GET /__admin/...` as JSON.
pub async fn admin(sim: &Simulator, path: &str) -> serde_json::Value {
    let reply = get(sim, &format!("/__admin{path}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

/// One text field of every message `GET /__admin/messages{query}` lists, in its order.
pub async fn message_texts(sim: &Simulator, query: &str, field: &str) -> Vec<String> {
    let listing = admin(sim, &format!("/messages{query}")).await;
    listing["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m[field].as_str().unwrap().to_owned())
        .collect()
}

/// The lints of the journal entry at `index` of `GET /__admin/requests`, as JSON text.
pub async fn journal_lints(sim: &Simulator, index: usize) -> String {
    admin(sim, "/requests").await["requests"][index]["lints"].to_string()
}

/// Every entry of a paged admin listing (`/messages`, `/requests`, `/callbacks`, with any
/// filters in `path`), following `next` page by page.
pub async fn admin_all(sim: &Simulator, path: &str, key: &str) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let separator = if path.contains('?') { '&' } else { '?' };
        let page = admin(sim, &format!("{path}{separator}limit=1000&after={after}")).await;
        all.extend(page[key].as_array().unwrap().iter().cloned());
        match page["next"].as_u64() {
            Some(next) => after = next,
            None => return all,
        }
    }
}

/// `PATCH /__admin/...` with a JSON body.
pub async fn admin_patch(sim: &Simulator, path: &str, body: &str) -> Reply {
    let head = format!("PATCH /__admin{path} HTTP/1.1\r\nContent-Type: application/json");
    raw(sim.addr(), head.as_bytes(), body.as_bytes()).await
}

/// `POST /__admin/...` with a JSON body.
pub async fn admin_post(sim: &Simulator, path: &str, body: &str) -> Reply {
    post(
        sim,
        &format!("/__admin{path}"),
        "application/json",
        body.as_bytes(),
    )
    .await
}

/// `DELETE /__admin{path}`, saying it means it (`X-Smsim`), as every bodyless admin call that
/// changes state must.
pub async fn admin_delete(sim: &Simulator, path: &str) -> Reply {
    let head = format!("DELETE /__admin{path} HTTP/1.1\r\nX-Smsim: 1");
    raw(sim.addr(), head.as_bytes(), b"").await
}

/// Like [`raw`], but the connection leaves from `source` (e.g. 127.0.0.2), to test allow-lists.
pub async fn raw_from(
    source: std::net::IpAddr,
    addr: SocketAddr,
    head: &[u8],
    body: &[u8],
) -> Reply {
    let mut bytes = request_bytes(addr, head, body);
    if body.is_empty() {
        // A POST without a body still says so.
        let at = bytes.len() - 2;
        bytes.splice(at..at, b"Content-Length: 0\r\n".iter().copied());
    }
    send_raw_from(source, addr, &bytes)
        .await
        .expect("a whole HTTP reply")
}
