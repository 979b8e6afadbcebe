//! Fault injection, observed from the client side: every kind, counts under concurrency,
//! seeded probabilities, refusals, and unaffected scopes serving on.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use smsim::ClockMode;
use smsim::Simulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::{admin, admin_delete, admin_patch, admin_post, get, raw};
use crate::smsoffice_send::{OK, assert_envelope, start_with};
use smsim_testkit::receiver::Receiver;

const BALANCE: &str = "/api/getBalance?key=demo-key";
const SEND: &str =
    "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi";

async fn with_faults(specs: &[&str]) -> Simulator {
    let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
    start_with(move |c| c.faults = specs).await
}

/// Sends a GET and reads until EOF, returning the bytes or the I/O error.
async fn try_get(addr: SocketAddr, target: &str) -> std::io::Result<Vec<u8>> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream
        .write_all(
            format!("GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await?;
    Ok(bytes)
}

#[tokio::test]
async fn error_kind_answers_in_each_providers_own_shape_without_side_effects() {
    let sim = with_faults(&[
        "smsoffice.send=error:-100",
        "smsco.send=error:2907",
        "getsms.send=error:103",
    ])
    .await;
    assert_envelope(
        &get(&sim, SEND).await,
        r#"{"Success":false,"Message":"Temporary delay","Output":null,"ErrorCode":-100}"#,
    );
    let smsco = get(&sim, "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995555123456&message=hi").await;
    assert_eq!((smsco.status, smsco.text().as_str()), (200, "2907"));
    assert_eq!(
        smsco.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    let getsms = crate::client::post_form(&sim, "/smsgateway/", "login=demo&password=demo").await;
    assert_eq!(
        getsms.text(),
        r#"[{"error":1,"text":"Limit is over","error_no":103}]"#
    );
    assert_eq!(
        admin(&sim, "/messages").await["count"],
        0,
        "an injected error sends nothing"
    );
    assert_eq!(
        get(&sim, BALANCE).await.text(),
        "1000",
        "and charges nothing"
    );
    let journal = admin(&sim, "/requests").await;
    assert_eq!(journal["requests"][0]["fault"], "smsoffice.send=error:-100");
    assert_eq!(journal["requests"][3]["fault"], serde_json::Value::Null);
}

#[tokio::test]
async fn http_kind_is_a_bare_status() {
    let sim = with_faults(&["smsoffice.balance=http:503"]).await;
    let reply = get(&sim, BALANCE).await;
    assert_eq!(reply.status, 503);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn delay_kind_answers_late_but_normally() {
    let sim = with_faults(&["smsoffice.balance=delay:300ms"]).await;
    let started = Instant::now();
    let reply = get(&sim, BALANCE).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(reply.text(), "1000");
}

#[tokio::test]
async fn a_delayed_request_with_a_body_is_read_and_run_after_the_delay() {
    let sim = with_faults(&["smsoffice.send=delay:300ms*1"]).await;
    let form = "key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi";
    let started = Instant::now();
    let delayed = crate::client::post_form(&sim, "/api/v2/send/", form).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_envelope(&delayed, OK);
    // Straight through once the fault is spent.
    assert_envelope(
        &crate::client::post_form(&sim, "/api/v2/send/", form).await,
        OK,
    );
    assert_eq!(admin(&sim, "/messages").await["count"], 2);
    let journal = admin(&sim, "/requests").await;
    let fault = journal["requests"][0]["fault"].as_str().unwrap_or_default();
    assert!(fault.starts_with("smsoffice.send=delay:300ms"), "{fault}");
    assert_eq!(journal["requests"][1]["fault"], serde_json::Value::Null);
}

#[tokio::test]
async fn hang_kind_ends_in_the_clients_timeout() {
    let sim = with_faults(&["smsoffice.balance=hang"]).await;
    let waited =
        tokio::time::timeout(Duration::from_millis(500), try_get(sim.addr(), BALANCE)).await;
    assert!(waited.is_err(), "no reply ever comes");
    let journal = admin(&sim, "/requests").await;
    assert_eq!(journal["requests"][0]["status"], serde_json::Value::Null);
    assert_eq!(journal["requests"][0]["fault"], "smsoffice.balance=hang");
}

#[tokio::test]
async fn reset_kind_is_a_connection_reset() {
    let sim = with_faults(&["smsoffice.balance=reset"]).await;
    let error = try_get(sim.addr(), BALANCE)
        .await
        .expect_err("the read fails");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset, "{error}");
}

#[tokio::test]
async fn close_kind_is_an_empty_reply() {
    let sim = with_faults(&["smsoffice.balance=close"]).await;
    let bytes = try_get(sim.addr(), BALANCE)
        .await
        .expect("an orderly close");
    assert!(bytes.is_empty(), "{bytes:?}");
}

#[tokio::test]
async fn garbage_kind_fails_to_parse() {
    let sim = with_faults(&["smsoffice.send=garbage"]).await;
    let reply = get(&sim, SEND).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert!(!reply.body.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&reply.body).is_err());
}

#[tokio::test]
async fn truncate_kind_sends_less_than_its_content_length() {
    let sim = with_faults(&["smsoffice.send=truncate"]).await;
    let bytes = try_get(sim.addr(), SEND).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("headers arrive");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("content-length");
    assert_eq!(length, OK.len());
    assert_eq!(body.len(), OK.len() / 2);
    assert!(OK.starts_with(body));
    // The send itself went through: the client cannot tell, which is the point.
    assert_eq!(admin(&sim, "/messages").await["count"], 1);
}

#[tokio::test]
async fn count_holds_under_sixteen_concurrent_clients() {
    let sim = with_faults(&["smsoffice.balance=http:503*3"]).await;
    let addr = sim.addr();
    let clients: Vec<_> = (0..16)
        .map(|_| {
            tokio::spawn(async move {
                raw(addr, format!("GET {BALANCE} HTTP/1.1").as_bytes(), b"")
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for client in clients {
        statuses.push(client.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), 3);
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 13);
    let faults = admin(&sim, "/faults").await;
    assert_eq!(faults["faults"][0]["remaining"], 0);
    assert_eq!(faults["faults"][0]["injected"], 3);
}

#[tokio::test]
async fn probability_follows_the_seed() {
    async fn pattern(seed: u64) -> Vec<bool> {
        let sim = start_with(|c| {
            c.seed = Some(seed);
            c.faults = vec!["smsoffice.balance=http:503@0.3".into()];
        })
        .await;
        let mut hits = Vec::with_capacity(1000);
        for _ in 0..1000 {
            hits.push(get(&sim, BALANCE).await.status == 503);
        }
        hits
    }
    let first = pattern(42).await;
    let faults = first.iter().filter(|h| **h).count();
    assert!((250..=350).contains(&faults), "{faults}");
    assert_eq!(first, pattern(42).await);
}

#[tokio::test]
async fn bad_specs_are_refused_on_the_admin_api_with_the_reason() {
    let sim = Simulator::start_default().await.unwrap();
    for (spec, why) in [
        ("nowhere=hang", "unknown scope"),
        ("smsoffice=explode", "unknown kind"),
        ("smsoffice=hang@1.5", "from 0 to 1"),
        (
            "smsoffice.send=error:2907",
            "not an smsoffice ErrorCode; valid: 10, 20",
        ),
        ("smsco=error:-100", "not an smsco code"),
        ("getsms=error:2905", "not a getsms error_no"),
    ] {
        let reply = admin_post(
            &sim,
            "/faults",
            &serde_json::json!({ "spec": spec }).to_string(),
        )
        .await;
        assert_eq!(reply.status, 400, "{spec}");
        let message = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(message.contains(why), "{spec}: {message}");
    }
    let added = admin_post(&sim, "/faults", r#"{"spec": "smsco.status=http:500*2"}"#).await;
    assert_eq!(added.status, 201);
    assert_eq!(added.json()["remaining"], 2);
    let cleared = admin_delete(&sim, "/faults").await;
    assert_eq!(cleared.json()["deleted"], 1);
    assert_eq!(
        admin(&sim, "/faults").await["faults"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn unaffected_scopes_serve_while_faults_fire() {
    let sim = with_faults(&["smsoffice.send=hang", "getsms=reset"]).await;
    let addr = sim.addr();
    let hung: Vec<_> = (0..4).map(|_| tokio::spawn(try_get(addr, SEND))).collect();
    for _ in 0..10 {
        assert_eq!(get(&sim, BALANCE).await.text(), "1000");
        let smsco = get(
            &sim,
            "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&balance=true",
        )
        .await;
        assert_eq!(smsco.text(), "10000");
        assert!(try_get(addr, "/smsgateway/").await.is_err());
    }
    for h in &hung {
        assert!(!h.is_finished(), "the hung sends stay hung");
    }
    hung.into_iter().for_each(|h| h.abort());
    admin_post(&sim, "/reset", "").await;
    assert_eq!(
        admin(&sim, "/faults").await["faults"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "reset restores the configured faults"
    );
}

#[tokio::test]
async fn callback_faults_drop_duplicate_delay_and_fake_statuses() {
    async fn run(spec: &str) -> (Simulator, Receiver) {
        let spec = spec.to_owned();
        let sim = start_with(move |c| {
            c.clock = ClockMode::Manual;
            c.faults = vec![spec];
        })
        .await;
        let receiver = Receiver::start(vec![]).await.unwrap();
        admin_patch(
            &sim,
            "/accounts/smsoffice/demo-key",
            &format!(r#"{{"callback_url": "{}"}}"#, receiver.url()),
        )
        .await;
        let reply = get(&sim, &format!("{SEND}&reference=f")).await;
        assert_eq!(reply.json()["ErrorCode"], 0);
        admin_post(&sim, "/clock/advance", r#"{"seconds": 2}"#).await;
        (sim, receiver)
    }

    let (sim, receiver) = run("smsoffice.callback=drop").await;
    admin_post(&sim, "/clock/advance", r#"{"seconds": 1000}"#).await;
    assert!(
        receiver.hits().is_empty(),
        "a dropped callback never arrives"
    );
    let log = admin(&sim, "/callbacks").await;
    assert_eq!(
        (log["count"].clone(), log["callbacks"][0]["fault"].clone()),
        (1.into(), "smsoffice.callback=drop".into())
    );
    // Lost, not refused: neither retried nor given up.
    assert_eq!(log["callbacks"][0]["given_up"], false);
    assert_eq!(log["callbacks"][0]["retry_at"], serde_json::Value::Null);

    let (_sim, receiver) = run("smsoffice.callback=duplicate").await;
    assert_eq!(receiver.hits().len(), 2);
    assert_eq!(receiver.hits()[0].params, receiver.hits()[1].params);

    let (sim, receiver) = run("smsoffice.callback=delay:30s*1").await;
    assert!(receiver.hits().is_empty());
    admin_post(&sim, "/clock/advance", r#"{"seconds": 29.9}"#).await;
    assert!(receiver.hits().is_empty());
    admin_post(&sim, "/clock/advance", r#"{"seconds": 0.1}"#).await;
    assert_eq!(receiver.hits().len(), 1);
    assert_eq!(
        admin(&sim, "/callbacks").await["callbacks"][0]["at"],
        admin(&sim, "/clock").await["rfc3339"]
    );

    let (sim, receiver) = run("smsoffice.callback=http:500*1").await;
    assert!(
        receiver.hits().is_empty(),
        "the receiver only seemed to answer 500"
    );
    admin_post(&sim, "/clock/advance", r#"{"seconds": 10}"#).await;
    assert_eq!(receiver.hits().len(), 1, "the retry reaches it");
    let log = admin(&sim, "/callbacks").await;
    assert_eq!(
        (
            log["callbacks"][0]["status"].clone(),
            log["callbacks"][1]["acknowledged"].clone()
        ),
        (500.into(), true.into())
    );
}

#[tokio::test]
async fn faults_added_at_runtime_apply_and_clearing_stops_them() {
    let sim = Simulator::start_default().await.unwrap();
    assert_eq!(get(&sim, BALANCE).await.status, 200);
    assert_eq!(
        admin_post(&sim, "/faults", r#"{"spec": "smsoffice.balance=http:418"}"#)
            .await
            .status,
        201
    );
    assert_eq!(get(&sim, BALANCE).await.status, 418);
    admin_delete(&sim, "/faults").await;
    assert_eq!(get(&sim, BALANCE).await.status, 200);
}
