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

/// Sends `head` (with its `Content-Length`) and the first `sent` bytes of the body, then reads
/// what comes back, within ten seconds; the connection stays open meanwhile.
async fn partial(sim: &Simulator, head: &str, sent: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let head = format!("{head}\r\nHost: localhost\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    let mut reply = Vec::new();
    let read = stream.read_to_end(&mut reply);
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("an answer without the rest of the body")
        .unwrap();
    String::from_utf8_lossy(&reply).into_owned()
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_answered_before_the_body_is_read() {
    let sim = Simulator::start_default().await.unwrap();
    // 100 MB announced, 10 bytes sent: IIS refuses at once, and closes.
    let reply = partial(
        &sim,
        "POST /api/v2/send/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000",
        b"key=demo-k",
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 413"), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("connection: close"),
        "{reply}"
    );
    // PHP runs the script without the body: getsms answers its missing-credentials error.
    let reply = partial(
        &sim,
        "POST /smsgateway/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000000",
        b"login=demo",
    )
    .await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("error_no"), "{reply}");
    let lints = journal_lints(&sim, 1).await;
    assert!(lints.contains("post_max_size"), "{lints}");
    assert_envelope(&post_form(&sim, "/api/v2/send/", GOOD_SEND).await, OK);
}

#[tokio::test]
async fn a_body_that_stalls_or_drips_is_answered_408_and_others_are_served_meanwhile() {
    let sim = start_with(|c| {
        c.limits.body_read_timeout_seconds = 1;
        c.limits.body_timeout_seconds = 3;
    })
    .await;
    let stalled = partial(
        &sim,
        "POST /api/v2/send/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 200",
        b"key=demo-key",
    );
    let others = async {
        for _ in 0..5 {
            assert_eq!(get(&sim, "/api/getBalance?key=demo-key").await.status, 200);
        }
    };
    let (reply, ()) = tokio::join!(stalled, others);
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");

    // A byte every half second never pauses for the read timeout, but the body timeout ends it.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    stream
        .write_all(b"POST /smsgateway/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n")
        .await
        .unwrap();
    let mut reply = [0u8; 64];
    let dripped = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            if stream.write_all(b"x").await.is_err() {
                break;
            }
            if let Ok(Ok(n)) = tokio::time::timeout(
                std::time::Duration::from_millis(10),
                stream.read(&mut reply),
            )
            .await
            {
                return String::from_utf8_lossy(&reply[..n]).into_owned();
            }
        }
        String::new()
    };
    let reply = tokio::time::timeout(std::time::Duration::from_secs(20), dripped)
        .await
        .expect("the dripping body is cut off");
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
}
