//! Command-line flags, each also settable through an `SMSIM_*` environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::{Config, ConfigError, LogFormat};
use crate::domain::clock::ClockMode;

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
    Serve(ServeArgs),
    /// Print the embedded default configuration, to copy and edit.
    PrintConfig,
}

/// Flags of `smsim serve`; each overrides the configuration file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8800].
    #[arg(long, env = "SMSIM_LISTEN", value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// JSON configuration file replacing the embedded defaults (see `smsim print-config`).
    #[arg(long, env = "SMSIM_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed of every random choice, to replay a run exactly.
    #[arg(long, env = "SMSIM_SEED", value_name = "N")]
    pub seed: Option<u64>,
    /// Real clock, or a manual one moved by POST /__admin/clock/advance.
    #[arg(long, env = "SMSIM_CLOCK", value_enum)]
    pub clock: Option<ClockMode>,
    /// Log format.
    #[arg(long, env = "SMSIM_LOG", value_enum)]
    pub log: Option<LogFormat>,
}

impl ServeArgs {
    /// The configuration these flags describe: the file (or the embedded defaults) with the
    /// flags applied on top.
    pub fn config(&self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::embedded(),
        };
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(seed) = self.seed {
            config.seed = Some(seed);
        }
        if let Some(clock) = self.clock {
            config.clock = clock;
        }
        if let Some(log) = self.log {
            config.log = log;
        }
        Ok(config)
    }
}
