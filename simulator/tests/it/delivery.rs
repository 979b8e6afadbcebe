//! The delivery engine: magic numbers on every provider, callbacks and their retries, seeded
//! randomness, load, scheduling. The clock is manual; nothing sleeps.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde_json::Value;
use smsim::ClockMode;
use smsim::Simulator;

use crate::client::{admin, admin_patch, admin_post, enc, get, post_form, raw};
use crate::smsoffice_send::start_with;
use smsim_testkit::receiver::Receiver;

pub(crate) const T0: i64 = 1_700_000_000;

pub(crate) async fn manual() -> Simulator {
    start_with(|c| {
        c.clock = ClockMode::Manual;
        c.clock_start = Some(T0);
    })
    .await
}

pub(crate) async fn advance(sim: &Simulator, seconds: f64) -> Value {
    let reply = admin_post(
        sim,
        "/clock/advance",
        &format!(r#"{{"seconds": {seconds}}}"#),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

pub(crate) async fn set_callback(sim: &Simulator, url: &str) {
    let reply = admin_patch(
        sim,
        "/accounts/smsoffice/demo-key",
        &format!(r#"{{"callback_url": "{url}"}}"#),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
}

pub(crate) async fn smsoffice_send(sim: &Simulator, destination: &str, reference: &str) {
    let reply = get(sim, &format!("/api/v2/send/?key=demo-key&destination={destination}&sender=SMSOFFICE&content=hi&reference={reference}")).await;
    assert_eq!(reply.json()["ErrorCode"], 0, "{}", reply.text());
}

pub(crate) async fn smsoffice_status(
    sim: &Simulator,
    destination: &str,
    reference: &str,
) -> String {
    let reply = get(
        sim,
        &format!(
            "/api/v2/getMessageStatus/?key=demo-key&destination={destination}&reference={reference}"
        ),
    )
    .await;
    reply.json()["Output"]["Status"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn georgia(seconds_after_t0: i64) -> String {
    smsim::Timestamp((T0 + seconds_after_t0) * 1000)
        .format_datetime(4)
        .replace(['-', ' ', ':'], "")
}

/// A listed message's history as (status, simulator time) pairs.
fn history_of(message: &Value) -> Vec<(&str, &str)> {
    message["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["status"].as_str().unwrap(), h["at"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn a_delivered_callback_arrives_only_when_the_clock_reaches_it() {
    let sim = manual().await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    set_callback(&sim, &receiver.url()).await;
    smsoffice_send(&sim, "995555123456", "order-7").await;
    advance(&sim, 1.999).await;
    assert!(receiver.hits().is_empty(), "nothing before the delay");
    assert_eq!(
        smsoffice_status(&sim, "995555123456", "order-7").await,
        "Pending"
    );
    advance(&sim, 0.001).await;
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "exactly one callback");
    let expected: BTreeMap<String, String> = [
        ("reference", "order-7"),
        ("status", "Delivered"),
        ("reason", ""),
        ("destination", "995555123456"),
        ("timestamp", georgia(2).as_str()),
        ("operator", "28201"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(hits[0].params, expected);
    assert_eq!(hits[0].peer.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(
        smsoffice_status(&sim, "995555123456", "order-7").await,
        "Delivered"
    );
    let message = &admin(&sim, "/messages").await["messages"][0];
    let history = history_of(message);
    assert_eq!(
        history,
        [
            ("accepted", "2023-11-14T22:13:20.000Z"),
            ("pending", "2023-11-14T22:13:20.000Z"),
            ("delivered", "2023-11-14T22:13:22.000Z")
        ]
    );
    let attempts = admin(&sim, "/callbacks").await;
    assert_eq!(attempts["callbacks"][0]["acknowledged"], true);
    assert_eq!(attempts["callbacks"][0]["attempt"], 1);
    // Nothing more ever comes for a final state.
    advance(&sim, 3600.0).await;
    assert_eq!(receiver.hits().len(), 1);
}

#[tokio::test]
async fn magic_numbers_on_smsoffice_with_callbacks() {
    let sim = manual().await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    set_callback(&sim, &receiver.url()).await;
    for n in [
        "995555000001",
        "995555000002",
        "995555000003",
        "995555000005",
    ] {
        smsoffice_send(&sim, n, "magic").await;
    }
    // 0004 is on demo-key's stop list.
    let stop = get(&sim, "/api/v2/send/?key=demo-key&destination=995555000004&sender=SMSOFFICE&content=hi&reference=magic").await;
    assert_eq!(stop.json()["ErrorCode"], 75);
    advance(&sim, 2.0).await;
    let at_2s: Vec<String> = [1, 2, 3, 5]
        .iter()
        .map(|i| format!("995555{i:06}"))
        .collect();
    let mut statuses = Vec::new();
    for n in &at_2s {
        statuses.push(smsoffice_status(&sim, n, "magic").await);
    }
    assert_eq!(statuses, ["Undelivered", "Expired", "Pending", "Pending"]);
    let by_destination =
        |hits: &[smsim_testkit::receiver::Hit]| -> BTreeMap<String, (String, String, String)> {
            hits.iter()
                .map(|h| {
                    (
                        h.params["destination"].clone(),
                        (
                            h.params["status"].clone(),
                            h.params["reason"].clone(),
                            h.params["timestamp"].clone(),
                        ),
                    )
                })
                .collect()
        };
    let hits = by_destination(&receiver.hits());
    assert_eq!(hits.len(), 2);
    assert_eq!(
        hits["995555000001"],
        (
            "Undelivered".into(),
            "Subscriber absent".into(),
            String::new()
        )
    );
    assert_eq!(
        hits["995555000002"],
        (
            "Expired".into(),
            "Validity period expired".into(),
            String::new()
        )
    );
    advance(&sim, 58.0).await;
    assert_eq!(
        smsoffice_status(&sim, "995555000005", "magic").await,
        "Delivered"
    );
    assert_eq!(
        by_destination(&receiver.hits())["995555000005"],
        ("Delivered".into(), String::new(), georgia(60))
    );
    advance(&sim, 86_400.0).await;
    assert_eq!(
        smsoffice_status(&sim, "995555000003", "magic").await,
        "Pending",
        "0003 stays pending forever"
    );
    assert_eq!(receiver.hits().len(), 3);
}

#[tokio::test]
async fn magic_numbers_on_smsco_status_digits() {
    let sim = manual().await;
    let mut mes_ids = BTreeMap::new();
    for suffix in ["0001", "0002", "0003", "0004", "0005", "1234"] {
        let reply = get(&sim, &format!("/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=99555500{suffix}&message=hi")).await;
        let mes_id = reply.text().rsplit(' ').next().unwrap().to_owned();
        mes_ids.insert(suffix, mes_id);
    }
    let digits = |sim: &Simulator, mes_ids: &BTreeMap<&str, String>| {
        let targets: Vec<String> = mes_ids
            .values()
            .map(|id| format!("/components/com_smsreseller/getstatus.php?username=demo&password=demo&mes_id={id}"))
            .collect();
        let addr = sim.addr();
        async move {
            let mut out = Vec::new();
            for t in targets {
                out.push(
                    raw(addr, format!("GET {t} HTTP/1.1").as_bytes(), b"")
                        .await
                        .text(),
                );
            }
            out
        }
    };
    // Keys in order: 0001, 0002, 0003, 0004, 0005, 1234.
    assert_eq!(
        digits(&sim, &mes_ids).await,
        ["2", "2", "2", "2", "2", "2"],
        "accepted: in process"
    );
    advance(&sim, 1.0).await;
    assert_eq!(
        digits(&sim, &mes_ids).await,
        ["0", "0", "0", "0", "0", "0"],
        "handed over: sent"
    );
    advance(&sim, 1.0).await;
    assert_eq!(digits(&sim, &mes_ids).await, ["3", "5", "0", "6", "0", "1"]);
    advance(&sim, 58.0).await;
    assert_eq!(digits(&sim, &mes_ids).await, ["3", "5", "0", "6", "1", "1"]);
}

#[tokio::test]
async fn magic_numbers_on_getsms_status_rows() {
    let sim = manual().await;
    let items: Vec<String> = ["0001", "0002", "0003", "0004", "0005", "1234"]
        .iter()
        .map(|s| format!(r#"{{"phone":"99890000{s}","text":"hi"}}"#))
        .collect();
    let body = format!(
        "login=demo&password=demo&nickname=GETSMS&data={}",
        enc(&format!("[{}]", items.join(",")))
    );
    let reply = post_form(&sim, "/smsgateway/", &body).await;
    let request_id = reply.json()[0]["request_id"].as_u64().unwrap();
    let rows = |sim: &Simulator| {
        let body = format!(
            "login=demo&password=demo&data={}",
            enc(&format!(r#"[{{"request_id":"{request_id}"}}]"#))
        );
        let addr = sim.addr();
        async move {
            let head = b"POST /smsgateway/status/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
            let reply = raw(addr, head, body.as_bytes()).await;
            reply
                .json()
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["status"].as_str().unwrap().to_owned(),
                        r["description"].as_str().unwrap().to_owned(),
                        r["date_delivered"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    advance(&sim, 2.0).await;
    let at_2s = rows(&sim).await;
    let words: Vec<&str> = at_2s.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        words,
        ["failed", "failed", "sent", "failed", "sent", "delivered"]
    );
    assert_eq!(at_2s[0].1, "Subscriber absent");
    assert_eq!(at_2s[3].1, "Rejected by operator");
    assert_eq!(
        at_2s[5],
        (
            "delivered".into(),
            "OK".into(),
            Value::String("2023-11-15 03:13:22".into())
        )
    );
    assert_eq!(at_2s[4].2, Value::Null);
    advance(&sim, 58.0).await;
    assert_eq!(
        rows(&sim).await[4],
        (
            "delivered".into(),
            "OK".into(),
            Value::String("2023-11-15 03:14:20".into())
        )
    );
}

pub(crate) async fn client_balance_restore(sim: &Simulator) {
    admin_patch(sim, "/accounts/smsoffice/demo-key", r#"{"balance": 997}"#).await;
}

#[tokio::test]
async fn the_same_seed_gives_the_same_outcomes_and_another_seed_differs() {
    async fn outcomes(seed: u64) -> Vec<String> {
        let sim = start_with(|c| {
            c.seed = Some(seed);
            c.clock = ClockMode::Manual;
            c.clock_start = Some(T0);
            c.rules = serde_json::from_str(
                r#"[{"destination": {"regex": ".*"}, "delay_seconds": [1, 5],
                     "random": [{"weight": 1, "outcome": "delivered"}, {"weight": 1, "outcome": "undelivered", "reason": "Busy"}]}]"#,
            )
            .unwrap();
        })
        .await;
        let numbers: Vec<String> = (0..60).map(|i| format!("9955551{i:05}")).collect();
        let reply = get(
            &sim,
            &format!(
                "/api/v2/send/?key=demo-key&destination={}&sender=SMSOFFICE&content=hi",
                numbers.join(",")
            ),
        )
        .await;
        assert_eq!(reply.json()["ErrorCode"], 0);
        advance(&sim, 10.0).await;
        let stored = admin(&sim, "/messages").await;
        stored["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                format!(
                    "{} {}",
                    m["status"].as_str().unwrap(),
                    m["history"][2]["at"].as_str().unwrap()
                )
            })
            .collect()
    }
    let first = outcomes(7).await;
    assert_eq!(first, outcomes(7).await);
    assert_ne!(first, outcomes(8).await);
    let delivered = first.iter().filter(|o| o.starts_with("delivered")).count();
    assert!(
        (10..50).contains(&delivered),
        "both outcomes drawn: {delivered}"
    );
}

#[tokio::test]
async fn scheduled_messages_wait_until_due() {
    let sim = manual().await;
    let receiver = Receiver::start(vec![]).await.unwrap();
    set_callback(&sim, &receiver.url()).await;
    let reply = get(&sim, &format!("/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi&reference=later&scheduledAt={}", T0 + 3600)).await;
    assert_eq!(reply.json()["ErrorCode"], 0);
    let smsco = get(&sim, "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995555123456&message=hi&schedule=2023-11-15+03:13:20").await;
    assert!(smsco.text().starts_with("OK 5 "), "{}", smsco.text());
    advance(&sim, 3599.0).await;
    assert_eq!(admin(&sim, "/messages?status=scheduled").await["count"], 2);
    assert!(receiver.hits().is_empty());
    advance(&sim, 3.0).await;
    let stored = admin(&sim, "/messages").await;
    for m in stored["messages"].as_array().unwrap() {
        let history = history_of(m);
        assert_eq!(
            history,
            [
                ("scheduled", "2023-11-14T22:13:20.000Z"),
                ("pending", "2023-11-14T23:13:20.000Z"),
                ("delivered", "2023-11-14T23:13:22.000Z")
            ]
        );
    }
    assert_eq!(receiver.hits().len(), 1);
}

#[tokio::test]
async fn rules_are_read_and_replaced_whole() {
    let sim = manual().await;
    let rules = admin(&sim, "/rules").await;
    assert_eq!(rules.as_array().unwrap().len(), 7);
    assert_eq!(rules[0]["destination"]["suffix"], "0001");
    let bad = raw(
        sim.addr(),
        b"PUT /__admin/rules HTTP/1.1\r\nContent-Type: application/json",
        br#"[{"destination": {"exact": "1"}}]"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .unwrap()
            .contains("needs `outcome` or `random`")
    );
    let put = raw(
        sim.addr(),
        b"PUT /__admin/rules HTTP/1.1\r\nContent-Type: application/json",
        br#"[{"provider": "getsms", "destination": {"regex": "^998"}, "outcome": "expired", "reason": "TTL", "delay_seconds": 1}]"#,
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(admin(&sim, "/rules").await.as_array().unwrap().len(), 1);
    // No rule matches smsoffice now: delivered at hand-over.
    smsoffice_send(&sim, "995555123456", "r").await;
    advance(&sim, 0.0).await;
    assert_eq!(
        smsoffice_status(&sim, "995555123456", "r").await,
        "Delivered"
    );
    admin_post(&sim, "/reset", "").await;
    assert_eq!(admin(&sim, "/rules").await.as_array().unwrap().len(), 7);
}
