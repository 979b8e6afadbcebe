//! Command-line flags, each also settable through an `SMSIM_*` environment variable.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, LogFormat, parse_listen_address, validate_callback_url};
use crate::domain::clock::ClockMode;

/// `--clock`: how the simulator's clock moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClockFlag {
    /// Follows wall time; `advance` adds an offset on top of it.
    Real,
    /// Stands still until advanced.
    Manual,
}

impl From<ClockFlag> for ClockMode {
    fn from(flag: ClockFlag) -> ClockMode {
        match flag {
            ClockFlag::Real => ClockMode::Real,
            ClockFlag::Manual => ClockMode::Manual,
        }
    }
}

/// smsim: an offline simulator of the smsoffice.ge, smsco.ge and getsms.uz SMS gateways.
#[derive(Debug, Parser)]
#[command(name = "smsim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve all three providers and the admin API on one listener.
    Serve(Box<ServeArgs>),
    /// Print the embedded default configuration, to copy and edit.
    PrintConfig,
    /// Forward to a real provider and write each exchange as a recorded contract fixture.
    Record(RecordArgs),
    /// Ask a running simulator whether it is healthy: exit 0 when `/__admin/health` answers
    /// ok, 1 otherwise, with one line saying why (what a container's HEALTHCHECK or a CI job's
    /// wait loop runs; no curl needed).
    Health(HealthArgs),
}

/// Flags of `smsim health`.
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The simulator's base URL [default: http://127.0.0.1:8800, or the port of SMSIM_LISTEN].
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The address the simulator listens on; its port makes the default URL.
    #[arg(long, env = "SMSIM_LISTEN", value_name = "ADDR", hide = true, value_parser = parse_listen_address)]
    pub listen: Option<SocketAddr>,
    /// Sent as `Authorization: Bearer TOKEN` when given.
    #[arg(
        long,
        env = "SMSIM_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 3)]
    pub timeout: u64,
}

impl HealthArgs {
    /// The `host:port` to ask: from `--url`, else the listen address (an unspecified one, such as
    /// 0.0.0.0 in a container, asked on loopback), else 127.0.0.1:8800.
    pub fn authority(&self) -> Result<String, String> {
        if let Some(url) = &self.url {
            let rest = url
                .strip_prefix("http://")
                .ok_or_else(|| format!("--url {url:?}: give an http:// URL"))?;
            let authority = rest.split('/').next().unwrap_or_default();
            if authority.is_empty() {
                return Err(format!("--url {url:?} has no host"));
            }
            return Ok(if authority.contains(':') && !authority.ends_with(']') {
                authority.to_owned()
            } else {
                format!("{authority}:80")
            });
        }
        Ok(match self.listen {
            Some(listen) if listen.ip().is_unspecified() => {
                let loopback: IpAddr = if listen.is_ipv4() {
                    [127, 0, 0, 1].into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                };
                SocketAddr::new(loopback, listen.port()).to_string()
            }
            Some(listen) => listen.to_string(),
            None => "127.0.0.1:8800".to_owned(),
        })
    }
}

/// Flags of `smsim record`.
#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The provider being recorded (its credentials are replaced by placeholders).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(
        crate::Provider::ALL.iter().map(|p| p.name())
    ))]
    pub provider: String,
    /// Base URL of the real service, e.g. `https://smsoffice.ge`.
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Folder to write `<provider>/<operation>/<case>.json` under.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8801", value_name = "ADDR", value_parser = parse_listen_address)]
    pub listen: SocketAddr,
    /// Extra certificates (PEM) to trust for an https:// upstream.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
}

/// Flags of `smsim serve`; each overrides the configuration file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on: an IP address and a port, or localhost:PORT
    /// [default: 127.0.0.1:8800].
    #[arg(long, env = "SMSIM_LISTEN", value_name = "ADDR", value_parser = parse_listen_address)]
    pub listen: Option<SocketAddr>,
    /// JSON configuration file replacing the embedded defaults (see `smsim print-config`)
    /// [default: the embedded defaults].
    #[arg(long, env = "SMSIM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A JSON merge patch of the configuration (RFC 7396: objects merge, other values replace,
    /// null removes), applied to the file or the embedded defaults before the other flags, e.g.
    /// `{"getsms":{"allow_list":["0.0.0.0/0","::/0"]}}`; repeatable, applied in order (the
    /// environment variable holds one patch) [default: none].
    #[arg(long = "config-patch", env = "SMSIM_CONFIG_PATCH", value_name = "JSON")]
    pub config_patches: Vec<String>,
    /// Seed of every random choice, to replay a run exactly [default: drawn at start and
    /// printed in the banner].
    #[arg(long, env = "SMSIM_SEED", value_name = "N")]
    pub seed: Option<u64>,
    /// Real clock, or a manual one moved by POST /__admin/clock/advance [default: real].
    #[arg(long, env = "SMSIM_CLOCK", value_enum)]
    pub clock: Option<ClockFlag>,
    /// The simulator's time at start, in Unix seconds (the configuration's `clock_start`)
    /// [default: now].
    #[arg(long, env = "SMSIM_CLOCK_START", value_name = "UNIX_SECONDS")]
    pub clock_start: Option<i64>,
    /// Log format [default: text].
    #[arg(long, env = "SMSIM_LOG", value_enum)]
    pub log: Option<LogFormat>,
    /// Request log lines written in one second at most; the rest of that second's are counted
    /// and summarised in one line (the journal keeps every request); 0 writes every one
    /// (`limits.log_lines_per_second`) [default: 1000].
    #[arg(long, env = "SMSIM_LOG_LINES_PER_SECOND", value_name = "N")]
    pub log_lines_per_second: Option<u64>,
    /// Callback URL of the demo smsoffice account (`demo-key`) [default: none].
    #[arg(long, env = "SMSIM_CALLBACK_URL", value_name = "URL")]
    pub callback_url: Option<String>,
    /// A fault to inject, `SCOPE=KIND[:ARG][@PROBABILITY][*COUNT]`; repeatable (in the
    /// environment variable, separate specs with `;`) [default: none].
    #[arg(
        long = "fault",
        env = "SMSIM_FAULT",
        value_name = "SPEC",
        value_delimiter = ';'
    )]
    pub faults: Vec<String>,
    /// Local address outgoing callbacks are sent from, e.g. 127.0.0.2 [default: any].
    #[arg(long, env = "SMSIM_CALLBACK_BIND", value_name = "ADDR")]
    pub callback_bind: Option<IpAddr>,
    /// Require `Authorization: Bearer TOKEN` on every /__admin call [default: no token].
    #[arg(
        long,
        env = "SMSIM_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// A host name the admin API and the inbox answer to besides loopback names and IP
    /// addresses (a request naming any other `Host` gets 403, which stops DNS rebinding);
    /// repeatable, `*` for any (in the environment variable, separate names with `,`)
    /// [default: none].
    #[arg(
        long = "allowed-host",
        env = "SMSIM_ALLOWED_HOSTS",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Serve HTTPS here too (what the plain listener serves), and answer `CONNECT` to the
    /// providers' hosts on port 443 as them over TLS [default: off].
    #[arg(long, env = "SMSIM_TLS_LISTEN", value_name = "ADDR", value_parser = parse_listen_address)]
    pub tls_listen: Option<SocketAddr>,
    /// A name or address the certificate is valid for besides localhost, 127.0.0.1, ::1 and the
    /// providers' hosts; repeatable (in the environment variable, separate names with `,`).
    #[arg(
        long = "tls-name",
        env = "SMSIM_TLS_NAMES",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub tls_names: Vec<String>,
    /// Serve this certificate chain (PEM) instead of one made by smsim's authority.
    #[arg(
        long,
        env = "SMSIM_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(
        long,
        env = "SMSIM_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Keep smsim's certificate authority in this directory (made there on first use), so a
    /// machine trusts it once [default: a fresh authority at each start].
    #[arg(long, env = "SMSIM_TLS_CA_DIR", value_name = "DIR")]
    pub tls_ca_dir: Option<PathBuf>,
}

/// The smsoffice account `--callback-url` applies to.
pub const DEMO_SMSOFFICE_KEY: &str = "demo-key";

impl ServeArgs {
    /// The `--tls-*` flags over the configuration's `tls` section.
    fn apply_tls(&self, config: &mut Config) -> Result<(), ConfigError> {
        let tls = &mut config.tls;
        if let Some(listen) = self.tls_listen {
            tls.listen = Some(listen);
        }
        tls.names
            .extend(self.tls_names.iter().map(|n| n.trim().to_owned()));
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            tls.cert = Some(cert.clone());
            tls.key = Some(key.clone());
        }
        if let Some(dir) = &self.tls_ca_dir {
            tls.ca_dir = Some(dir.clone());
        }
        config.validate()
    }
}

impl ServeArgs {
    /// The configuration these flags describe: the file (or the embedded defaults) with the
    /// flags applied on top.
    pub fn config(&self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => Config::from_file_patched(path, &self.config_patches)?,
            None => Config::embedded_patched(&self.config_patches)?,
        };
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(seed) = self.seed {
            config.seed = Some(seed);
        }
        if let Some(clock) = self.clock {
            config.clock = clock.into();
        }
        if let Some(start) = self.clock_start {
            config.clock_start = Some(start);
            config.validate()?;
        }
        if let Some(log) = self.log {
            config.log = log;
        }
        if let Some(lines) = self.log_lines_per_second {
            config.limits.log_lines_per_second = lines;
        }
        if let Some(token) = &self.admin_token {
            config.admin_token = Some(token.clone());
        }
        if !self.allowed_hosts.is_empty() {
            config
                .allowed_hosts
                .extend(self.allowed_hosts.iter().map(|h| h.trim().to_owned()));
            config.validate()?;
        }
        self.apply_tls(&mut config)?;
        if let Some(bind) = self.callback_bind {
            config.callbacks.bind = Some(bind);
        }
        for spec in &self.faults {
            Config::parse_fault(spec).map_err(|e| ConfigError::Invalid {
                field: "--fault".into(),
                why: e.to_string(),
            })?;
            config.faults.push(spec.clone());
        }
        if let Some(url) = &self.callback_url {
            validate_callback_url(url).map_err(|why| ConfigError::Invalid {
                field: "--callback-url".into(),
                why,
            })?;
            let account = config
                .smsoffice
                .accounts
                .iter_mut()
                .find(|a| a.key == DEMO_SMSOFFICE_KEY)
                .ok_or_else(|| ConfigError::Invalid {
                    field: "--callback-url".into(),
                    why: format!(
                        "the configuration has no smsoffice account {DEMO_SMSOFFICE_KEY:?}"
                    ),
                })?;
            account.callback_url = Some(url.clone());
        }
        Ok(config)
    }
}
