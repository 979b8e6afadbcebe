//! What listeners of `/__admin/events` cost the senders: sequential smsoffice sends on a smsim
//! with idle listeners (connected, never reading) or reading ones, in rounds paired with a twin
//! smsim that has none, throughput and server CPU per send side by side; and the listened
//! server's memory before the listeners came, while they are there, and after they left.

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

/// Time for the server to count the listeners that connected (or notice those that left).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Each accepted message is delivered two seconds later (the default rules): a round waits for
/// its deliveries, so every round measures its own sends and nothing of the round before.
const DELIVERIES: Duration = Duration::from_millis(2_500);

/// One round of sequential sends over one keep-alive connection, then the pause for its
/// deliveries: its throughput, and the server's CPU time per send (deliveries included).
async fn round(smsim: &Smsim, send: &Request, sends: u64, pause: Duration) -> Result<Round> {
    let cpu_before = smsim.cpu_ns()?;
    let load = Load::new(smsim.addr, 1, send.clone()).run(sends).await?;
    tokio::time::sleep(pause).await;
    let cpu_us = (smsim.cpu_ns()? - cpu_before) as f64 / 1000.0 / sends as f64;
    Ok(Round { load, cpu_us })
}

/// A round's throughput and the server's CPU time per send.
struct Round {
    load: LoadResult,
    cpu_us: f64,
}

/// Most rounds sent to fill idle clients' buffers before the measured rounds.
const MAX_FILL_ROUNDS: usize = 10;

/// Bytes waiting in this machine's TCP queues between the server on `port` and its clients,
/// from `/proc/net/tcp`: the server's send queues and the clients' receive queues. It stops
/// growing once every idle client is full.
fn queued_for_clients(port: u16) -> u64 {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return 0;
    };
    let port = format!(":{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let local = fields.nth(1)?;
            let remote = fields.next()?;
            let (sent, received) = fields.nth(1)?.split_once(':')?;
            let queued = if local.ends_with(&port) {
                sent
            } else if remote.ends_with(&port) {
                received
            } else {
                return None;
            };
            u64::from_str_radix(queued, 16).ok()
        })
        .sum()
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// What listeners did to the senders of one server, against a twin server without listeners
/// measured in alternate rounds: the first round as they connect, then the median of the
/// rounds once no more fits their clients' buffers; and the RSS of the server with listeners
/// before they came, while they stayed and after they left.
struct Measured {
    /// The twin's median round (sends per second, CPU µs per send).
    without: (f64, f64),
    /// The first round with listeners, as a ratio of the twin's round beside it.
    first: (f64, f64),
    /// The median over the paired rounds of the ratio with/without listeners, throughput and
    /// CPU per send.
    ratio: (f64, f64),
    rss: [f64; 3],
}

/// `rounds_each` pairs of rounds: sequential sends to a server with `idle` and `reading`
/// listeners, then to its twin without listeners (each round waits for its deliveries, so
/// neither server works while the other is measured). Both keep listeners until they leave
/// (`limits.event_listener_stuck_seconds` raised: the default would cut idle ones off after
/// 10 s, which is what it is for, but not what is measured here) and hold at most 5,000
/// messages, so the warm-up fills their stores and journals and RSS compares like with like.
async fn sends_with(
    binary: &std::path::Path,
    sends: u64,
    rounds_each: usize,
    idle: usize,
    reading: usize,
    smoke: bool,
) -> Result<Measured> {
    // A smoke run only proves the rows are made: no warm-up to speak of, no waiting.
    let (warm_up, pause, max_fill) = if smoke {
        (300, Duration::from_millis(100), 1)
    } else {
        (12_000, DELIVERIES, MAX_FILL_ROUNDS)
    };
    let config =
        std::env::temp_dir().join(format!("smsim-bench-listeners-{}.json", std::process::id()));
    let mut defaults: serde_json::Value = serde_json::from_slice(
        &std::process::Command::new(binary)
            .arg("print-config")
            .output()?
            .stdout,
    )?;
    // Room for every listener of the row: the default cap (256) would refuse most of 2,000.
    defaults["limits"]["max_event_listeners"] = 4096.into();
    defaults["limits"]["event_listener_stuck_seconds"] = 3600.into();
    defaults["limits"]["messages"] = 5000.into();
    std::fs::write(&config, defaults.to_string())?;
    let flags = ["--config", config.to_str().unwrap_or_default()];
    let (heard, send) = warmed_up(binary, &flags, warm_up).await?;
    let (twin, _) = warmed_up(binary, &flags, warm_up).await?;
    tokio::time::sleep(pause).await;
    let before = heard.rss_mb()?;
    let mut listeners = listen(heard.addr, idle, false).await?;
    listeners.extend(listen(heard.addr, reading, true).await?);
    settle().await;
    // The first rounds fill each idle client's socket buffers (about 190 KB each with Linux's
    // default receive buffer); the measured rounds come once nothing more fits.
    let first = round(&heard, &send, sends, pause).await?;
    let first_twin = round(&twin, &send, sends, pause).await?;
    let mut queued = queued_for_clients(heard.addr.port());
    for _ in 0..max_fill {
        round(&heard, &send, sends, pause).await?;
        let now = queued_for_clients(heard.addr.port());
        if now == queued {
            break;
        }
        queued = now;
    }
    let mut pairs = Vec::with_capacity(rounds_each);
    for _ in 0..rounds_each {
        let with = round(&heard, &send, sends, pause).await?;
        let without = round(&twin, &send, sends, pause).await?;
        pairs.push((with, without));
    }
    let during = heard.rss_mb()?;
    for listener in &listeners {
        listener.abort();
    }
    for listener in listeners {
        let _ = listener.await;
    }
    // The server notices closed connections when it next writes to them, and returns their
    // memory at its next look (once a second).
    heard
        .admin("POST", "/__admin/clock/advance", r#"{"seconds": 1}"#)
        .await?;
    settle().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = heard.rss_mb()?;
    heard.stop();
    twin.stop();
    let ratio = |with: &Round, without: &Round| {
        (
            with.load.rps / without.load.rps,
            with.cpu_us / without.cpu_us,
        )
    };
    Ok(Measured {
        without: (
            median(pairs.iter().map(|(_, w)| w.load.rps).collect()),
            median(pairs.iter().map(|(_, w)| w.cpu_us).collect()),
        ),
        first: ratio(&first, &first_twin),
        ratio: (
            median(pairs.iter().map(|(w, o)| ratio(w, o).0).collect()),
            median(pairs.iter().map(|(w, o)| ratio(w, o).1).collect()),
        ),
        rss: [before, during, after],
    })
}

/// A fresh smsim (with `extra` flags) whose demo account can pay for everything, after a warm-up
/// of `warm_up` sequential sends so that the store's growth is not what is measured; the send
/// to repeat.
async fn warmed_up(
    binary: &std::path::Path,
    extra: &[&str],
    warm_up: u64,
) -> Result<(Smsim, Request)> {
    let mut smsim = Smsim::spawn(&binary.to_path_buf(), extra)?;
    smsim.wait_ready().await?;
    smsim.endless_balance("smsoffice/demo-key").await?;
    let send = Request::get(
        "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=benchmark",
    );
    Load::new(smsim.addr, 1, send.clone()).run(warm_up).await?;
    Ok((smsim, send))
}

/// Sequential sends per second with `waiting` requests held on `/__admin/messages/latest?wait=`
/// (each for a destination no send goes to), and the server's memory per waiting request.
async fn sends_with_waiters(
    binary: &std::path::Path,
    sends: u64,
    waiting: usize,
) -> Result<(LoadResult, f64)> {
    let (smsim, send) = warmed_up(binary, &[], sends.min(2_000)).await?;
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

/// The rows: sends per second with 100 and 2,000 idle listeners and with 100 reading ones, each
/// against a twin server without listeners, and the memory of the 2,000-idle run.
pub async fn rows(binary: &std::path::Path, smoke: bool) -> Result<Vec<Row>> {
    let (sends, rounds_each) = if smoke {
        (300, 1)
    } else {
        let sends = std::env::var("SENDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(10_000);
        (sends, 5)
    };
    let mut rows = Vec::new();
    let mut memory = [0.0; 3];
    for (idle, reading) in [(100, 0), (2_000, 0), (0, 100)] {
        let measured = sends_with(binary, sends, rounds_each, idle, reading, smoke).await?;
        let (alone_rps, alone_cpu) = measured.without;
        if alone_rps <= 0.0 {
            bail!("no sends measured");
        }
        let who = if reading > 0 {
            format!("{reading} reading listeners")
        } else {
            format!("{idle} idle listeners")
        };
        rows.push(row(
            format!("{sends} sequential smsoffice sends, no event listener (the twin of the server with {who})"),
            format!("{alone_rps:.0}/s; {alone_cpu:.1} µs of server CPU per send"),
            "",
            None,
        ));
        let figure = |(rps, cpu): (f64, f64)| {
            format!(
                "{:.0}/s ({:+.0}%); {:.1} µs of server CPU per send ({:+.0}%)",
                rps * alone_rps,
                (rps - 1.0) * 100.0,
                cpu * alone_cpu,
                (cpu - 1.0) * 100.0
            )
        };
        rows.push(row(
            format!("  the first {sends} with {who}, as they connect"),
            figure(measured.first),
            "",
            None,
        ));
        let (target, met) = if idle == 2_000 {
            memory = measured.rss;
            ("≤ 10% loss", Some(measured.ratio.0 >= 0.9))
        } else {
            ("", None)
        };
        rows.push(row(
            format!("  then with {who}, once no more fits their buffers (median of {rounds_each} paired rounds)"),
            figure(measured.ratio),
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
