//! The provenance checks catch what they exist for: a guess labelled as a fact, a quirk listed
//! without effect, and a quote the document does not contain.

use std::path::Path;

use contract_tests::audit::{FlipProblem, QuoteProblem, check_flips, check_quote};
use contract_tests::fixture::Fixture;
use contract_tests::inprocess::replay_config;
use contract_tests::provenance::Document;

fn fixture(provenance: &str, headers: &str) -> Fixture {
    let text = format!(
        r#"{{"description": "d", "provenance": {provenance}, "safe": true,
            "request": {{"method": "GET", "target": "/api/getBalance?key={{{{smsoffice.key}}}}"}},
            "response": {{"status": 200, "headers": {headers}, "body": "1000"}}}}"#
    );
    Fixture::parse(&text, Path::new("test.json")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_documented_fixture_that_pins_a_quirk_default_is_named() {
    let documented = fixture(
        r#"{"kind": "documented", "document": "smsoffice-en", "source": "getBalance",
            "quote": "The response is the number of messages left."}"#,
        r#"{"Content-Type": "application/json; charset=utf-8"}"#,
    );
    let problems = check_flips(&documented, &replay_config()).await.unwrap();
    assert_eq!(
        problems,
        [FlipProblem::Unlisted {
            quirk: "smsoffice.content_type".into(),
            fields: vec!["header content-type".into()],
        }]
    );
    assert!(problems[0].to_string().contains("does not list it"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_assumed_fixture_listing_a_quirk_it_does_not_depend_on_is_named() {
    let assumed = fixture(
        r#"{"kind": "assumed", "source": "s",
            "quirks": ["smsoffice.content_type", "getsms.error_key"]}"#,
        r#"{"Content-Type": "application/json; charset=utf-8"}"#,
    );
    let problems = check_flips(&assumed, &replay_config()).await.unwrap();
    assert_eq!(
        problems,
        [FlipProblem::NoEffect {
            quirk: "getsms.error_key".into()
        }]
    );
    let honest = fixture(
        r#"{"kind": "assumed", "source": "s", "quirks": ["smsoffice.content_type"]}"#,
        r#"{"Content-Type": "application/json; charset=utf-8"}"#,
    );
    assert!(
        check_flips(&honest, &replay_config())
            .await
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_quote_must_be_in_the_named_document_verbatim() {
    let dir = std::env::temp_dir().join(format!("smsim-documents-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.txt"),
        "For transactional messages use urgent=true\nThe response is the number of messages left.\n",
    )
    .unwrap();
    let quoting = |document: &str, quote: &str| {
        fixture(
            &format!(
                r#"{{"kind": "documented", "document": "{document}", "source": "s", "quote": {}}}"#,
                serde_json::to_string(quote).unwrap()
            ),
            "{}",
        )
        .provenance
    };
    let found = quoting(
        "smsoffice-en",
        "The response is the number of messages left.",
    );
    assert_eq!(check_quote(&found, &dir), Ok(()));
    let reworded = quoting("smsoffice-en", "The response is the number of SMS left.");
    assert_eq!(
        check_quote(&reworded, &dir),
        Err(QuoteProblem::NotFound(
            Document::named("smsoffice-en").unwrap()
        ))
    );
    let elsewhere = quoting("getsms-uz", "The response is the number of messages left.");
    assert_eq!(
        check_quote(&elsewhere, &dir),
        Err(QuoteProblem::DocumentMissing(
            Document::named("getsms-uz").unwrap()
        ))
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_fixture_without_evidence_does_not_load() {
    let parse = |provenance: &str| {
        let text = format!(
            r#"{{"description": "d", "provenance": {provenance},
                "request": {{"method": "GET", "target": "/"}},
                "response": {{"status": 200, "body": ""}}}}"#
        );
        Fixture::parse(&text, Path::new("x.json")).map(|_| ())
    };
    for bad in [
        r#"{"kind": "documented", "document": "smsoffice-en", "source": "s", "quote": " "}"#,
        r#"{"kind": "documented", "source": "s", "quote": "q"}"#,
        r#"{"kind": "observed", "source": "s"}"#,
        r#"{"kind": "assumed", "source": "s", "quirks": []}"#,
        r#"{"kind": "assumed", "source": "s", "quirks": ["smsoffice.no_such_quirk"]}"#,
    ] {
        assert!(parse(bad).is_err(), "{bad} loaded");
    }
}
