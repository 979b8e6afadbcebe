//! The API under the inbox: the live event stream, deciding a message's fate by hand, and
//! accounts of one's own with listings filtered by account.

use std::time::Duration;

use serde_json::{Value, json};
use smsim::Simulator;
use smsim_testkit::receiver::{Answer, Receiver};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{admin, admin_delete, admin_post, get};
use crate::delivery::{advance, manual, set_callback, smsoffice_send, smsoffice_status};

/// An open `GET /__admin/events` stream, read as text.
struct EventStream {
    stream: TcpStream,
    seen: String,
}

impl EventStream {
    async fn open(sim: &Simulator) -> EventStream {
        let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
        stream
            .write_all(
                b"GET /__admin/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n",
            )
            .await
            .unwrap();
        let mut events = EventStream {
            stream,
            seen: String::new(),
        };
        let head = events.wait_for("event: hello").await;
        assert!(head.contains("content-type: text/event-stream"), "{head:?}");
        events
    }

    /// Reads until `needle` has been seen (within ten seconds); returns everything read after
    /// the previous wait.
    async fn wait_for(&mut self, needle: &str) -> String {
        let read = async {
            let mut buf = [0u8; 8192];
            while !self.seen.contains(needle) {
                let n = self.stream.read(&mut buf).await.unwrap();
                assert!(n > 0, "stream ended before {needle:?}:\n{}", self.seen);
                self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} in:\n{}", self.seen));
        let at = self.seen.find(needle).unwrap() + needle.len();
        let rest = self.seen.split_off(at);
        std::mem::replace(&mut self.seen, rest)
    }

    /// The JSON data of the next event called `name`.
    async fn next(&mut self, name: &str) -> Value {
        self.wait_for(&format!("event: {name}\n")).await;
        let data = self.wait_for("\n\n").await;
        let line = data
            .lines()
            .find_map(|l| l.strip_prefix("data: "))
            .unwrap_or_else(|| panic!("no data in {data:?}"));
        serde_json::from_str(line).unwrap()
    }
}

#[tokio::test]
async fn the_event_stream_tells_of_requests_messages_and_the_clock() {
    let sim = manual().await;
    let mut events = EventStream::open(&sim).await;
    smsoffice_send(&sim, "995555123456", "live-1").await;
    // The message is published as its lock is released, the journal entry after the reply.
    let accepted = events.next("message").await;
    assert_eq!(
        (&accepted["destination"], &accepted["status"]),
        (&Value::from("995555123456"), &Value::from("accepted"))
    );
    let request = events.next("request").await;
    assert_eq!(
        (
            &request["endpoint"],
            &request["account"],
            &request["status"]
        ),
        (
            &Value::from("send"),
            &Value::from("demo-key"),
            &Value::from(200)
        )
    );
    advance(&sim, 5.0).await;
    let pending = events.next("message").await;
    assert_eq!(pending["status"], "pending");
    let delivered = events.next("message").await;
    assert_eq!(
        (&delivered["id"], &delivered["status"]),
        (&accepted["id"], &Value::from("delivered"))
    );
    let clock = events.next("clock").await;
    assert_eq!(clock["rfc3339"], "2023-11-14T22:13:25.000Z");
    assert_eq!(admin_post(&sim, "/reset", "").await.status, 200);
    events.next("cleared").await;
}

/// A connection to the event stream with a tiny receive window that never reads: the server's
/// side of it fills up quickly.
async fn stalled_listener(sim: &Simulator) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(sim.addr()).await.unwrap();
    stalled
        .write_all(b"GET /__admin/events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    stalled
}

/// Sends a request every 50 ms (each an event that shows the server which listeners' clients
/// have closed) until `done`, at most 20 s.
async fn poke_until(sim: &Simulator, what: &str, done: impl Fn() -> bool) {
    let poke = async {
        while !done() {
            get(sim, "/api/getBalance?key=demo-key").await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(20), poke)
        .await
        .unwrap_or_else(|_| panic!("{what}"));
}

#[tokio::test]
async fn the_memory_of_listeners_that_left_is_returned_once_most_or_all_are_gone() {
    let sim = manual().await;
    let mut listeners = Vec::new();
    for _ in 0..100 {
        listeners.push(stalled_listener(&sim).await);
    }
    poke_until(&sim, "100 listeners counted", || {
        sim.sim().event_listeners() == 100
    })
    .await;
    assert_eq!(sim.sim().listener_memory_releases(), 0);
    // 70 leave: more than 64, and more than half of them, while 30 stay.
    listeners.truncate(30);
    poke_until(&sim, "memory returned while 30 listen", || {
        sim.sim().listener_memory_releases() == 1
    })
    .await;
    assert_eq!(sim.sim().event_listeners(), 30);
    // The last ones leave.
    listeners.clear();
    poke_until(&sim, "memory returned when nobody listens", || {
        sim.sim().listener_memory_releases() == 2
    })
    .await;
    assert_eq!(sim.sim().event_listeners(), 0);
    // The server serves on, and a new listener is counted.
    let _again = stalled_listener(&sim).await;
    poke_until(&sim, "a new listener counted", || {
        sim.sim().event_listeners() == 1
    })
    .await;
}

#[tokio::test]
async fn a_listener_that_does_not_read_is_told_it_lagged_and_slows_nobody() {
    let sim = manual().await;
    let mut stalled = stalled_listener(&sim).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Each request event carries its 2 kB target: far more than the sockets can hold.
    let target = format!("/api/getBalance?key=demo-key&pad={}", "x".repeat(2000));
    for i in 0..3000 {
        let reply = get(&sim, &target).await;
        assert_eq!(reply.status, 200, "request {i}");
    }
    let mut text = String::new();
    let mut buf = [0u8; 65536];
    let read = async {
        while !text.contains("event: lagged") {
            let n = stalled.read(&mut buf).await.unwrap();
            assert!(n > 0);
            text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("told it lagged");
    let missed = text
        .split("event: lagged\ndata: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .map(|line| serde_json::from_str::<Value>(line).unwrap()["missed"].clone())
        .unwrap();
    assert!(missed.as_u64().unwrap() > 0, "{missed}");
}

#[tokio::test]
async fn an_outcome_set_by_hand_moves_the_message_as_its_rule_would() {
    let sim = manual().await;
    let receiver = Receiver::start_with(vec![], Answer::Reply(200, "OK".into()))
        .await
        .unwrap();
    set_callback(&sim, &receiver.url()).await;
    // 0003 stays pending forever unless someone decides.
    smsoffice_send(&sim, "995555120003", "by-hand").await;
    let id = admin(&sim, "/messages").await["messages"][0]["id"]
        .as_u64()
        .unwrap();
    let path = format!("/messages/{id}/outcome");
    let decided = admin_post(
        &sim,
        &path,
        r#"{"outcome": "undelivered", "reason": "Phone switched off"}"#,
    )
    .await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    let message = decided.json();
    let history: Vec<&str> = message["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["accepted", "pending", "undelivered"]);
    assert_eq!(message["reason"], "Phone switched off");
    assert_eq!(
        smsoffice_status(&sim, "995555120003", "by-hand").await,
        "Undelivered"
    );
    let statuses: Vec<String> = receiver
        .hits()
        .iter()
        .map(|h| format!("{}:{}", h.params["status"], h.params["reason"]))
        .collect();
    // Hand-over (Pending) reads the same as accepted in smsoffice's words: no callback for it.
    assert_eq!(statuses, ["Undelivered:Phone switched off"]);
    // Final now: no second decision, and its rule's schedule changes nothing.
    assert_eq!(
        admin_post(&sim, &path, r#"{"outcome": "delivered"}"#)
            .await
            .status,
        409
    );
    advance(&sim, 3600.0).await;
    assert_eq!(
        smsoffice_status(&sim, "995555120003", "by-hand").await,
        "Undelivered"
    );
    for (path, body, status) in [
        ("/messages/999/outcome", r#"{"outcome": "delivered"}"#, 404),
        (path.as_str(), r#"{"outcome": "lost"}"#, 400),
        (path.as_str(), "not json", 400),
    ] {
        let reply = admin_post(&sim, path, body).await;
        assert_eq!(reply.status, status, "{path} {body}: {}", reply.text());
        assert!(reply.json()["error"].is_string());
    }
}

#[tokio::test]
async fn accounts_of_ones_own_are_created_used_listed_apart_and_deleted() {
    let sim = Simulator::start_default().await.unwrap();
    let team = r#"{"key": "team-a", "balance": 5, "senders": [{"name": "TEAMA", "active": true}]}"#;
    let created = admin_post(&sim, "/accounts/smsoffice", team).await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.json()["balance"], 5);
    assert_eq!(
        admin_post(&sim, "/accounts/smsoffice", team).await.status,
        409
    );
    let getsms = r#"{"login": "team-a", "password": "pw", "nicknames": ["TEAMA"], "balance": 3}"#;
    assert_eq!(
        admin_post(&sim, "/accounts/getsms", getsms).await.status,
        201
    );
    for (path, body) in [
        ("/accounts/smsoffice", r#"{"key": "", "balance": 1}"#),
        (
            "/accounts/smsoffice",
            r#"{"key": "k", "balance": 1, "callback_url": "ftp://x"}"#,
        ),
        ("/accounts/smsco", r#"{"username": "u"}"#),
    ] {
        assert_eq!(admin_post(&sim, path, body).await.status, 400, "{body}");
    }
    assert_eq!(admin_post(&sim, "/accounts/nobody", team).await.status, 404);

    let send = |key: &str, sender: &str| {
        format!("/api/v2/send/?key={key}&destination=995577123456&sender={sender}&content=hi")
    };
    assert_eq!(
        get(&sim, &send("team-a", "TEAMA")).await.json()["ErrorCode"],
        0
    );
    assert_eq!(
        get(&sim, &send("demo-key", "SMSOFFICE")).await.json()["ErrorCode"],
        0
    );
    let mine = admin(&sim, "/messages?account=team-a").await;
    assert_eq!(mine["count"], 1);
    assert_eq!(mine["messages"][0]["account"], "team-a");
    let requests = admin(&sim, "/requests?account=team-a").await;
    assert_eq!(requests["count"], 1);
    assert_eq!(admin(&sim, "/callbacks?account=team-a").await["count"], 0);
    let balance = get(&sim, "/api/getBalance?key=team-a").await.text();
    assert_eq!(balance, "4");

    let delete = admin_delete(&sim, "/accounts/smsoffice/team-a").await;
    assert_eq!(delete.status, 200, "{}", delete.text());
    assert_eq!(
        get(&sim, &send("team-a", "TEAMA")).await.json()["ErrorCode"],
        80
    );
    let again = admin_delete(&sim, "/accounts/smsoffice/team-a").await;
    assert_eq!(again.status, 404);
    // Reset keeps its meaning: back to the configured accounts only.
    assert_eq!(admin_post(&sim, "/reset", "").await.status, 200);
    let accounts = admin(&sim, "/accounts").await;
    assert!(
        accounts["getsms"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["login"] != "team-a")
    );
}

#[tokio::test]
async fn listings_come_newest_first_and_a_message_finds_its_request() {
    let sim = manual().await;
    smsoffice_send(&sim, "995555123456", "first").await;
    smsoffice_send(&sim, "995555123457", "second").await;
    assert_eq!(get(&sim, "/api/getBalance?key=demo-key").await.status, 200);
    let newest = admin(&sim, "/messages?order=newest&limit=1").await;
    assert_eq!(newest["messages"][0]["destination"], "995555123457");
    let older = admin(
        &sim,
        &format!("/messages?order=newest&after={}", newest["next"]),
    )
    .await;
    assert_eq!(older["messages"][0]["destination"], "995555123456");
    let second = newest["messages"][0]["id"].as_u64().unwrap();
    let made = admin(&sim, &format!("/requests?message_id={second}")).await;
    assert_eq!(made["count"], 1);
    assert!(
        made["requests"][0]["target"]
            .as_str()
            .unwrap()
            .contains("reference=second")
    );
    assert_eq!(
        made["requests"][0]["messages"],
        serde_json::json!([second, second])
    );
    let latest = admin(&sim, "/requests?order=newest&limit=1").await;
    assert_eq!(latest["requests"][0]["endpoint"], "balance");
    assert_eq!(latest["requests"][0]["messages"], Value::Null);
    assert_eq!(
        get(&sim, "/__admin/messages?order=sideways").await.status,
        400
    );
    // The clock says when the next thing falls due (hand-over and delivery of the two).
    assert_eq!(
        admin(&sim, "/clock").await["next_due"],
        "2023-11-14T22:13:20.000Z"
    );
    advance(&sim, 10.0).await;
    assert_eq!(admin(&sim, "/clock").await["next_due"], Value::Null);
}

#[tokio::test]
async fn with_a_token_the_page_loads_and_the_stream_takes_the_token_in_its_query() {
    let sim = crate::smsoffice_send::start_with(|c| c.admin_token = Some("s3cret".into())).await;
    let page = get(&sim, "/__admin/ui/").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<title>smsim inbox</title>"));
    assert_eq!(
        get(&sim, "/__admin/ui").await.header("location"),
        Some("/__admin/ui/")
    );
    assert_eq!(get(&sim, "/__admin/events").await.status, 401);
    assert_eq!(
        get(&sim, "/__admin/messages?access_token=s3cret")
            .await
            .status,
        401
    );
    let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
    stream
        .write_all(b"GET /__admin/events?access_token=s3cret HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 256];
    let n = stream.read(&mut head).await.unwrap();
    assert!(
        String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&head[..n])
    );
}

#[tokio::test]
async fn accounts_are_bounded_in_number_and_id_length_and_listed_in_pages() {
    let sim = crate::smsoffice_send::start_with(|c| c.limits.max_accounts = 120).await;
    let create = |id: String| {
        let sim = &sim;
        async move {
            let body = json!({"username": id, "password": "p", "balance": 1}).to_string();
            admin_post(sim, "/accounts/smsco", &body).await
        }
    };
    let long = create("x".repeat(257)).await;
    assert_eq!(long.status, 400);
    assert!(
        long.json()["error"].as_str().unwrap().contains("256"),
        "{}",
        long.text()
    );
    assert_eq!(create("y".repeat(256)).await.status, 201);
    // Three demo accounts, one of 256 bytes, and 116 more make 120: the next is refused.
    for i in 0..116 {
        assert_eq!(create(format!("user-{i:03}")).await.status, 201, "{i}");
    }
    let full = create("one-too-many".into()).await;
    assert_eq!(full.status, 409);
    assert!(
        full.json()["error"]
            .as_str()
            .unwrap()
            .contains("max_accounts")
    );

    // One provider's accounts, a page at a time.
    let first = admin(&sim, "/accounts?provider=smsco").await;
    assert_eq!(first["count"], 120);
    assert_eq!(first["accounts"].as_array().unwrap().len(), 100);
    let next = first["next"].as_str().unwrap().to_owned();
    assert_eq!(first["accounts"][99]["username"], next.as_str());
    let rest = admin(
        &sim,
        &format!("/accounts?provider=smsco&after={next}&limit=1000"),
    )
    .await;
    assert_eq!(rest["accounts"].as_array().unwrap().len(), 20);
    assert_eq!(rest["next"], Value::Null);
    // Every provider's, each cut at `limit`.
    let all = admin(&sim, "/accounts?limit=2").await;
    for provider in ["smsoffice", "smsco", "getsms"] {
        assert_eq!(all[provider].as_array().unwrap().len(), 2, "{provider}");
    }
    for bad in [
        "/accounts?provider=smsco&after=nobody",
        "/accounts?after=demo",
        "/accounts?limit=0",
    ] {
        let reply = get(&sim, &format!("/__admin{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn a_listener_that_stops_reading_is_cut_off_and_a_reading_one_gets_every_event() {
    let sim =
        crate::smsoffice_send::start_with(|c| c.limits.event_listener_stuck_seconds = 1).await;
    let mut reading = EventStream::open(&sim).await;
    let mut stalled = stalled_listener(&sim).await;
    // 3,000 requests of 2 kB targets, more than the stalled client's buffers hold, while the
    // reader reads: it gets every one of them, in order, and is never told it lagged.
    const REQUESTS: u64 = 3000;
    let target = format!("/api/getBalance?key=demo-key&pad={}", "x".repeat(2000));
    let send = async {
        for _ in 0..REQUESTS {
            assert_eq!(get(&sim, &target).await.status, 200);
        }
    };
    let read = async {
        let first = reading.next("request").await["id"].as_u64().unwrap();
        let mut last = first;
        while last < first + REQUESTS - 1 {
            let next = reading.next("request").await["id"].as_u64().unwrap();
            assert_eq!(next, last + 1, "a request event missing");
            last = next;
        }
    };
    tokio::join!(send, read);
    assert!(!reading.seen.contains("event: lagged"));
    // The stalled one is closed once it has left its events untaken past the limit (1 s here,
    // looked at every second): reading after that drains what was sent before, then meets the
    // end.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let drained = async {
        let mut buf = vec![0u8; 65536];
        loop {
            match stalled.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), drained)
        .await
        .expect("the stalled listener's connection is closed");
}

#[tokio::test]
async fn listeners_past_the_cap_are_refused_with_the_reason() {
    let sim = crate::smsoffice_send::start_with(|c| c.limits.max_event_listeners = 2).await;
    let _one = EventStream::open(&sim).await;
    let _two = EventStream::open(&sim).await;
    let refused = get(&sim, "/__admin/events").await;
    assert_eq!(refused.status, 503);
    assert!(
        refused.json()["error"]
            .as_str()
            .unwrap()
            .contains("max_event_listeners")
    );
    drop(_one);
    // A listener that leaves makes room (the server notices when it closes).
    let mut admitted = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let reply = crate::client::raw(
            sim.addr(),
            b"GET /__admin/events HTTP/1.1\r\nX-Probe: 1",
            b"",
        );
        if tokio::time::timeout(Duration::from_millis(200), reply)
            .await
            .is_err()
        {
            // The stream stayed open: admitted.
            admitted = true;
            break;
        }
    }
    assert!(admitted, "a slot freed by a closed listener is reused");
}
