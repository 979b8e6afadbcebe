//! Reading the code an app just sent: `/__admin/messages/latest` (at once, or waiting for the
//! message), the `code` every message carries, and the listing's search.

use std::time::Duration;

use serde_json::Value;
use smsim::Simulator;

use crate::client::{admin, get};
use crate::delivery::manual;
use crate::smsoffice_send::start_with;

/// Sends `text` to `destination` through smsoffice.
async fn send(sim: &Simulator, destination: &str, text: &str) {
    let target = format!(
        "/api/v2/send/?key=demo-key&destination={destination}&sender=SMSOFFICE&content={}",
        smsim_testkit::encode(text)
    );
    assert_eq!(get(sim, &target).await.json()["ErrorCode"], 0);
}

#[tokio::test]
async fn latest_answers_the_newest_match_with_its_code() {
    let sim = manual().await;
    send(&sim, "995577000011", "Your code is 4821").await;
    send(&sim, "995577000012", "Your code is 1111").await;
    send(&sim, "995577000011", "Kod: 907311. Valid 5 minutes").await;
    let latest = admin(&sim, "/messages/latest?destination=995577000011").await;
    assert_eq!(latest["code"], "907311");
    assert_eq!(latest["destination"], "995577000011");
    let found = admin(
        &sim,
        "/messages/latest?q=CODE%20IS&destination=995577000011",
    )
    .await;
    assert_eq!(found["code"], "4821");
    let none = get(&sim, "/__admin/messages/latest?destination=995500000000").await;
    assert_eq!(none.status, 404);
    assert_eq!(none.json()["error"], "no message matches");
    // A '+' left unencoded in the URL reads as a space; encoded, it is a '+': either way the
    // miss says what to write.
    for (written, read_as) in [
        ("+995577000011", " 995577000011"),
        ("%2B995577000011", "+995577000011"),
    ] {
        for wait in ["", "&wait=0.1"] {
            let miss = get(
                &sim,
                &format!("/__admin/messages/latest?destination={written}{wait}"),
            )
            .await;
            assert_eq!(miss.status, 404);
            let error = miss.json()["error"].as_str().unwrap().to_owned();
            assert!(
                error.contains(&format!("{read_as:?}"))
                    && error.ends_with("try destination=995577000011"),
                "{error}"
            );
        }
    }
    // Every listing carries the code, null where the text has none.
    send(&sim, "995577000013", "Order 1234567890 shipped").await;
    let all = admin(&sim, "/messages?order=newest&limit=1").await;
    assert_eq!(all["messages"][0]["code"], Value::Null);
}

#[tokio::test]
async fn a_waiting_request_gets_the_message_as_soon_as_it_is_accepted() {
    let sim = manual().await;
    send(&sim, "995577000021", "Old code 1234").await;
    let seen = admin(&sim, "/messages/latest?destination=995577000021").await["id"]
        .as_u64()
        .unwrap();
    let path = format!("/__admin/messages/latest?destination=995577000021&since={seen}&wait=10s");
    let waiting = get(&sim, &path);
    let sending = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&sim, "995577000021", "Your code is 5588").await;
    };
    let (reply, ()) = tokio::join!(waiting, sending);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["code"], "5588");
    // Another test's message to another number does not answer it.
    let path = "/__admin/messages/latest?destination=995577000022&wait=300ms";
    let other = async {
        send(&sim, "995577000023", "Your code is 9999").await;
    };
    let (reply, ()) = tokio::join!(get(&sim, path), other);
    assert_eq!(reply.status, 404);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("within the wait")
    );
}

#[tokio::test]
async fn the_listing_searches_text_sender_and_destination_and_ranges_by_id_or_time() {
    let sim = manual().await;
    send(&sim, "995577000031", "Alpha 1").await;
    send(&sim, "995577000032", "beta 2").await;
    crate::delivery::advance(&sim, 60.0).await;
    send(&sim, "995577000033", "ALPHA 3").await;
    let alpha = admin(&sim, "/messages?q=alpha").await;
    assert_eq!(alpha["count"], 2);
    assert_eq!(
        admin(&sim, "/messages?q=smsoffice").await["count"],
        3,
        "the sender"
    );
    assert_eq!(
        admin(&sim, "/messages?q=000032").await["count"],
        1,
        "the destination"
    );
    let first = admin(&sim, "/messages?limit=1").await["messages"][0]["id"].clone();
    let since = admin(&sim, &format!("/messages?since={first}")).await;
    assert_eq!(since["count"], 2);
    let until = admin(&sim, &format!("/messages?until={first}")).await;
    assert_eq!(until["count"], 1);
    // The first two were accepted at the start, the third a minute later.
    let later = admin(&sim, "/messages?since=2023-11-14T22:13:30Z").await;
    assert_eq!(later["count"], 1, "{later}");
    for bad in [
        "/messages?since=yesterday",
        "/messages?until=1.5",
        "/messages/latest?wait=soon",
        "/messages/latest?wait=61s",
        "/messages/latest?wait=-1",
    ] {
        let reply = get(&sim, &format!("/__admin{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}: {}", reply.text());
        assert!(reply.json()["error"].is_string());
    }
    let long = format!("/__admin/messages?q={}", "x".repeat(201));
    assert_eq!(get(&sim, &long).await.status, 400);
}

/// The admin API's document describes `wait`, `since` and `until` by patterns, for client
/// generators and the schema fuzz: what a pattern allows is taken, what it does not is refused.
#[tokio::test]
async fn the_document_s_patterns_are_what_the_listings_take() {
    let sim = manual().await;
    send(&sim, "995577000051", "hello").await;
    let document = get(&sim, "/__admin/openapi.json").await.json();
    let pattern = |pointer: &str| {
        let text = document.pointer(pointer).and_then(Value::as_str);
        regex::Regex::new(text.unwrap_or_else(|| panic!("no pattern at {pointer}"))).unwrap()
    };
    let wait = pattern("/components/parameters/wait/schema/pattern");
    let id = pattern("/components/schemas/Bound/anyOf/0/pattern");
    assert_eq!(
        document["components"]["schemas"]["Bound"]["anyOf"][1]["format"],
        "date-time"
    );
    for (text, allowed) in [
        ("0", true),
        ("0.02", true),
        ("20ms", true),
        ("0.02s", true),
        ("0m", true),
        ("soon", false),
        ("-1", false),
        ("1h", false),
        ("1e1", false),
        ("", false),
    ] {
        assert_eq!(wait.is_match(text), allowed, "wait={text}");
        let reply = get(
            &sim,
            &format!("/__admin/messages/latest?destination=995577000059&wait={text}"),
        )
        .await;
        assert_eq!(
            reply.status,
            if allowed { 404 } else { 400 },
            "wait={text}: {}",
            reply.text()
        );
    }
    for (text, allowed) in [
        ("0", true),
        ("1", true),
        ("9999999999999999999", true),
        ("18446744073709551616", false),
        ("1.5", false),
        ("yesterday", false),
    ] {
        assert_eq!(id.is_match(text), allowed, "since={text}");
        let reply = get(&sim, &format!("/__admin/messages?since={text}")).await;
        assert_eq!(
            reply.status,
            if allowed { 200 } else { 400 },
            "since={text}: {}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn the_code_pattern_is_a_setting_and_a_bad_one_is_refused() {
    let sim = start_with(|c| c.inbox.code_pattern = r"PIN-([A-Z0-9]{6})".into()).await;
    send(&sim, "995577000041", "Your PIN-AB12CD and 4821").await;
    assert_eq!(admin(&sim, "/messages/latest").await["code"], "AB12CD");
    let bad = smsim::Config::from_json(r#"{"inbox": {"code_pattern": "(unclosed"}}"#, "x.json")
        .unwrap_err()
        .to_string();
    assert!(bad.contains("inbox.code_pattern"), "{bad}");
}

#[tokio::test]
async fn the_longest_wait_is_a_setting_and_a_bad_one_is_refused() {
    let sim = start_with(|c| c.limits.max_wait_seconds = 2).await;
    let over = get(&sim, "/__admin/messages/latest?wait=3s").await;
    assert_eq!(over.status, 400);
    assert!(
        over.text().contains("limits.max_wait_seconds"),
        "{}",
        over.text()
    );
    let within = get(&sim, "/__admin/messages/latest?wait=50ms").await;
    assert_eq!(within.status, 404, "{}", within.text());
    for bad in ["0", "601"] {
        let json = format!(r#"{{"limits": {{"max_wait_seconds": {bad}}}}}"#);
        let refused = smsim::Config::from_json(&json, "x.json")
            .unwrap_err()
            .to_string();
        assert!(refused.contains("limits.max_wait_seconds"), "{refused}");
    }
}

#[tokio::test]
async fn a_waiting_request_is_released_at_shutdown() {
    let sim = start_with(|_| {}).await;
    let addr = sim.addr();
    let waiting = tokio::spawn(async move {
        smsim_testkit::RequestBytes::get("/__admin/messages/latest?wait=30s")
            .send(&addr.to_string())
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let report = sim.shutdown().await;
    assert_eq!(
        report.unfinished_tasks, 0,
        "the waiting request held the shutdown"
    );
    let reply = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("released")
        .unwrap();
    if let Ok(reply) = reply {
        assert_eq!(reply.status, 503, "{}", reply.text());
    }
}

#[tokio::test]
async fn a_rust_test_waits_for_the_code_without_http() {
    let sim = manual().await;
    send(&sim, "995577000031", "Old code 1234").await;
    send(&sim, "995577000032", "Another phone's code 9999").await;
    let seen = sim.sim().last_message_id();
    assert_eq!(seen, sim.sim().messages().last().unwrap().id);
    // The app sends later, from a task of its own; the test waits for that message only.
    let sending = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        send(&sim, "995577000032", "Not this phone 2222").await;
        send(&sim, "995577000031", "Your code is 5588").await;
    };
    // However long the wait asked for ("for ever" here), it ends with the message.
    let waiting = tokio::time::timeout(
        Duration::from_secs(10),
        sim.sim()
            .wait_for_message("995577000031", seen, Duration::MAX),
    );
    let (message, ()) = tokio::join!(waiting, sending);
    let message = message
        .expect("answered within 10 s")
        .expect("the message the app sent");
    assert_eq!(message.destination, "995577000031");
    assert_eq!(sim.sim().code_in(&message.content).as_deref(), Some("5588"));

    // One already there is answered at once; `since` past it, the wait runs out.
    let at_once = sim
        .sim()
        .wait_for_message("995577000031", seen, Duration::ZERO)
        .await;
    assert_eq!(at_once.map(|m| m.id), Some(message.id));
    let started = std::time::Instant::now();
    let none = sim
        .sim()
        .wait_for_message("995577000031", message.id, Duration::from_millis(300))
        .await;
    assert!(none.is_none());
    assert!(started.elapsed() >= Duration::from_millis(300));
}
