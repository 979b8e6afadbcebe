//! The admin API: health, messages, journal, accounts, clock, reset, bounds.

use smsim::ClockMode;
use smsim::Simulator;

use crate::client::{admin, admin_delete, admin_patch, admin_post, get, raw};
use crate::smsoffice_send::{GOOD_SEND, OK, assert_envelope, balance, send, start_with};

#[tokio::test]
async fn health_is_ok() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = get(&sim, "/__admin/health").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn messages_carry_the_documented_fields_and_filter() {
    let sim = start_with(|c| c.clock = ClockMode::Manual).await;
    send(
        &sim,
        "key=demo-key&destination=995555100001&sender=SMSOFFICE&content=one&reference=ref-1",
    )
    .await;
    send(
        &sim,
        "key=demo-key&destination=995555100002&sender=SMSOFFICE&content=two",
    )
    .await;
    let all = admin(&sim, "/messages").await;
    assert_eq!(all["count"], 2);
    let first = &all["messages"][0];
    for field in [
        "id",
        "provider",
        "account",
        "sender",
        "destination",
        "content",
        "segments",
        "status",
        "history",
        "reference",
        "created_at",
        "scheduled_at",
    ] {
        assert!(first.get(field).is_some(), "missing {field}: {first}");
    }
    assert_eq!(first["provider"], "smsoffice");
    assert_eq!(first["account"], "demo-key");
    assert_eq!(first["status"], "accepted");
    assert_eq!(first["history"][0]["status"], "accepted");
    assert_eq!(first["history"][0]["at"], first["created_at"]);
    assert_eq!(first["reference"], "ref-1");
    // A provider's ids appear where they apply: no smsco or getsms id on an smsoffice message,
    // no reference on one sent without it.
    for absent in ["mes_id", "request_id", "message_id"] {
        assert!(first.get(absent).is_none(), "{absent}: {first}");
    }
    assert!(all["messages"][1].get("reference").is_none());

    assert_eq!(admin(&sim, "/messages?reference=ref-1").await["count"], 1);
    assert_eq!(
        admin(&sim, "/messages?destination=995555100002").await["messages"][0]["content"],
        "two"
    );
    assert_eq!(
        admin(&sim, "/messages?provider=smsoffice&status=accepted").await["count"],
        2
    );
    assert_eq!(admin(&sim, "/messages?provider=smsco").await["count"], 0);
    assert_eq!(admin(&sim, "/messages?status=delivered").await["count"], 0);

    let bad = get(&sim, "/__admin/messages?status=Delivered").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"]
            .as_str()
            .unwrap()
            .contains("unknown status")
    );

    let deleted = admin_delete(&sim, "/messages").await;
    assert_eq!(deleted.json()["deleted"], 2);
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
}

#[tokio::test]
async fn the_journal_records_provider_endpoint_status_client_and_lints() {
    let sim = Simulator::start_default().await.unwrap();
    send(
        &sim,
        "key=demo-key&destination=555123456,995555123456&sender=SMSOFFICE&content=hi",
    )
    .await;
    get(&sim, "/api/getBalance?key=demo-key").await;
    get(&sim, "/nowhere").await;
    let journal = admin(&sim, "/requests").await;
    let entries = journal["requests"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "admin calls are not journaled: {journal}");
    assert_eq!(entries[0]["provider"], "smsoffice");
    assert_eq!(entries[0]["endpoint"], "send");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[0]["client"], "127.0.0.1");
    assert_eq!(entries[0]["method"], "GET");
    assert!(
        entries[0]["lints"][0]
            .as_str()
            .unwrap()
            .contains("country code")
    );
    assert_eq!(entries[1]["endpoint"], "balance");
    assert_eq!(entries[2]["status"], 404);
    assert_eq!(entries[2]["provider"], serde_json::Value::Null);
    assert_eq!(
        admin(&sim, "/requests?provider=smsoffice").await["count"],
        2
    );
}

#[tokio::test]
async fn accounts_can_be_read_and_patched() {
    let sim = Simulator::start_default().await.unwrap();
    let accounts = admin(&sim, "/accounts").await;
    assert_eq!(accounts["smsoffice"].as_array().unwrap().len(), 3);
    assert_eq!(accounts["smsco"][0]["username"], "demo");
    assert_eq!(accounts["getsms"][1]["blocked"], true);

    let reply = admin_patch(
        &sim,
        "/accounts/smsoffice/demo-key",
        r#"{"balance": 5, "api_enabled": false, "callback_url": "http://127.0.0.1:9/cb"}"#,
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["balance"], 5);
    assert_eq!(balance(&sim, "demo-key").await, 5);
    assert_eq!(send(&sim, GOOD_SEND).await.json()["ErrorCode"], 120);

    let reply = admin_patch(
        &sim,
        "/accounts/smsoffice/demo-key",
        r#"{"api_enabled": true, "senders": [{"name": "NEWNAME"}]}"#,
    )
    .await;
    assert_eq!(reply.json()["senders"][0]["active"], true);
    assert_eq!(send(&sim, GOOD_SEND).await.json()["ErrorCode"], 150);
    let ok = send(
        &sim,
        "key=demo-key&destination=995555123456&sender=NEWNAME&content=hi",
    )
    .await;
    assert_envelope(&ok, OK);

    let reply = admin_patch(
        &sim,
        "/accounts/smsco/demo",
        r#"{"brand": null, "balance": 7}"#,
    )
    .await;
    assert_eq!(
        (
            reply.json()["brand"].clone(),
            reply.json()["balance"].clone()
        ),
        (serde_json::Value::Null, 7.into())
    );
    let reply = admin_patch(&sim, "/accounts/getsms/demo", r#"{"blocked": true}"#).await;
    assert_eq!(reply.json()["blocked"], true);

    let missing = admin_patch(&sim, "/accounts/smsoffice/nope", r#"{"balance": 1}"#).await;
    assert_eq!(missing.status, 404);
    assert!(missing.json()["error"].as_str().unwrap().contains("nope"));
    let typo = admin_patch(&sim, "/accounts/smsoffice/demo-key", r#"{"balanse": 1}"#).await;
    assert_eq!(typo.status, 400);
    assert!(typo.json()["error"].as_str().unwrap().contains("balanse"));
    let provider = admin_patch(&sim, "/accounts/twilio/x", "{}").await;
    assert_eq!(provider.status, 404);
}

/// The document describes accounts' numbers as int64 (what generated C#, Java and Go clients
/// hold); one past the largest is refused with the reason, and the account stays as it was.
#[tokio::test]
async fn an_account_number_past_int64_is_refused_and_the_account_kept() {
    let sim = Simulator::start_default().await.unwrap();
    let largest = admin_patch(
        &sim,
        "/accounts/smsco/demo",
        r#"{"balance": 9223372036854775807}"#,
    )
    .await;
    assert_eq!(largest.json()["balance"], i64::MAX);
    // `null` leaves a number as it is, as an absent field does.
    let unchanged = admin_patch(&sim, "/accounts/smsco/demo", r#"{"balance": null}"#).await;
    assert_eq!(unchanged.status, 200, "{}", unchanged.text());
    assert_eq!(unchanged.json()["balance"], i64::MAX);
    for (path, body) in [
        (
            "/accounts/smsco/demo",
            r#"{"balance": 9223372036854775808}"#,
        ),
        (
            "/accounts/getsms/demo",
            r#"{"user_id": 18446744073709551615}"#,
        ),
    ] {
        let refused = admin_patch(&sim, path, body).await;
        assert_eq!(refused.status, 400, "{body}");
        let error = refused.json()["error"].as_str().unwrap().to_owned();
        assert!(error.contains("9223372036854775807 (int64)"), "{error}");
    }
    let made = admin_post(
        &sim,
        "/accounts/smsoffice",
        r#"{"key": "huge", "balance": 9223372036854775808}"#,
    )
    .await;
    assert_eq!(made.status, 400);
    let accounts = admin(&sim, "/accounts").await;
    assert_eq!(accounts["smsco"][0]["balance"], i64::MAX);
    assert_eq!(accounts["getsms"][0]["user_id"], 1);
    assert!(
        accounts["smsoffice"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["key"] != "huge")
    );
}

#[tokio::test]
async fn reset_restores_the_state_at_start() {
    let sim = Simulator::start_default().await.unwrap();
    send(&sim, GOOD_SEND).await;
    admin_patch(&sim, "/accounts/smsoffice/empty-key", r#"{"balance": 50}"#).await;
    let reply = admin_post(&sim, "/reset", "").await;
    assert_eq!(reply.status, 200);
    assert_eq!(balance(&sim, "demo-key").await, 1000);
    assert_eq!(balance(&sim, "empty-key").await, 0);
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
    // Only the two balance reads above remain in the journal.
    assert_eq!(admin(&sim, "/requests").await["count"], 2);
}

#[tokio::test]
async fn journal_and_store_are_bounded_and_count_evictions() {
    let sim = start_with(|c| {
        c.limits.messages = 3;
        c.limits.journal_entries = 4;
    })
    .await;
    for i in 0..5 {
        send(
            &sim,
            &format!("key=demo-key&destination=99555520{i}111&sender=SMSOFFICE&content=hi"),
        )
        .await;
    }
    let messages = admin(&sim, "/messages").await;
    assert_eq!(
        (messages["count"].clone(), messages["evicted"].clone()),
        (3.into(), 2.into())
    );
    assert_eq!(messages["messages"][0]["destination"], "995555202111");
    let journal = admin(&sim, "/requests").await;
    assert_eq!(
        (journal["count"].clone(), journal["evicted"].clone()),
        (4.into(), 1.into())
    );
}

#[tokio::test]
async fn a_manual_clock_moves_only_when_advanced() {
    let sim = start_with(|c| {
        c.clock = ClockMode::Manual;
        c.clock_start = Some(1_700_000_000);
    })
    .await;
    let clock = admin(&sim, "/clock").await;
    assert_eq!(clock["mode"], "manual");
    assert_eq!(clock["unix"], 1_700_000_000);
    assert_eq!(clock["georgia"], "2023-11-15 02:13:20");
    assert_eq!(clock["tashkent"], "2023-11-15 03:13:20");
    let advanced = admin_post(&sim, "/clock/advance", r#"{"seconds": 2.5}"#)
        .await
        .json();
    assert_eq!(advanced["unix_ms"], 1_700_000_002_500i64);
    send(&sim, GOOD_SEND).await;
    assert_eq!(
        admin(&sim, "/messages").await["messages"][0]["created_at"],
        "2023-11-14T22:13:22.500Z"
    );
    let back = admin_post(&sim, "/clock/advance", r#"{"seconds": -1}"#).await;
    assert_eq!(back.status, 400);
    let garbage = admin_post(&sim, "/clock/advance", "not json").await;
    assert_eq!(garbage.status, 400);
    assert!(
        garbage.json()["error"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
}

#[tokio::test]
async fn unknown_admin_paths_answer_json() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = get(&sim, "/__admin/nothing").await;
    assert_eq!(reply.status, 404);
    assert!(reply.json()["error"].is_string());
    let reply = raw(
        sim.addr(),
        b"PUT /__admin/health HTTP/1.1\r\nContent-Type: application/json",
        b"{}",
    )
    .await;
    assert_eq!(reply.status, 405);
    assert!(reply.json()["error"].is_string());
}

#[tokio::test]
async fn rust_tests_read_balances_and_messages_without_http() {
    let sim = Simulator::start_default().await.unwrap();
    send(
        &sim,
        "key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hi",
    )
    .await;
    assert_eq!(
        sim.sim().balance(smsim::Provider::Smsoffice, "demo-key"),
        Some(999)
    );
    assert_eq!(
        sim.sim().balance(smsim::Provider::Smsco, "demo"),
        Some(10000)
    );
    assert_eq!(sim.sim().balance(smsim::Provider::Getsms, "nobody"), None);
    let messages = sim.sim().messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].destination, "995577123456");
    assert_eq!(&*messages[0].content, "hi");
}

#[tokio::test]
async fn an_admin_token_guards_every_admin_call_and_nothing_else() {
    let sim = start_with(|c| c.admin_token = Some("s3cret".into())).await;
    for head in [
        "GET /__admin/messages HTTP/1.1",
        "GET /__admin/nowhere HTTP/1.1",
        "GET /__admin/messages HTTP/1.1\r\nAuthorization: Bearer wrong",
        "GET /__admin/messages HTTP/1.1\r\nAuthorization: s3cret",
        "GET /__admin/messages HTTP/1.1\r\nAuthorization: Basic s3cret",
    ] {
        let reply = raw(sim.addr(), head.as_bytes(), b"").await;
        assert_eq!(reply.status, 401, "{head}");
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
        assert!(reply.json()["error"].as_str().unwrap().contains("Bearer"));
    }
    // The scheme in any letter case (RFC 7235).
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let head = format!("GET /__admin/messages HTTP/1.1\r\nAuthorization: {scheme} s3cret");
        let allowed = raw(sim.addr(), head.as_bytes(), b"").await;
        assert_eq!(allowed.status, 200, "{scheme}: {}", allowed.text());
    }
    // Two Authorization headers are refused, whichever holds the token.
    let twice = raw(
        sim.addr(),
        b"GET /__admin/messages HTTP/1.1\r\nAuthorization: Bearer s3cret\r\nAuthorization: Bearer wrong",
        b"",
    )
    .await;
    assert_eq!(twice.status, 400, "{}", twice.text());
    // A health check (a container's, a CI job's wait loop) needs no token.
    let health = get(&sim, "/__admin/health").await;
    assert_eq!(
        (health.status, health.json()["status"].clone()),
        (200, "ok".into())
    );
    // The providers' own endpoints never need it.
    assert_eq!(
        get(&sim, "/api/getBalance?key=demo-key").await.text(),
        "1000"
    );
}

#[tokio::test]
async fn listings_are_paged_with_a_cursor() {
    let sim = Simulator::start_default().await.unwrap();
    // Numbers clear of the magic endings (0001-0005), so every one is stored.
    let destinations: Vec<String> = (1000..1250).map(|i| format!("99557710{i:04}")).collect();
    send(
        &sim,
        &format!(
            "key=demo-key&destination={}&sender=SMSOFFICE&content=hi",
            destinations.join(",")
        ),
    )
    .await;
    let first = admin(&sim, "/messages").await;
    assert_eq!(
        first["count"], 250,
        "count is every match, the page at most `limit`"
    );
    assert_eq!(first["messages"].as_array().unwrap().len(), 100);
    let next = first["next"].as_u64().unwrap();
    assert_eq!(first["messages"][99]["id"].as_u64(), Some(next));
    let second = admin(&sim, &format!("/messages?after={next}&limit=1000")).await;
    assert_eq!(second["messages"].as_array().unwrap().len(), 150);
    assert_eq!(second["next"], serde_json::Value::Null);
    assert_eq!(second["messages"][0]["id"].as_u64(), Some(next + 1));
    let filtered = admin(&sim, "/messages?destination=995577101249&limit=5").await;
    assert_eq!(
        (filtered["count"].clone(), filtered["next"].clone()),
        (1.into(), serde_json::Value::Null)
    );
    let requests = admin(&sim, "/requests?limit=1").await;
    assert_eq!(requests["requests"].as_array().unwrap().len(), 1);
    for bad in [
        "/messages?limit=0",
        "/messages?limit=1001",
        "/requests?limit=abc",
        "/callbacks?after=-1",
    ] {
        let reply = get(&sim, &format!("/__admin{bad}")).await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(reply.json()["error"].is_string(), "{bad}");
    }
}

#[tokio::test]
async fn every_admin_error_is_json_with_the_reason() {
    let sim = Simulator::start_default().await.unwrap();
    let json = "\r\nContent-Type: application/json";
    for (head, body, status) in [
        (
            format!("POST /__admin/messages/abc/outcome HTTP/1.1{json}"),
            r#"{"outcome":"delivered"}"#,
            400,
        ),
        (
            format!("POST /__admin/messages/%201/outcome HTTP/1.1{json}"),
            r#"{"outcome":"delivered"}"#,
            400,
        ),
        (
            format!("POST /__admin/messages/99999999999999999999/outcome HTTP/1.1{json}"),
            "{}",
            400,
        ),
        (
            format!("POST /__admin/messages/1/outcome HTTP/1.1{json}"),
            r#"{"outcome":"delivered"}"#,
            404,
        ),
        (
            format!("POST /__admin/faults HTTP/1.1{json}"),
            "{not json",
            400,
        ),
        (
            format!("PATCH /__admin/accounts/nobody/x HTTP/1.1{json}"),
            "{}",
            404,
        ),
        (format!("PUT /__admin/health HTTP/1.1{json}"), "{}", 405),
        ("GET /__admin/nowhere HTTP/1.1".to_owned(), "", 404),
        ("GET /__admin/messages?limit=x HTTP/1.1".to_owned(), "", 400),
    ] {
        let reply = raw(sim.addr(), head.as_bytes(), body.as_bytes()).await;
        assert_eq!(reply.status, status, "{head}: {}", reply.text());
        assert_eq!(
            reply.header("content-type"),
            Some("application/json"),
            "{head}"
        );
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!error.is_empty(), "{head}: {}", reply.text());
    }
}
