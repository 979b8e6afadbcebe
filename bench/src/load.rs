//! A minimal keep-alive HTTP/1.1 load generator: N connections, each sending one prepared request
//! after the other and timing each answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request, sent as is on every iteration.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub target: String,
    pub content_type: Option<String>,
    pub body: String,
}

impl Request {
    pub fn get(target: &str) -> Request {
        Request {
            method: "GET".into(),
            target: target.into(),
            content_type: None,
            body: String::new(),
        }
    }

    pub fn post(target: &str, content_type: &str, body: String) -> Request {
        Request {
            method: "POST".into(),
            target: target.into(),
            content_type: Some(content_type.into()),
            body,
        }
    }

    fn bytes(&self, addr: SocketAddr, keep_alive: bool) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {addr}\r\n",
            self.method, self.target
        );
        if let Some(ct) = &self.content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        if !self.body.is_empty()
            || self.method == "POST"
            || self.method == "PATCH"
            || self.method == "PUT"
        {
            head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        if !keep_alive {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(self.body.as_bytes());
        bytes
    }
}

/// Throughput and latency of one run.
#[derive(Debug, Clone)]
pub struct LoadResult {
    pub rps: f64,
    pub p50_us: u64,
    pub p99_us: u64,
}

pub struct Load {
    addr: SocketAddr,
    connections: usize,
    request: Request,
}

impl Load {
    pub fn new(addr: SocketAddr, connections: usize, request: Request) -> Load {
        Load {
            addr,
            connections,
            request,
        }
    }

    /// Sends `total` requests over the connections; every answer must be a 200.
    pub async fn run(&self, total: u64) -> Result<LoadResult> {
        let remaining = Arc::new(AtomicU64::new(total));
        let bytes = Arc::new(self.request.bytes(self.addr, true));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..self.connections {
            let (remaining, bytes, addr) = (remaining.clone(), bytes.clone(), self.addr);
            tasks.push(tokio::spawn(async move {
                connection(addr, &bytes, &remaining).await
            }));
        }
        let mut latencies = Vec::with_capacity(total as usize);
        for task in tasks {
            latencies.extend(task.await??);
        }
        let elapsed = started.elapsed().as_secs_f64();
        latencies.sort_unstable();
        let pick = |q: f64| {
            latencies
                .get(((latencies.len() as f64 - 1.0) * q) as usize)
                .copied()
                .unwrap_or(0)
        };
        Ok(LoadResult {
            rps: latencies.len() as f64 / elapsed,
            p50_us: pick(0.5),
            p99_us: pick(0.99),
        })
    }
}

async fn connection(addr: SocketAddr, request: &[u8], remaining: &AtomicU64) -> Result<Vec<u64>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut latencies = Vec::new();
    let mut buffer = Vec::with_capacity(16 * 1024);
    while remaining
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
        .is_ok()
    {
        let sent = Instant::now();
        stream.write_all(request).await?;
        let (status, _) = read_response(&mut stream, &mut buffer).await?;
        latencies.push(sent.elapsed().as_micros() as u64);
        if status != 200 {
            bail!("status {status}");
        }
    }
    Ok(latencies)
}

/// Reads one response (Content-Length framing); returns its status and body.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(u16, Vec<u8>)> {
    buffer.clear();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buffer[..end]).context("head is not text")?;
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .context("no status")?;
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())
                        .flatten()
                })
                .unwrap_or(0);
            while buffer.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    bail!("connection closed mid-body");
                }
                buffer.extend_from_slice(&chunk[..n]);
            }
            return Ok((status, buffer[end + 4..end + 4 + length].to_vec()));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed");
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

/// One request on a fresh connection; the body as text, or an error for a non-2xx.
pub async fn once(addr: SocketAddr, request: &Request) -> Result<String> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&request.bytes(addr, false)).await?;
    let mut buffer = Vec::new();
    let (status, body) = read_response(&mut stream, &mut buffer).await?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if !(200..300).contains(&status) {
        bail!("{} {}: {status} {text}", request.method, request.target);
    }
    Ok(text)
}
