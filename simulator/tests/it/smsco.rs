//! smsco.ge: every code byte-exact, the check order, tetri, transliteration, status digits.

use smsim::ClockMode;
use smsim::Simulator;
use smsim::smsco::{BalanceFlag, UnknownMesId};

use crate::client::{
    Reply, admin, admin_patch, enc, get, journal_lints, message_texts, multipart, post, post_form,
};
use crate::smsoffice_send::start_with;

const SEND: &str = "/components/com_smsreseller/smsapi2.php";
const STATUS: &str = "/components/com_smsreseller/getstatus.php";

/// HTTP 200, PHP's default content type, exactly `expected` (no trailing newline).
fn assert_text(reply: &Reply, expected: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    assert_eq!(reply.text(), expected);
}

async fn send(sim: &Simulator, query: &str) -> Reply {
    get(sim, &format!("{SEND}?{query}")).await
}

async fn balance(sim: &Simulator, user: &str) -> u64 {
    let reply = send(
        sim,
        &format!("username={user}&password={user}&balance=true"),
    )
    .await;
    reply
        .text()
        .parse()
        .unwrap_or_else(|_| panic!("balance expected, got {:?}", reply.text()))
}

#[tokio::test]
async fn every_smsco_code_is_byte_exact() {
    let sim = start_with(|c| c.clock_start = Some(1_700_000_000)).await;
    let cases = [
        ("password=demo&recipient=995555123456&message=hi", "2910"),
        (
            "username=&password=demo&recipient=995555123456&message=hi",
            "2910",
        ),
        ("username=demo&recipient=995555123456&message=hi", "2911"),
        (
            "username=demo&password=wrong&recipient=995555123456&message=hi",
            "2905",
        ),
        (
            "username=nobody&password=demo&recipient=995555123456&message=hi",
            "2905",
        ),
        ("username=demo&password=demo", "2915"),
        ("username=demo&password=demo&recipient=&message=", "2915"),
        ("username=demo&password=demo&message=hi", "2912"),
        ("username=demo&password=demo&recipient=995555123456", "2913"),
        (
            "username=nobrand&password=nobrand&recipient=995555123456&message=hi",
            "2914",
        ),
        (
            "username=demo&password=demo&recipient=995555123456&message=hi&schedule=2030-01-01T10:00:00",
            "2908",
        ),
        (
            "username=demo&password=demo&recipient=995555123456&message=hi&schedule=2030-02-30+10:00:00",
            "2908",
        ),
        (
            "username=demo&password=demo&recipient=995599244409&message=test&schedule=2012-10-01+12:30:00",
            "2909",
        ),
        (
            "username=demo&password=demo&recipient=%2B995555123456,555123456,998901234567&message=hi",
            "2904",
        ),
        (
            "username=empty&password=empty&recipient=995555123456&message=hi",
            "2906",
        ),
    ];
    for (query, code) in cases {
        assert_text(&send(&sim, query).await, code);
    }
    assert_eq!(
        balance(&sim, "demo").await,
        10_000,
        "no failed request was charged"
    );
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
}

#[tokio::test]
async fn each_check_comes_before_the_next_one() {
    let sim = Simulator::start_default().await.unwrap();
    let cases = [
        ("password=x", "2910"),                              // 2910 < 2911
        ("username=demo", "2911"),                           // 2911 < 2905
        ("username=demo&password=bad&balance=true", "2905"), // 2905 < balance
        (
            "username=demo&password=demo&balance=true&recipient=1",
            "10000",
        ), // balance < 2912
        ("username=nobrand&password=nobrand&message=hi", "2912"), // 2912 < 2914
        (
            "username=nobrand&password=nobrand&recipient=995555123456",
            "2913",
        ), // 2913 < 2914
        (
            "username=nobrand&password=nobrand&recipient=995555123456&message=hi&schedule=bad",
            "2914",
        ), // 2914 < 2908
        (
            "username=demo&password=demo&recipient=1&message=hi&schedule=bad",
            "2908",
        ), // 2908 < 2904
        (
            "username=demo&password=demo&recipient=1&message=hi&schedule=2000-01-01+00:00:00",
            "2909",
        ), // 2909 < 2904
        (
            "username=empty&password=empty&recipient=1&message=hi",
            "2904",
        ), // 2904 < 2906
    ];
    for (query, code) in cases {
        assert_text(&send(&sim, query).await, code);
    }
}

#[tokio::test]
async fn success_is_ok_tetri_mes_id_and_charges_price_times_segments_times_recipients() {
    let sim = Simulator::start_default().await.unwrap();
    assert_text(
        &send(
            &sim,
            "username=demo&password=demo&recipient=995599445448&message=test",
        )
        .await,
        "OK 5 100001",
    );
    // Two recipients of a two-segment text: 5 x 2 x 2.
    let long = "a".repeat(161);
    let reply = send(
        &sim,
        &format!("username=demo&password=demo&recipient=995555100001,995555100002&message={long}"),
    )
    .await;
    assert_text(&reply, "OK 20 100002");
    assert_eq!(balance(&sim, "demo").await, 10_000 - 25);
    let stored = admin(&sim, "/messages?provider=smsco").await;
    assert_eq!(stored["count"], 3);
    assert_eq!(stored["messages"][1]["mes_id"], 100002);
    assert_eq!(stored["messages"][2]["mes_id"], 100002);
    assert_eq!(stored["messages"][0]["sender"], "SMSCO");
    // The documented example answer `OK 4 123` needs a price of 4.
    admin_patch(&sim, "/accounts/smsco/demo", r#"{"price_per_segment": 4}"#).await;
    assert_text(
        &send(
            &sim,
            "username=demo&password=demo&recipient=995599445448&message=test",
        )
        .await,
        "OK 4 100003",
    );
}

#[tokio::test]
async fn a_mixed_batch_sends_and_charges_only_the_valid_numbers() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = send(&sim, "username=demo&password=demo&recipient=995555100001,%2B995555100002,995555100003&message=hi").await;
    assert_text(&reply, "OK 10 100001");
    let destinations = message_texts(&sim, "?provider=smsco", "destination").await;
    assert_eq!(destinations, ["995555100001", "995555100003"]);
    assert_eq!(balance(&sim, "demo").await, 9_990);
}

#[tokio::test]
async fn balance_flag_follows_the_quirk() {
    let sim = Simulator::start_default().await.unwrap();
    assert_text(
        &send(&sim, "username=demo&password=demo&balance=TRUE").await,
        "10000",
    );
    assert_text(
        &send(&sim, "username=empty&password=empty&balance=true").await,
        "0",
    );
    // `balance=1` is not `true`: without recipient and message that is 2915.
    assert_text(
        &send(&sim, "username=demo&password=demo&balance=1").await,
        "2915",
    );
    let lints = journal_lints(&sim, 2).await;
    assert!(lints.contains("balance=\\\"1\\\""), "{lints}");
    let lenient = start_with(|c| c.quirks.smsco.balance_flag = BalanceFlag::AnyNonempty).await;
    assert_text(
        &send(&lenient, "username=demo&password=demo&balance=1").await,
        "10000",
    );
}

#[tokio::test]
async fn georgian_text_is_transliterated_counted_in_latin_and_linted() {
    let sim = Simulator::start_default().await.unwrap();
    // 100 Georgian letters would be 2 UCS-2 segments; romanised they are 100 GSM-7 characters.
    let text = "გ".repeat(100);
    let reply = post_form(
        &sim,
        SEND,
        &format!(
            "username=demo&password=demo&recipient=995555123456&message={}",
            enc(&text)
        ),
    )
    .await;
    assert_text(&reply, "OK 5 100001");
    let message = &admin(&sim, "/messages?provider=smsco").await["messages"][0];
    assert_eq!(message["content"], text.as_str());
    assert_eq!(message["delivered_content"], "g".repeat(100).as_str());
    assert_eq!(message["segments"], 1);
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("Latin text only"), "{lints}");
    send(
        &sim,
        "username=demo&password=demo&recipient=995555123456&message=%D0%9F%D1%80%D0%B8",
    )
    .await;
    assert_eq!(
        admin(&sim, "/messages?provider=smsco").await["messages"][1]["delivered_content"],
        "???"
    );
}

#[tokio::test]
async fn status_digit_follows_the_stored_messages() {
    let sim = start_with(|c| {
        c.clock = ClockMode::Manual;
        c.clock_start = Some(1_700_000_000);
    })
    .await;
    assert_text(
        &send(
            &sim,
            "username=demo&password=demo&recipient=995555123456&message=hi",
        )
        .await,
        "OK 5 100001",
    );
    for path in [STATUS, "/api/getstatus.php"] {
        assert_text(
            &get(
                &sim,
                &format!("{path}?username=demo&password=demo&mes_id=100001"),
            )
            .await,
            "2",
        );
    }
    // A scheduled message (Georgia time) is in process too.
    let reply = send(&sim, "username=demo&password=demo&recipient=995555123456&message=hi&schedule=2023-11-16+10:00:00").await;
    assert_text(&reply, "OK 5 100002");
    let scheduled = &admin(&sim, "/messages?provider=smsco&status=scheduled").await["messages"][0];
    assert_eq!(scheduled["scheduled_at"], "2023-11-16T06:00:00.000Z");
    assert_text(
        &get(
            &sim,
            &format!("{STATUS}?username=demo&password=demo&mes_id=100002"),
        )
        .await,
        "2",
    );

    for (query, body) in [
        ("username=demo&password=demo&mes_id=999", ""),
        ("username=demo&password=demo&mes_id=abc", ""),
        ("username=demo&password=demo", ""),
        ("username=empty&password=empty&mes_id=100001", ""),
        ("username=demo&password=bad&mes_id=100001", "2905"),
        ("password=demo&mes_id=100001", "2910"),
    ] {
        assert_text(&get(&sim, &format!("{STATUS}?{query}")).await, body);
    }
    let strict =
        start_with(|c| c.quirks.smsco.status_unknown_mes_id = UnknownMesId::Error2904).await;
    assert_text(
        &get(
            &strict,
            &format!("{STATUS}?username=demo&password=demo&mes_id=999"),
        )
        .await,
        "2904",
    );
}

#[tokio::test]
async fn get_post_multipart_and_the_alias_path_are_equivalent() {
    let sim = Simulator::start_default().await.unwrap();
    assert_text(
        &post_form(
            &sim,
            "/api/sendsms.php",
            "username=demo&password=demo&recipient=995555123456&message=one",
        )
        .await,
        "OK 5 100001",
    );
    let (content_type, body) = multipart(&[
        ("username", "demo"),
        ("password", "demo"),
        ("recipient", "995555123456"),
        ("message", "two"),
    ]);
    assert_text(&post(&sim, SEND, &content_type, &body).await, "OK 5 100002");
    // PHP: the last of a repeated parameter wins; the body wins over the query.
    let reply = post_form(
        &sim,
        &format!("{SEND}?message=query"),
        "username=demo&password=demo&recipient=995555123456&message=a&message=three",
    )
    .await;
    assert_text(&reply, "OK 5 100003");
    let contents = message_texts(&sim, "?provider=smsco", "content").await;
    assert_eq!(contents, ["one", "two", "three"]);
}

#[tokio::test]
async fn bad_input_gets_smsco_answers_and_the_server_keeps_serving() {
    let sim = Simulator::start_default().await.unwrap();
    let good = "username=demo&password=demo&recipient=995555123456&message=ok";
    let mut invalid_utf8 = b"username=demo&password=demo&recipient=995555123456&message=".to_vec();
    invalid_utf8.extend_from_slice(&[0xFF, 0xFE, b'%', b'Z']);
    let hundred_kb = format!(
        "username=demo&password=demo&recipient=995555123456&message={}",
        "a".repeat(100_000)
    );
    let cases: Vec<(Vec<u8>, &str, String)> = vec![
        (
            invalid_utf8,
            "application/x-www-form-urlencoded",
            "OK 5 ".into(),
        ),
        (
            hundred_kb.into_bytes(),
            "application/x-www-form-urlencoded",
            format!("OK {} ", 5 * 100_000usize.div_ceil(153)),
        ),
        (
            b"username=demo".to_vec(),
            "application/x-www-form-urlencoded",
            "2911".into(),
        ),
        (
            br#"{"username":"demo","password":"demo"}"#.to_vec(),
            "application/json",
            "2910".into(),
        ),
        (
            b"".to_vec(),
            "application/x-www-form-urlencoded",
            "2910".into(),
        ),
    ];
    for (body, content_type, expected_prefix) in cases {
        let reply = post(&sim, SEND, content_type, &body).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.text().starts_with(&expected_prefix),
            "{expected_prefix:?} vs {:?}",
            reply.text()
        );
        assert!(send(&sim, good).await.text().starts_with("OK 5 "));
    }
    let stored = admin(&sim, "/messages?provider=smsco").await;
    assert_eq!(stored["messages"][0]["delivered_content"], "??%Z");
    let reply = crate::client::raw(
        sim.addr(),
        format!("DELETE {SEND} HTTP/1.1").as_bytes(),
        b"",
    )
    .await;
    assert_eq!(reply.status, 405);
    assert!(send(&sim, good).await.text().starts_with("OK 5 "));
}
