//! A minimal keep-alive HTTP/1.1 load generator: N connections, each sending one prepared request
//! after the other and timing each answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Result, bail};
use smsim_testkit::RequestBytes;
use smsim_testkit::http1::read_reply;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// One request, sent as is on every iteration.
pub type Request = RequestBytes;

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
        let bytes = Arc::new(self.request.to_bytes(&self.addr.to_string(), true));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..self.connections {
            let (remaining, bytes, addr) = (remaining.clone(), bytes.clone(), self.addr);
            tasks.push(tokio::spawn(async move {
                connection(addr, &bytes, &remaining).await
            }));
        }
        LoadResult::of(tasks, total, started).await
    }
}

impl LoadResult {
    /// Gathers the clients' latencies (microseconds) and the run's rate since `started`.
    pub async fn of(
        clients: Vec<tokio::task::JoinHandle<Result<Vec<u64>>>>,
        total: u64,
        started: Instant,
    ) -> Result<LoadResult> {
        let mut latencies = Vec::with_capacity(total as usize);
        for client in clients {
            latencies.extend(client.await??);
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
        let reply = read_reply(&mut stream, &mut buffer).await?;
        latencies.push(sent.elapsed().as_micros() as u64);
        if reply.status != 200 {
            bail!("status {}", reply.status);
        }
    }
    Ok(latencies)
}

/// One request on a fresh connection; the body as text, or an error for a non-2xx.
pub async fn once(addr: SocketAddr, request: &Request) -> Result<String> {
    let reply = request.send(&addr.to_string()).await?;
    let text = reply.text();
    if !(200..300).contains(&reply.status) {
        bail!(
            "{} {}: {} {text}",
            request.method,
            request.target,
            reply.status
        );
    }
    Ok(text)
}
