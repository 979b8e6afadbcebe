//! How connections are held and end: the cap on open connections, the header timeout, a client
//! that stops sending once its requests are out (it still gets its replies), and one that leaves
//! a request that will never be answered (its connection is freed).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{admin, get};
use crate::smsoffice_send::{GOOD_SEND, start_with};

/// Reads until the server closes the connection; `None` if it is still open after `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut got)).await {
        Ok(_) => Some(got),
        Err(_) => None,
    }
}

/// `printf '…' | nc -N`, or a script that calls `shutdown(SHUT_WR)` after writing: the request
/// is whole, and the server answers it (and every request pipelined before it) before it closes.
#[tokio::test]
async fn a_client_that_stops_sending_after_its_requests_still_gets_every_reply() {
    let sim = start_with(|_| {}).await;
    const ROUNDS: usize = 20;
    for round in 0..ROUNDS {
        let mut stream = TcpStream::connect(sim.addr()).await.unwrap();
        let requests = format!(
            "GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: x\r\n\r\n\
             POST /api/v2/send/ HTTP/1.1\r\nHost: x\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{GOOD_SEND}",
            GOOD_SEND.len()
        );
        stream.write_all(requests.as_bytes()).await.unwrap();
        stream.shutdown().await.unwrap();
        let replies = closed_within(&mut stream, Duration::from_secs(10))
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .expect("the server closes the connection once it has answered");
        assert_eq!(
            replies.matches("HTTP/1.1 200 OK\r\n").count(),
            2,
            "round {round}: {replies}"
        );
        assert!(
            replies.contains(&format!("\r\n\r\n{}", 1000 - round)),
            "round {round}: the balance before this round's send: {replies}"
        );
        assert!(
            replies.ends_with(r#""ErrorCode":0}"#),
            "round {round}: the send's envelope last: {replies}"
        );
    }
    assert_eq!(admin(&sim, "/messages").await["count"], ROUNDS);
    // A client that keeps its side open is served as before.
    assert_eq!(
        get(&sim, "/api/getBalance?key=demo-key").await.text(),
        (1000 - ROUNDS).to_string()
    );
}

/// A `hang` never answers; whether its client shuts its sending side or closes outright, the
/// connection is closed and its slot under `limits.max_connections` goes to the next client.
#[tokio::test]
async fn a_hung_request_whose_client_leaves_frees_its_connection() {
    let sim = start_with(|c| {
        c.limits.max_connections = 2;
        c.faults = vec!["smsoffice.send=hang".to_owned()];
    })
    .await;
    let send = format!("GET /api/v2/send/?{GOOD_SEND} HTTP/1.1\r\nHost: x\r\n\r\n");
    for (round, closes_outright) in [false, true].into_iter().enumerate() {
        let mut hung = TcpStream::connect(sim.addr()).await.unwrap();
        hung.write_all(send.as_bytes()).await.unwrap();
        // A hang is in the journal once it has begun; each round before made two entries.
        let mut begun = false;
        for _ in 0..200 {
            begun = admin(&sim, "/requests").await["count"] == 2 * round + 1;
            if begun {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(begun, "the hung request reached the server");
        // The other slot, taken by a client that sends nothing (for less than the header timeout).
        let _idle = TcpStream::connect(sim.addr()).await.unwrap();
        if closes_outright {
            drop(hung);
        } else {
            hung.shutdown().await.unwrap();
            assert_eq!(
                closed_within(&mut hung, Duration::from_secs(10)).await,
                Some(Vec::new()),
                "no reply, and the connection closed"
            );
        }
        let next = tokio::time::timeout(
            Duration::from_secs(10),
            get(&sim, "/api/getBalance?key=demo-key"),
        )
        .await
        .expect("the hung request's connection slot is free again");
        assert_eq!(next.text(), "1000");
    }
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    let sim = start_with(|c| c.limits.max_connections = 2).await;
    let held_a = TcpStream::connect(sim.addr()).await.unwrap();
    let _held_b = TcpStream::connect(sim.addr()).await.unwrap();
    let mut third = TcpStream::connect(sim.addr()).await.unwrap();
    third
        .write_all(
            b"GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await
        .unwrap();
    let mut reply = Vec::new();
    let waited =
        tokio::time::timeout(Duration::from_millis(300), third.read_to_end(&mut reply)).await;
    assert!(
        waited.is_err(),
        "a third connection is not served while two are open"
    );
    drop(held_a);
    tokio::time::timeout(Duration::from_secs(10), third.read_to_end(&mut reply))
        .await
        .expect("served once a connection closes")
        .unwrap();
    assert!(
        String::from_utf8_lossy(&reply).ends_with("1000"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn a_half_sent_header_and_an_idle_connection_are_closed_after_the_header_timeout() {
    let sim = start_with(|c| c.limits.header_timeout_seconds = 1).await;
    let mut half = TcpStream::connect(sim.addr()).await.unwrap();
    half.write_all(b"GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut idle = TcpStream::connect(sim.addr()).await.unwrap();
    idle.write_all(b"GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 512];
    let n = idle.read(&mut first).await.unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).ends_with("1000"));
    // Neither is closed at once...
    assert!(
        closed_within(&mut half, Duration::from_millis(300))
            .await
            .is_none()
    );
    // ...and both are within a few seconds of the one-second limit.
    let wait = Duration::from_secs(10);
    assert!(
        closed_within(&mut half, wait).await.is_some(),
        "half header held"
    );
    assert!(
        closed_within(&mut idle, wait).await.is_some(),
        "idle connection held"
    );
    assert_eq!(
        get(&sim, "/api/getBalance?key=demo-key").await.text(),
        "1000"
    );
}

#[tokio::test]
async fn a_connection_asking_again_within_the_header_timeout_stays_open_past_it() {
    let sim = start_with(|c| c.limits.header_timeout_seconds = 2).await;
    let mut client = TcpStream::connect(sim.addr()).await.unwrap();
    // Five requests half a second apart: the connection lives past the two-second limit, each
    // request's wait measured from the reply before it.
    for round in 0..5 {
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        client
            .write_all(b"GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let mut reply = Vec::new();
        while !reply.ends_with(b"1000") {
            let mut chunk = [0u8; 512];
            let n = tokio::time::timeout(Duration::from_secs(10), client.read(&mut chunk))
                .await
                .expect("answered")
                .unwrap();
            assert!(n > 0, "closed before request {round} was answered");
            reply.extend_from_slice(&chunk[..n]);
        }
    }
    // Then idle, it is closed after the limit.
    assert!(
        closed_within(&mut client, Duration::from_secs(10))
            .await
            .is_some(),
        "idle connection held"
    );
}

#[tokio::test]
async fn a_hang_fault_outlasts_the_header_timeout() {
    let sim = start_with(|c| {
        c.limits.header_timeout_seconds = 1;
        c.faults = vec!["smsoffice.balance=hang*1".into()];
    })
    .await;
    let mut hung = TcpStream::connect(sim.addr()).await.unwrap();
    hung.write_all(b"GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The request is in the server's hands: the header timer does not run, the fault holds.
    assert!(
        closed_within(&mut hung, Duration::from_millis(2500))
            .await
            .is_none()
    );
}
