//! How connections end: a client that stops sending once its requests are out still gets its
//! replies; a client that leaves a request that will never be answered frees its connection.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::{admin, get};
use crate::smsoffice_send::{GOOD_SEND, start_with};

/// Reads until the server closes the connection; `None` if it is still open after `wait`.
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut got = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut got)).await {
        Ok(Ok(_)) => Some(String::from_utf8_lossy(&got).into_owned()),
        Ok(Err(e)) => panic!("the connection failed instead of closing: {e}"),
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
        let replies = read_until_closed(&mut stream, Duration::from_secs(10))
            .await
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
                read_until_closed(&mut hung, Duration::from_secs(10)).await,
                Some(String::new()),
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
