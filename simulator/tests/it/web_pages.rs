//! The admin API refuses what a web page could send without the simulator's consent: a request
//! under a host name that is not its own (DNS rebinding), a state change from another origin,
//! and a state change a plain form or a `no-cors` fetch could make. Provider paths are not
//! affected. (The same attacks made by a real browser are in the browser tests.)

use smsim::Simulator;

use crate::client::{admin, get, raw};
use crate::smsoffice_send::start_with;

/// A request with these extra header lines, to the simulator.
async fn with(sim: &Simulator, head: &str) -> smsim_testkit::Reply {
    raw(sim.addr(), head.as_bytes(), b"").await
}

#[tokio::test]
async fn a_host_name_that_is_not_the_simulators_own_is_refused_on_admin_paths_only() {
    let sim = Simulator::start_default().await.unwrap();
    for path in ["/__admin/messages", "/__admin/ui/", "/__admin/health"] {
        let head = format!("GET {path} HTTP/1.1\r\nHost: attacker.example:8800");
        let reply = with(&sim, &head).await;
        assert_eq!(reply.status, 403, "{path}");
        let error = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains("--allowed-host"), "{error}");
    }
    for host in [
        "localhost:8800",
        "LOCALHOST",
        "inbox.localhost",
        "127.0.0.1",
        "[::1]:80",
        "10.0.0.7",
    ] {
        let head = format!("GET /__admin/health HTTP/1.1\r\nHost: {host}");
        assert_eq!(with(&sim, &head).await.status, 200, "{host}");
    }
    // Clients reach providers through proxies and the real names.
    let reply = with(
        &sim,
        "GET /api/getBalance?key=demo-key HTTP/1.1\r\nHost: smsoffice.ge",
    )
    .await;
    assert_eq!((reply.status, reply.text()), (200, "1000".to_owned()));
}

#[tokio::test]
async fn names_given_as_allowed_hosts_are_answered() {
    let sim = start_with(|c| c.allowed_hosts = vec!["smsim.internal".into()]).await;
    let reply = with(
        &sim,
        "GET /__admin/health HTTP/1.1\r\nHost: smsim.internal:8800",
    )
    .await;
    assert_eq!(reply.status, 200);
    let reply = with(&sim, "GET /__admin/health HTTP/1.1\r\nHost: other.internal").await;
    assert_eq!(reply.status, 403);
    let any = start_with(|c| c.allowed_hosts = vec!["*".into()]).await;
    let reply = with(&any, "GET /__admin/health HTTP/1.1\r\nHost: other.internal").await;
    assert_eq!(reply.status, 200);
}

#[tokio::test]
async fn a_state_change_needs_json_or_the_smsim_header_and_the_servers_own_origin() {
    let sim = start_with(|c| c.clock = smsim::ClockMode::Manual).await;
    let start = sim.sim().now();
    // What a form or a no-cors fetch can send: refused with 415, and nothing happens.
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let head = match content_type {
            Some(ct) => format!("POST /__admin/clock/advance HTTP/1.1\r\nContent-Type: {ct}"),
            None => "POST /__admin/clock/advance HTTP/1.1".to_owned(),
        };
        let reply = raw(sim.addr(), head.as_bytes(), br#"{"seconds": 60}"#).await;
        assert_eq!(reply.status, 415, "{content_type:?}");
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("application/json")
        );
    }
    let reply = with(&sim, "POST /__admin/reset HTTP/1.1").await;
    assert_eq!(reply.status, 415);
    assert_eq!(sim.sim().now(), start, "a refused advance moved the clock");

    // Another origin is refused even with JSON; the simulator's own passes.
    let reply = raw(
        sim.addr(),
        b"POST /__admin/reset HTTP/1.1\r\nContent-Type: application/json\r\nOrigin: http://attacker.example",
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 403);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("another origin")
    );
    let own = format!(
        "POST /__admin/reset HTTP/1.1\r\nX-Smsim: 1\r\nOrigin: http://{}",
        sim.addr()
    );
    assert_eq!(with(&sim, &own).await.status, 200);
    let reply = with(&sim, "POST /__admin/reset HTTP/1.1\r\nX-Smsim: 1").await;
    assert_eq!(reply.status, 200);
    let reply = raw(
        sim.addr(),
        b"POST /__admin/clock/advance HTTP/1.1\r\nContent-Type: application/json; charset=utf-8",
        br#"{"seconds": 1}"#,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(sim.sim().now(), start.plus_seconds(1.0));
    // Reads need neither.
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
}

#[tokio::test]
async fn no_page_is_granted_cross_origin_access_and_a_preflight_is_refused() {
    let sim = Simulator::start_default().await.unwrap();
    let preflight = with(
        &sim,
        "OPTIONS /__admin/reset HTTP/1.1\r\nOrigin: http://attacker.example\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type",
    )
    .await;
    assert!(preflight.status >= 400, "{}", preflight.status);
    for reply in [
        preflight,
        get(&sim, "/__admin/messages").await,
        with(
            &sim,
            "GET /__admin/ui/ HTTP/1.1\r\nOrigin: http://attacker.example",
        )
        .await,
    ] {
        assert!(
            reply
                .headers
                .iter()
                .all(|(name, _)| !name.to_ascii_lowercase().starts_with("access-control-")),
            "{:?}",
            reply.headers
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
}

#[tokio::test]
async fn the_inbox_is_served_under_a_policy_that_lets_only_its_own_files_run() {
    let sim = Simulator::start_default().await.unwrap();
    for (path, content_type) in [
        ("/__admin/ui/", "text/html"),
        ("/__admin/ui/inbox.js", "text/javascript"),
        ("/__admin/ui/inbox.css", "text/css"),
    ] {
        let reply = get(&sim, path).await;
        assert_eq!(reply.status, 200, "{path}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with(content_type),
            "{path}"
        );
        let policy = reply.header("content-security-policy").unwrap();
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(directive), "{path}: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    }
}

#[tokio::test]
async fn every_provider_reply_is_inert_in_a_browser() {
    let sim = start_with(|c| {
        c.faults = vec![
            "smsco.status=http:503".into(),
            "smsoffice.balance=error:-100".into(),
        ]
    })
    .await;
    let form = "application/x-www-form-urlencoded";
    let replies = [
        get(
            &sim,
            "/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hi",
        )
        .await,
        get(&sim, "/api/getBalance?key=demo-key").await,
        get(
            &sim,
            "/api/v2/getMessageStatus/?key=demo-key&destination=1&reference=r",
        )
        .await,
        get(
            &sim,
            "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&balance=true",
        )
        .await,
        get(
            &sim,
            "/components/com_smsreseller/getstatus.php?username=demo&password=demo&mes_id=1",
        )
        .await,
        crate::client::post(
            &sim,
            "/smsgateway/",
            form,
            b"login=demo&password=demo&data=[]",
        )
        .await,
        crate::client::post(
            &sim,
            "/smsgateway/status/",
            form,
            b"login=demo&password=demo",
        )
        .await,
        get(&sim, "/nowhere").await,
        raw(sim.addr(), b"PUT /api/getBalance HTTP/1.1", b"").await,
    ];
    for reply in replies {
        assert_eq!(
            reply.header("content-security-policy"),
            Some("sandbox"),
            "{} {}",
            reply.status,
            reply.text()
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
}
