//! A raw HTTP/1.1 client over loopback: exact bytes out, exact bytes back, nothing normalised.

use std::net::SocketAddr;

use smsim::Simulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response as it came off the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("body is UTF-8")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// Sends `head` (request line and headers, without the blank line) and `body` on a fresh
/// connection with `Connection: close`, and reads the whole reply.
pub async fn raw(addr: SocketAddr, head: &[u8], body: &[u8]) -> Reply {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let mut request = head.to_vec();
    request.extend_from_slice(format!("\r\nHost: {addr}\r\nConnection: close\r\n").as_bytes());
    if !body.is_empty() {
        request.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    request.extend_from_slice(body);
    stream.write_all(&request).await.expect("write");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    parse(&bytes)
}

fn parse(bytes: &[u8]) -> Reply {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("reply has a head");
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut body = bytes[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
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
    smsim::http::params::encode(s)
}

/// `GET /__admin/...` as JSON.
pub async fn admin(sim: &Simulator, path: &str) -> serde_json::Value {
    let reply = get(sim, &format!("/__admin{path}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
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

/// Like [`raw`], but the connection leaves from `source` (e.g. 127.0.0.2), to test allow-lists.
pub async fn raw_from(
    source: std::net::IpAddr,
    addr: SocketAddr,
    head: &[u8],
    body: &[u8],
) -> Reply {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(source, 0))
        .expect("bind source address");
    let mut stream = socket.connect(addr).await.expect("connect");
    let mut request = head.to_vec();
    request.extend_from_slice(
        format!(
            "\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    request.extend_from_slice(body);
    stream.write_all(&request).await.expect("write");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    parse(&bytes)
}
