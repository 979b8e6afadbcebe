//! One named test per fixture under `fixtures/`, each against its own in-process simulator.

use std::path::Path;

use contract_tests::fixture::{Fixture, discover};
use contract_tests::inprocess::{replay_config, run_in_process};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let trials: Vec<Trial> = discover(&root)
        .into_iter()
        .map(|(name, path)| Trial::test(name, move || run(&path)))
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run(path: &Path) -> Result<(), Failed> {
    let fixture = Fixture::load(path).map_err(|e| Failed::from(e.to_string()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mismatches = runtime.block_on(run_in_process(&fixture, replay_config()))?;
    if mismatches.is_empty() {
        return Ok(());
    }
    let report: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
    Err(format!(
        "{}\n{} difference(s):\n  {}",
        path.display(),
        mismatches.len(),
        report.join("\n  ")
    )
    .into())
}
