//! What listeners of `/__admin/events` cost the senders: sequential smsoffice sends per second on
//! a fresh smsim with no listener, with idle listeners (connected, never reading), and with
//! listeners that read everything, side by side; and the server's memory before the listeners
//! came, while they are there, and after they left.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Row, Smsim, row};
use crate::load::{Load, LoadResult, Request};

/// Opens `count` event streams; each reads what comes (`reading`) or never reads a byte.
async fn listen(
    addr: SocketAddr,
    count: usize,
    reading: bool,
) -> Result<Vec<tokio::task::JoinHandle<()>>> {
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /__admin/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
            .await?;
        listeners.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            if reading {
                while let Ok(n) = stream.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                }
            } else {
                // Held open and never read until the task is aborted.
                std::future::pending::<()>().await;
                drop(stream);
            }
        }));
    }
    Ok(listeners)
}

/// The number of listeners the server counts (its `/__admin/events` connections that stay).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Sequential sends over one keep-alive connection, with `idle` and `reading` listeners.
async fn sends_with(
    binary: &std::path::Path,
    sends: u64,
    idle: usize,
    reading: usize,
) -> Result<(LoadResult, LoadResult, [f64; 3])> {
    // Room for every listener of the row: the default cap (256) would refuse most of 2,000.
    let config =
        std::env::temp_dir().join(format!("smsim-bench-listeners-{}.json", std::process::id()));
    let mut defaults: serde_json::Value = serde_json::from_slice(
        &std::process::Command::new(binary)
            .arg("print-config")
            .output()?
            .stdout,
    )?;
    defaults["limits"]["max_event_listeners"] = 4096.into();
    std::fs::write(&config, defaults.to_string())?;
    let (smsim, send) = warmed_up(
        binary,
        &["--config", config.to_str().unwrap_or_default()],
        sends,
    )
    .await?;
    let before = smsim.rss_mb()?;
    let mut listeners = listen(smsim.addr, idle, false).await?;
    listeners.extend(listen(smsim.addr, reading, true).await?);
    settle().await;
    let first = Load::new(smsim.addr, 1, send.clone()).run(sends).await?;
    // Once each idle client's socket buffers are full, what a send costs from then on.
    let then = Load::new(smsim.addr, 1, send).run(sends).await?;
    let during = smsim.rss_mb()?;
    for listener in &listeners {
        listener.abort();
    }
    for listener in listeners {
        let _ = listener.await;
    }
    // The server notices closed connections when it next writes to them.
    smsim
        .admin("POST", "/__admin/clock/advance", r#"{"seconds": 1}"#)
        .await?;
    settle().await;
    let after = smsim.rss_mb()?;
    smsim.stop();
    Ok((first, then, [before, during, after]))
}

/// A fresh smsim (with `extra` flags) whose demo account can pay for everything, after a warm-up
/// of sequential sends so that the store's growth is not what is measured; the send to repeat.
async fn warmed_up(
    binary: &std::path::Path,
    extra: &[&str],
    sends: u64,
) -> Result<(Smsim, Request)> {
    let mut smsim = Smsim::spawn(&binary.to_path_buf(), extra)?;
    smsim.wait_ready().await?;
    smsim.endless_balance("smsoffice/demo-key").await?;
    let send = Request::get(
        "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=benchmark",
    );
    Load::new(smsim.addr, 1, send.clone())
        .run(sends.min(2_000))
        .await?;
    Ok((smsim, send))
}

/// Sequential sends per second with `waiting` requests held on `/__admin/messages/latest?wait=`
/// (each for a destination no send goes to), and the server's memory per waiting request.
async fn sends_with_waiters(
    binary: &std::path::Path,
    sends: u64,
    waiting: usize,
) -> Result<(LoadResult, f64)> {
    let (smsim, send) = warmed_up(binary, &[], sends).await?;
    let before = smsim.rss_mb()?;
    let mut held = Vec::with_capacity(waiting);
    for i in 0..waiting {
        let mut stream = TcpStream::connect(smsim.addr).await?;
        let head = format!(
            "GET /__admin/messages/latest?destination=99557799{i:04}&wait=60s HTTP/1.1\r\nHost: localhost\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await?;
        held.push(stream);
    }
    settle().await;
    let per_waiter_kb = if waiting > 0 {
        (smsim.rss_mb()? - before) * 1024.0 / waiting as f64
    } else {
        0.0
    };
    let result = Load::new(smsim.addr, 1, send).run(sends).await?;
    drop(held);
    smsim.stop();
    Ok((result, per_waiter_kb))
}

/// The rows: sends per second with 0, 100 and 2,000 idle listeners and with 100 reading ones,
/// and the memory of the 2,000-idle run.
pub async fn rows(binary: &std::path::Path, smoke: bool) -> Result<Vec<Row>> {
    let sends = if smoke {
        300
    } else {
        std::env::var("SENDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_000)
    };
    let (alone, _, _) = sends_with(binary, sends, 0, 0).await?;
    if alone.rps <= 0.0 {
        bail!("no sends measured");
    }
    let mut rows = vec![row(
        format!("{sends} sequential smsoffice sends, no event listener"),
        format!(
            "{:.0}/s; p99 {:.2} ms",
            alone.rps,
            alone.p99_us as f64 / 1000.0
        ),
        "",
        None,
    )];
    let mut memory = [0.0; 3];
    for (idle, reading) in [(100, 0), (2_000, 0), (0, 100)] {
        let (first, then, rss) = sends_with(binary, sends, idle, reading).await?;
        let who = if reading > 0 {
            format!("{reading} reading listeners")
        } else {
            format!("{idle} idle listeners")
        };
        let figure = |result: &LoadResult| {
            format!(
                "{:.0}/s ({:+.0}%); p99 {:.2} ms",
                result.rps,
                (result.rps / alone.rps - 1.0) * 100.0,
                result.p99_us as f64 / 1000.0
            )
        };
        rows.push(row(
            format!("  the same with {who}, as they connect"),
            figure(&first),
            "",
            None,
        ));
        let (target, met) = if idle == 2_000 {
            memory = rss;
            ("≤ 10% loss", Some(then.rps >= 0.9 * alone.rps))
        } else {
            ("", None)
        };
        rows.push(row(
            format!("  the next {sends} sends with {who}"),
            figure(&then),
            target,
            met,
        ));
    }
    let (none, _) = sends_with_waiters(binary, sends, 0).await?;
    let (waited, per_waiter) = sends_with_waiters(binary, sends, 1_000).await?;
    rows.push(row(
        format!("{sends} sequential sends, nobody waiting on messages/latest"),
        format!(
            "{:.0}/s; p99 {:.2} ms",
            none.rps,
            none.p99_us as f64 / 1000.0
        ),
        "",
        None,
    ));
    rows.push(row(
        "  the same with 1,000 requests waiting (other destinations)",
        format!(
            "{:.0}/s ({:+.0}%); {per_waiter:.1} KB of RSS per waiting request",
            waited.rps,
            (waited.rps / none.rps - 1.0) * 100.0
        ),
        "no loss beyond noise; a few KB each",
        None,
    ));
    let [before, during, after] = memory;
    rows.push(row(
        "  RSS before, with and after 2,000 idle listeners",
        format!("{before:.1} / {during:.1} / {after:.1} MB"),
        "after ≤ before + 5 MB",
        Some(after <= before + 5.0),
    ));
    Ok(rows)
}
