//! One hostile request at a time (a body of millions of tiny JSON items, or of stray parameters,
//! up to the provider's body limit) against a fresh smsim, while a second client keeps asking for
//! a balance: how much the request raises the server's peak memory, and how long the other
//! client waited at worst.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::{Row, Smsim, row};
use crate::load::{self, Request};

/// The budget of one request: peak RSS growth and the slowest answer to anyone else.
const RSS_BUDGET_MB: f64 = 64.0;
const WAIT_BUDGET_MS: f64 = 50.0;

/// A body of `bytes` bytes at most: `head`, then `item` repeated, then `tail`.
fn filled(head: &str, item: &str, tail: &str, bytes: usize) -> Vec<u8> {
    let room = bytes.saturating_sub(head.len() + tail.len());
    let mut body = String::with_capacity(bytes);
    body.push_str(head);
    body.push_str(&item.repeat(room / item.len()));
    body.push_str(tail);
    body.into_bytes()
}

fn size(bytes: usize) -> String {
    if bytes >= 1_000_000 {
        format!("{:.0} MB", bytes as f64 / 1e6)
    } else {
        format!("{} kB", bytes / 1000)
    }
}

/// The hostile requests, each with its name: getsms bodies of `php` bytes, smsoffice bodies of
/// `iis` bytes (each just under its provider's default limit).
fn requests(php: usize, iis: usize) -> Vec<(String, Request)> {
    let form = "application/x-www-form-urlencoded";
    let (bytes, size, iis_size) = (php, size(php), size(iis));
    // `{},` percent-encoded: 9 bytes an item.
    let items = |path: &str| {
        Request::post(
            path,
            form,
            filled(
                "login=demo&password=demo&nickname=GETSMS&data=%5B",
                "%7B%7D%2C",
                "%7B%7D%5D",
                bytes,
            ),
        )
    };
    vec![
        (
            format!("getsms send, form data of {size} of {{}} items"),
            items("/smsgateway/"),
        ),
        (
            format!("getsms status, form data of {size} of {{}} items"),
            items("/smsgateway/status/"),
        ),
        (
            format!("getsms send, JSON body of {size} of {{}} items"),
            Request::post(
                "/smsgateway/",
                "application/json",
                filled(
                    r#"{"login":"demo","password":"demo","nickname":"GETSMS","data":["#,
                    "{},",
                    "{}]}",
                    bytes,
                ),
            ),
        ),
        (
            format!("getsms send, JSON body of {size} of unknown keys"),
            Request::post(
                "/smsgateway/",
                "application/json",
                filled(
                    r#"{"login":"demo","password":"demo","nickname":"GETSMS","#,
                    r#""k":[{}],"#,
                    r#""data":[]}"#,
                    bytes,
                ),
            ),
        ),
        (
            format!("smsoffice send, {iis_size} of stray parameters"),
            Request::post(
                "/api/v2/send/",
                form,
                filled(
                    "key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hi",
                    "&s=1",
                    "",
                    iis,
                ),
            ),
        ),
    ]
}

/// One row per hostile request, each against its own fresh smsim.
pub async fn rows(binary: &std::path::PathBuf, smoke: bool) -> Result<Vec<Row>> {
    // Just under each provider's default body limit: 8 MiB (PHP), 30 MB (IIS).
    let (php, iis) = if smoke {
        (100_000, 100_000)
    } else {
        (8_000_000, 29_000_000)
    };
    let mut rows = Vec::new();
    for (name, request) in requests(php, iis) {
        let mut smsim = Smsim::spawn(binary, &[])?;
        smsim.wait_ready().await?;
        let (peak_mb, waited) = measure(&smsim, &request).await?;
        smsim.stop();
        rows.push(row(
            name,
            format!(
                "peak RSS +{peak_mb:.1} MB; slowest other request {:.1} ms",
                waited.as_secs_f64() * 1000.0
            ),
            format!("≤ {RSS_BUDGET_MB:.0} MB, ≤ {WAIT_BUDGET_MS:.0} ms"),
            Some(peak_mb <= RSS_BUDGET_MB && waited.as_secs_f64() * 1000.0 <= WAIT_BUDGET_MS),
        ));
    }
    Ok(rows)
}

/// Sends `request` once while a prober asks for a balance over and over; returns the growth of
/// the server's peak RSS and the prober's slowest answer.
async fn measure(smsim: &Smsim, request: &Request) -> Result<(f64, Duration)> {
    let pid = smsim.child.id();
    // Writing 5 resets the peak (VmHWM) to the current RSS.
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").context("resetting VmHWM")?;
    let before = smsim.rss_mb()?;
    let stop = Arc::new(AtomicBool::new(false));
    let slowest = Arc::new(AtomicU64::new(0));
    let addr = smsim.addr;
    let prober = {
        let (stop, slowest) = (stop.clone(), slowest.clone());
        tokio::spawn(async move {
            let probe = Request::get("/api/getBalance?key=demo-key");
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                load::once(addr, &probe).await?;
                let micros = started.elapsed().as_micros() as u64;
                slowest.fetch_max(micros, Ordering::Relaxed);
            }
            anyhow::Ok(())
        })
    };
    // Whatever it answers (an error body, a refusal): only its cost to others counts here.
    let _ = request.send(&addr.to_string()).await;
    stop.store(true, Ordering::Relaxed);
    prober.await??;
    let peak = peak_mb(pid)?;
    Ok((
        (peak - before).max(0.0),
        Duration::from_micros(slowest.load(Ordering::Relaxed)),
    ))
}

fn peak_mb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .context("no VmHWM")?;
    Ok(kb / 1024.0)
}
