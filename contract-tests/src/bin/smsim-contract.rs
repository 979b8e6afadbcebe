//! `smsim-contract --target URL --provider P`: replays the safe fixtures (they spend no credit)
//! against a base URL and prints a drift report; exits 1 on drift, 2 on bad arguments.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use contract_tests::fixture::Credentials;
use contract_tests::live::{authority_of, check};

/// Replay the safe contract fixtures of one provider against a live service or a running smsim.
#[derive(Debug, Parser)]
#[command(name = "smsim-contract", version, about)]
struct Args {
    /// Base URL, e.g. http://smsco.ge or http://127.0.0.1:8800.
    #[arg(long)]
    target: String,
    /// smsoffice, smsco or getsms.
    #[arg(long, value_parser = ["smsoffice", "smsco", "getsms"])]
    provider: String,
    /// The fixtures folder.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures"))]
    fixtures: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let authority = match authority_of(&args.target) {
        Ok(authority) => authority,
        Err(e) => {
            eprintln!("smsim-contract: --target {e}");
            return ExitCode::from(2);
        }
    };
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
    // Credentials come from SMSIM_LIVE_*; without them, the simulator's demo credentials.
    let report = runtime.block_on(check(
        &args.fixtures,
        &args.provider,
        &authority,
        &Credentials::from_env(),
    ));
    println!("{report}");
    if report.has_drift() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
