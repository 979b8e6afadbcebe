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

/// A client that keeps the provider's real URL and only has a proxy set, and tunnels through it
/// with `CONNECT` (as ureq and Node's undici `ProxyAgent` do), reaches the simulator unmodified.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_tunnels_through_its_proxy_reaches_smsoffice() {
    let sim = Simulator::start_default().await.unwrap();
    let proxy = sim.base_url();
    let bodies = tokio::task::spawn_blocking(move || {
        let agent = ureq::Agent::config_builder()
            .proxy(Some(ureq::Proxy::new(&proxy).unwrap()))
            .build()
            .new_agent();
        // Two requests: the tunnel stays open and serves both.
        ["http://smsoffice.ge/api/getBalance?key=demo-key"; 2].map(|url| {
            agent
                .get(url)
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap()
        })
    })
    .await
    .unwrap();
    assert_eq!(bodies, ["1000", "1000"]);
    let journal = admin(&sim, "/requests").await;
    assert_eq!(journal["requests"][0]["endpoint"], "balance");
    // An https:// URL starts TLS inside the tunnel: without HTTPS on, refused, naming the flag
    // that turns it on (tests/it/https.rs serves it).
    let refused = raw(sim.addr(), b"CONNECT smsoffice.ge:443 HTTP/1.1", b"").await;
    assert_eq!(refused.status, 502);
    assert!(
        refused.text().contains("--tls-listen"),
        "{}",
        refused.text()
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
