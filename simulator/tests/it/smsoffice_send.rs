//! smsoffice.ge send: every ErrorCode byte-exact, the check order, charging, batches, options.

use smsim::config::Config;
use smsim::smsoffice::{CheckOrder, NameMatching, SlashlessPost};
use smsim::{ClockMode, Simulator};

use crate::client::{self, Reply, admin, enc, get, journal_lints, multipart, post, post_form};

pub const OK: &str = r#"{"Success":true,"Message":"The request has been successfully received by our system.","Output":null,"ErrorCode":0}"#;

pub fn err(code: i32, message: &str) -> String {
    format!(r#"{{"Success":false,"Message":"{message}","Output":null,"ErrorCode":{code}}}"#)
}

/// HTTP 200, the provider's content type, and exactly `expected` as the body.
pub fn assert_envelope(reply: &Reply, expected: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(reply.text(), expected);
}

pub async fn start_with(change: impl FnOnce(&mut Config)) -> Simulator {
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    change(&mut config);
    Simulator::start(config).await.unwrap()
}

pub async fn send(sim: &Simulator, query: &str) -> Reply {
    get(sim, &format!("/api/v2/send/?{query}")).await
}

pub async fn balance(sim: &Simulator, key: &str) -> u64 {
    let reply = get(sim, &format!("/api/getBalance?key={key}")).await;
    assert_eq!(reply.status, 200);
    reply
        .text()
        .parse()
        .unwrap_or_else(|_| panic!("bare integer expected, got {:?}", reply.text()))
}

pub const GOOD_SEND: &str = "key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hello";

#[tokio::test]
async fn every_send_error_code_is_byte_exact() {
    let sim = Simulator::start_default().await.unwrap();
    let long = "a".repeat(1001);
    let cases: Vec<(String, i32, &str)> = vec![
        (
            "destination=995555123456&sender=SMSOFFICE&content=hi".into(),
            500,
            "API key is missing",
        ),
        (
            "key=demo-key&sender=SMSOFFICE&content=hi".into(),
            600,
            "Destination is missing",
        ),
        (
            "key=demo-key&destination=995555123456&content=hi".into(),
            700,
            "Sender is missing",
        ),
        (
            "key=demo-key&destination=995555123456&sender=SMSOFFICE".into(),
            800,
            "Content is missing",
        ),
        (
            "key=nope&destination=995555123456&sender=SMSOFFICE&content=hi".into(),
            80,
            "API key is incorrect",
        ),
        (
            "key=&destination=995555123456&sender=SMSOFFICE&content=hi".into(),
            80,
            "API key is incorrect",
        ),
        (
            "key=disabled-key&destination=995555123456&sender=SMSOFFICE&content=hi".into(),
            120,
            "API access is disabled",
        ),
        (
            "key=demo-key&destination=995555123456&sender=TOOLONGSENDER&content=hi".into(),
            110,
            "Sender is invalid",
        ),
        (
            "key=demo-key&destination=995555123456&sender=a_b&content=hi".into(),
            110,
            "Sender is invalid",
        ),
        (
            "key=demo-key&destination=995555123456&sender=OTHER&content=hi".into(),
            150,
            "Sender not found",
        ),
        (
            "key=demo-key&destination=&sender=SMSOFFICE&content=hi".into(),
            70,
            "Destination parameter is empty",
        ),
        (
            "key=demo-key&destination=995555123456&sender=SMSOFFICE&content=".into(),
            60,
            "Content parameter is missing",
        ),
        (
            format!("key=demo-key&destination=995555123456&sender=SMSOFFICE&content={long}"),
            40,
            "Content is too long",
        ),
        (
            "key=demo-key&destination=998901234567&sender=SMSOFFICE&content=hi".into(),
            10,
            "Destination does not contain any valid numbers",
        ),
        (
            "key=demo-key&destination=%2B995555123456,555123456&sender=SMSOFFICE&content=hi".into(),
            76,
            "All numbers have invalid format",
        ),
        (
            "key=demo-key&destination=995555000004&sender=SMSOFFICE&content=hi".into(),
            75,
            "All numbers are stoplisted",
        ),
        (
            "key=demo-key&destination=995555000004,555123456&sender=SMSOFFICE&content=hi".into(),
            77,
            "All numbers are stoplisted or have invalid format",
        ),
        (
            "key=demo-key&destination=998901234567,555123456&sender=SMSOFFICE&content=hi".into(),
            77,
            "All numbers are stoplisted or have invalid format",
        ),
        (
            "key=empty-key&destination=995555123456&sender=SMSOFFICE&content=hi".into(),
            20,
            "Balance is insufficient",
        ),
    ];
    for (query, code, message) in &cases {
        let reply = post_form(&sim, "/api/v2/send/", query).await;
        assert_eq!(reply.text(), err(*code, message), "{query}");
        assert_envelope(&reply, &err(*code, message));
    }
    assert_envelope(&send(&sim, GOOD_SEND).await, OK);
    // Nothing above but the last request was charged.
    assert_eq!(balance(&sim, "demo-key").await, 999);
}

#[tokio::test]
async fn each_check_comes_before_the_next_one() {
    let sim = Simulator::start_default().await.unwrap();
    let long = "a".repeat(1001);
    // Each request is wrong in two ways; the earlier check's code wins.
    let cases: Vec<(String, i32)> = vec![
        ("sender=SMSOFFICE&content=hi".into(), 500), // 500 < 600
        ("key=demo-key&content=hi".into(), 600),     // 600 < 700
        ("key=demo-key&destination=995555123456".into(), 700), // 700 < 800
        (
            "key=nope&destination=995555123456&sender=SMSOFFICE".into(),
            800,
        ), // 800 < 80
        (
            "key=nope&destination=995555123456&sender=a_b&content=hi".into(),
            80,
        ), // 80 < 110
        (
            "key=disabled-key&destination=995555123456&sender=a_b&content=hi".into(),
            120,
        ), // 120 < 110
        (
            "key=demo-key&destination=995555123456&sender=a_b_c_d_e_f_g&content=hi".into(),
            110,
        ), // 110 < 150
        (
            "key=demo-key&destination=&sender=OTHER&content=hi".into(),
            150,
        ), // 150 < 70
        (
            "key=demo-key&destination=&sender=SMSOFFICE&content=".into(),
            70,
        ), // 70 < 60
        (
            "key=demo-key&destination=998901234567&sender=SMSOFFICE&content=".into(),
            60,
        ), // 60 < 10
        (
            format!("key=demo-key&destination=555123456&sender=SMSOFFICE&content={long}"),
            40,
        ), // 40 < 76
        (
            "key=empty-key&destination=995555000004&sender=SMSOFFICE&content=hi".into(),
            75,
        ), // 75 < 20
    ];
    for (query, code) in cases {
        let reply = post_form(&sim, "/api/v2/send/", &query).await;
        assert_eq!(reply.json()["ErrorCode"], code, "{query}: {}", reply.text());
    }
}

#[tokio::test]
async fn auth_first_check_order_is_a_quirk() {
    let sim = start_with(|c| c.quirks.smsoffice.check_order = CheckOrder::AuthFirst).await;
    let reply = send(&sim, "key=nope&sender=SMSOFFICE&content=hi").await;
    assert_eq!(reply.json()["ErrorCode"], 80);
    let reply = send(&sim, "key=disabled-key&content=hi").await;
    assert_eq!(reply.json()["ErrorCode"], 120);
    let reply = send(&sim, "sender=SMSOFFICE").await;
    assert_eq!(reply.json()["ErrorCode"], 500);
}

#[tokio::test]
async fn balance_moves_by_segments_times_recipients() {
    let sim = Simulator::start_default().await.unwrap();
    let cases = [
        ("a".repeat(160), 1),
        ("a".repeat(161), 2),
        ("{".repeat(80), 1),
        ("{".repeat(81), 2),
        ("გ".repeat(70), 1),
        ("გ".repeat(71), 2),
    ];
    let mut expected = 1000;
    for (content, cost) in cases {
        let body = format!(
            "key=demo-key&destination=995555123456&sender=SMSOFFICE&content={}",
            enc(&content)
        );
        assert_envelope(&post_form(&sim, "/api/v2/send/", &body).await, OK);
        expected -= cost;
        assert_eq!(
            balance(&sim, "demo-key").await,
            expected,
            "{} x {:?}",
            content.chars().count(),
            content.chars().next()
        );
    }
    // Two valid recipients of a two-segment text cost four; the invalid one is dropped, not charged.
    let body = format!(
        "key=demo-key&destination=995555100001,995555100002,12345&sender=SMSOFFICE&content={}",
        "a".repeat(161)
    );
    assert_envelope(&post_form(&sim, "/api/v2/send/", &body).await, OK);
    assert_eq!(balance(&sim, "demo-key").await, expected - 4);
    let stored = admin(&sim, "/messages?destination=995555100002").await;
    assert_eq!(stored["messages"][0]["segments"], 2);
}

#[tokio::test]
async fn a_balance_one_short_is_refused_and_untouched() {
    let sim = Simulator::start_default().await.unwrap();
    client::admin_patch(&sim, "/accounts/smsoffice/demo-key", r#"{"balance": 3}"#).await;
    let reply = send(
        &sim,
        "key=demo-key&destination=995555100001,995555100002&sender=SMSOFFICE&content=a",
    )
    .await;
    assert_envelope(&reply, OK);
    let reply = send(
        &sim,
        "key=demo-key&destination=995555100001,995555100002&sender=SMSOFFICE&content=a",
    )
    .await;
    assert_envelope(&reply, &err(20, "Balance is insufficient"));
    assert_eq!(balance(&sim, "demo-key").await, 1);
    assert_eq!(admin(&sim, "/messages").await["count"], 2);
}

#[tokio::test]
async fn partly_stop_listed_batch_reports_the_dropped_numbers() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = send(&sim, "key=demo-key&destination=995555123456,995555000004,998901234567&sender=SMSOFFICE&content=hi").await;
    assert_envelope(
        &reply,
        r#"{"Success":true,"Message":"The request has been successfully received by our system.","Output":{"StopListed":["995555000004"]},"ErrorCode":0}"#,
    );
    assert_eq!(balance(&sim, "demo-key").await, 999);
    let stored = admin(&sim, "/messages").await;
    assert_eq!(stored["count"], 1);
    assert_eq!(stored["messages"][0]["destination"], "995555123456");
}

#[tokio::test]
async fn urgent_passes_the_stop_list_only_with_an_active_sender() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = send(
        &sim,
        "key=demo-key&destination=995555000004&sender=SMSOFFICE&content=hi&urgent=true",
    )
    .await;
    assert_envelope(&reply, OK);
    let stored = admin(&sim, "/messages?destination=995555000004").await;
    assert_eq!(stored["messages"][0]["urgent"], true);
    let reply = send(
        &sim,
        "key=demo-key&destination=995555000004&sender=TESTSENDER&content=hi&urgent=true",
    )
    .await;
    assert_envelope(&reply, &err(75, "All numbers are stoplisted"));
    // An inactive but registered sender may still send to ordinary numbers.
    assert_envelope(
        &send(
            &sim,
            "key=demo-key&destination=995555123456&sender=TESTSENDER&content=hi",
        )
        .await,
        OK,
    );
}

#[tokio::test]
async fn scheduled_at_in_the_future_waits_as_scheduled() {
    let start = 1_800_000_000;
    let sim = start_with(|c| {
        c.clock = ClockMode::Manual;
        c.clock_start = Some(start);
    })
    .await;
    let query = format!("{GOOD_SEND}&reference=r1&scheduledAt={}", start + 3600);
    assert_envelope(&send(&sim, &query).await, OK);
    let query = format!(
        "key=demo-key&destination=995555123457&sender=SMSOFFICE&content=hi&scheduledAt={}",
        start - 10
    );
    assert_envelope(&send(&sim, &query).await, OK);
    let stored = admin(&sim, "/messages").await;
    let future = &stored["messages"][0];
    assert_eq!(future["status"], "scheduled");
    assert_eq!(future["scheduled_at"], "2027-01-15T09:00:00.000Z");
    assert_eq!(future["created_at"], "2027-01-15T08:00:00.000Z");
    let past = &stored["messages"][1];
    assert_eq!(past["status"], "accepted");
    assert_eq!(past["scheduled_at"], serde_json::Value::Null);
    let status = get(
        &sim,
        "/api/v2/getMessageStatus/?key=demo-key&destination=995555123456&reference=r1",
    )
    .await;
    assert_eq!(status.json()["Output"]["Status"], "Pending");
}

#[tokio::test]
async fn content_type_and_show_service_time() {
    let sim = Simulator::start_default().await.unwrap();
    assert_envelope(&send(&sim, &format!("{GOOD_SEND}&contentType=2")).await, OK);
    assert_eq!(admin(&sim, "/messages").await["messages"][0]["flash"], true);

    let reply = send(&sim, &format!("{GOOD_SEND}&showServiceTime=true")).await;
    let json = reply.json();
    assert_eq!(json["Success"], true);
    assert!(json["Output"]["ServiceTime"].is_u64(), "{json}");
    assert_eq!(
        json.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Success", "Message", "Output", "ErrorCode"]
    );

    let reply = send(&sim, &format!("{GOOD_SEND}&contentType=9")).await;
    assert_envelope(&reply, OK);
    let lints = journal_lints(&sim, 2).await;
    assert!(lints.contains("contentType"), "{lints}");
}

#[tokio::test]
async fn slashless_post_is_redirected_like_iis() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = post_form(
        &sim,
        "/api/v2/send?key=demo-key",
        "destination=995555123456&sender=SMSOFFICE&content=hi",
    )
    .await;
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/api/v2/send/?key=demo-key"));
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
    // A client that follows the redirect re-sends a GET without the body.
    let followed = get(&sim, "/api/v2/send/?key=demo-key").await;
    assert_envelope(&followed, &err(600, "Destination is missing"));
    // GET on the slashless path is documented and served.
    assert_envelope(&get(&sim, &format!("/api/v2/send?{GOOD_SEND}")).await, OK);
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("trailing slash"), "{lints}");
}

#[tokio::test]
async fn slashless_post_can_be_accepted_by_quirk() {
    let sim = start_with(|c| c.quirks.smsoffice.slashless_post = SlashlessPost::Accept).await;
    let reply = post_form(&sim, "/api/v2/send", GOOD_SEND).await;
    assert_envelope(&reply, OK);
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("trailing slash"), "{lints}");
}

#[tokio::test]
async fn request_target_over_4096_bytes_is_414() {
    let sim = Simulator::start_default().await.unwrap();
    let prefix = format!("/api/v2/send/?{GOOD_SEND}&pad=");
    let at_limit = format!("{prefix}{}", "x".repeat(4096 - prefix.len()));
    assert_envelope(&get(&sim, &at_limit).await, OK);
    let over = format!("{at_limit}x");
    let reply = get(&sim, &over).await;
    assert_eq!(reply.status, 414);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(reply.text().contains("414"));
    // The same parameters fit in a POST body.
    let body = format!("{GOOD_SEND}&pad={}", "x".repeat(5000));
    assert_envelope(&post_form(&sim, "/api/v2/send/", &body).await, OK);
}

#[tokio::test]
async fn parameter_names_ignore_case_unless_the_quirk_says_exact() {
    let sim = Simulator::start_default().await.unwrap();
    let query = "KEY=demo-key&Destination=995555123456&SENDER=SMSOFFICE&Content=hi";
    assert_envelope(&send(&sim, query).await, OK);
    let exact = start_with(|c| c.quirks.smsoffice.param_names = NameMatching::Exact).await;
    assert_envelope(&send(&exact, query).await, &err(500, "API key is missing"));
}

#[tokio::test]
async fn parameters_merge_from_query_and_body_with_the_body_winning() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = post_form(
        &sim,
        "/api/v2/send/?key=demo-key&content=from-query",
        "destination=995555123456&sender=SMSOFFICE&content=from-body",
    )
    .await;
    assert_envelope(&reply, OK);
    let (content_type, body) = multipart(&[
        ("destination", "995555123457"),
        ("sender", "SMSOFFICE"),
        ("content", "multi"),
    ]);
    let reply = post(&sim, "/api/v2/send/?key=demo-key", &content_type, &body).await;
    assert_envelope(&reply, OK);
    let stored = admin(&sim, "/messages").await;
    assert_eq!(stored["messages"][0]["content"], "from-body");
    assert_eq!(stored["messages"][1]["content"], "multi");
}

#[tokio::test]
async fn sender_title_matches_ignoring_case_as_in_the_documented_example() {
    let sim = Simulator::start_default().await.unwrap();
    // The provider's own example sends sender=smsoffice.
    assert_envelope(
        &send(
            &sim,
            "key=demo-key&destination=995555123456&sender=smsoffice&content=TestMessage",
        )
        .await,
        OK,
    );
    let exact =
        start_with(|c| c.quirks.smsoffice.sender_case = smsim::smsoffice::SenderCase::Exact).await;
    let reply = send(
        &exact,
        "key=demo-key&destination=995555123456&sender=smsoffice&content=TestMessage",
    )
    .await;
    assert_envelope(&reply, &err(150, "Sender not found"));
}

#[tokio::test]
async fn a_destination_of_commas_alone_is_empty_and_empty_items_are_skipped() {
    let sim = Simulator::start_default().await.unwrap();
    for destination in ["", ",", ",,,"] {
        let reply = send(
            &sim,
            &format!("key=demo-key&destination={destination}&sender=SMSOFFICE&content=hi"),
        )
        .await;
        assert_envelope(&reply, &err(70, "Destination parameter is empty"));
    }
    let reply = send(
        &sim,
        "key=demo-key&destination=,995555123456,,&sender=SMSOFFICE&content=hi",
    )
    .await;
    assert_envelope(&reply, OK);
    let stored = admin(&sim, "/messages").await;
    assert_eq!(stored["count"], 1);
    assert_eq!(stored["messages"][0]["destination"], "995555123456");
}

#[tokio::test]
async fn lints_note_risky_but_accepted_requests() {
    let sim = Simulator::start_default().await.unwrap();
    let query = "key=demo-key&destination=995555123456,555123456&sender=SMSOFFICE&content=Tom&Jerry&reference=123456789012345678901";
    assert_envelope(&send(&sim, query).await, OK);
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("lacks the country code"), "{lints}");
    assert!(lints.contains("unencoded '&'"), "{lints}");
    assert!(lints.contains("over 20 characters"), "{lints}");
    assert_eq!(
        admin(&sim, "/messages").await["messages"][0]["content"],
        "Tom"
    );
}

/// Sends `head` (a request line and headers announcing a body) without the body, and reads the
/// reply, if one comes within ten seconds.
async fn reply_before_body(sim: &Simulator, head: &str) -> Option<client::Reply> {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buffer = Vec::new();
    let read = smsim_testkit::http1::read_reply(&mut stream, &mut buffer);
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .ok()
        .map(Result::unwrap)
}

#[tokio::test]
async fn refusals_on_the_request_line_come_before_any_body() {
    // A body that never comes would be waited for a minute: the refusals do not wait for it.
    let sim = start_with(|c| {
        c.limits.body_read_timeout_seconds = 60;
        c.limits.body_timeout_seconds = 60;
    })
    .await;
    let announce =
        "Host: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
    let long = format!("/api/v2/send/?{GOOD_SEND}&pad={}", "x".repeat(5000));
    let too_long = reply_before_body(&sim, &format!("POST {long} HTTP/1.1\r\n{announce}")).await;
    assert_eq!(too_long.map(|r| r.status), Some(414));
    let slashless = format!("POST /api/v2/send?key=demo-key HTTP/1.1\r\n{announce}");
    let redirected = reply_before_body(&sim, &slashless).await.expect("a reply");
    assert_eq!(redirected.status, 301);
    assert_eq!(
        redirected.header("location"),
        Some("/api/v2/send/?key=demo-key")
    );
    // The server serves on, and nothing was accepted.
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{GOOD_SEND}")).await, OK);
    assert_eq!(admin(&sim, "/messages").await["count"], 1);
}
