//! Tests of the harness itself: live mode against running simulators, and a deliberately broken
//! behaviour caught by named fixtures with a readable report; and the simulator's properties.

mod properties;
mod provenance;
mod record;
mod tls;

use std::path::Path;
use std::process::Command;

use contract_tests::fixture::{Fixture, discover};
use contract_tests::inprocess::{replay_config, run_in_process};
use smsim::smsoffice::{BalanceBadKey, SenderCase};
use smsim::{Config, Simulator};

const BIN: &str = env!("CARGO_BIN_EXE_smsim-contract");

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

async fn start(change: impl FnOnce(&mut Config)) -> Simulator {
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    change(&mut config);
    Simulator::start(config).await.unwrap()
}

fn live(sim: &Simulator, provider: &str) -> (bool, String) {
    let output = Command::new(BIN)
        .args(["--target", &sim.base_url(), "--provider", provider])
        .arg("--fixtures")
        .arg(fixtures())
        .env_remove("SMSIM_LIVE_SMSOFFICE_KEY")
        .env_remove("SMSIM_LIVE_SMSCO_USERNAME")
        .env_remove("SMSIM_LIVE_SMSCO_PASSWORD")
        .env_remove("SMSIM_LIVE_GETSMS_LOGIN")
        .env_remove("SMSIM_LIVE_GETSMS_PASSWORD")
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_finds_no_drift_against_a_running_smsim() {
    let sim = start(|_| {}).await;
    for provider in ["smsoffice", "smsco", "getsms"] {
        let (ok, report) = tokio::task::spawn_blocking({
            let sim_url = sim.base_url();
            let provider = provider.to_owned();
            move || {
                let output = Command::new(BIN)
                    .args(["--target", &sim_url, "--provider", &provider])
                    .arg("--fixtures")
                    .arg(fixtures())
                    .output()
                    .unwrap();
                (
                    output.status.success(),
                    String::from_utf8(output.stdout).unwrap(),
                )
            }
        })
        .await
        .unwrap();
        assert!(ok, "{provider}:\n{report}");
        assert!(report.contains("0 drifted, 0 broken"), "{report}");
        assert!(
            report.lines().filter(|l| l.starts_with("same")).count() >= 3,
            "{report}"
        );
        assert!(
            !report.contains("documented-success"),
            "unsafe fixtures are not replayed live:\n{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_names_the_drift_of_a_flipped_quirk() {
    let sim = start(|c| c.quirks.smsoffice.balance_bad_key = BalanceBadKey::Envelope).await;
    let (ok, report) = tokio::task::spawn_blocking(move || live(&sim, "smsoffice"))
        .await
        .unwrap();
    assert!(!ok, "drift exits non-zero:\n{report}");
    assert!(
        report.contains("DRIFT   smsoffice/balance/unknown-key"),
        "{report}"
    );
    assert!(report.contains("expected: 0"), "{report}");
    assert!(report.contains(r#"got:      {"Success":false,"Message":"API key is incorrect","Output":null,"ErrorCode":80}"#), "{report}");
    assert!(
        report.contains("same    smsoffice/balance/demo-key"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_names_the_drift_of_an_injected_fault() {
    let sim = start(|c| c.faults = vec!["smsco.status=error:2907".into()]).await;
    let (ok, report) = tokio::task::spawn_blocking(move || live(&sim, "smsco"))
        .await
        .unwrap();
    assert!(!ok, "{report}");
    assert!(
        report.contains("DRIFT   smsco/status/error-2905"),
        "{report}"
    );
    assert!(report.contains("got:      2907"), "{report}");
    assert!(
        report.contains("same    smsco/balance/documented-example"),
        "{report}"
    );
}

#[test]
fn a_missing_fixtures_folder_exits_2_naming_it() {
    let output = Command::new(BIN)
        .args(["--target", "http://127.0.0.1:9", "--provider", "smsco"])
        .args(["--fixtures", "no-such-folder"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("no smsco fixtures under no-such-folder"),
        "{said}"
    );
}

#[test]
fn bad_targets_exit_2() {
    for target in ["ftp://smsoffice.ge", "http://user:pass@127.0.0.1:1"] {
        let output = Command::new(BIN)
            .args(["--target", target, "--provider", "smsoffice"])
            .arg("--fixtures")
            .arg(fixtures())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{target}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--target"),
            "{target}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_names_the_drift_of_getsms_error_objects() {
    let sim = start(|c| c.quirks.getsms.error_key = smsim::getsms::ErrorKey::ErrorText).await;
    let (ok, report) = tokio::task::spawn_blocking(move || live(&sim, "getsms"))
        .await
        .unwrap();
    assert!(!ok, "{report}");
    assert!(report.contains("DRIFT   getsms/send/error-100"), "{report}");
    assert!(report.contains("error_text"), "{report}");
}

/// Breaking one behaviour (the sender title compared exactly instead of ignoring case) makes
/// exactly the fixtures that depend on it fail, each with an expected/got report.
#[tokio::test(flavor = "multi_thread")]
async fn a_broken_behaviour_fails_named_fixtures_with_a_readable_report() {
    let mut failed = Vec::new();
    for (name, path) in discover(&fixtures()) {
        let fixture = Fixture::load(&path).unwrap();
        let mut config = replay_config();
        config.quirks.smsoffice.sender_case = SenderCase::Exact;
        let mismatches = run_in_process(&fixture, config).await.unwrap();
        if !mismatches.is_empty() {
            let report: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
            failed.push((name, report.join("\n")));
        }
    }
    let names: Vec<&str> = failed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "smsoffice/send/browser-example-slashless-get",
            "smsoffice/send/documented-get-example"
        ]
    );
    let report = &failed[0].1;
    assert!(
        report.starts_with("body:\n    expected: {\"Success\":true"),
        "{report}"
    );
    assert!(report.contains("got:      {\"Success\":false,\"Message\":\"Sender not found\",\"Output\":null,\"ErrorCode\":150}"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_needing_a_kind_of_account_run_only_when_told_the_account_is_one() {
    let sim = start(|_| {}).await;
    let url = sim.base_url();
    let run = move |extra: Vec<(&'static str, &'static str)>, needs: Option<&'static str>| {
        let mut command = Command::new(BIN);
        command
            .args(["--target", &url, "--provider", "smsoffice"])
            .arg("--fixtures")
            .arg(fixtures());
        if let Some(kind) = needs {
            command.args(["--needs", kind]);
        }
        for (name, value) in extra {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        (
            output.status.success(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    let (ok, report) = tokio::task::spawn_blocking({
        let run = run.clone();
        move || run(vec![], None)
    })
    .await
    .unwrap();
    assert!(ok, "{report}");
    assert!(
        report.contains("skipped smsoffice/send/error-120 (needs an account: API access disabled"),
        "{report}"
    );
    let (ok, report) = tokio::task::spawn_blocking(move || {
        run(
            vec![("SMSIM_LIVE_SMSOFFICE_KEY", "disabled-key")],
            Some("API access disabled"),
        )
    })
    .await
    .unwrap();
    assert!(
        report.contains("same    smsoffice/send/error-120"),
        "{report}"
    );
    // The ordinary fixtures now meet a disabled key and drift, as they would live.
    assert!(!ok, "{report}");
}
