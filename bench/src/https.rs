//! What HTTPS costs a send: the same smsoffice send over plain HTTP and over TLS (smsim's
//! `--tls-listen`, the client trusting smsim's authority), each with keep-alive connections and
//! with a new connection per request, side by side on one smsim.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use smsim_testkit::http1::{parse_reply, read_reply};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{Row, Smsim, free_addr, row};
use crate::load::{LoadResult, Request};

/// Concurrent clients, as in the other throughput rows.
const CONNECTIONS: usize = 16;

/// The four rows: http and https, keep-alive and a connection per request.
pub async fn rows(binary: &std::path::Path, smoke: bool) -> Result<Vec<Row>> {
    let tls_addr = free_addr()?;
    let mut smsim = Smsim::spawn(
        &binary.to_path_buf(),
        &["--tls-listen", &tls_addr.to_string()],
    )?;
    smsim.wait_ready().await?;
    let authority = smsim.admin("GET", "/__admin/tls/ca.pem", "").await?;
    let tls = connector(&authority)?;
    let send = Request::get(
        "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=Hello",
    );
    let (kept, fresh) = if smoke { (200, 50) } else { (100_000, 10_000) };
    // Each run's messages are delivered two seconds later (the default rules): a pause after it
    // keeps those deliveries out of the next run.
    let settle = std::time::Duration::from_secs(if smoke { 0 } else { 3 });
    // A first run fills the message store to its steady state (the oldest evicted as new ones
    // come), which the first measured run would otherwise pay for alone.
    run(smsim.addr, None, &send, true, kept).await?;
    tokio::time::sleep(settle).await;
    let mut rows = Vec::new();
    for (name, keep_alive, total) in [
        ("keep-alive", true, kept),
        ("a new connection per request", false, fresh),
    ] {
        let plain = run(smsim.addr, None, &send, keep_alive, total).await?;
        tokio::time::sleep(settle).await;
        let secure = run(tls_addr, Some(&tls), &send, keep_alive, total).await?;
        tokio::time::sleep(settle).await;
        rows.push(result_row(
            &format!("smsoffice send over http, {name}"),
            &plain,
            None,
        ));
        rows.push(result_row(
            &format!("smsoffice send over https, {name}"),
            &secure,
            Some(&plain),
        ));
    }
    smsim.stop();
    Ok(rows)
}

fn result_row(name: &str, result: &LoadResult, plain: Option<&LoadResult>) -> Row {
    let versus = plain
        .map(|p| format!(", {:.0}% of http", result.rps / p.rps * 100.0))
        .unwrap_or_default();
    row(
        name,
        format!(
            "{:.0} req/s{versus}; p50 {:.2} ms, p99 {:.2} ms",
            result.rps,
            result.p50_us as f64 / 1000.0,
            result.p99_us as f64 / 1000.0
        ),
        "",
        None,
    )
}

/// A TLS client that trusts `authority` (PEM) alone.
fn connector(authority: &str) -> Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(authority.as_bytes()) {
        roots.add(cert.context("the authority's certificate")?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// `total` requests over [`CONNECTIONS`] clients, over TLS when `tls` is given.
async fn run(
    addr: SocketAddr,
    tls: Option<&TlsConnector>,
    request: &Request,
    keep_alive: bool,
    total: u64,
) -> Result<LoadResult> {
    let remaining = Arc::new(AtomicU64::new(total));
    let bytes = Arc::new(request.to_bytes("smsoffice.ge", keep_alive));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (remaining, bytes, tls) = (remaining.clone(), bytes.clone(), tls.cloned());
        tasks.push(tokio::spawn(async move {
            client(addr, tls, &bytes, keep_alive, &remaining).await
        }));
    }
    LoadResult::of(tasks, total, started).await
}

/// One client: requests while any remain, on one connection (keep-alive) or a new one each,
/// timing each from connecting (or sending) to the whole reply.
async fn client(
    addr: SocketAddr,
    tls: Option<TlsConnector>,
    request: &[u8],
    keep_alive: bool,
    remaining: &AtomicU64,
) -> Result<Vec<u64>> {
    let take = || {
        remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    };
    let mut latencies = Vec::new();
    if keep_alive {
        let started = Instant::now();
        let mut stream = open(addr, tls.as_ref()).await?;
        let mut buffer = Vec::with_capacity(16 * 1024);
        let mut first = Some(started);
        while take() {
            let sent = first.take().unwrap_or_else(Instant::now);
            stream.write_all(request).await?;
            let reply = read_reply(&mut stream, &mut buffer).await?;
            latencies.push(sent.elapsed().as_micros() as u64);
            check(reply.status)?;
        }
    } else {
        while take() {
            let sent = Instant::now();
            let mut stream = open(addr, tls.as_ref()).await?;
            stream.write_all(request).await?;
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).await?;
            latencies.push(sent.elapsed().as_micros() as u64);
            check(parse_reply(&bytes)?.status)?;
        }
    }
    Ok(latencies)
}

fn check(status: u16) -> Result<()> {
    if status != 200 {
        bail!("status {status}");
    }
    Ok(())
}

/// A stream to `addr`, with TLS (to `smsoffice.ge`, a name the certificate holds) when `tls`.
async fn open(addr: SocketAddr, tls: Option<&TlsConnector>) -> Result<Box<dyn Stream>> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(match tls {
        Some(tls) => {
            let name = ServerName::try_from("smsoffice.ge")?;
            Box::new(tls.connect(name, stream).await?)
        }
        None => Box::new(stream),
    })
}

/// A connection, plain or TLS.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send> Stream for S {}
