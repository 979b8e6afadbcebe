//! A raw HTTP/1.1 client: exact bytes out, the reply back with nothing normalised. Replies are
//! framed by `Content-Length`, chunked encoding, or the connection's close.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// A reply as it came off the wire (a chunked body is decoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not (for tests).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// A request written out: method, target, headers, body. `Host` is added; `Content-Length`
/// is added for a body, and for every POST, PUT and PATCH.
#[derive(Debug, Clone, Default)]
pub struct RequestBytes {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target as sent.
    pub target: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RequestBytes {
    /// `GET target`.
    pub fn get(target: &str) -> RequestBytes {
        RequestBytes::new("GET", target)
    }

    /// `POST target` with a body of `content_type`.
    pub fn post(target: &str, content_type: &str, body: impl Into<Vec<u8>>) -> RequestBytes {
        RequestBytes::new("POST", target)
            .header("Content-Type", content_type)
            .body(body)
    }

    /// `method target` with no headers and no body.
    pub fn new(method: &str, target: &str) -> RequestBytes {
        RequestBytes {
            method: method.to_owned(),
            target: target.to_owned(),
            ..RequestBytes::default()
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> RequestBytes {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> RequestBytes {
        self.body = body.into();
        self
    }

    /// The bytes on the wire for `host`; `keep_alive: false` adds `Connection: close`.
    pub fn to_bytes(&self, host: &str, keep_alive: bool) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {host}\r\n",
            self.method, self.target
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !self.body.is_empty() || matches!(self.method.as_str(), "POST" | "PUT" | "PATCH") {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if !keep_alive {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }

    /// Sends it on a fresh connection to `addr` (`Connection: close`) and reads the reply.
    pub async fn send(&self, addr: &str) -> io::Result<Reply> {
        let stream = TcpStream::connect(addr).await?;
        exchange(stream, &self.to_bytes(addr, false)).await
    }
}

/// Sends `bytes` exactly as given on a fresh connection to `addr` and reads the reply until the
/// server closes the connection.
pub async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> io::Result<Reply> {
    exchange(TcpStream::connect(addr).await?, bytes).await
}

/// Like [`send_raw`], from the local address `source` (e.g. `127.0.0.2`), to test allow-lists.
pub async fn send_raw_from(
    source: std::net::IpAddr,
    addr: SocketAddr,
    bytes: &[u8],
) -> io::Result<Reply> {
    let socket = if source.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(source, 0))?;
    exchange(socket.connect(addr).await?, bytes).await
}

async fn exchange(mut stream: TcpStream, bytes: &[u8]) -> io::Result<Reply> {
    stream.write_all(bytes).await?;
    let mut received = Vec::new();
    stream.read_to_end(&mut received).await?;
    parse_reply(&received)
}

fn invalid(why: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.into())
}

/// How a reply's body ends.
#[derive(Clone, Copy)]
enum Framing {
    Length(usize),
    Chunked,
    Close,
}

/// A reply's head.
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
    /// Bytes the head takes, blank line included.
    len: usize,
    framing: Framing,
}

/// The head at the start of `bytes`, or `None` if it is not all there yet.
fn parse_head(bytes: &[u8]) -> io::Result<Option<Head>> {
    let mut slots = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut slots);
    let head_len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(invalid(format!("malformed reply head: {e}"))),
    };
    let status = response.code.ok_or_else(|| invalid("no status"))?;
    let headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).trim().to_owned(),
            )
        })
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let framing = if find("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        Framing::Chunked
    } else if let Some(length) = find("content-length") {
        Framing::Length(
            length
                .parse()
                .map_err(|_| invalid(format!("bad Content-Length {length:?}")))?,
        )
    } else if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Length(0)
    } else {
        Framing::Close
    };
    Ok(Some(Head {
        status,
        headers,
        len: head_len,
        framing,
    }))
}

/// Parses a whole reply read until the connection closed.
pub fn parse_reply(bytes: &[u8]) -> io::Result<Reply> {
    let head =
        parse_head(bytes)?.ok_or_else(|| invalid("connection closed before a whole reply head"))?;
    let rest = &bytes[head.len..];
    let body = match head.framing {
        // A reply cut short keeps what arrived: tests of truncation read it.
        Framing::Length(n) => rest[..n.min(rest.len())].to_vec(),
        Framing::Close => rest.to_vec(),
        Framing::Chunked => dechunk(rest)?.0,
    };
    Ok(Reply {
        status: head.status,
        headers: head.headers,
        body,
    })
}

/// Decodes a chunked body; returns it and the bytes it took, or an error if incomplete.
fn dechunk(mut data: &[u8]) -> io::Result<(Vec<u8>, usize)> {
    let total = data.len();
    let mut body = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("chunk size line cut short"))?;
        let size_text =
            std::str::from_utf8(&data[..line_end]).map_err(|_| invalid("chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size_text, 16).map_err(|_| invalid("chunk size not hex"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            // Trailers, if any, end with an empty line.
            let end = data
                .windows(2)
                .position(|w| w == b"\r\n")
                .ok_or_else(|| invalid("chunked body cut short"))?;
            return Ok((body, total - data.len() + end + 2));
        }
        if data.len() < size + 2 {
            return Err(invalid("chunk cut short"));
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Reads exactly one reply from a keep-alive connection (framed by `Content-Length` or chunked
/// encoding), using `buffer` as scratch space; bytes of a following reply are kept in it. Any
/// stream: a socket, or TLS over one.
pub async fn read_reply<S>(stream: &mut S, buffer: &mut Vec<u8>) -> io::Result<Reply>
where
    S: tokio::io::AsyncRead + Unpin,
{
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(head) = parse_head(buffer)? {
            let head_len = head.len;
            let body_and_used = loop {
                let rest = &buffer[head_len..];
                match head.framing {
                    Framing::Length(n) if rest.len() >= n => break Some((rest[..n].to_vec(), n)),
                    Framing::Chunked => {
                        if let Ok(done) = dechunk(rest) {
                            break Some(done);
                        }
                    }
                    _ => {}
                }
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    break matches!(head.framing, Framing::Close)
                        .then(|| (buffer[head_len..].to_vec(), buffer.len() - head_len));
                }
                buffer.extend_from_slice(&chunk[..n]);
            };
            let (body, used) = body_and_used
                .ok_or_else(|| invalid("connection closed in the middle of a reply"))?;
            buffer.drain(..head_len + used);
            return Ok(Reply {
                status: head.status,
                headers: head.headers,
                body,
            });
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(invalid("connection closed before a reply"));
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_framed_by_length_chunks_or_close() {
        let length = parse_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOKextra").unwrap();
        assert_eq!((length.status, length.body.as_slice()), (200, &b"OK"[..]));
        let chunked = parse_reply(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n3;x=1\r\n!!!\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(chunked.body, b"OK!!!");
        let closed = parse_reply(b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nnope").unwrap();
        assert_eq!((closed.status, closed.text()), (404, "nope".to_owned()));
        assert_eq!(closed.header("server"), Some("x"));
        assert!(parse_reply(b"HTTP/1.1 200").is_err());
        assert!(parse_reply(b"garbage\r\n\r\n").is_err());
    }

    #[test]
    fn requests_carry_host_length_and_close() {
        let bytes = RequestBytes::post("/p", "text/plain", "hi").to_bytes("h:1", false);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "POST /p HTTP/1.1\r\nHost: h:1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
        );
    }
}
