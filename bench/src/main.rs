//! `smsim-bench`: starts a release smsim and a minimal hyper server (the ceiling) as child
//! processes and measures, on loopback: throughput and latency per endpoint, startup time, memory
//! idle and after a million requests, callbacks per second, and the time to advance the clock over
//! 100,000 due messages, and what one hostile request costs everyone else. `--smoke` runs a few hundred requests of each, only to keep it working.

mod defaults;
mod hostile;
mod https;
mod listeners;
mod load;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use load::{Load, LoadResult, Request};
use smsim_testkit::encode;

#[derive(Debug, Parser)]
#[command(name = "smsim-bench", about)]
struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// A few hundred requests per measurement: proves the benchmark works, measures nothing.
    #[arg(long)]
    smoke: bool,
    /// The smsim binary to measure.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/smsim"))]
    smsim: PathBuf,
    /// Concurrent keep-alive connections of the load generator.
    #[arg(long, default_value_t = 16)]
    connections: usize,
    /// Requests per throughput measurement.
    #[arg(long, default_value_t = 200_000)]
    requests: u64,
    /// Paired rounds of ceiling and smsoffice send; the table shows the median round, so a burst
    /// of load from elsewhere on a shared machine does not decide the ratio.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

#[derive(Debug, Subcommand)]
enum Sub {
    /// The ceiling: a minimal hyper server answering one fixed body (run as a child process).
    Ceiling {
        #[arg(long)]
        listen: SocketAddr,
    },
    /// Load only: sends one request to a running server over keep-alive connections and prints
    /// requests/s and latency (for profiling one endpoint with perf attached to the server).
    Load {
        /// The server's address.
        #[arg(long)]
        addr: SocketAddr,
        /// Origin-form target, e.g. `/api/getBalance?key=demo-key`.
        #[arg(long)]
        target: String,
        /// POST this `application/x-www-form-urlencoded` body instead of a GET.
        #[arg(long)]
        form: Option<String>,
    },
    /// Only the rows of what event listeners cost the senders.
    Listeners,
    /// Only the rows of what HTTPS costs a send.
    Https,
    /// Only the rows of what one hostile request costs the server's memory and other clients.
    Hostile,
    /// Only the rows of the send with the default flags, with logging off, the ceiling and
    /// httpmock, side by side.
    Defaults,
    /// httpmock's static stub of the smsoffice send (run as a child process): prints its
    /// address, then serves until killed.
    Httpmock,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    match args.command {
        Some(Sub::Ceiling { listen }) => ceiling(listen),
        Some(Sub::Load {
            addr,
            ref target,
            ref form,
        }) => {
            let request = match form {
                Some(body) => {
                    Request::post(target, "application/x-www-form-urlencoded", body.clone())
                }
                None => Request::get(target),
            };
            let load = Load::new(addr, args.connections, request);
            let result = runtime()?.block_on(load.run(args.requests))?;
            println!("{}", throughput_row(target, &result, None).value);
            Ok(())
        }
        Some(Sub::Listeners) => runtime()?.block_on(async {
            let rows = listeners::rows(&args.smsim, args.smoke).await?;
            print_table(&rows, args.smoke);
            Ok(())
        }),
        Some(Sub::Httpmock) => runtime()?.block_on(defaults::serve_httpmock()),
        Some(Sub::Defaults) => runtime()?.block_on(async {
            let sizes = Sizes::of(&args);
            let ceiling = Ceiling::start().await?;
            let rows = defaults::rows(&args, &sizes, ceiling.addr).await?;
            print_table(&rows, args.smoke);
            Ok(())
        }),
        Some(Sub::Https) => runtime()?.block_on(async {
            let rows = https::rows(&args.smsim, args.smoke).await?;
            print_table(&rows, args.smoke);
            Ok(())
        }),
        Some(Sub::Hostile) => runtime()?.block_on(async {
            let rows = hostile::rows(&args.smsim, args.smoke).await?;
            print_table(&rows, args.smoke);
            Ok(())
        }),
        None => runtime()?.block_on(run(args)),
    }
}

/// Every message delivered one second after hand-over (no magic numbers in the way).
const DELIVER_ALL: &str =
    r#"[{"destination": {"prefix": "995"}, "outcome": "delivered", "delay_seconds": 1}]"#;

/// One figure of the results table.
struct Row {
    metric: String,
    value: String,
    target: String,
    met: Option<bool>,
}

fn row(
    metric: impl Into<String>,
    value: impl Into<String>,
    target: impl Into<String>,
    met: Option<bool>,
) -> Row {
    Row {
        metric: metric.into(),
        value: value.into(),
        target: target.into(),
        met,
    }
}

/// The sizes of one benchmark run.
struct Sizes {
    /// Requests per throughput run.
    requests: u64,
    /// Requests in all before the memory row.
    million: u64,
    /// Paired ceiling/send rounds.
    rounds: usize,
}

impl Sizes {
    fn of(args: &Args) -> Sizes {
        Sizes {
            requests: if args.smoke { 300 } else { args.requests },
            million: if args.smoke { 1_600 } else { 1_000_000 },
            rounds: if args.smoke { 1 } else { args.rounds.max(1) },
        }
    }
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The ceiling: same client, same machine, one fixed body, served by this binary's `ceiling`
/// command in a child process until dropped.
struct Ceiling {
    _process: Killed,
    addr: SocketAddr,
}

impl Ceiling {
    async fn start() -> Result<Ceiling> {
        let addr = free_addr()?;
        let process = Killed(
            Command::new(std::env::current_exe()?)
                .args(["ceiling", "--listen", &addr.to_string()])
                .spawn()?,
        );
        wait_ready(addr, "/").await?;
        Ok(Ceiling {
            _process: process,
            addr,
        })
    }
}

async fn run(args: Args) -> Result<()> {
    let sizes = Sizes::of(&args);
    let ceiling = Ceiling::start().await?;
    let mut rows = throughput_rows(&args, &sizes, ceiling.addr).await?;
    rows.extend(defaults::rows(&args, &sizes, ceiling.addr).await?);
    drop(ceiling);
    rows.extend(time_rows(&args).await?);
    rows.extend(https::rows(&args.smsim, args.smoke).await?);
    rows.extend(listeners::rows(&args.smsim, args.smoke).await?);
    rows.extend(hostile::rows(&args.smsim, args.smoke).await?);
    print_table(&rows, args.smoke);
    Ok(())
}

/// Start-up, idle memory, every endpoint's throughput against the ceiling, and memory after a
/// million requests, all on one smsim with the default configuration.
async fn throughput_rows(args: &Args, sizes: &Sizes, ceiling_addr: SocketAddr) -> Result<Vec<Row>> {
    let requests = sizes.requests;
    let mut rows = Vec::new();
    let mut smsim = Smsim::spawn(&args.smsim, &[])?;
    let startup = smsim.wait_ready().await?;
    let startup_ms = startup.as_secs_f64() * 1000.0;
    rows.push(row(
        "startup to first answered request",
        format!("{startup_ms:.1} ms"),
        "≤ 50 ms",
        Some(startup_ms <= 50.0),
    ));
    let idle = smsim.rss_mb()?;
    rows.push(row(
        "RSS idle",
        format!("{idle:.1} MB"),
        "≤ 15 MB",
        Some(idle <= 15.0),
    ));
    for account in ["smsoffice/demo-key", "smsco/demo", "getsms/demo"] {
        smsim.endless_balance(account).await?;
    }

    let send = Request::get(
        "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=benchmark",
    );
    // The ceiling's row heads the table.
    let mut paired = paired_send_rows(args, sizes, ceiling_addr, &smsim, &send)
        .await?
        .into_iter();
    rows.splice(0..0, paired.next());
    rows.extend(paired);

    // The other endpoints: one ceiling run right before each, for a ratio from the same moment.
    let smsco = Request::get(
        "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995555123456&message=benchmark",
    );
    let items: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"phone":"99890123456{i}","text":"benchmark"}}"#))
        .collect();
    let body = format!(
        "login=demo&password=demo&nickname=GETSMS&data={}",
        encode(&format!("[{}]", items.join(",")))
    );
    let getsms = Request::post("/smsgateway/", "application/x-www-form-urlencoded", body);
    let balance = Request::get("/api/getBalance?key=demo-key");
    let ceiling_load = Load::new(ceiling_addr, args.connections, Request::get("/"));
    for (name, request, count) in [
        ("smsco send", smsco, requests),
        ("getsms send, 10 items", getsms, requests / 4),
        ("smsoffice getBalance", balance, requests),
    ] {
        let ceiling_now = ceiling_load.run(requests).await?;
        let result = Load::new(smsim.addr, args.connections, request)
            .run(count)
            .await?;
        rows.push(throughput_row(name, &result, Some(&ceiling_now)));
    }

    // A million requests in all (sends, which fill the journal and the message store to their bounds).
    let done = sizes.rounds as u64 * requests + 2 * requests + requests / 4;
    Load::new(smsim.addr, args.connections, send)
        .run(sizes.million.saturating_sub(done))
        .await?;
    rows.push(memory_row(&smsim, done.max(sizes.million)).await?);
    smsim.stop();
    Ok(rows)
}

/// Memory after `total` requests, with what the bounds evicted.
async fn memory_row(smsim: &Smsim, total: u64) -> Result<Row> {
    let loaded = smsim.rss_mb()?;
    let journal: serde_json::Value = serde_json::from_str(
        &smsim
            .admin("GET", "/__admin/requests?provider=getsms", "")
            .await?,
    )?;
    let messages: serde_json::Value = serde_json::from_str(
        &smsim
            .admin("GET", "/__admin/messages?provider=getsms", "")
            .await?,
    )?;
    Ok(row(
        format!("RSS after {total} requests"),
        format!(
            "{loaded:.1} MB (journal evicted {}, messages evicted {})",
            journal["evicted"], messages["evicted"]
        ),
        "≤ 150 MB",
        Some(loaded <= 150.0),
    ))
}

/// The ceiling and an accepted smsoffice send measured back to back, round after round, so each
/// ratio compares two runs that saw the same machine; the median round is reported.
async fn paired_send_rows(
    args: &Args,
    sizes: &Sizes,
    ceiling_addr: SocketAddr,
    smsim: &Smsim,
    send: &Request,
) -> Result<Vec<Row>> {
    let rounds = sizes.rounds;
    let mut paired = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let ceiling_run = Load::new(ceiling_addr, args.connections, Request::get("/"))
            .run(sizes.requests)
            .await?;
        let send_run = Load::new(smsim.addr, args.connections, send.clone())
            .run(sizes.requests)
            .await?;
        paired.push((ceiling_run, send_run));
    }
    paired.sort_by(|a, b| (a.1.rps / a.0.rps).total_cmp(&(b.1.rps / b.0.rps)));
    let (ceiling_result, result) = paired.swap_remove(paired.len() / 2);
    let ratio = result.rps / ceiling_result.rps;
    let median_of = if rounds > 1 {
        format!(" (median of {rounds} paired rounds)")
    } else {
        String::new()
    };
    let p99_ms = result.p99_us as f64 / 1000.0;
    Ok(vec![
        throughput_row(
            &format!("ceiling: minimal hyper server, fixed body{median_of}"),
            &ceiling_result,
            None,
        ),
        throughput_row(
            &format!("smsoffice send, accepted{median_of}"),
            &result,
            Some(&ceiling_result),
        ),
        row(
            "  smsoffice send throughput / ceiling",
            format!("{:.0}%", ratio * 100.0),
            "≥ 70%",
            Some(ratio >= 0.7),
        ),
        row(
            "  smsoffice send p99",
            format!("{p99_ms:.2} ms"),
            "≤ 2 ms",
            Some(p99_ms <= 2.0),
        ),
    ])
}

/// Callbacks per second, and one advance over many due messages, on a manual clock.
async fn time_rows(args: &Args) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    // Callbacks per second: messages with a reference, one advance.
    let receiver = Receiver::start()?;
    let mut smsim = Smsim::spawn(
        &args.smsim,
        &["--clock", "manual", "--callback-url", &receiver.url()],
    )?;
    smsim.wait_ready().await?;
    deliver_everything(&smsim).await?;
    let callbacks = if args.smoke { 500 } else { 20_000 };
    send_batches(&smsim, callbacks, true).await?;
    let elapsed = timed_advance(&smsim, 2).await?;
    let received = receiver.count();
    if received < callbacks {
        bail!("only {received} of {callbacks} callbacks arrived");
    }
    let per_second = callbacks as f64 / elapsed.as_secs_f64();
    rows.push(row(
        "callbacks to a local receiver",
        format!(
            "{per_second:.0}/s ({callbacks} in {:.0} ms)",
            elapsed.as_secs_f64() * 1000.0
        ),
        "≥ 10,000/s",
        Some(per_second >= 10_000.0),
    ));

    // Advancing the clock over 100,000 due messages (no callbacks: no reference).
    smsim.admin("POST", "/__admin/reset", "").await?;
    deliver_everything(&smsim).await?;
    let due = if args.smoke { 1_000 } else { 100_000 };
    send_batches(&smsim, due, false).await?;
    let elapsed = timed_advance(&smsim, 3).await?.as_secs_f64();
    let delivered: serde_json::Value = serde_json::from_str(
        &smsim
            .admin("GET", "/__admin/messages?status=delivered", "")
            .await?,
    )?;
    if delivered["count"].as_u64() != Some(due) {
        bail!("{} of {due} messages delivered", delivered["count"]);
    }
    rows.push(row(
        format!("advance over {due} due messages"),
        format!("{:.0} ms", elapsed * 1000.0),
        "≤ 1 s",
        Some(elapsed <= 1.0),
    ));
    smsim.stop();
    Ok(rows)
}

fn throughput_row(name: &str, result: &LoadResult, ceiling: Option<&LoadResult>) -> Row {
    let ratio = ceiling
        .map(|c| format!(", {:.0}% of ceiling", result.rps / c.rps * 100.0))
        .unwrap_or_default();
    row(
        name,
        format!(
            "{:.0} req/s{ratio}; p50 {:.2} ms, p99 {:.2} ms",
            result.rps,
            result.p50_us as f64 / 1000.0,
            result.p99_us as f64 / 1000.0
        ),
        "",
        None,
    )
}

fn print_table(rows: &[Row], smoke: bool) {
    if smoke {
        println!("smoke run: the figures below prove the benchmark works; they measure nothing");
    }
    println!("| measurement | result | target | met |");
    println!("|---|---|---|---|");
    for r in rows {
        // A smoke run's figures come from a few hundred requests on a debug build: no target is
        // judged by them.
        let met = match (r.met, smoke) {
            (Some(_), true) => "not measured (smoke)",
            (Some(true), false) => "yes",
            (Some(false), false) => "**no**",
            (None, _) => "",
        };
        println!("| {} | {} | {} | {met} |", r.metric, r.value, r.target);
    }
}

/// A high demo balance, no stop list, and every message delivered one second after hand-over.
async fn deliver_everything(smsim: &Smsim) -> Result<()> {
    smsim
        .admin(
            "PATCH",
            "/__admin/accounts/smsoffice/demo-key",
            r#"{"balance": 1000000000000, "stop_list": []}"#,
        )
        .await?;
    smsim.admin("PUT", "/__admin/rules", DELIVER_ALL).await?;
    Ok(())
}

/// How long one `clock/advance` by `seconds` takes (it returns once everything due has fired).
async fn timed_advance(smsim: &Smsim, seconds: u32) -> Result<Duration> {
    let started = Instant::now();
    smsim
        .admin(
            "POST",
            "/__admin/clock/advance",
            &format!(r#"{{"seconds": {seconds}}}"#),
        )
        .await?;
    Ok(started.elapsed())
}

/// Sends `count` smsoffice messages, 1,000 destinations per request.
async fn send_batches(smsim: &Smsim, count: u64, with_reference: bool) -> Result<()> {
    let mut sent = 0;
    while sent < count {
        let n = (count - sent).min(1000);
        let numbers: Vec<String> = (sent..sent + n)
            .map(|i| format!("9955{:08}", 10_000_000 + i))
            .collect();
        let reference = if with_reference {
            "&reference=bench"
        } else {
            ""
        };
        let body = format!(
            "key=demo-key&sender=SMSOFFICE&content=hi{reference}&destination={}",
            numbers.join(",")
        );
        let reply = load::once(
            smsim.addr,
            &Request::post("/api/v2/send/", "application/x-www-form-urlencoded", body),
        )
        .await?;
        if !reply.contains("\"ErrorCode\":0") {
            bail!("batch send refused: {reply}");
        }
        sent += n;
    }
    Ok(())
}

fn free_addr() -> Result<SocketAddr> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// Polls until `path` answers: this is what "ready" means to a client.
async fn wait_ready(addr: SocketAddr, path: &str) -> Result<Duration> {
    let started = Instant::now();
    loop {
        if load::once(addr, &Request::get(path)).await.is_ok() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(10) {
            bail!("{addr} not ready after 10 s");
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

/// A smsim child process.
struct Smsim {
    child: Child,
    addr: SocketAddr,
    spawned: Instant,
}

impl Smsim {
    /// smsim with its request log off (`SMSIM_LOG_FILTER=warn`), the way most rows measure it.
    fn spawn(binary: &PathBuf, extra: &[&str]) -> Result<Smsim> {
        Smsim::spawn_with(binary, extra, false)
    }

    /// smsim with `extra` flags; with `logging`, its default log (a line per request) written
    /// to a discarded stderr, as a CI job's log file would take it.
    fn spawn_with(binary: &PathBuf, extra: &[&str], logging: bool) -> Result<Smsim> {
        let addr = free_addr()?;
        let spawned = Instant::now();
        let mut command = Command::new(binary);
        command
            .args(["serve", "--listen", &addr.to_string(), "--seed", "1"])
            .args(extra)
            .stdout(Stdio::null());
        if logging {
            command.env_remove("SMSIM_LOG_FILTER").stderr(Stdio::null());
        } else {
            command.env("SMSIM_LOG_FILTER", "warn");
        }
        let child = command.spawn().with_context(|| {
            format!(
                "cannot start {} (build it with cargo build --release -p smsim)",
                binary.display()
            )
        })?;
        Ok(Smsim {
            child,
            addr,
            spawned,
        })
    }

    /// Time from spawn to the first answered request.
    async fn wait_ready(&mut self) -> Result<Duration> {
        wait_ready(self.addr, "/__admin/health").await?;
        Ok(self.spawned.elapsed())
    }

    fn rss_mb(&self) -> Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")?;
        Ok(kb / 1024.0)
    }

    /// CPU time the server's threads have used so far, in nanoseconds (the first field of each
    /// thread's `/proc/.../schedstat`: nanosecond resolution, where `/proc/.../stat` counts ticks).
    fn cpu_ns(&self) -> Result<u64> {
        let mut total = 0;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.child.id()))? {
            let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
            total += stat
                .split_whitespace()
                .next()
                .and_then(|ns| ns.parse::<u64>().ok())
                .context("no schedstat")?;
        }
        Ok(total)
    }

    /// Gives `account` (`provider/id`) a balance no run exhausts.
    async fn endless_balance(&self, account: &str) -> Result<()> {
        let path = format!("/__admin/accounts/{account}");
        self.admin("PATCH", &path, r#"{"balance": 1000000000000}"#)
            .await
            .map(drop)
    }

    async fn admin(&self, method: &str, path: &str, body: &str) -> Result<String> {
        let request = Request::new(method, path)
            .header("Content-Type", "application/json")
            .body(body);
        load::once(self.addr, &request).await
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Smsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// A callback receiver answering `OK`, on its own thread so it never competes with the client.
struct Receiver {
    addr: SocketAddr,
    count: Arc<AtomicU64>,
}

impl Receiver {
    fn start() -> Result<Receiver> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let count = Arc::new(AtomicU64::new(0));
        let counter = count.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(serve_fixed(listener, "OK", Some(counter)));
        });
        Ok(Receiver { addr, count })
    }

    fn url(&self) -> String {
        format!("http://{}/callback", self.addr)
    }

    fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

/// Serves one fixed body to every request with hyper, counting requests if asked.
async fn serve_fixed(
    listener: std::net::TcpListener,
    body: &'static str,
    counter: Option<Arc<AtomicU64>>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let counter = counter.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |_request| {
                if let Some(c) = &counter {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                async move {
                    Ok::<_, std::convert::Infallible>(hyper::Response::new(
                        http_body_util::Full::new(bytes::Bytes::from_static(body.as_bytes())),
                    ))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The ceiling process: hyper on a multi-threaded runtime, like smsim.
fn ceiling(listen: SocketAddr) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = std::net::TcpListener::bind(listen)?;
    listener.set_nonblocking(true)?;
    runtime.block_on(serve_fixed(listener, "1000", None));
    Ok(())
}
