//! smsoffice delivery callbacks: retries, giving up, hanging and slow receivers, volume, source
//! address, and when none is owed. The clock is manual; nothing sleeps.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::Value;
use smsim::ClockMode;
use smsim_testkit::receiver::{Answer, Receiver};

use crate::client::{admin, admin_all, admin_patch, get, post_form, raw};
use crate::delivery::{advance, client_balance_restore, manual, set_callback, smsoffice_send};
use crate::smsoffice_send::start_with;

#[tokio::test]
async fn an_unacknowledged_callback_is_retried_at_the_backoff_times() {
    let sim = manual().await;
    let receiver = Receiver::start(vec![
        Answer::Reply(500, "error".into()),
        Answer::Reply(200, "NOT OK".into()),
    ])
    .await
    .unwrap();
    set_callback(&sim, &receiver.url()).await;
    smsoffice_send(&sim, "995555123456", "retry").await;
    advance(&sim, 1000.0).await;
    assert_eq!(receiver.hits().len(), 3);
    let log = admin(&sim, "/callbacks").await;
    let attempts: Vec<(u64, &str, Value, bool, bool)> = log["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["attempt"].as_u64().unwrap(),
                a["at"].as_str().unwrap(),
                a["status"].clone(),
                a["acknowledged"].as_bool().unwrap(),
                a["given_up"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        attempts,
        [
            (
                1,
                "2023-11-14T22:13:22.000Z",
                Value::from(500),
                false,
                false
            ),
            (
                2,
                "2023-11-14T22:13:32.000Z",
                Value::from(200),
                false,
                false
            ),
            (3, "2023-11-14T22:14:32.000Z", Value::from(200), true, false),
        ]
    );
    assert_eq!(log["callbacks"][1]["body"], "NOT OK");
    assert_eq!(log["callbacks"][0]["retry_at"], "2023-11-14T22:13:32.000Z");
}

#[tokio::test]
async fn a_receiver_that_never_acknowledges_is_given_up_after_the_configured_attempts() {
    let sim = manual().await;
    let receiver = Receiver::start_with(vec![], Answer::Reply(200, "nope".into()))
        .await
        .unwrap();
    set_callback(&sim, &receiver.url()).await;
    smsoffice_send(&sim, "995555123456", "never").await;
    advance(&sim, 10_000.0).await;
    assert_eq!(receiver.hits().len(), 4, "one attempt and three retries");
    let log = admin(&sim, "/callbacks").await;
    let times: Vec<&str> = log["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2023-11-14T22:13:22.000Z",
            "2023-11-14T22:13:32.000Z",
            "2023-11-14T22:14:32.000Z",
            "2023-11-14T22:19:32.000Z"
        ]
    );
    assert_eq!(log["callbacks"][3]["given_up"], true);
    assert_eq!(log["callbacks"][2]["given_up"], false);
    // A refused connection is a failed attempt too, recorded with its error.
    let refused = manual().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    set_callback(&refused, &format!("http://127.0.0.1:{port}/cb")).await;
    smsoffice_send(&refused, "995555123456", "refused").await;
    advance(&refused, 10_000.0).await;
    let log = admin(&refused, "/callbacks").await;
    assert_eq!(log["count"], 4);
    assert!(
        log["callbacks"][0]["error"]
            .as_str()
            .unwrap()
            .contains("refused"),
        "{}",
        log["callbacks"][0]
    );
}

#[tokio::test]
async fn a_hanging_receiver_never_blocks_the_api() {
    let sim = start_with(|c| {
        c.rules = serde_json::from_str(
            r#"[{"destination": {"regex": ".*"}, "outcome": "delivered", "delay_seconds": 0}]"#,
        )
        .unwrap();
        c.callbacks.timeout_ms = 60_000;
    })
    .await;
    let receiver = Receiver::start_with(vec![], Answer::Hang).await.unwrap();
    set_callback(&sim, &receiver.url()).await;
    for i in 0..3 {
        smsoffice_send(&sim, &format!("99555512345{i}"), "hang").await;
    }
    receiver.wait_for(3).await;
    // Three callbacks hang now; every API keeps answering.
    for _ in 0..20 {
        let answered = tokio::time::timeout(Duration::from_secs(5), async {
            assert_eq!(
                get(&sim, "/api/getBalance?key=demo-key").await.text(),
                "997"
            );
            assert_eq!(get(&sim, "/__admin/health").await.status, 200);
            smsoffice_send(&sim, "995555999999", "other").await;
        })
        .await;
        assert!(
            answered.is_ok(),
            "the API stalled behind a hanging receiver"
        );
        client_balance_restore(&sim).await;
    }
}

#[tokio::test]
async fn two_thousand_callbacks_are_each_acknowledged_exactly_once() {
    let sim = manual().await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    set_callback(&sim, &receiver.url()).await;
    admin_patch(
        &sim,
        "/accounts/smsoffice/demo-key",
        r#"{"balance": 5000, "stop_list": []}"#,
    )
    .await;
    let rules = raw(
        sim.addr(),
        b"PUT /__admin/rules HTTP/1.1\r\nContent-Type: application/json",
        br#"[{"destination": {"prefix": "995"}, "outcome": "delivered", "delay_seconds": [1, 3]}]"#,
    )
    .await;
    assert_eq!(rules.status, 200, "{}", rules.text());
    let numbers: Vec<String> = (0..2000).map(|i| format!("9955552{i:05}")).collect();
    let reply = post_form(
        &sim,
        "/api/v2/send/",
        &format!(
            "key=demo-key&destination={}&sender=SMSOFFICE&content=load&reference=load",
            numbers.join(",")
        ),
    )
    .await;
    assert_eq!(reply.json()["ErrorCode"], 0);
    advance(&sim, 5.0).await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2000);
    let mut per_destination: BTreeMap<String, usize> = BTreeMap::new();
    for hit in &hits {
        assert_eq!(hit.params["status"], "Delivered");
        *per_destination
            .entry(hit.params["destination"].clone())
            .or_default() += 1;
    }
    assert_eq!(per_destination.len(), 2000);
    assert!(per_destination.values().all(|n| *n == 1));
    let log = admin(&sim, "/callbacks").await;
    assert_eq!(log["count"], 2000);
    let attempts = admin_all(&sim, "/callbacks", "callbacks").await;
    assert_eq!(attempts.len(), 2000);
    assert!(attempts.iter().all(|a| a["acknowledged"] == true));
    assert_eq!(
        admin(&sim, "/messages?status=delivered").await["count"],
        2000
    );
}

#[tokio::test]
async fn callbacks_can_leave_from_a_chosen_address_with_forwarded_headers() {
    let sim = start_with(|c| {
        c.clock = ClockMode::Manual;
        c.callbacks.bind = Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
        c.callbacks.forwarded_headers = true;
    })
    .await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    set_callback(&sim, &receiver.url()).await;
    smsoffice_send(&sim, "995577123456", "src").await;
    advance(&sim, 2.0).await;
    let hit = &receiver.hits()[0];
    assert_eq!(hit.peer.ip(), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    assert_eq!(hit.headers["x-forwarded-for"], "91.239.206.90");
    assert_eq!(hit.headers["x-real-ip"], "91.239.206.90");
    assert_eq!(
        hit.params["operator"], "28202",
        "the document's example number and operator"
    );
}

#[tokio::test]
async fn messages_without_reference_or_url_get_no_callback() {
    let sim = manual().await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    let reply = get(
        &sim,
        "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi",
    )
    .await;
    assert_eq!(reply.json()["ErrorCode"], 0);
    smsoffice_send(&sim, "995555123457", "no-url-yet").await;
    set_callback(&sim, &receiver.url()).await;
    let reply = get(
        &sim,
        "/api/v2/send/?key=demo-key&destination=995555123458&sender=SMSOFFICE&content=hi",
    )
    .await;
    assert_eq!(reply.json()["ErrorCode"], 0);
    advance(&sim, 5.0).await;
    // Only the referenced message reports; the URL in force at delivery time is used.
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].params["destination"], "995555123457");
}
