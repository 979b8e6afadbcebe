//! The shared HTTP rules: one content through three encodings, and proxy-style requests.

use smsim::Simulator;

use crate::client::{admin, enc, get, message_texts, multipart, post, post_form, raw};
use crate::smsoffice_send::{OK, assert_envelope};

const TRICKY: &str = "a+b c&d=e ✓ გამარჯობა";

#[tokio::test]
async fn content_is_stored_identically_from_get_urlencoded_and_multipart() {
    let sim = Simulator::start_default().await.unwrap();
    let query = format!(
        "key=demo-key&destination=995555123456&sender=SMSOFFICE&content={}",
        enc(TRICKY)
    );
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{query}")).await, OK);
    assert_envelope(&post_form(&sim, "/api/v2/send/", &query).await, OK);
    let (content_type, body) = multipart(&[
        ("key", "demo-key"),
        ("destination", "995555123456"),
        ("sender", "SMSOFFICE"),
        ("content", TRICKY),
    ]);
    assert_envelope(&post(&sim, "/api/v2/send/", &content_type, &body).await, OK);

    let contents = message_texts(&sim, "", "content").await;
    assert_eq!(contents, [TRICKY, TRICKY, TRICKY]);
    assert_eq!(
        admin(&sim, "/messages").await["messages"][0]["encoding"],
        "ucs2"
    );
}

#[tokio::test]
async fn absolute_form_targets_work_like_a_proxy() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = raw(
        sim.addr(),
        b"GET http://smsoffice.ge/api/getBalance?key=demo-key HTTP/1.1",
        b"",
    )
    .await;
    assert_eq!((reply.status, reply.text().as_str()), (200, "1000"));
    let reply = raw(
        sim.addr(),
        b"GET http://smsoffice.ge/api/v2/send?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi HTTP/1.1",
        b"",
    )
    .await;
    assert_envelope(&reply, OK);
}
