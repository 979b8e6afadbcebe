//! Bad input gets smsoffice's own answer (or the documented status), never a panic or a
//! framework page, and the server keeps serving: every case is followed by a good request.

use smsim::Simulator;

use crate::client::{admin, admin_patch, get, journal_lints, post, post_form, raw};
use crate::smsoffice_send::{GOOD_SEND, OK, assert_envelope, balance, err};

async fn still_serves(sim: &Simulator) {
    let reply = get(sim, &format!("/api/v2/send/?{GOOD_SEND}")).await;
    assert_envelope(&reply, OK);
}

#[tokio::test]
async fn invalid_utf8_and_malformed_escapes_are_decoded_not_rejected() {
    let sim = Simulator::start_default().await.unwrap();
    let query =
        "key=demo-key&destination=995555123456&sender=SMSOFFICE&content=%FF%FEbad%zz%4-100%";
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{query}")).await, OK);
    let mut body = b"key=demo-key&destination=995555123456&sender=SMSOFFICE&content=raw".to_vec();
    body.extend_from_slice(&[0xC3, 0x28, 0xFF, b'%', b'G', b'1']);
    let reply = post(
        &sim,
        "/api/v2/send/",
        "application/x-www-form-urlencoded",
        &body,
    )
    .await;
    assert_envelope(&reply, OK);
    let stored = admin(&sim, "/messages").await;
    assert_eq!(
        stored["messages"][0]["content"],
        "\u{FFFD}\u{FFFD}bad%zz%4-100%"
    );
    assert_eq!(stored["messages"][1]["content"], "raw\u{FFFD}(\u{FFFD}%G1");
    still_serves(&sim).await;
}

/// Raw (unencoded) bytes above 0x7F in the request target: valid UTF-8, as a client that
/// does not encode Georgian text sends it, is read as that text; any other such byte is refused
/// by the HTTP parser with a bare 400 and no body, and nothing is stored. Either way the server
/// keeps serving.
#[tokio::test]
async fn raw_bytes_above_ascii_in_the_request_line_are_read_as_utf8_or_a_bare_400() {
    let sim = Simulator::start_default().await.unwrap();
    let send = b"GET /api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=";
    let with_content = |content: &[u8]| [&send[..], content, b" HTTP/1.1"].concat();

    let georgian = raw(sim.addr(), &with_content("გამარჯობა".as_bytes()), b"").await;
    assert_eq!(georgian.status, 200, "{}", georgian.text());
    let stored = admin(&sim, "/messages").await;
    assert_eq!(stored["messages"][0]["content"], "გამარჯობა");

    let invalid = raw(sim.addr(), &with_content(&[0xFF, 0xE1, 0x83, 0x92]), b"").await;
    assert_eq!(invalid.status, 400);
    assert!(invalid.body.is_empty());
    assert_eq!(admin(&sim, "/messages").await["count"], 1);
    still_serves(&sim).await;
}

#[tokio::test]
async fn a_10_mb_body_is_answered_with_content_too_long() {
    let sim = Simulator::start_default().await.unwrap();
    let body = format!(
        "key=demo-key&destination=995555123456&sender=SMSOFFICE&content={}",
        "a".repeat(10 * 1024 * 1024)
    );
    assert_envelope(
        &post_form(&sim, "/api/v2/send/", &body).await,
        &err(40, "Content is too long"),
    );
    assert_eq!(balance(&sim, "demo-key").await, 1000);
    still_serves(&sim).await;
}

#[tokio::test]
async fn a_body_over_the_configured_limit_is_413() {
    let sim = crate::smsoffice_send::start_with(|c| c.limits.max_body_bytes = 1024).await;
    let body = format!("{GOOD_SEND}&pad={}", "x".repeat(2048));
    let reply = post_form(&sim, "/api/v2/send/", &body).await;
    assert_eq!(reply.status, 413);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    still_serves(&sim).await;
}

#[tokio::test]
async fn ten_thousand_destinations_are_all_sent_and_charged() {
    let sim = Simulator::start_default().await.unwrap();
    assert_eq!(
        admin_patch(
            &sim,
            "/accounts/smsoffice/demo-key",
            r#"{"balance": 20000, "stop_list": []}"#
        )
        .await
        .status,
        200
    );
    let numbers: Vec<String> = (0..10_000)
        .map(|i| format!("99555{:07}", 1_000_000 + i))
        .collect();
    let body = format!(
        "key=demo-key&destination={}&sender=SMSOFFICE&content=bulk",
        numbers.join(",")
    );
    assert_envelope(&post_form(&sim, "/api/v2/send/", &body).await, OK);
    assert_eq!(balance(&sim, "demo-key").await, 10_000);
    assert_eq!(admin(&sim, "/messages").await["count"], 10_000);
    still_serves(&sim).await;
}

#[tokio::test]
async fn duplicate_parameters_take_the_first_value() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = get(
        &sim,
        "/api/v2/send/?key=nope&key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi",
    )
    .await;
    assert_envelope(&reply, &err(80, "API key is incorrect"));
    let reply = get(&sim, "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=one&content=two").await;
    assert_envelope(&reply, OK);
    assert_eq!(
        admin(&sim, "/messages").await["messages"][0]["content"],
        "one"
    );
    let lints = journal_lints(&sim, 1).await;
    assert!(lints.contains("more than once"), "{lints}");
    still_serves(&sim).await;
}

#[tokio::test]
async fn a_json_body_is_not_read_so_the_key_is_missing() {
    let sim = Simulator::start_default().await.unwrap();
    let json =
        r#"{"key":"demo-key","destination":"995555123456","sender":"SMSOFFICE","content":"hi"}"#;
    let reply = post(&sim, "/api/v2/send/", "application/json", json.as_bytes()).await;
    assert_envelope(&reply, &err(500, "API key is missing"));
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("body ignored"), "{lints}");
    still_serves(&sim).await;
}

#[tokio::test]
async fn an_empty_post_is_key_missing() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = raw(
        sim.addr(),
        b"POST /api/v2/send/ HTTP/1.1\r\nContent-Length: 0",
        b"",
    )
    .await;
    assert_envelope(&reply, &err(500, "API key is missing"));
    let reply = post_form(&sim, "/api/v2/send/", "").await;
    assert_envelope(&reply, &err(500, "API key is missing"));
    still_serves(&sim).await;
}

#[tokio::test]
async fn unknown_paths_are_404_pages() {
    let sim = Simulator::start_default().await.unwrap();
    for target in [
        "/",
        "/api/v2/sendx",
        "/api/v3/send/",
        "/api/v2/send//",
        "http://smsoffice.ge/nothing",
    ] {
        let reply = get(&sim, target).await;
        assert_eq!(reply.status, 404, "{target}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert!(reply.text().contains("404"), "{target}");
    }
    still_serves(&sim).await;
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let sim = Simulator::start_default().await.unwrap();
    for (method, target) in [
        ("PUT", "/api/v2/send/"),
        ("DELETE", "/api/getBalance"),
        ("PATCH", "/api/v2/getMessageStatus/"),
    ] {
        let reply = raw(
            sim.addr(),
            format!("{method} {target} HTTP/1.1").as_bytes(),
            b"",
        )
        .await;
        assert_eq!(reply.status, 405, "{method} {target}");
        assert_eq!(reply.header("allow"), Some("GET, POST"));
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=utf-8")
        );
    }
    // The journal names the endpoint each refused request was for.
    let journal = admin(&sim, "/requests").await;
    let endpoints: Vec<(&str, &str, u64)> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["provider"].as_str().unwrap(),
                r["endpoint"].as_str().unwrap(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        endpoints,
        [
            ("smsoffice", "send", 405),
            ("smsoffice", "balance", 405),
            ("smsoffice", "status", 405)
        ]
    );
    still_serves(&sim).await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let sim = Simulator::start_default().await.unwrap();
    let get_reply = get(&sim, "/api/getBalance?key=demo-key").await;
    let head_reply = raw(
        sim.addr(),
        b"HEAD /api/getBalance?key=demo-key HTTP/1.1",
        b"",
    )
    .await;
    assert_eq!(head_reply.status, 200);
    assert_eq!(
        head_reply.header("content-type"),
        get_reply.header("content-type")
    );
    assert!(head_reply.body.is_empty(), "{:?}", head_reply.text());
    still_serves(&sim).await;
}

#[tokio::test]
async fn a_body_that_arrives_after_its_head_is_still_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = Simulator::start_default().await.unwrap();
    let body = b"key=demo-key&destination=995555123456&sender=SMSOFFICE&content=late";
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let head = format!(
        "POST /api/v2/send/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        sim.addr(),
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..10]).await.unwrap();
    stream.flush().await.unwrap();
    // The handler starts before the body is complete and must wait for the rest.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    stream.write_all(&body[10..]).await.unwrap();
    let mut reply = Vec::new();
    // A handler that lost its wake-up would leave this waiting forever.
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut reply),
    )
    .await
    .expect("the reply comes once the body is complete")
    .unwrap();
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains(r#""Success":true"#), "{reply}");
    let messages = admin(&sim, "/messages").await;
    assert_eq!(messages["messages"][0]["content"], "late");
    still_serves(&sim).await;
}

#[tokio::test]
async fn garbage_on_the_socket_does_not_stop_the_server() {
    let sim = Simulator::start_default().await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stream
        .write_all(b"\x00\x01\x02 not http at all\r\n\r\n")
        .await
        .unwrap();
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink).await;
    still_serves(&sim).await;
}
