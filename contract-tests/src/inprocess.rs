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

/// A simulator unlike the demo one in everything an account of the real service may differ in:
/// one account per provider with other credentials, balance, price, user id and sender names,
/// another clock and seed. A fixture live mode may send must hold here too
/// ([`run_against_foreign`]).
pub fn foreign_config() -> Config {
    let mut config = replay_config();
    config.clock_start = Some(1_931_419_613);
    config.seed = Some(7);
    let mut json = serde_json::to_value(&config).expect("a configuration serialises");
    let accounts = |json: &mut serde_json::Value, provider: &str, account: serde_json::Value| {
        json[provider]["accounts"] = serde_json::json!([account]);
    };
    let first = |json: &serde_json::Value, provider: &str| json[provider]["accounts"][0].clone();
    let mut smsoffice = first(&json, "smsoffice");
    smsoffice["key"] = "f0reign-key-7Q".into();
    smsoffice["balance"] = 4321.into();
    accounts(&mut json, "smsoffice", smsoffice);
    let mut smsco = first(&json, "smsco");
    smsco["username"] = "foreign-user".into();
    smsco["password"] = "foreign-pass".into();
    smsco["balance"] = 98_765.into();
    smsco["price_per_segment"] = 7.into();
    accounts(&mut json, "smsco", smsco);
    let mut getsms = first(&json, "getsms");
    getsms["login"] = "foreign-login".into();
    getsms["password"] = "foreign-pass".into();
    getsms["balance"] = 777.into();
    getsms["user_id"] = 4242.into();
    accounts(&mut json, "getsms", getsms);
    serde_json::from_value(json).expect("the foreign configuration is valid")
}

/// Replays a fixture live mode may send against a [`foreign_config`] simulator, after a few
/// sends through every provider have moved its ids on; returns every mismatch.
pub async fn run_against_foreign(fixture: &Fixture) -> std::io::Result<Vec<Mismatch>> {
    let config = foreign_config();
    let credentials = Credentials::of(&config);
    let simulator = Simulator::start(config).await?;
    let upstream = Upstream::Plain(simulator.addr().to_string());
    let form = [(
        "Content-Type".to_owned(),
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let warm_up = [
        (
            "GET",
            "/api/v2/send/?key={{smsoffice.key}}&destination=995577123456&sender=SMSOFFICE&content=w&reference=warm",
            "",
        ),
        (
            "GET",
            "/components/com_smsreseller/smsapi2.php?username={{smsco.username}}&password={{smsco.password}}&recipient=995577123456&message=w",
            "",
        ),
        (
            "POST",
            "/smsgateway/",
            "login={{getsms.login}}&password={{getsms.password}}&nickname=GETSMS&data=%5B%7B%22phone%22%3A%22998901234567%22%2C%22text%22%3A%22w%22%7D%5D",
        ),
    ];
    for (method, target, body) in warm_up {
        let target = credentials.fill(target, true);
        let body = credentials.fill(body, true);
        upstream
            .send(method, &target, &form, body.as_bytes())
            .await?;
    }
    let advance = [("Content-Type".to_owned(), "application/json".to_owned())];
    upstream
        .send(
            "POST",
            "/__admin/clock/advance",
            &advance,
            br#"{"seconds": 3600}"#,
        )
        .await?;
    Ok(replay(fixture, &upstream, &credentials).await)
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
    let credentials = Credentials::demo().for_simulator(fixture);
    let mut mismatches = replay(fixture, &upstream, &credentials).await;
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
