//! Replaying a fixture against its own in-process simulator: deterministic (manual clock at a
//! fixed instant, fixed seed), with a local receiver when callbacks are expected.

use std::collections::BTreeMap;

use smsim::ClockMode;
use smsim::{Config, Simulator};
use smsim_testkit::Receiver;
use smsim_testkit::receiver::Answer;

use crate::fixture::{Credentials, Fixture};
use crate::replay::{Mismatch, replay};
use crate::upstream::Upstream;

/// Where every in-process replay's clock starts: 2026-01-01T00:00:00Z.
pub const CLOCK_START: i64 = 1_767_225_600;
/// The seed of every in-process replay.
pub const SEED: u64 = 1;

/// The configuration fixtures replay against: the embedded defaults, a manual clock at
/// [`CLOCK_START`], seed [`SEED`], a free port.
pub fn replay_config() -> Config {
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().expect("valid address");
    config.clock = ClockMode::Manual;
    config.clock_start = Some(CLOCK_START);
    config.seed = Some(SEED);
    config
}

/// Replays `fixture` against a fresh simulator started from `config`; returns every mismatch.
pub async fn run_in_process(fixture: &Fixture, config: Config) -> std::io::Result<Vec<Mismatch>> {
    if let Some(why) = &fixture.review {
        return Ok(vec![Mismatch {
            field: "review".into(),
            expected: "no review mark (a person checked the fixture)".into(),
            got: why.clone(),
        }]);
    }
    let simulator = Simulator::start(config).await?;
    let upstream = Upstream::Plain(simulator.addr().to_string());
    let receiver = match &fixture.expect_callbacks {
        Some(expected) => {
            let body = expected.answer.clone().unwrap_or_else(|| "OK".to_owned());
            Some(Receiver::start_with(Vec::new(), Answer::Reply(200, body.into())).await?)
        }
        None => None,
    };
    if let Some(receiver) = &receiver {
        let body = serde_json::json!({ "callback_url": receiver.url() }).to_string();
        let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
        upstream
            .send(
                "PATCH",
                "/__admin/accounts/smsoffice/demo-key",
                &headers,
                body.as_bytes(),
            )
            .await?;
    }
    let mut mismatches = replay(fixture, &upstream, &Credentials::demo()).await;
    if let (Some(expected), Some(receiver)) = (&fixture.expect_callbacks, &receiver) {
        let body = serde_json::json!({ "seconds": expected.after_seconds }).to_string();
        let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
        upstream
            .send("POST", "/__admin/clock/advance", &headers, body.as_bytes())
            .await?;
        let received: Vec<BTreeMap<String, String>> =
            receiver.hits().into_iter().map(|hit| hit.params).collect();
        compare_callbacks(&expected.callbacks, &received, &mut mismatches);
    }
    Ok(mismatches)
}

fn compare_callbacks(
    expected: &[BTreeMap<String, String>],
    got: &[BTreeMap<String, String>],
    mismatches: &mut Vec<Mismatch>,
) {
    if expected.len() != got.len() {
        mismatches.push(Mismatch {
            field: "callbacks count".into(),
            expected: expected.len().to_string(),
            got: got.len().to_string(),
        });
    }
    for (i, (want, have)) in expected.iter().zip(got).enumerate() {
        for (name, value) in want {
            let actual = have.get(name);
            if actual != Some(value) {
                mismatches.push(Mismatch {
                    field: format!("callback[{i}] {name}"),
                    expected: value.clone(),
                    got: actual.cloned().unwrap_or_else(|| "(absent)".into()),
                });
            }
        }
        for name in have.keys().filter(|n| !want.contains_key(*n)) {
            mismatches.push(Mismatch {
                field: format!("callback[{i}] {name}"),
                expected: "(absent)".into(),
                got: have[name].clone(),
            });
        }
    }
}
