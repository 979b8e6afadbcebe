//! The smsoffice send as a user runs it (default flags: one log line per request) and with
//! logging off, side by side with the ceiling and with httpmock's static stub of the same
//! endpoint, in paired rounds: what the log line costs, and where smsim stands against a bare
//! server and a general-purpose mock that does none of its work.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use std::time::Duration;

use anyhow::{Context, Result};

use super::{Args, Killed, Row, Sizes, Smsim, row};
use crate::load::{Load, LoadResult, Request};

/// The body smsoffice answers an accepted send with (what the stub serves).
const ACCEPTED: &str = r#"{"Success":true,"Message":"The request has been successfully received by our system.","Output":null,"ErrorCode":0}"#;

const SEND: &str =
    "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=benchmark";

/// Serves httpmock's stub of the send until killed; its address goes to stdout first.
pub async fn serve_httpmock() -> Result<()> {
    let server = httpmock::MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(httpmock::Method::GET).path("/api/v2/send/");
            then.status(200)
                .header("content-type", "application/json; charset=utf-8")
                .body(ACCEPTED);
        })
        .await;
    println!("{}", server.address());
    std::future::pending::<()>().await;
    Ok(())
}

/// The runs of one round, each against the ceiling run just before it.
struct Round {
    ceiling: LoadResult,
    logged: LoadResult,
    quiet: LoadResult,
    stub: LoadResult,
    /// Server CPU time per send (all its threads), with the default flags and with logging off.
    logged_cpu: Duration,
    quiet_cpu: Duration,
}

/// One smsim run of `requests` sends: its result and the server's CPU time per send.
async fn measured(smsim: &Smsim, load: &Load, requests: u64) -> Result<(LoadResult, Duration)> {
    let before = smsim.cpu_ns()?;
    let result = load.run(requests).await?;
    let used = smsim.cpu_ns()?.saturating_sub(before);
    Ok((result, Duration::from_nanos(used / requests.max(1))))
}

/// The rows: each server's median round, the log line's cost, the ratios the goals name.
pub async fn rows(args: &Args, sizes: &Sizes, ceiling_addr: SocketAddr) -> Result<Vec<Row>> {
    let mut stub_process = Command::new(std::env::current_exe()?)
        .arg("httpmock")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut first_line = String::new();
    BufReader::new(stub_process.stdout.take().context("httpmock's stdout")?)
        .read_line(&mut first_line)?;
    let _stub = Killed(stub_process);
    let stub_addr: SocketAddr = first_line.trim().parse().context("httpmock's address")?;

    let mut logged = Smsim::spawn_with(&args.smsim, &[], true)?;
    let mut quiet = Smsim::spawn(&args.smsim, &[])?;
    for smsim in [&mut logged, &mut quiet] {
        smsim.wait_ready().await?;
        smsim.endless_balance("smsoffice/demo-key").await?;
    }
    let load = |addr| Load::new(addr, args.connections, Request::get(SEND));
    let ceiling_load = Load::new(ceiling_addr, args.connections, Request::get("/"));
    let mut rounds = Vec::with_capacity(sizes.rounds);
    // Each accepted message is delivered two seconds later (the default rules): a pause after
    // each smsim run lets those deliveries finish before the next run, which they would
    // otherwise slow on a machine with few cores.
    let settle = if args.smoke { 0 } else { 3 };
    let pause = || tokio::time::sleep(std::time::Duration::from_secs(settle));
    let (logged_load, quiet_load) = (load(logged.addr), load(quiet.addr));
    for round in 0..sizes.rounds {
        let ceiling = ceiling_load.run(sizes.requests).await?;
        // Which of the two runs first alternates, so neither always follows the ceiling's run.
        let ((logged_run, logged_cpu), (quiet_run, quiet_cpu)) = if round % 2 == 0 {
            let logged_run = measured(&logged, &logged_load, sizes.requests).await?;
            pause().await;
            let quiet_run = measured(&quiet, &quiet_load, sizes.requests).await?;
            (logged_run, quiet_run)
        } else {
            let quiet_run = measured(&quiet, &quiet_load, sizes.requests).await?;
            pause().await;
            let logged_run = measured(&logged, &logged_load, sizes.requests).await?;
            (logged_run, quiet_run)
        };
        pause().await;
        rounds.push(Round {
            ceiling,
            logged: logged_run,
            quiet: quiet_run,
            stub: load(stub_addr).run(sizes.requests).await?,
            logged_cpu,
            quiet_cpu,
        });
    }
    logged.stop();
    quiet.stop();

    // Each figure is the median of its rounds' ratios, so one disturbed round decides nothing.
    let median = |ratio: &dyn Fn(&Round) -> f64| {
        let mut ratios: Vec<f64> = rounds.iter().map(ratio).collect();
        ratios.sort_by(f64::total_cmp);
        ratios[ratios.len() / 2]
    };
    let logged_to_ceiling = median(&|r| r.logged.rps / r.ceiling.rps);
    let quiet_to_ceiling = median(&|r| r.quiet.rps / r.ceiling.rps);
    let stub_to_ceiling = median(&|r| r.stub.rps / r.ceiling.rps);
    let logged_to_stub = median(&|r| r.logged.rps / r.stub.rps);
    let quiet_to_stub = median(&|r| r.quiet.rps / r.stub.rps);
    let log_cost = median(&|r| 1.0 - r.logged.rps / r.quiet.rps);
    let log_cpu_cost = median(&|r| r.logged_cpu.as_secs_f64() / r.quiet_cpu.as_secs_f64() - 1.0);
    let micros = |cpu: &dyn Fn(&Round) -> Duration| median(&|r| cpu(r).as_secs_f64() * 1e6);
    let (logged_cpu, quiet_cpu) = (micros(&|r| r.logged_cpu), micros(&|r| r.quiet_cpu));
    let ceiling_rps = median(&|r| r.ceiling.rps);
    let figure = |rps_ratio: f64, stub_ratio: Option<f64>| {
        let versus = stub_ratio
            .map(|s| format!(", {s:.2}× httpmock"))
            .unwrap_or_default();
        format!(
            "{:.0} req/s, {:.0}% of ceiling{versus}",
            rps_ratio * ceiling_rps,
            rps_ratio * 100.0
        )
    };
    let rounds_note = format!("median of {} rounds", sizes.rounds);
    Ok(vec![
        row(
            format!(
                "smsoffice send, default flags (a log line per request, at most 1,000 a second; \
                 {rounds_note})"
            ),
            format!(
                "{}; {logged_cpu:.1} µs of server CPU per send",
                figure(logged_to_ceiling, Some(logged_to_stub))
            ),
            "",
            None,
        ),
        row(
            "smsoffice send, logging off (SMSIM_LOG_FILTER=warn)",
            format!(
                "{}; {quiet_cpu:.1} µs of server CPU per send",
                figure(quiet_to_ceiling, Some(quiet_to_stub))
            ),
            "",
            None,
        ),
        row(
            "httpmock 0.8, static stub of the same send",
            figure(stub_to_ceiling, None),
            "",
            None,
        ),
        row(
            "  the log line's cost in send throughput",
            format!("{:.1}%", log_cost * 100.0),
            "≤ 5%",
            Some(log_cost <= 0.05),
        ),
        row(
            "  the log line's cost in server CPU per send",
            format!("{:+.1}%", log_cpu_cost * 100.0),
            "",
            None,
        ),
        row(
            "  default flags / ceiling",
            format!("{:.0}%", logged_to_ceiling * 100.0),
            "≥ 70%",
            Some(logged_to_ceiling >= 0.7),
        ),
        row(
            "  default flags / httpmock",
            format!("{logged_to_stub:.2}×"),
            "≥ 1.3×",
            Some(logged_to_stub >= 1.3),
        ),
    ])
}
