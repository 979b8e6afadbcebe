//! Properties of the simulator, each stated as a contract, checked with proptest against the
//! router directly (no sockets, so many cases stay fast).

use smsim_testkit::Reply;
use std::collections::BTreeMap;

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use proptest::prelude::*;
use serde_json::Value;
use smsim::ClockMode;
use smsim::{Config, Sim};
use tower::ServiceExt;

fn sim() -> Sim {
    let mut config = Config::embedded();
    config.clock = ClockMode::Manual;
    config.clock_start = Some(1_767_225_600);
    config.seed = Some(3);
    for account in &mut config.smsoffice.accounts {
        account.balance = 1_000_000;
    }
    Sim::new(config)
}

fn call(sim: &Sim, request: Request<Body>) -> Reply {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let response = smsim::app(sim.clone()).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_owned(), value)
            })
            .collect();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    })
}

fn request(method: &str, target: &str, content_type: Option<&str>, body: Vec<u8>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(target);
    if let Some(ct) = content_type {
        builder = builder.header("content-type", ct);
    }
    builder.body(Body::from(body)).unwrap()
}

fn admin_json(sim: &Sim, method: &str, path: &str, body: &str) -> Value {
    let reply = call(
        sim,
        request(
            method,
            path,
            Some("application/json"),
            body.as_bytes().to_vec(),
        ),
    );
    serde_json::from_slice(&reply.body).unwrap()
}

/// Percent-encodes every byte, so any byte string travels in a query unchanged.
fn encode_bytes(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

const ENDPOINTS: &[&str] = &[
    "/api/v2/send/",
    "/api/v2/send",
    "/api/getBalance",
    "/api/v2/getMessageStatus/",
    "/components/com_smsreseller/smsapi2.php",
    "/components/com_smsreseller/getstatus.php",
    "/smsgateway/",
    "/smsgateway/status/",
];

/// The answer has the shape its provider (or the HTTP layer) gives, never a 5xx.
fn assert_provider_shaped(path: &str, reply: &Reply) {
    assert!(reply.status < 500, "{path}: {}", reply.status);
    let text = String::from_utf8_lossy(&reply.body);
    if reply.status != 200 {
        assert!(
            matches!(reply.status, 301 | 404 | 405 | 413 | 414),
            "{path}: {}",
            reply.status
        );
        assert!(text.starts_with("<html>"), "{path}: {text}");
        return;
    }
    if path.starts_with("/api/getBalance") {
        let is_integer = text.parse::<u64>().is_ok();
        assert!(is_integer, "{path}: {text}");
    } else if path.starts_with("/api/") {
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["Success", "Message", "Output", "ErrorCode"],
            "{path}"
        );
    } else if path.starts_with("/components/") {
        let ok = text.is_empty()
            || text.bytes().all(|b| b.is_ascii_digit())
            || (text.starts_with("OK ") && text.split(' ').count() == 3);
        assert!(ok, "{path}: {text:?}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=UTF-8")
        );
    } else {
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}: {text}"));
        assert!(v.is_array(), "{path}: {text}");
        assert_eq!(
            reply.header("content-type"),
            Some("text/html; charset=UTF-8")
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Contract: any bytes in the query or the body of any endpoint, with any of the body types
    /// clients send, get the provider-shaped answer (or an HTTP-layer page): never a 5xx
    /// without an injected fault, never a panic; and the server answers the next request.
    #[test]
    fn any_bytes_get_a_provider_shaped_answer(
        endpoint in 0..ENDPOINTS.len(),
        post in any::<bool>(),
        query in proptest::collection::vec(any::<u8>(), 0..200),
        body in proptest::collection::vec(any::<u8>(), 0..400),
        content_type in prop_oneof![
            Just(None),
            Just(Some("application/x-www-form-urlencoded")),
            Just(Some("multipart/form-data; boundary=xyz")),
            Just(Some("application/json")),
            Just(Some("text/plain")),
        ],
    ) {
        let sim = sim();
        let path = ENDPOINTS[endpoint];
        let target = format!("{path}?{}", encode_bytes(&query));
        let (method, body) = if post { ("POST", body) } else { ("GET", Vec::new()) };
        let reply = call(&sim, request(method, &target, content_type, body));
        assert_provider_shaped(path, &reply);
        let next = call(&sim, request("GET", "/api/getBalance?key=demo-key", None, Vec::new()));
        prop_assert_eq!(next.status, 200);
    }

    /// Contract: balances are conserved. Whatever sends are made, each account's balance
    /// only goes down, never below zero, and by exactly what the stored messages cost.
    #[test]
    fn balance_is_conserved(sends in proptest::collection::vec((0..3usize, "[a-zA-Zა-ჰ{ ]{1,200}", proptest::collection::vec(0..6usize, 1..5)), 1..12)) {
        let sim = sim();
        let numbers = ["995555123456", "995555000001", "+995555123456", "998901234567", "995555000004", "555123456"];
        let uz = ["998901234567", "998905550001", "+998901234567", "12345", "998900000004", "99890123456"];
        for (provider, text, picks) in &sends {
            let text = smsim_testkit::encode(text);
            let target = match provider {
                0 => format!("/api/v2/send/?key=demo-key&sender=SMSOFFICE&content={text}&destination={}",
                    picks.iter().map(|i| numbers[*i]).collect::<Vec<_>>().join(",")),
                1 => format!("/components/com_smsreseller/smsapi2.php?username=demo&password=demo&message={text}&recipient={}",
                    picks.iter().map(|i| numbers[*i]).collect::<Vec<_>>().join(",")),
                _ => {
                    let items: Vec<Value> = picks.iter().map(|i| serde_json::json!({"phone": uz[*i], "text": text})).collect();
                    let body = format!("login=demo&password=demo&nickname=GETSMS&data={}", smsim_testkit::encode(&Value::Array(items).to_string()));
                    call(&sim, request("POST", "/smsgateway/", Some("application/x-www-form-urlencoded"), body.into_bytes()));
                    continue;
                }
            };
            call(&sim, request("GET", &target, None, Vec::new()));
        }
        let accounts = admin_json(&sim, "GET", "/__admin/accounts", "");
        let messages = admin_json(&sim, "GET", "/__admin/messages", "");
        let spent = |provider: &str| -> u64 {
            messages["messages"].as_array().unwrap().iter()
                .filter(|m| m["provider"] == provider)
                .map(|m| m["segments"].as_u64().unwrap()).sum()
        };
        prop_assert_eq!(1_000_000 - accounts["smsoffice"][0]["balance"].as_u64().unwrap(), spent("smsoffice"));
        prop_assert_eq!(10_000 - accounts["smsco"][0]["balance"].as_u64().unwrap(), 5 * spent("smsco"));
        prop_assert_eq!(1_000 - accounts["getsms"][0]["balance"].as_u64().unwrap(), spent("getsms"));
    }

    /// Contract: every accepted message whose rule has a final outcome reaches exactly one final
    /// state once the clock has moved past its delay, and then never changes; `0003` numbers stay
    /// pending.
    #[test]
    fn final_outcomes_are_reached_exactly_once(suffixes in proptest::collection::vec(prop_oneof!["0001", "0002", "0003", "0005", "1234", "9876"], 1..20), steps in proptest::collection::vec(0.0f64..100.0, 1..6)) {
        let sim = sim();
        let destinations: Vec<String> = suffixes.iter().map(|s| format!("99555500{s}")).collect();
        call(&sim, request("GET", &format!("/api/v2/send/?key=demo-key&sender=SMSOFFICE&content=hi&destination={}", destinations.join(",")), None, Vec::new()));
        for step in &steps {
            admin_json(&sim, "POST", "/__admin/clock/advance", &format!(r#"{{"seconds": {step}}}"#));
        }
        admin_json(&sim, "POST", "/__admin/clock/advance", r#"{"seconds": 61}"#);
        let before = admin_json(&sim, "GET", "/__admin/messages", "");
        admin_json(&sim, "POST", "/__admin/clock/advance", r#"{"seconds": 100000}"#);
        let after = admin_json(&sim, "GET", "/__admin/messages", "");
        prop_assert_eq!(&before, &after);
        for m in after["messages"].as_array().unwrap() {
            let finals = m["history"].as_array().unwrap().iter()
                .filter(|h| ["delivered", "undelivered", "expired", "rejected"].contains(&h["status"].as_str().unwrap()))
                .count();
            let forever_pending = m["destination"].as_str().unwrap().ends_with("0003");
            prop_assert_eq!(finals, usize::from(!forever_pending), "{}", m);
        }
    }

    /// Contract: segment counting agrees with an independent reference model on arbitrary
    /// Unicode: GSM-7 when every character is in the default alphabet (extension characters
    /// count two), 160 in one segment or 153 each beyond; otherwise UCS-2 by UTF-16 units, 70
    /// or 67 each.
    #[test]
    fn segments_agree_with_the_reference_model(text in "(\\PC|[@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!-~¡ÄÖÑÜ§¿äöñüà^{}\\[~\\]|€\n\r]){0,400}") {
        let basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
        let extended = "\u{000C}^{}\\[~]|€";
        let gsm: Option<usize> = text.chars().map(|c| if basic.contains(c) { Some(1) } else if extended.contains(c) { Some(2) } else { None }).sum();
        let expected = match gsm {
            Some(n) if n <= 160 => 1,
            Some(n) => n.div_ceil(153),
            None => {
                let units = text.encode_utf16().count();
                if units <= 70 { 1 } else { units.div_ceil(67) }
            }
        };
        prop_assert_eq!(smsim::segments::count(&text).segments as usize, expected);
    }

    /// Contract: one parameter set sent as a GET query, an urlencoded body, a multipart body or
    /// (getsms) a JSON body is stored as the same message.
    #[test]
    fn every_encoding_stores_the_same_message(content in "\\PC{1,120}") {
        let sim = sim();
        let form = format!("key=demo-key&destination=995555123456&sender=SMSOFFICE&content={}", smsim_testkit::encode(&content));
        call(&sim, request("GET", &format!("/api/v2/send/?{form}"), None, Vec::new()));
        call(&sim, request("POST", "/api/v2/send/", Some("application/x-www-form-urlencoded"), form.into_bytes()));
        let mut multipart = String::new();
        for (name, value) in [("key", "demo-key"), ("destination", "995555123456"), ("sender", "SMSOFFICE"), ("content", content.as_str())] {
            multipart.push_str(&format!("--b0und\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
        }
        multipart.push_str("--b0und--\r\n");
        call(&sim, request("POST", "/api/v2/send/", Some("multipart/form-data; boundary=b0und"), multipart.into_bytes()));
        let data = serde_json::json!([{"phone": "998901234567", "text": content}]).to_string();
        let getsms_form = format!("login=demo&password=demo&nickname=GETSMS&data={}", smsim_testkit::encode(&data));
        call(&sim, request("POST", "/smsgateway/", Some("application/x-www-form-urlencoded"), getsms_form.into_bytes()));
        let json = serde_json::json!({"login": "demo", "password": "demo", "nickname": "GETSMS", "data": [{"phone": "998901234567", "text": content}]}).to_string();
        call(&sim, request("POST", "/smsgateway/", Some("application/json"), json.into_bytes()));
        let messages = admin_json(&sim, "GET", "/__admin/messages", "");
        let stored: Vec<BTreeMap<&str, Value>> = messages["messages"].as_array().unwrap().iter().map(|m| {
            ["provider", "account", "sender", "destination", "content", "segments"].into_iter().map(|k| (k, m[k].clone())).collect()
        }).collect();
        prop_assert_eq!(stored.len(), 5);
        prop_assert_eq!(&stored[0], &stored[1]);
        prop_assert_eq!(&stored[0], &stored[2]);
        prop_assert_eq!(&stored[3], &stored[4]);
        prop_assert_eq!(stored[0]["content"].as_str().unwrap(), content.as_str());
        prop_assert_eq!(stored[3]["content"].as_str().unwrap(), content.as_str());
    }
}
