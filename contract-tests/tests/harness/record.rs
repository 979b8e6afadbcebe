//! `smsim record` end to end: record against a second smsim as upstream, replay what was
//! written (all pass), and find no credential in any file.

use std::path::PathBuf;

use contract_tests::fixture::{Fixture, discover};
use contract_tests::inprocess::{replay_config, run_in_process};
use contract_tests::replay::send;
use smsim::Provider;
use smsim::record::{KnownCredentials, RecordOptions, Recorder};
use smsim::{Config, Simulator};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn upstream() -> Simulator {
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    // Credentials unlike the demo ones, so a leak cannot hide behind a placeholder's expansion.
    config.smsoffice.accounts[0].key = "Sup3r-Secret-Key".into();
    config.smsco.accounts[0].password = "smsco-Pa55".into();
    config.getsms.accounts[0].password = "getsms-Pa55".into();
    Simulator::start(config).await.unwrap()
}

async fn record(
    provider: Provider,
    known: &[(&str, &str)],
    out: &std::path::Path,
    requests: &[(&str, &str, Option<&str>, &str)],
) {
    let upstream = upstream().await;
    let recorder = Recorder::start(RecordOptions {
        provider,
        upstream: upstream.base_url(),
        out: out.to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        known: KnownCredentials(
            known
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        ),
    })
    .await
    .unwrap();
    let authority = recorder.addr().to_string();
    for (method, target, content_type, body) in requests {
        let headers: Vec<(String, String)> = content_type
            .iter()
            .map(|ct| ("Content-Type".to_owned(), (*ct).to_owned()))
            .collect();
        let reply = send(&authority, method, target, &headers, body.as_bytes())
            .await
            .unwrap();
        assert_eq!(
            reply.status,
            200,
            "{target}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn recorded_fixtures_replay_green_and_hold_no_credentials() {
    let out = temp_dir("record");
    let form = Some("application/x-www-form-urlencoded");
    record(Provider::Smsoffice, &[("key", "Sup3r-Secret-Key")], &out, &[
        ("GET", "/api/getBalance?key=Sup3r-Secret-Key", None, ""),
        ("GET", "/api/v2/send/?key=Sup3r-Secret-Key&destination=995577123456&sender=SMSOFFICE&content=hi", None, ""),
        ("POST", "/api/v2/send/", form, "key=nope&destination=995577123456&sender=SMSOFFICE&content=hi"),
    ])
    .await;
    record(Provider::Smsco, &[], &out, &[
        ("GET", "/components/com_smsreseller/smsapi2.php?username=demo&password=smsco-Pa55&balance=true", None, ""),
        ("POST", "/components/com_smsreseller/smsapi2.php", form, "username=demo&password=smsco-Pa55&recipient=995599445448&message=test"),
    ])
    .await;
    record(Provider::Getsms, &[], &out, &[
        ("POST", "/smsgateway/", Some("application/json"),
         r#"{"login":"demo","password":"getsms-Pa55","nickname":"GETSMS","data":[{"phone":"998901234567","text":"hi"}]}"#),
        ("POST", "/smsgateway/", form, "login=demo&password=getsms-Pa55&nickname=GETSMS&data=%5B%7B%22phone%22%3A%22%2B998%22%2C%22text%22%3A%22x%22%7D%5D"),
    ])
    .await;

    let written = discover(&out);
    assert_eq!(written.len(), 7, "{written:?}");
    for (name, path) in &written {
        let text = std::fs::read_to_string(path).unwrap();
        for secret in [
            "Sup3r-Secret-Key",
            "smsco-Pa55",
            "getsms-Pa55",
            "username=demo",
            "\"login\":\"demo\"",
            "login=demo",
        ] {
            assert!(!text.contains(secret), "{name} holds {secret}:\n{text}");
        }
        let fixture = Fixture::load(path).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            fixture.provenance,
            contract_tests::fixture::Provenance::Recorded { .. }
        ));
        let mismatches = run_in_process(&fixture, replay_config()).await.unwrap();
        let report: Vec<String> = mismatches.iter().map(ToString::to_string).collect();
        assert!(mismatches.is_empty(), "{name}:\n{}", report.join("\n"));
    }
    let names: Vec<&str> = written.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("smsoffice/balance/recorded-")),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("getsms/send/recorded-")),
        "{names:?}"
    );
    let getsms = std::fs::read_to_string(
        &written
            .iter()
            .find(|(n, _)| n.starts_with("getsms/send/"))
            .unwrap()
            .1,
    )
    .unwrap();
    assert!(
        getsms.contains("\"/0/request_id\""),
        "ids are marked volatile:\n{getsms}"
    );
    let _ = std::fs::remove_dir_all(&out);
}
