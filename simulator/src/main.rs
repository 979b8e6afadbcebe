//! The `smsim` binary: parse flags, start, serve until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use clap::Parser;
use smsim::Provider;
use smsim::Sim;
use smsim::Simulator;
use smsim::cli::{Cli, Command};
use smsim::config::{Config, DEFAULT_CONFIG_JSON, LogFormat};
use smsim::record::{KnownCredentials, RecordOptions, Recorder};

/// Exit code for a configuration the simulator refuses, like clap's for a bad flag.
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::PrintConfig => {
            print!("{DEFAULT_CONFIG_JSON}");
            ExitCode::SUCCESS
        }
        Command::Health(args) => {
            let Some(runtime) = runtime() else {
                return ExitCode::FAILURE;
            };
            match runtime.block_on(health(&args)) {
                Ok(line) => {
                    println!("{line}");
                    ExitCode::SUCCESS
                }
                Err(why) => {
                    eprintln!("smsim health: {why}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Record(args) => {
            let _log = init_tracing(LogFormat::Text, 0);
            let provider = Provider::parse(&args.provider).expect("clap restricts the provider");
            let known = KnownCredentials::from_env(provider);
            let options = RecordOptions {
                provider,
                upstream: args.upstream,
                out: args.out,
                listen: args.listen,
                known,
                ca_file: args.ca_file,
            };
            let Some(runtime) = runtime() else {
                return ExitCode::FAILURE;
            };
            runtime.block_on(async {
                let shutdown = match shutdown_signal() {
                    Ok(shutdown) => shutdown,
                    Err(e) => {
                        eprintln!("smsim: {e:#}");
                        return ExitCode::FAILURE;
                    }
                };
                match Recorder::start(options).await {
                    Ok(recorder) => {
                        println!(
                            "smsim recording on http://{} (point your client here)",
                            recorder.addr()
                        );
                        shutdown.await;
                        ExitCode::SUCCESS
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {
                        eprintln!("smsim: {e}");
                        ExitCode::from(EXIT_BAD_CONFIG)
                    }
                    Err(e) => {
                        eprintln!("smsim: {e}");
                        ExitCode::FAILURE
                    }
                }
            })
        }
        Command::Serve(args) => {
            let config = match args.config() {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("smsim: {e}");
                    return ExitCode::from(EXIT_BAD_CONFIG);
                }
            };
            let log = init_tracing(config.log, config.limits.log_lines_per_second);
            let Some(runtime) = runtime() else {
                return ExitCode::FAILURE;
            };
            let served = runtime.block_on(serve(config));
            log.report_dropped();
            match served {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("smsim: {e:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The multi-threaded runtime, or `None` after saying why it could not start.
fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(e) => {
            eprintln!("smsim: cannot start the runtime: {e}");
            None
        }
    }
}

/// The log (see `smsim::log`): written to stderr by its own thread, never blocking the server.
struct Log(smsim::log::LogGuard);

impl Log {
    /// Reports lines the log had to drop; call once, at shutdown.
    fn report_dropped(&self) {
        let dropped = self.0.dropped_lines();
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "log lines dropped: stderr was not read as fast as they came"
            );
        }
    }
}

/// Installs the log; `lines_per_second` bounds the request lines (0: all).
fn init_tracing(format: LogFormat, lines_per_second: u64) -> Log {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SMSIM_LOG_FILTER")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    Log(smsim::log::install(format, filter, lines_per_second))
}

/// Asks `/__admin/health` over one HTTP/1.1 connection; the line to print, or why not healthy.
async fn health(args: &smsim::cli::HealthArgs) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = args.authority()?;
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(&authority)
            .await
            .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
        let auth = args
            .admin_token
            .as_deref()
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "GET /__admin/health HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("{authority}: {e}"))?;
        let mut reply = Vec::new();
        stream
            .read_to_end(&mut reply)
            .await
            .map_err(|e| format!("{authority}: {e}"))?;
        Ok::<_, String>(String::from_utf8_lossy(&reply).into_owned())
    };
    let reply = tokio::time::timeout(std::time::Duration::from_secs(args.timeout), ask)
        .await
        .map_err(|_| format!("no answer from {authority} within {} s", args.timeout))??;
    let status = reply.split(' ').nth(1).unwrap_or_default();
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    if status == "200" && body.contains(r#""status":"ok""#) {
        Ok(format!("ok: http://{authority}/__admin/health"))
    } else {
        let first_line = reply.lines().next().unwrap_or("an empty reply");
        Err(format!(
            "http://{authority}/__admin/health answered {first_line}"
        ))
    }
}

/// Raises the soft limit of open files to the hard one, so the connection cap, not the
/// descriptor limit, decides how many clients are served.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    raise_open_file_limit();
    // Installed before the banner announces readiness, so an early SIGTERM is never fatal.
    let shutdown = shutdown_signal()?;
    let listen = config.listen;
    let simulator = Simulator::start(config)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    println!("{}", banner(&simulator));
    shutdown.await;
    tracing::info!("shutting down");
    simulator.shutdown().await;
    Ok(())
}

fn banner(simulator: &Simulator) -> String {
    let sim: &Sim = simulator.sim();
    let base = simulator.base_url();
    let config = sim.config();
    let mut lines = vec![
        format!(
            "smsim listening on {base} (seed {}, clock {})",
            sim.seed(),
            serde_json::to_value(config.clock)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
        format!("inbox: {base}/__admin/ui/"),
        format!("admin: {base}/__admin/health"),
        "credentials:".to_owned(),
    ];
    if let Some(tls_addr) = simulator.tls_addr() {
        lines.push(format!(
            "https: https://{tls_addr} (and CONNECT to the providers' hosts through {base})"
        ));
        lines.push(match simulator.ca() {
            Some((_, Some(path))) => format!("certificate authority: {} (also {base}/__admin/tls/ca.pem)", path.display()),
            Some((_, None)) => format!("certificate authority: {base}/__admin/tls/ca.pem (fresh at each start; --tls-ca-dir keeps it)"),
            None => "certificate: the one given by --tls-cert".to_owned(),
        });
    }
    lines.extend(config.account_lines());
    lines.push(format!("try: curl '{base}/api/getBalance?key=demo-key'"));
    if !simulator.addr().ip().is_loopback() {
        let warning = if config.admin_token.is_some() {
            "warning: listening beyond this machine; the admin API asks for the token"
        } else {
            "warning: listening beyond this machine and the admin API has no token: anyone who \
             can reach it can change accounts, faults and callback URLs (set --admin-token)"
        };
        tracing::warn!("{warning}");
        lines.push(warning.to_owned());
    }
    lines.join("\n")
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM; the handlers are registered when this is called.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| anyhow::anyhow!("cannot install the SIGTERM handler: {e}"))?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    })
}
