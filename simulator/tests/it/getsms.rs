//! getsms.uz: every error byte-exact, typed replies, mixed batches, status rows, allow-list.

use serde::Deserialize;
use smsim::ClockMode;
use smsim::Simulator;

use crate::client::{Reply, admin, enc, get, journal_lints, post, post_form, raw};
use crate::smsoffice_send::start_with;

pub(crate) fn assert_json_text(reply: &Reply, expected: &str) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    assert_eq!(reply.text(), expected);
}

pub(crate) fn error(code: u16, text: &str) -> String {
    format!(r#"[{{"error":1,"text":"{text}","error_no":{code}}}]"#)
}

pub(crate) fn form(login: &str, nickname: Option<&str>, data: &str) -> String {
    let nick = nickname
        .map(|n| format!("&nickname={n}"))
        .unwrap_or_default();
    format!("login={login}&password={login}{nick}&data={}", enc(data))
}

pub(crate) async fn send(sim: &Simulator, body: &str) -> Reply {
    post_form(sim, "/smsgateway/", body).await
}

pub(crate) async fn balance(sim: &Simulator, login: &str) -> u64 {
    let accounts = admin(sim, "/accounts").await;
    let account = accounts["getsms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["login"] == login)
        .unwrap()
        .clone();
    account["balance"].as_u64().unwrap()
}

pub(crate) const ONE: &str = r#"[{"phone":"998901234567","text":"hi"}]"#;

// The strictest published client's view: an accepted item has a numeric recipient, a failed one
// a string; unknown keys are an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Accepted {
    recipient: u64,
    text: String,
    user_id: u64,
    date_received: i64,
    message_id: u64,
    request_id: u64,
    client_ip: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Failed {
    error: u8,
    error_text: String,
    error_no: u16,
    recipient: String,
    text: String,
    user_id: u64,
    date_received: i64,
    message_id: u64,
    request_id: u64,
    client_ip: String,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Item {
    Failed(Failed),
    Accepted(Accepted),
}

/// A status row as a client decoding it into a map sees it: every value a string, only
/// `date_delivered` may be null.
type StatusRow = std::collections::BTreeMap<String, Option<String>>;

/// The keys of a status row, exactly.
const STATUS_KEYS: [&str; 12] = [
    "client_ip",
    "count_messages",
    "date_delivered",
    "date_received",
    "date_sent",
    "description",
    "message_id",
    "recipient",
    "request_id",
    "status",
    "text",
    "user_id",
];

fn field<'a>(row: &'a StatusRow, key: &str) -> &'a str {
    row[key]
        .as_deref()
        .unwrap_or_else(|| panic!("{key} is null in {row:?}"))
}

#[tokio::test]
async fn every_top_level_error_is_byte_exact() {
    let sim = Simulator::start_default().await.unwrap();
    let many: Vec<String> = (0..101)
        .map(|i| format!(r#"{{"phone":"99890123{i:04}","text":"x"}}"#))
        .collect();
    let many = format!("[{}]", many.join(","));
    let cases: Vec<(String, u16, &str)> = vec![
        (
            format!("password=demo&nickname=GETSMS&data={}", enc(ONE)),
            100,
            "Login or Password is NULL",
        ),
        (
            format!("login=demo&password=&nickname=GETSMS&data={}", enc(ONE)),
            100,
            "Login or Password is NULL",
        ),
        (
            format!(
                "login=demo&password=wrong&nickname=GETSMS&data={}",
                enc(ONE)
            ),
            101,
            "Incorrect Login or Password",
        ),
        (form("blocked", Some("GETSMS"), ONE), 102, "Account blocked"),
        (
            form("demo", Some("GETSMS"), "[{phone:1}"),
            200,
            "Array is not a JSON",
        ),
        (
            "login=demo&password=demo&nickname=GETSMS".into(),
            200,
            "Array is not a JSON",
        ),
        (
            form(
                "demo",
                Some("GETSMS"),
                r#"{"phone":"998901234567","text":"hi"}"#,
            ),
            201,
            "Array is invalid",
        ),
        (form("demo", Some("GETSMS"), "[]"), 201, "Array is invalid"),
        (form("demo", Some("GETSMS"), &many), 201, "Array is invalid"),
        (
            form(
                "demo",
                Some("GETSMS"),
                r#"[{"phone":{"a":[1]},"text":"hi"}]"#,
            ),
            201,
            "Array is invalid",
        ),
        (
            form("demo", Some("GETSMS"), r#"[{"phone":"998901234567"}]"#),
            201,
            "Array is invalid",
        ),
        (form("demo", Some("OTHER"), ONE), 203, "Incorrect nickname"),
        (form("empty", Some("GETSMS"), ONE), 103, "Limit is over"),
    ];
    for (body, code, text) in cases {
        assert_json_text(&send(&sim, &body).await, &error(code, text));
    }
    assert_eq!(balance(&sim, "demo").await, 1000);
    assert_eq!(admin(&sim, "/messages?provider=getsms").await["count"], 0);
}

#[tokio::test]
async fn each_check_comes_before_the_next_one() {
    let sim = Simulator::start_default().await.unwrap();
    let cases: Vec<(String, u16)> = vec![
        ("login=demo&nickname=OTHER&data=junk".into(), 100), // 100 < everything
        ("login=demo&password=bad&data=junk".into(), 101),   // 101 < 200
        (form("blocked", None, "junk"), 102),                // 102 < 200
        (form("demo", None, "junk"), 200),                   // 200 < 202
        (form("demo", None, "[]"), 201),                     // 201 < 202
        (form("demo", Some("OTHER"), "[1]"), 201),           // 201 < 203
        (form("empty", None, ONE), 103), // no nickname: the account's own, then 103
        (form("empty", Some("OTHER"), ONE), 203), // 203 < 103
    ];
    for (body, code) in cases {
        let reply = send(&sim, &body).await;
        assert_eq!(
            reply.json()[0]["error_no"],
            code,
            "{body}: {}",
            reply.text()
        );
    }
}

#[tokio::test]
async fn a_mixed_batch_sends_the_valid_items_and_parses_strictly() {
    let sim = start_with(|c| {
        c.clock = ClockMode::Manual;
        c.clock_start = Some(1_700_000_000);
    })
    .await;
    let data = r#"[{"phone":"998901234567","text":"Ваш текст смс"},{"phone":"+998901234567","text":"bad"},{"phone":998901234568,"text":"two"}]"#;
    let reply = send(&sim, &form("demo", Some("GETSMS"), data)).await;
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    let items: Vec<Item> =
        serde_json::from_slice(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.text()));
    let [
        Item::Accepted(first),
        Item::Failed(bad),
        Item::Accepted(third),
    ] = &items[..]
    else {
        panic!("accepted, failed, accepted expected: {items:?}");
    };
    assert_eq!(
        (first.recipient, first.text.as_str(), first.user_id),
        (998901234567, "Ваш текст смс", 1)
    );
    assert_eq!(first.date_received, 1_700_000_000);
    assert_eq!(first.client_ip, "127.0.0.1");
    assert_eq!(
        (bad.error, bad.error_no, bad.error_text.as_str()),
        (1, 300, "is NOT a phone number")
    );
    assert_eq!(bad.recipient, "+998901234567");
    assert_eq!(bad.text, "bad");
    assert_eq!(
        (bad.user_id, bad.date_received, bad.client_ip.as_str()),
        (1, 1_700_000_000, "127.0.0.1")
    );
    assert_eq!(third.recipient, 998901234568);
    let (r, m) = (first.request_id, first.message_id);
    let exact = format!(
        concat!(
            r#"[{{"recipient":998901234567,"text":"Ваш текст смс","user_id":1,"date_received":1700000000,"message_id":{m0},"request_id":{r},"client_ip":"127.0.0.1"}},"#,
            r#"{{"error":1,"error_text":"is NOT a phone number","error_no":300,"recipient":"+998901234567","text":"bad","user_id":1,"date_received":1700000000,"message_id":{m1},"request_id":{r},"client_ip":"127.0.0.1"}},"#,
            r#"{{"recipient":998901234568,"text":"two","user_id":1,"date_received":1700000000,"message_id":{m2},"request_id":{r},"client_ip":"127.0.0.1"}}]"#
        ),
        m0 = m,
        m1 = m + 1,
        m2 = m + 2,
        r = r
    );
    assert_eq!(reply.text(), exact);
    // One request_id per request, message_id per item.
    assert!((10_000_000..100_000_000).contains(&first.request_id));
    assert_eq!(
        (bad.request_id, third.request_id),
        (first.request_id, first.request_id)
    );
    assert_eq!(
        (bad.message_id, third.message_id),
        (first.message_id + 1, first.message_id + 2)
    );
    // Only the two valid items are sent and charged (one segment each).
    assert_eq!(balance(&sim, "demo").await, 998);
    let stored = admin(&sim, "/messages?provider=getsms").await;
    assert_eq!(stored["count"], 2);
    assert_eq!(stored["messages"][0]["sender"], "GETSMS");
    assert_eq!(stored["messages"][0]["request_id"], first.request_id);

    let status = post_form(
        &sim,
        "/smsgateway/status/",
        &form(
            "demo",
            None,
            &format!(r#"[{{"request_id":"{}"}}]"#, first.request_id),
        ),
    )
    .await;
    assert_eq!(
        status.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    let rows: Vec<StatusRow> =
        serde_json::from_slice(&status.body).unwrap_or_else(|e| panic!("{e}: {}", status.text()));
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert_eq!(
            row.keys().map(String::as_str).collect::<Vec<_>>(),
            STATUS_KEYS
        );
    }
    let row = &rows[0];
    assert_eq!(
        (
            field(row, "recipient"),
            field(row, "text"),
            field(row, "user_id")
        ),
        ("998901234567", "Ваш текст смс", "1")
    );
    assert_eq!(
        field(row, "date_received"),
        "2023-11-15 03:13:20",
        "Tashkent time"
    );
    assert_eq!(field(row, "date_sent"), "2023-11-15 03:13:20");
    assert_eq!(row["date_delivered"], None);
    assert_eq!(field(row, "message_id"), first.message_id.to_string());
    assert_eq!(field(row, "request_id"), first.request_id.to_string());
    assert_eq!(
        (field(row, "status"), field(row, "count_messages")),
        ("sent", "1")
    );
    assert_eq!(
        (field(row, "client_ip"), field(row, "description")),
        ("127.0.0.1", "")
    );
    assert_eq!(field(&rows[1], "recipient"), "998901234568");
}

#[tokio::test]
async fn json_bodies_take_data_as_a_string_or_an_array() {
    let sim = Simulator::start_default().await.unwrap();
    let as_array = r#"{"login":"demo","password":"demo","nickname":"GETSMS","data":[{"phone":"998901234567","text":"a"}]}"#;
    let as_string = format!(
        r#"{{"login":"demo","password":"demo","nickname":"GETSMS","data":{}}}"#,
        serde_json::to_string(ONE).unwrap()
    );
    for body in [as_array.to_owned(), as_string] {
        let reply = post(&sim, "/smsgateway", "application/json", body.as_bytes()).await;
        assert_eq!(
            reply.json()[0]["recipient"],
            998901234567u64,
            "{}",
            reply.text()
        );
    }
    let request_id = admin(&sim, "/messages").await["messages"][0]["request_id"]
        .as_u64()
        .unwrap();
    let status =
        format!(r#"{{"login":"demo","password":"demo","data":[{{"request_id":{request_id}}}]}}"#);
    let reply = post(
        &sim,
        "/smsgateway/status",
        "application/json",
        status.as_bytes(),
    )
    .await;
    assert_eq!(reply.json()[0]["request_id"], request_id.to_string());
}

#[tokio::test]
async fn status_errors_are_byte_exact() {
    let sim = Simulator::start_default().await.unwrap();
    send(&sim, &form("demo", Some("GETSMS"), ONE)).await;
    let cases = [
        (
            form("demo", None, r#"[{"request_id":"1"}]"#),
            400,
            "request_id is wrong",
        ),
        (
            form("demo", None, r#"[{"request_id":"abc"}]"#),
            400,
            "request_id is wrong",
        ),
        (form("demo", None, "not json"), 400, "request_id is wrong"),
        (form("demo", None, "[]"), 400, "request_id is wrong"),
        (
            "login=demo&password=demo".into(),
            400,
            "request_id is wrong",
        ),
        ("login=demo".into(), 100, "Login or Password is NULL"),
        (
            "login=demo&password=x&data=[]".into(),
            101,
            "Incorrect Login or Password",
        ),
        (
            form("blocked", None, r#"[{"request_id":"1"}]"#),
            102,
            "Account blocked",
        ),
    ];
    for (body, code, text) in cases {
        assert_json_text(
            &post_form(&sim, "/smsgateway/status/", &body).await,
            &error(code, text),
        );
    }
    // Another account's request id is unknown to this one.
    let request_id = admin(&sim, "/messages").await["messages"][0]["request_id"]
        .as_u64()
        .unwrap();
    let reply = post_form(
        &sim,
        "/smsgateway/status/",
        &form(
            "empty",
            None,
            &format!(r#"[{{"request_id":{request_id}}}]"#),
        ),
    )
    .await;
    assert_json_text(&reply, &error(400, "request_id is wrong"));
}

#[tokio::test]
async fn bad_input_gets_getsms_answers_and_the_server_keeps_serving() {
    let sim = Simulator::start_default().await.unwrap();
    let good = form("demo", Some("GETSMS"), ONE);
    let big = format!(
        r#"[{{"phone":"998901234567","text":"{}"}}]"#,
        "a".repeat(100_000)
    );
    let mut invalid_utf8 = b"login=demo&password=demo&nickname=GETSMS&data=".to_vec();
    invalid_utf8.extend_from_slice(enc(r#"[{"phone":"998901234567","text":"x"#).as_bytes());
    invalid_utf8.extend_from_slice(&[0xFF, 0xC3]);
    invalid_utf8.extend_from_slice(enc(r#""}]"#).as_bytes());
    let cases: Vec<(Vec<u8>, &str, serde_json::Value)> = vec![
        (
            form("demo", Some("GETSMS"), "[{\"phone\":").into_bytes(),
            "application/x-www-form-urlencoded",
            200.into(),
        ),
        (
            form("demo", Some("GETSMS"), r#""just a string""#).into_bytes(),
            "application/x-www-form-urlencoded",
            201.into(),
        ),
        (
            form(
                "demo",
                Some("GETSMS"),
                r#"[{"phone":"998901234567","text":"a","extra":{"deep":[[[]]]}},[[1]]]"#,
            )
            .into_bytes(),
            "application/x-www-form-urlencoded",
            201.into(),
        ),
        (
            form(
                "demo",
                Some("GETSMS"),
                &format!(
                    "[{}]",
                    vec![r#"{"phone":"998901234567","text":"x"}"#; 101].join(",")
                ),
            )
            .into_bytes(),
            "application/x-www-form-urlencoded",
            201.into(),
        ),
        (
            form("demo", Some("GETSMS"), r#"[{"text":"no phone"}]"#).into_bytes(),
            "application/x-www-form-urlencoded",
            201.into(),
        ),
        (
            b"login=demo&nickname=GETSMS".to_vec(),
            "application/x-www-form-urlencoded",
            100.into(),
        ),
        (b"{not json".to_vec(), "application/json", 100.into()),
        (br#"[1,2,3]"#.to_vec(), "application/json", 100.into()),
        (
            b"login=demo&password=demo".to_vec(),
            "application/x-www-form-urlencoded",
            200.into(),
        ),
        (
            b"".to_vec(),
            "application/x-www-form-urlencoded",
            100.into(),
        ),
    ];
    for (body, content_type, code) in cases {
        let reply = post(&sim, "/smsgateway/", content_type, &body).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.json()[0]["error_no"], code, "{}", reply.text());
        assert_eq!(
            send(&sim, &good).await.json()[0]["recipient"],
            998901234567u64
        );
    }
    // A 100 kB text is accepted and charged by segments (UCS-2 would be more; this is GSM-7).
    let before = balance(&sim, "demo").await;
    let reply = send(&sim, &form("demo", Some("GETSMS"), &big)).await;
    assert_eq!(reply.json()[0]["recipient"], 998901234567u64);
    assert_eq!(
        balance(&sim, "demo").await,
        before - 100_000u64.div_ceil(153)
    );
    // Invalid UTF-8 inside the data is replaced, and the item is sent.
    let reply = post(
        &sim,
        "/smsgateway/",
        "application/x-www-form-urlencoded",
        &invalid_utf8,
    )
    .await;
    assert_eq!(reply.json()[0]["text"], "x\u{FFFD}\u{FFFD}");
    // GET where POST is expected: the query is not read, so the login is missing.
    let reply = get(&sim, &format!("/smsgateway/?{good}")).await;
    assert_eq!(reply.text(), error(100, "Login or Password is NULL"));
    let lints = admin(&sim, "/requests").await["requests"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["lints"]
        .to_string();
    assert!(lints.contains("expects POST"), "{lints}");
    let put = raw(sim.addr(), b"PUT /smsgateway/ HTTP/1.1", b"").await;
    assert_eq!((put.status, put.header("allow")), (405, Some("POST")));
    assert_eq!(
        send(&sim, &good).await.json()[0]["recipient"],
        998901234567u64
    );
}

#[tokio::test]
async fn batches_over_fifty_items_are_linted() {
    let sim = start_with(|c| c.getsms.accounts[0].balance = 1000).await;
    let items: Vec<String> = (0..60)
        .map(|i| format!(r#"{{"phone":"9989012{i:05}","text":"x"}}"#))
        .collect();
    let reply = send(
        &sim,
        &form("demo", Some("GETSMS"), &format!("[{}]", items.join(","))),
    )
    .await;
    assert_eq!(reply.json().as_array().unwrap().len(), 60);
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("60 items"), "{lints}");
}

#[tokio::test]
async fn without_a_nickname_the_accounts_own_is_used_unless_the_quirk_requires_one() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = send(&sim, &form("demo", None, ONE)).await;
    assert!(reply.text().contains("\"message_id\""), "{}", reply.text());
    let messages = admin(&sim, "/messages?provider=getsms").await;
    assert_eq!(messages["messages"][0]["sender"], "GETSMS");

    let strict =
        crate::smsoffice_send::start_with(|c| c.quirks.getsms.nickname_required = true).await;
    assert_json_text(
        &send(&strict, &form("demo", None, ONE)).await,
        &error(202, "Nickname didn't set"),
    );
    assert_eq!(
        admin(&strict, "/messages?provider=getsms").await["count"],
        0
    );
}
