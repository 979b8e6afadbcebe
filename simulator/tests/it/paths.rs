//! Paths as the providers' web servers read them: IIS ignores letter case, Apache and nginx merge
//! repeated slashes; each such request is served and linted, and retired paths say where to go.

use smsim::Simulator;

use crate::client::{Reply, admin, get, post_form};
use crate::getsms::{ONE, form};
use crate::smsoffice_send::{GOOD_SEND, OK, assert_envelope};

/// The lints of the newest journal entry.
async fn last_lints(sim: &Simulator) -> String {
    let journal = admin(sim, "/requests").await;
    let entries = journal["requests"].as_array().unwrap();
    entries.last().unwrap()["lints"].to_string()
}

#[tokio::test]
async fn smsoffice_paths_ignore_letter_case_as_iis_does() {
    let sim = Simulator::start_default().await.unwrap();
    assert_envelope(&get(&sim, &format!("/API/V2/SEND/?{GOOD_SEND}")).await, OK);
    let lints = last_lints(&sim).await;
    assert!(
        lints.contains("letter case") && lints.contains("/api/v2/send/"),
        "{lints}"
    );
    let balance = get(&sim, "/api/GETBALANCE?key=demo-key").await;
    assert_eq!(balance.text(), "999");
    // The documented spelling is not linted.
    get(&sim, "/api/getBalance?key=demo-key").await;
    assert_eq!(last_lints(&sim).await, "[]");
}

#[tokio::test]
async fn repeated_slashes_are_merged_on_getsms_and_smsco() {
    let sim = Simulator::start_default().await.unwrap();
    // PyPI getsms 0.1 joins its base URL and path into /smsgateway//status/.
    let status = post_form(&sim, "/smsgateway//status/", &form("demo", None, "[]")).await;
    assert_eq!(status.status, 200);
    assert!(
        status.text().contains("request_id is wrong"),
        "{}",
        status.text()
    );
    let lints = last_lints(&sim).await;
    assert!(
        lints.contains("repeated slashes") && lints.contains("/smsgateway/status/"),
        "{lints}"
    );
    let send = get(
        &sim,
        "/components//com_smsreseller/smsapi2.php?username=demo&password=demo&balance=true",
    )
    .await;
    assert_eq!(send.text(), "10000");
    assert!(last_lints(&sim).await.contains("repeated slashes"));
    // smsoffice runs on IIS, which does not merge them.
    assert_eq!(
        get(&sim, &format!("/api//v2/send/?{GOOD_SEND}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn the_slashless_getsms_status_path_is_served_and_linted() {
    let sim = Simulator::start_default().await.unwrap();
    let reply: Reply = post_form(&sim, "/smsgateway/status", &form("demo", None, "[]")).await;
    assert!(
        reply.text().contains("request_id is wrong"),
        "{}",
        reply.text()
    );
    let lints = last_lints(&sim).await;
    assert!(
        lints.contains("without the trailing slash") && lints.contains("/smsgateway/status/"),
        "{lints}"
    );
    post_form(&sim, "/smsgateway/", &form("demo", Some("GETSMS"), ONE)).await;
    assert_eq!(last_lints(&sim).await, "[]");
}

#[tokio::test]
async fn the_retired_smsoffice_endpoint_is_404_and_names_the_current_one() {
    let sim = Simulator::start_default().await.unwrap();
    let reply = post_form(
        &sim,
        "/api/send.aspx",
        "key=demo-key&destination=995577123456",
    )
    .await;
    assert_eq!(reply.status, 404);
    let lints = last_lints(&sim).await;
    assert!(lints.contains("/api/v2/send/"), "{lints}");
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{GOOD_SEND}")).await, OK);
}

#[tokio::test]
async fn text_encoded_twice_is_linted_and_kept_as_typed() {
    let sim = Simulator::start_default().await.unwrap();
    let send = "key=demo-key&destination=995577123456&sender=SMSOFFICE&content=Hello%252Bworld";
    assert_envelope(&get(&sim, &format!("/api/v2/send/?{send}")).await, OK);
    assert!(last_lints(&sim).await.contains("encoded twice"));
    let messages = admin(&sim, "/messages").await;
    assert_eq!(messages["messages"][0]["content"], "Hello%2Bworld");
    let smsco = "username=demo&password=demo&recipient=995599445448&message=50%2525";
    get(
        &sim,
        &format!("/components/com_smsreseller/smsapi2.php?{smsco}"),
    )
    .await;
    assert!(last_lints(&sim).await.contains("encoded twice"));
    // A plain percent sign is not an escape.
    let plain = "username=demo&password=demo&recipient=995599445448&message=50%25+off";
    get(
        &sim,
        &format!("/components/com_smsreseller/smsapi2.php?{plain}"),
    )
    .await;
    assert!(!last_lints(&sim).await.contains("encoded twice"));
}

#[tokio::test]
async fn the_ampersand_hint_is_given_only_where_there_is_a_text_parameter() {
    let sim = Simulator::start_default().await.unwrap();
    get(
        &sim,
        "/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=Tom&Jerry",
    )
    .await;
    assert!(last_lints(&sim).await.contains("unencoded '&'"));
    get(&sim, "/api/getBalance?key=demo-key&content=x&stray=1").await;
    let lints = last_lints(&sim).await;
    assert!(
        !lints.contains("unencoded '&'") && lints.contains("ignored"),
        "{lints}"
    );
    get(
        &sim,
        "/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995599445448&message=Tom&Jerry",
    )
    .await;
    let lints = last_lints(&sim).await;
    assert!(lints.contains("belong to the message"), "{lints}");
}
