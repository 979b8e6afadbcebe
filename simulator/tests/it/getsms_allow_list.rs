//! The getsms.uz IP allow-list: unknown hosts refused, getsms only, `X-Forwarded-For` only when
//! trusted.

use std::net::{IpAddr, Ipv4Addr};

use smsim::Simulator;

use crate::client::{admin, raw, raw_from};
use crate::getsms::{ONE, form};
use crate::smsoffice_send::start_with;

#[tokio::test]
async fn the_allow_list_refuses_unknown_hosts_for_getsms_only() {
    let sim = Simulator::start_default().await.unwrap();
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let body = form("demo", Some("GETSMS"), ONE);
    let head = b"POST /smsgateway/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
    let refused = raw_from(other, sim.addr(), head, body.as_bytes()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(refused.text().starts_with("<html>") && !refused.text().contains("error_no"));
    let status_head =
        b"POST /smsgateway/status/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
    assert_eq!(
        raw_from(other, sim.addr(), status_head, b"login=demo")
            .await
            .status,
        403
    );
    // The other providers serve that host.
    let smsoffice = raw_from(
        other,
        sim.addr(),
        b"GET /api/getBalance?key=demo-key HTTP/1.1",
        b"",
    )
    .await;
    assert_eq!((smsoffice.status, smsoffice.text().as_str()), (200, "1000"));
    let smsco = raw_from(other, sim.addr(), b"GET /components/com_smsreseller/smsapi2.php?username=demo&password=demo&balance=true HTTP/1.1", b"").await;
    assert_eq!((smsco.status, smsco.text().as_str()), (200, "10000"));
    // From 127.0.0.1 getsms serves.
    let served = raw_from(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        sim.addr(),
        head,
        body.as_bytes(),
    )
    .await;
    assert_eq!(served.json()[0]["client_ip"], "127.0.0.1");
    let journal = admin(&sim, "/requests?provider=getsms").await;
    assert_eq!(journal["requests"][0]["status"], 403);
    assert_eq!(journal["requests"][0]["client"], "127.0.0.2");

    // The list can be changed at runtime, ranges included.
    let put = raw(
        sim.addr(),
        b"PUT /__admin/getsms/allow-list HTTP/1.1\r\nContent-Type: application/json",
        br#"{"allow_list": ["127.0.0.0/30"]}"#,
    )
    .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let now_served = raw_from(other, sim.addr(), head, body.as_bytes()).await;
    assert_eq!(now_served.json()[0]["client_ip"], "127.0.0.2");
    let bad = raw(
        sim.addr(),
        b"PUT /__admin/getsms/allow-list HTTP/1.1\r\nContent-Type: application/json",
        br#"{"allow_list": ["localhost"]}"#,
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("localhost"));
}

#[tokio::test]
async fn x_forwarded_for_is_read_only_when_trusted() {
    let sim = Simulator::start_default().await.unwrap();
    let body = form("demo", Some("GETSMS"), ONE);
    let head = b"POST /smsgateway/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.1";
    let ignored = raw(sim.addr(), head, body.as_bytes()).await;
    assert_eq!(ignored.json()[0]["client_ip"], "127.0.0.1");
    let trusting = start_with(|c| c.getsms.trust_forwarded_for = true).await;
    assert_eq!(
        raw(trusting.addr(), head, body.as_bytes()).await.status,
        403
    );
    let put = raw(
        trusting.addr(),
        b"PUT /__admin/getsms/allow-list HTTP/1.1\r\nContent-Type: application/json",
        br#"{"allow_list": ["203.0.113.9"]}"#,
    )
    .await;
    assert_eq!(put.status, 200);
    assert_eq!(
        raw(trusting.addr(), head, body.as_bytes()).await.json()[0]["client_ip"],
        "203.0.113.9"
    );
}
