//! Each provider's body limit, and its server's way past it: IIS refuses (413), PHP runs the
//! script as if no body had been sent. Nothing past the limit is kept, and the server serves on.

use smsim::Simulator;

use crate::client::{admin, get, journal_lints, post, post_form};
use crate::getsms::{ONE, form};
use crate::smsoffice_send::{GOOD_SEND, OK, assert_envelope, start_with};

async fn small_limits() -> Simulator {
    start_with(|c| {
        c.limits.body_bytes.smsoffice = 1000;
        c.limits.body_bytes.smsco = 1000;
        c.limits.body_bytes.getsms = 1000;
    })
    .await
}

#[test]
fn the_defaults_are_the_servers_own() {
    let limits = smsim::Config::embedded().limits;
    assert_eq!(
        limits.body_bytes.smsoffice, 30_000_000,
        "IIS maxAllowedContentLength"
    );
    assert_eq!(
        limits.body_bytes.smsco,
        8 * 1024 * 1024,
        "PHP post_max_size 8M"
    );
    assert_eq!(
        limits.body_bytes.getsms,
        8 * 1024 * 1024,
        "PHP post_max_size 8M"
    );
}

#[tokio::test]
async fn smsoffice_refuses_a_body_over_its_limit_with_413() {
    let sim = small_limits().await;
    let body = format!("{GOOD_SEND}&pad={}", "x".repeat(1000));
    assert_eq!(post_form(&sim, "/api/v2/send/", &body).await.status, 413);
    assert_envelope(&post_form(&sim, "/api/v2/send/", GOOD_SEND).await, OK);
    assert_eq!(admin(&sim, "/messages").await["count"], 1);
}

#[tokio::test]
async fn smsco_runs_without_a_body_over_its_limit_as_php_does() {
    let sim = small_limits().await;
    let body = format!(
        "username=demo&password=demo&recipient=995555123456&message={}",
        "x".repeat(1000)
    );
    let path = "/components/com_smsreseller/smsapi2.php";
    let reply = post_form(&sim, path, &body).await;
    assert_eq!((reply.status, reply.text()), (200, "2910".to_owned()));
    let lints = journal_lints(&sim, 0).await;
    assert!(lints.contains("post_max_size"), "{lints}");
    // The query string is still read, as PHP's $_GET is.
    let query = format!("{path}?username=demo&password=demo&balance=true");
    assert_eq!(post_form(&sim, &query, &body).await.text(), "10000");
    let sent = get(
        &sim,
        &format!("{path}?username=demo&password=demo&recipient=995555123456&message=ok"),
    )
    .await;
    assert!(sent.text().starts_with("OK 5 "), "{}", sent.text());
}

#[tokio::test]
async fn getsms_runs_without_a_body_over_its_limit_as_php_does() {
    let sim = small_limits().await;
    let big = format!(
        "[{}]",
        vec![r#"{"phone":"998901234567","text":"x"}"#; 40].join(",")
    );
    let reply = post_form(&sim, "/smsgateway/", &form("demo", Some("GETSMS"), &big)).await;
    assert_eq!(
        reply.text(),
        r#"[{"error":1,"text":"Login or Password is NULL","error_no":100}]"#
    );
    let json = format!(r#"{{"login":"demo","password":"demo","data":{big}}}"#);
    let reply = post(&sim, "/smsgateway/", "application/json", json.as_bytes()).await;
    assert!(
        reply.text().contains(r#""error_no":100"#),
        "{}",
        reply.text()
    );
    let sent = post_form(&sim, "/smsgateway/", &form("demo", Some("GETSMS"), ONE)).await;
    assert!(sent.text().contains(r#""request_id":"#), "{}", sent.text());
}

#[tokio::test]
async fn a_status_request_for_more_than_a_hundred_ids_is_400() {
    let sim = Simulator::start_default().await.unwrap();
    let sent = post_form(&sim, "/smsgateway/", &form("demo", Some("GETSMS"), ONE)).await;
    let request_id = sent.json()[0]["request_id"].as_u64().unwrap();
    let ids = |n: usize| {
        let one = format!(r#"{{"request_id":"{request_id}"}}"#);
        format!("[{}]", vec![one; n].join(","))
    };
    let reply = post_form(&sim, "/smsgateway/status/", &form("demo", None, &ids(100))).await;
    assert_eq!(
        reply.json().as_array().unwrap().len(),
        100,
        "{}",
        reply.text()
    );
    let reply = post_form(&sim, "/smsgateway/status/", &form("demo", None, &ids(101))).await;
    assert_eq!(
        reply.text(),
        r#"[{"error":1,"text":"request_id is wrong","error_no":400}]"#
    );
}

#[tokio::test]
async fn a_json_body_of_a_hundred_thousand_keys_is_read_by_its_four() {
    let sim = Simulator::start_default().await.unwrap();
    let mut body = String::from(r#"{"login":"demo","password":"demo","nickname":"GETSMS","#);
    for i in 0..100_000 {
        body.push_str(&format!(r#""k{i}":[{{}}],"#));
    }
    body.push_str(r#""data":[{"phone":"998901234567","text":"hi"}]}"#);
    let reply = post(&sim, "/smsgateway/", "application/json", body.as_bytes()).await;
    assert!(
        reply.text().contains(r#""recipient":998901234567"#),
        "{}",
        reply.text()
    );
    let lints = journal_lints(&sim, 0).await;
    assert!(
        lints.contains(r#"\"k9\"] and 99990 more ignored"#),
        "{lints}"
    );
}
