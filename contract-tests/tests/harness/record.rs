//! `smsim record` end to end: record against a second smsim as upstream, replay what was
//! written (all pass), and find no credential in any file.

use std::path::PathBuf;

use contract_tests::fixture::{Fixture, discover};
use contract_tests::inprocess::{replay_config, run_in_process};
use contract_tests::upstream::send;
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
        ca_file: None,
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

/// Records `requests` for `provider` through a recorder whose upstream URL carries user
/// information, with `secret` known as `name`; returns every written file's text.
async fn record_shapes(
    provider: Provider,
    name: &str,
    secret: &str,
    requests: &[(&str, &str, Option<&str>, &[u8])],
) -> Vec<String> {
    let out = temp_dir(&format!("shapes-{}", provider.name()));
    let upstream = upstream().await;
    let with_userinfo = upstream
        .base_url()
        .replace("http://", &format!("http://someone:{secret}@"));
    let recorder = Recorder::start(RecordOptions {
        provider,
        upstream: with_userinfo,
        out: out.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        known: KnownCredentials(vec![(name.to_owned(), secret.to_owned())]),
        ca_file: None,
    })
    .await
    .unwrap();
    for (method, target, content_type, body) in requests {
        let mut request = smsim_testkit::RequestBytes::new(method, target).body(body.to_vec());
        if let Some(ct) = content_type {
            request = request.header("Content-Type", ct);
        }
        request.send(&recorder.addr().to_string()).await.unwrap();
    }
    let written: Vec<String> = discover(&out)
        .into_iter()
        .map(|(_, path)| std::fs::read_to_string(path).unwrap())
        .collect();
    assert_eq!(written.len(), requests.len());
    let _ = std::fs::remove_dir_all(&out);
    written
}

#[tokio::test(flavor = "multi_thread")]
async fn no_request_shape_leaks_a_credential_into_a_fixture() {
    let secret = "getsms-Pa55";
    let json = Some("application/json");
    let plain = Some("text/plain");
    let form = Some("application/x-www-form-urlencoded");
    let multipart = Some("multipart/form-data; boundary=XyZ");
    let written = record_shapes(Provider::Getsms, "password", secret, &[
        ("POST", "/smsgateway/", plain, br#"{"login":"demo","password":"getsms-Pa55","data":[]}"#),
        ("POST", "/smsgateway/", json, br#"{"login":"demo","password":"getsms-Pa55""#),
        ("POST", "/smsgateway/", json, br#"[{"login":"demo","password":"getsms-Pa55"}]"#),
        ("POST", "/smsgateway/", form, b"login=demo&passwor%64=getsms-Pa55&data=%5B%5D"),
        ("POST", "/smsgateway/", form, b"login=demo&password[]=getsms-Pa55&data=%5B%5D"),
        ("POST", "/smsgateway/", form, b"login=demo&+password=getsms-Pa55&data=%5B%5D"),
        ("POST", "/smsgateway/", multipart,
         b"--XyZ\r\nContent-Disposition: form-data; name=password\r\n\r\ngetsms-Pa55\r\n--XyZ--\r\n"),
        ("POST", "/smsgateway/", multipart,
         b"--XyZ\nContent-Disposition: form-data; name=\"password\"\n\ngetsms-Pa55\n--XyZ--\n"),
        ("POST", "/smsgateway/", multipart,
         b"--XyZ\r\nContent-Disposition: form-data; name=\"password\"; x=1\r\nX-Extra: 1\r\n\r\ngetsms-Pa55\r\n--XyZ--\r\n"),
        ("POST", "/smsgateway/?password=getsms-Pa55", form, b"login=demo"),
    ])
    .await;
    for text in &written {
        assert!(!text.contains(secret), "leaked:\n{text}");
        assert!(
            !text.contains("someone"),
            "user information leaked:\n{text}"
        );
    }
    let withheld = written.iter().filter(|t| t.contains("\"review\"")).count();
    assert!(
        withheld >= 2,
        "the broken JSON and LF-only multipart are withheld"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// Contract: whatever shape a request takes (query, form, JSON under any content type,
    /// multipart; the credential's name in any letter case, percent-encoded, with spaces or
    /// PHP's `[]`), a known secret appears in no byte of the fixture the recorder writes.
    #[test]
    fn a_known_secret_never_reaches_a_written_fixture(
        secret in "[A-Za-z0-9!@#$%^&*()_+={}:;,.?/ -]{6,24}",
        name_case in proptest::sample::select(vec!["password", "PASSWORD", "Password", "passwor%64", " password", "password[]", "password%5B0%5D"]),
        shape in 0usize..6,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let encoded = smsim_testkit::encode(&secret);
        let json_secret = serde_json::to_string(&secret).unwrap();
        let json_name = name_case.replace("%64", "d").replace("%5B0%5D", "[0]");
        let (target, content_type, body): (String, Option<&str>, Vec<u8>) = match shape {
            0 => (format!("/smsgateway/?login=demo&{name_case}={encoded}"), None, Vec::new()),
            1 => ("/smsgateway/".into(), Some("application/x-www-form-urlencoded"),
                  format!("login=demo&{name_case}={encoded}").into_bytes()),
            2 => ("/smsgateway/".into(), Some("application/json"),
                  format!(r#"{{"login":"demo","{json_name}":{json_secret}}}"#).into_bytes()),
            3 => ("/smsgateway/".into(), Some("text/plain"),
                  format!(r#"{{"login":"demo","{json_name}":{json_secret}}}"#).into_bytes()),
            4 => ("/smsgateway/".into(), Some("multipart/form-data; boundary=B"),
                  format!("--B\r\nContent-Disposition: form-data; name=\"{json_name}\"\r\n\r\n{secret}\r\n--B--\r\n").into_bytes()),
            _ => ("/smsgateway/".into(), Some("application/json"),
                  format!(r#"[{{"{json_name}":{json_secret}}}]"#).into_bytes()),
        };
        let exchange = smsim::record::RecordedExchange {
            method: "POST".into(),
            target,
            request_content_type: content_type.map(str::to_owned),
            request_body: body.into(),
            status: 200,
            response_content_type: Some("text/html".into()),
            response_body: format!("echo {secret}"),
        };
        let known = KnownCredentials(vec![("password".into(), secret.clone())]);
        let text = runtime.block_on(smsim::record::fixture_text(
            Provider::Getsms, &known, "http://upstream.test", smsim::Timestamp(0), &exchange,
        ));
        for form in [secret.clone(), encoded.clone(), json_secret.trim_matches('"').to_owned()] {
            proptest::prop_assert!(!text.contains(&form), "{form:?} in:\n{text}");
        }
    }
}
