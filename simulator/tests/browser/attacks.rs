//! The attacks a web page can make on a simulator running on the developer's machine, made by a
//! real browser: a page on another origin submitting forms and sending `no-cors` requests to the
//! admin API, reading it, and reaching it under another host name (DNS rebinding); and a message
//! whose fields hold HTML, shown in the inbox. Each is refused or inert, and the inbox and the
//! providers keep working.

use std::net::SocketAddr;

use axum::response::Html;
use serde_json::json;
use smsim::Provider;
use smsim_testkit::RequestBytes;

use crate::{Browser, call, send, simulator};

/// A page on another origin that tries every write a page can make without the simulator's
/// consent, and one read, then writes what it saw into `window.results` and its title.
fn attack_page(smsim: SocketAddr) -> String {
    let admin = format!("http://{smsim}/__admin");
    format!(
        r#"<!doctype html>
<title>attacking</title>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
<form id="reset" method="POST" action="{admin}/reset" target="sink1"></form>
<form id="plain" method="POST" action="{admin}/accounts/smsoffice" enctype="text/plain" target="sink2"><input name='{{"key":"evil-form","balance":5,"x":"' value='"}}'></form>
<form id="advance" method="POST" action="{admin}/clock/advance" target="sink3"><input name="seconds" value="3600"></form>
<script>
window.results = [];
async function attack() {{
  for (const id of ["reset", "plain", "advance"]) document.getElementById(id).submit();
  for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]) {{
    const send = (path, body) => fetch("{admin}" + path, {{
      method: "POST", mode: "no-cors", headers: {{ "Content-Type": type }}, body,
    }}).catch(() => {{}});
    await send("/clock/advance", '{{"seconds": 3600}}');
    await send("/accounts/smsoffice", '{{"key": "evil-fetch", "balance": 5}}');
    await send("/messages/1/outcome", '{{"outcome": "delivered"}}');
    await send("/reset", "");
  }}
  try {{
    const reply = await fetch("{admin}/messages");
    window.results.push("read: " + (await reply.text()));
  }} catch (e) {{ window.results.push("read refused"); }}
  try {{
    await fetch("{admin}/reset", {{ method: "POST", headers: {{ "Content-Type": "application/json" }}, body: "{{}}" }});
    window.results.push("json sent");
  }} catch (e) {{ window.results.push("json refused"); }}
  // Let the forms' requests land before the test looks.
  await new Promise((done) => setTimeout(done, 500));
  document.title = "done";
}}
attack();
</script>"#
    )
}

/// Serves `page` at `/` from another origin (another port).
async fn attacker(page: String) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { Html(page) }));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_on_another_origin_can_neither_change_nor_read_the_simulator() {
    let Some(browser) = Browser::open(1024, 768).await else {
        return;
    };
    let sim = simulator().await;
    send(&sim, "995577123456", "order-1").await;
    let start = sim.sim().now();
    let page = attacker(attack_page(sim.addr())).await;

    // Served as `localhost`: another origin than the simulator's 127.0.0.1, as any site is.
    browser
        .visit(&format!("http://localhost:{}/", page.port()))
        .await;
    browser
        .until("the attack page to finish", || async {
            browser.client.title().await.unwrap_or_default() == "done"
        })
        .await;
    let results = browser
        .client
        .execute("return window.results;", vec![])
        .await
        .unwrap();
    assert_eq!(results, json!(["read refused", "json refused"]));

    // Nothing changed: no reset, no account, no outcome, no time.
    let messages = sim.sim().messages();
    assert_eq!(messages.len(), 1, "the store was emptied");
    assert_eq!(messages[0].status, smsim::Status::Accepted);
    assert_eq!(sim.sim().now(), start, "the clock moved");
    for id in ["evil-form", "evil-fetch"] {
        assert_eq!(
            sim.sim().balance(Provider::Smsoffice, id),
            None,
            "{id} was made"
        );
    }
    browser.client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn under_another_host_name_the_admin_api_and_inbox_refuse_but_providers_answer() {
    // The browser resolves the attacker's name to the simulator, as a rebound DNS name does.
    let Some(browser) = Browser::open_with(
        1024,
        768,
        &["--host-resolver-rules=MAP rebound.example 127.0.0.1"],
    )
    .await
    else {
        return;
    };
    let sim = simulator().await;
    send(&sim, "995577123456", "order-1").await;
    let base = format!("http://rebound.example:{}", sim.addr().port());
    for path in ["/__admin/messages", "/__admin/ui/"] {
        browser.visit(&format!("{base}{path}")).await;
        let text = browser.text("body").await;
        assert!(text.contains("does not answer to host"), "{path}: {text}");
        assert!(!text.contains("4821"), "{path} showed a message: {text}");
    }
    browser
        .visit(&format!("{base}/api/getBalance?key=demo-key"))
        .await;
    assert_eq!(browser.text("body").await, "999");
    browser.client.close().await.unwrap();
}

/// What a user controls and the inbox shows, each holding markup that would run or render if
/// it were taken as HTML.
const MARKUP: &str = r#"<img src=x onerror="window.pwned=1"><b class="injected">b</b>"#;

#[tokio::test(flavor = "multi_thread")]
async fn html_in_every_field_a_user_controls_is_shown_as_text() {
    let Some(browser) = Browser::open(1280, 900).await else {
        return;
    };
    let sim = simulator().await;
    let addr = sim.addr().to_string();
    let json = |method: &str, path: &str, body: serde_json::Value| {
        RequestBytes::new(method, path)
            .header("Content-Type", "application/json")
            .body(body.to_string())
    };
    // Accounts whose ids, brands and nicknames are markup.
    let smsco = format!("smsco{MARKUP}");
    call(
        &sim,
        json(
            "POST",
            "/__admin/accounts/smsco",
            json!({
                "username": smsco, "password": "p", "balance": 1000, "brand": MARKUP,
            }),
        ),
    )
    .await;
    call(
        &sim,
        json(
            "POST",
            "/__admin/accounts/getsms",
            json!({
                "login": MARKUP, "password": "p", "balance": 10, "nicknames": [MARKUP],
            }),
        ),
    )
    .await;
    // Messages whose texts and references are markup.
    let form = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", smsim_testkit::encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    let sent = RequestBytes::post(
        "/components/com_smsreseller/smsapi2.php",
        "application/x-www-form-urlencoded",
        form(&[
            ("username", &smsco),
            ("password", "p"),
            ("recipient", "995599445448"),
            ("message", MARKUP),
        ]),
    )
    .send(&addr)
    .await
    .unwrap();
    assert!(sent.text().starts_with("OK"), "{}", sent.text());
    let data = json!([{"phone": "998901234567", "text": MARKUP}]).to_string();
    let sent = RequestBytes::post(
        "/smsgateway/",
        "application/x-www-form-urlencoded",
        form(&[
            ("login", MARKUP),
            ("password", "p"),
            ("nickname", MARKUP),
            ("data", &data),
        ]),
    )
    .send(&addr)
    .await
    .unwrap();
    assert!(sent.text().contains("message_id"), "{}", sent.text());
    let target = format!(
        "/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content={}&reference={}&{}=1",
        smsim_testkit::encode(MARKUP),
        smsim_testkit::encode("<i>r</i>"),
        smsim_testkit::encode(MARKUP),
    );
    assert_eq!(call(&sim, RequestBytes::get(&target)).await["ErrorCode"], 0);

    browser
        .visit(&format!("{}/__admin/ui/", sim.base_url()))
        .await;
    browser
        .until("three messages", || async {
            browser.text("#m-rows").await.matches(MARKUP).count() >= 3
        })
        .await;
    // Every view that shows what the user sent: each message's detail, requests, accounts.
    for destination in ["995599445448", "998901234567", "995577123456"] {
        browser.click(&crate::row(destination)).await;
        browser
            .until("the detail", || async {
                browser.text("#detail").await.contains(destination)
            })
            .await;
    }
    browser.click("#t-requests").await;
    browser
        .until("the lint naming the markup", || async {
            browser.text("#requests").await.contains(MARKUP)
        })
        .await;
    browser.click("#t-accounts").await;
    browser
        .until("the accounts", || async {
            browser.text("#accounts").await.contains(&smsco)
        })
        .await;
    let made = browser
        .client
        .execute(
            "return [document.querySelectorAll('.injected, img, svg, iframe, i').length, \
             window.pwned === undefined];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(made, json!([0, true]), "markup became elements or ran");
    browser.client.close().await.unwrap();
}

/// A page on another origin that posts a getsms send whose text is a script, as a plain form,
/// and lands on the reply: the reply repeats the text in `text/html`, as the real service's does.
fn script_in_a_reply_page(smsim: SocketAddr) -> String {
    let script = "<script>document.title='ran';fetch('/__admin/reset',{method:'POST',headers:{'X-Smsim':'1'}})</script>";
    let data = json!([{"phone": "998901234567", "text": script}]).to_string();
    let data = data.replace('&', "&amp;").replace('\'', "&#39;");
    format!(
        r#"<!doctype html>
<form id="send" method="POST" action="http://{smsim}/smsgateway/">
<input name="login" value="demo"><input name="password" value="demo">
<input name="nickname" value="GETSMS"><input name="data" value='{data}'>
</form>
<script>document.getElementById("send").submit();</script>"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_script_in_a_provider_reply_does_not_run_on_the_simulators_origin() {
    let Some(browser) = Browser::open(1024, 768).await else {
        return;
    };
    let sim = simulator().await;
    send(&sim, "995577123456", "order-1").await;
    let page = attacker(script_in_a_reply_page(sim.addr())).await;
    browser
        .visit(&format!("http://localhost:{}/", page.port()))
        .await;
    browser
        .until("the getsms reply", || async {
            browser.text("body").await.contains("message_id")
        })
        .await;
    // Long enough for a script that ran to have reset the simulator.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_ne!(browser.client.title().await.unwrap(), "ran");
    assert_eq!(
        sim.sim().messages().len(),
        2,
        "the reply's script reset the simulator"
    );
    browser.client.close().await.unwrap();
}
