//! `smsim-contract --target URL --provider P`: replays the safe fixtures (they spend no credit)
//! against a base URL and prints a drift report; exits 1 on drift, 2 on bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use contract_tests::fixture::Credentials;
use contract_tests::live::check;
use contract_tests::upstream::Upstream;

/// Replay the safe contract fixtures of one provider against a live service or a running smsim.
#[derive(Debug, Parser)]
#[command(name = "smsim-contract", version, about)]
struct Args {
    /// Base URL, e.g. https://smsoffice.ge, http://smsco.ge or http://127.0.0.1:8800.
    #[arg(long)]
    target: String,
    /// Extra certificates (PEM) to trust for an https:// target.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// smsoffice, smsco or getsms.
    #[arg(long, value_parser = ["smsoffice", "smsco", "getsms"])]
    provider: String,
    /// The fixtures folder (relative to where it runs: the repository's root by default).
    #[arg(long, default_value = "fixtures")]
    fixtures: PathBuf,
    /// The credentials given are an account of this kind (a fixture's `needs`, e.g. "API access
    /// disabled"): the fixtures that need one are replayed too. Repeatable.
    #[arg(long, value_name = "KIND")]
    needs: Vec<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !args.fixtures.join(&args.provider).is_dir() {
        eprintln!(
            "smsim-contract: no {} fixtures under {} (run it from the repository's root, or give --fixtures DIR)",
            args.provider,
            args.fixtures.display()
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("smsim-contract: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The TLS client needs a runtime to be built in.
    let upstream =
        match runtime.block_on(async { Upstream::parse(&args.target, args.ca_file.as_deref()) }) {
            Ok(upstream) => upstream,
            Err(e) => {
                eprintln!("smsim-contract: --target {e}");
                return ExitCode::from(2);
            }
        };
    // Credentials come from SMSIM_LIVE_*; without them, the simulator's demo credentials.
    let report = runtime.block_on(check(
        &args.fixtures,
        &args.provider,
        &upstream,
        &Credentials::from_env(),
        &args.needs,
    ));
    println!("{report}");
    if report.has_drift() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
