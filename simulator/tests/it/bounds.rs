//! Numbers out of range are refused where they are set, naming the field; arithmetic never
//! overflows; a send is charged only when its messages are stored.

use smsim::{ClockMode, Config, Simulator};

use crate::client::{admin, admin_patch, admin_post, get, raw};
use crate::smsoffice_send::{GOOD_SEND, OK, assert_envelope, start_with};

#[tokio::test]
async fn an_absurd_clock_advance_is_refused_naming_seconds() {
    let sim = start_with(|c| c.clock = ClockMode::Manual).await;
    let before = admin(&sim, "/clock").await["unix_ms"].clone();
    for seconds in ["1e300", "400000000"] {
        let reply = admin_post(
            &sim,
            "/clock/advance",
            &format!(r#"{{"seconds": {seconds}}}"#),
        )
        .await;
        assert_eq!(reply.status, 400, "{seconds}: {}", reply.text());
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("`seconds`")
        );
    }
    assert_eq!(admin(&sim, "/clock").await["unix_ms"], before);
    let ten_years = admin_post(&sim, "/clock/advance", r#"{"seconds": 315000000}"#).await;
    assert_eq!(ten_years.status, 200, "{}", ten_years.text());
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{GOOD_SEND}")).await, OK);
}

#[tokio::test]
async fn rules_with_absurd_delays_or_weights_are_refused() {
    let sim = Simulator::start_default().await.unwrap();
    let put = |body: &'static str| {
        let addr = sim.addr();
        async move {
            let head = "PUT /__admin/rules HTTP/1.1\r\nContent-Type: application/json";
            raw(addr, head.as_bytes(), body.as_bytes()).await
        }
    };
    let delay = put(
        r#"[{"destination": {"prefix": "995"}, "outcome": "delivered", "delay_seconds": 1e300}]"#,
    )
    .await;
    assert_eq!(delay.status, 400, "{}", delay.text());
    assert!(delay.text().contains("delay_seconds"), "{}", delay.text());
    let weight = put(
        r#"[{"destination": {"prefix": "995"}, "random": [{"weight": 1e308, "outcome": "delivered"}, {"weight": 1, "outcome": "expired"}]}]"#,
    )
    .await;
    assert_eq!(weight.status, 400, "{}", weight.text());
    assert!(weight.text().contains("weight"), "{}", weight.text());
    // The rules in force are unchanged.
    assert_eq!(admin(&sim, "/rules").await.as_array().unwrap().len(), 7);
}

#[test]
fn a_configuration_with_absurd_spans_names_the_field() {
    let delay = Config::from_json(
        r#"{"rules": [{"destination": {"prefix": "995"}, "outcome": "delivered", "delay_seconds": 1e300}]}"#,
        "x.json",
    )
    .unwrap_err()
    .to_string();
    assert!(delay.contains("delay_seconds"), "{delay}");
    let backoff = Config::from_json(
        r#"{"callbacks": {"retry_backoff_seconds": [10, 1e300]}}"#,
        "x.json",
    )
    .unwrap_err()
    .to_string();
    assert!(
        backoff.contains("callbacks.retry_backoff_seconds"),
        "{backoff}"
    );
}

#[tokio::test]
async fn an_smsco_cost_too_large_to_count_is_credit_exhausted_and_charges_nothing() {
    let sim = Simulator::start_default().await.unwrap();
    let patched = admin_patch(
        &sim,
        "/accounts/smsco/demo",
        // The most an account's number may be: three recipients' cost overflows 64 bits.
        r#"{"price_per_segment": 9223372036854775807}"#,
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    let reply = get(
        &sim,
        "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995599445448,995599445449,995599445450&message=hi",
    )
    .await;
    assert_eq!(reply.text(), "2906");
    let accounts = admin(&sim, "/accounts").await;
    assert_eq!(accounts["smsco"][0]["balance"], 10000);
    assert_eq!(admin(&sim, "/messages").await["count"], 0);
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{GOOD_SEND}")).await, OK);
}

#[test]
fn configured_faults_callback_urls_and_content_types_are_validated() {
    let cases = [
        (r#"{"faults": ["smsoffice.send=explode"]}"#, "faults[0]"),
        (r#"{"faults": ["smsco=http:101"]}"#, "200 to 599"),
        (
            r#"{"smsoffice": {"accounts": [{"key": "k", "balance": 1, "callback_url": "ftp://x/cb"}]}}"#,
            "smsoffice.accounts[0].callback_url",
        ),
        (
            r#"{"smsoffice": {"accounts": [{"key": "k", "balance": 1, "callback_url": "http://x/a\r\nb"}]}}"#,
            "control character",
        ),
        (
            r#"{"quirks": {"getsms.content_type": "text/html\r\nX: y"}}"#,
            "quirks.getsms.content_type",
        ),
    ];
    for (json, why) in cases {
        let err = Config::from_json(json, "x.json").unwrap_err().to_string();
        assert!(err.contains(why), "{json}: {err}");
    }
}

#[tokio::test]
async fn callback_urls_and_fault_statuses_set_through_the_api_are_validated() {
    let sim = Simulator::start_default().await.unwrap();
    for url in ["not a url", "ftp://x/cb", "http://x/a\\r\\nb"] {
        let reply = admin_patch(
            &sim,
            "/accounts/smsoffice/demo-key",
            &format!(r#"{{"callback_url": "{url}"}}"#),
        )
        .await;
        assert_eq!(reply.status, 400, "{url}: {}", reply.text());
        assert!(
            reply.json()["error"]
                .as_str()
                .unwrap()
                .contains("callback_url")
        );
    }
    assert_eq!(
        admin(&sim, "/accounts").await["smsoffice"][0]["callback_url"],
        serde_json::Value::Null
    );
    for status in ["100", "101"] {
        let reply = admin_post(
            &sim,
            "/faults",
            &format!(r#"{{"spec": "smsoffice=http:{status}"}}"#),
        )
        .await;
        assert_eq!(reply.status, 400, "{status}: {}", reply.text());
    }
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{GOOD_SEND}")).await, OK);
}

#[tokio::test]
async fn an_admin_body_over_the_limit_is_refused_in_json() {
    let sim = Simulator::start_default().await.unwrap();
    let body = format!("[{}]", " ".repeat(3 * 1024 * 1024));
    let reply = raw(
        sim.addr(),
        b"PUT /__admin/rules HTTP/1.1\r\nContent-Type: application/json",
        body.as_bytes(),
    )
    .await;
    assert_eq!(reply.status, 413, "{}", reply.text());
    assert!(reply.header("content-type").unwrap().contains("json"));
    assert!(reply.json()["error"].is_string(), "{}", reply.text());
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{GOOD_SEND}")).await, OK);
}

#[tokio::test]
async fn a_request_with_half_a_million_stray_parameters_leaves_a_small_journal_entry() {
    let sim = Simulator::start_default().await.unwrap();
    let mut body =
        String::from("key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hi");
    for i in 0..500_000 {
        body.push_str(&format!("&s{i}=1"));
    }
    let reply = crate::client::post_form(&sim, "/api/v2/send/", &body).await;
    assert_envelope(&reply, OK);
    let journal = admin(&sim, "/requests").await;
    let entry = &journal["requests"][0];
    let lints = entry["lints"].as_array().unwrap();
    let size: usize = lints.iter().map(|l| l.as_str().unwrap().len()).sum();
    assert!(size < 20 * 1024, "{size} bytes of lints");
    let strays = lints
        .iter()
        .find_map(|l| l.as_str().filter(|l| l.contains("unrecognised")))
        .unwrap();
    // The first thousand items are read (four known, 996 strays); the rest are only counted.
    assert!(strays.contains("and 986 more"), "{strays}");
    assert!(
        lints.iter().any(|l| l
            .as_str()
            .unwrap()
            .starts_with("499004 parameters past the first 1000 ignored")),
        "{lints:?}"
    );
    assert!(entry["target"].as_str().unwrap().len() <= 2048);
    // A fault spec too long for the journal is refused.
    let long = format!(r#"{{"spec": "smsoffice=delay:1ms{}"}}"#, " ".repeat(300));
    assert_eq!(admin_post(&sim, "/faults", &long).await.status, 400);
}

#[test]
fn a_header_timeout_over_a_day_names_the_field() {
    let err = Config::from_json(r#"{"limits": {"header_timeout_seconds": 86401}}"#, "x.json")
        .unwrap_err()
        .to_string();
    assert!(err.contains("limits.header_timeout_seconds"), "{err}");
}
