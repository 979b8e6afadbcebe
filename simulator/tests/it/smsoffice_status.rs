//! smsoffice.ge getBalance and getMessageStatus.

use smsim::Simulator;
use smsim::smsoffice::BalanceBadKey;

use crate::client::get;
use crate::smsoffice_send::{assert_envelope, err, send, start_with};

fn status_body(status: &str) -> String {
    format!(
        r#"{{"Success":true,"Message":"The request has been successfully received by our system.","Output":{{"Status":"{status}"}},"ErrorCode":0}}"#
    )
}

#[tokio::test]
async fn get_balance_answers_a_bare_integer_on_both_paths() {
    let sim = Simulator::start_default().await.unwrap();
    for (target, body) in [
        ("/api/getBalance?key=demo-key", "1000"),
        ("/api/getBalance/?key=demo-key", "1000"),
        ("/api/getBalance?KEY=disabled-key", "1000"),
        ("/api/getBalance?key=empty-key", "0"),
        ("/api/getBalance?key=unknown", "0"),
        ("/api/getBalance", "0"),
    ] {
        let reply = get(&sim, target).await;
        assert_eq!(reply.status, 200, "{target}");
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(reply.text(), body, "{target}");
    }
}

#[tokio::test]
async fn get_balance_with_a_bad_key_can_answer_the_envelope() {
    let sim = start_with(|c| c.quirks.smsoffice.balance_bad_key = BalanceBadKey::Envelope).await;
    assert_envelope(
        &get(&sim, "/api/getBalance").await,
        &err(500, "API key is missing"),
    );
    assert_envelope(
        &get(&sim, "/api/getBalance?key=nope").await,
        &err(80, "API key is incorrect"),
    );
    assert_eq!(
        get(&sim, "/api/getBalance?key=demo-key").await.text(),
        "1000"
    );
}

#[tokio::test]
async fn message_status_errors_are_byte_exact() {
    let sim = Simulator::start_default().await.unwrap();
    for (query, code, message) in [
        (
            "destination=995555123456&reference=r",
            500,
            "API key is missing",
        ),
        ("key=demo-key&reference=r", 600, "Destination is missing"),
        ("key=nope&reference=r", 600, "Destination is missing"),
        (
            "key=nope&destination=995555123456&reference=r",
            80,
            "API key is incorrect",
        ),
        (
            "key=disabled-key&destination=995555123456&reference=r",
            120,
            "API access is disabled",
        ),
    ] {
        let reply = get(&sim, &format!("/api/v2/getMessageStatus/?{query}")).await;
        assert_envelope(&reply, &err(code, message));
    }
}

#[tokio::test]
async fn message_status_reads_the_stored_message() {
    let sim = start_with(|c| c.clock = smsim::ClockMode::Manual).await;
    let reply = send(&sim, "key=demo-key&destination=995555123456,995555123457&sender=SMSOFFICE&content=hi&reference=order-1").await;
    assert_eq!(reply.json()["ErrorCode"], 0);
    for path in ["/api/v2/getMessageStatus/", "/api/v2/getMessageStatus"] {
        let reply = get(
            &sim,
            &format!("{path}?key=demo-key&destination=995555123457&reference=order-1"),
        )
        .await;
        assert_envelope(&reply, &status_body("Pending"));
    }
    // Never sent, sent without this reference, or asked with another account's key: Unknown.
    for query in [
        "key=demo-key&destination=995555999999&reference=order-1",
        "key=demo-key&destination=995555123456&reference=order-2",
        "key=demo-key&destination=995555123456",
        "key=empty-key&destination=995555123456&reference=order-1",
    ] {
        let reply = get(&sim, &format!("/api/v2/getMessageStatus/?{query}")).await;
        assert_envelope(&reply, &status_body("Unknown"));
    }
}
