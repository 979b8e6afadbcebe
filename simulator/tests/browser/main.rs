//! The inbox in a real browser: Debian's `chromium` driven through `chromedriver` (WebDriver).
//! Outside CI, a machine without them skips these tests with a message saying what to install;
//! in CI (`CI` or `SMSIM_REQUIRE_BROWSER` set) a missing browser fails them.
//!
//! `SMSIM_SCREENSHOT=DIR` also writes the screenshots the README shows into `DIR`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use smsim::{ClockMode, Config, Simulator};
use smsim_testkit::RequestBytes;
use smsim_testkit::receiver::{Answer, Receiver};
use tokio::process::{Child, Command};

mod attacks;

/// Where Debian puts them.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL: &str = "apt-get install chromium chromium-driver";

/// A browser session and the driver process behind it.
struct Browser {
    client: Client,
    _driver: Child,
}

impl Browser {
    /// A headless Chromium of `width`×`height`, or `None` (skipped) when it is not installed
    /// outside CI.
    async fn open(width: u32, height: u32) -> Option<Browser> {
        Browser::open_with(width, height, &[]).await
    }

    /// [`Browser::open`] with more command-line switches for Chromium.
    async fn open_with(width: u32, height: u32, switches: &[&str]) -> Option<Browser> {
        let installed = [CHROMIUM, CHROMEDRIVER]
            .iter()
            .all(|path| std::path::Path::new(path).exists());
        if !installed {
            let required = std::env::var_os("CI").is_some()
                || std::env::var_os("SMSIM_REQUIRE_BROWSER").is_some();
            assert!(!required, "the browser tests need Chromium: {INSTALL}");
            eprintln!("skipped: the browser tests need Chromium ({INSTALL})");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let mut args: Vec<String> = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
        ]
        .iter()
        .chain(switches)
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--window-size={width},{height}"));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": CHROMIUM,
                "args": args,
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let mut builder =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        builder.capabilities(capabilities);
        // The driver takes a moment to listen.
        for _ in 0..100 {
            if let Ok(client) = builder.connect(&url).await {
                client.set_window_size(width, height).await.unwrap();
                return Some(Browser {
                    client,
                    _driver: driver,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer on port {port}");
    }

    /// Opens `url` in the window.
    async fn visit(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
    }

    /// Waits (ten seconds at most) until `check` holds, polling the page.
    async fn until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        for _ in 0..100 {
            if check().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let page = self.client.source().await.unwrap_or_default();
        panic!("timed out waiting for {what}; the page:\n{page}");
    }

    async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// The text of the first element matching `css`, or "" if there is none.
    async fn text(&self, css: &str) -> String {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Clicks the element; rows are rebuilt as events arrive, so a stale one is found again.
    async fn click(&self, css: &str) {
        self.press(css, None).await;
    }

    /// Sends `key` to the element (or clicks it), finding it again if it was rebuilt.
    async fn press(&self, css: &str, key: Option<&str>) {
        let mut last = None;
        for _ in 0..20 {
            let element = self.find(css).await;
            let done = match key {
                Some(key) => element.send_keys(key).await,
                None => element.click().await,
            };
            match done {
                Ok(()) => return,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css}: {last:?}");
    }

    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
        std::fs::write(&target, &png).unwrap();
        if let Some(dir) = std::env::var_os("SMSIM_SCREENSHOT") {
            std::fs::write(PathBuf::from(dir).join(name), &png).unwrap();
        }
    }
}

async fn simulator() -> Simulator {
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.clock = ClockMode::Manual;
    config.clock_start = Some(1_767_225_600);
    Simulator::start(config).await.unwrap()
}

async fn call(sim: &Simulator, request: RequestBytes) -> serde_json::Value {
    let reply = request.send(&sim.addr().to_string()).await.unwrap();
    assert!(reply.status < 300, "{} {}", reply.status, reply.text());
    reply.json()
}

async fn send(sim: &Simulator, destination: &str, reference: &str) {
    let target = format!(
        "/api/v2/send/?key=demo-key&destination={destination}&sender=SMSOFFICE&content=Your%20code%20is%204821&reference={reference}"
    );
    assert_eq!(call(sim, RequestBytes::get(&target)).await["ErrorCode"], 0);
}

/// The row of the message to `destination`.
fn row(destination: &str) -> String {
    format!("tr[data-destination=\"{destination}\"]")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inbox_shows_messages_live_and_drives_time_outcomes_faults_and_balances() {
    let Some(browser) = Browser::open(1280, 800).await else {
        return;
    };
    let sim = simulator().await;
    let receiver = Receiver::start_with(vec![], Answer::Reply(200, "OK".into()))
        .await
        .unwrap();
    let callback = json!({ "callback_url": receiver.url() }).to_string();
    call(
        &sim,
        RequestBytes::new("PATCH", "/__admin/accounts/smsoffice/demo-key")
            .header("Content-Type", "application/json")
            .body(callback),
    )
    .await;
    browser
        .visit(&format!("{}/__admin/ui/", sim.base_url()))
        .await;
    browser
        .until("the live stream", || async {
            browser.text("#live").await.contains("live")
        })
        .await;

    // Sent through the provider's API, seen without a reload.
    send(&sim, "995555123456", "order-1").await;
    let status = format!("{} .badge", row("995555123456"));
    browser
        .until("the message", || async {
            browser.text(&status).await == "accepted"
        })
        .await;
    // Its one-time code stands beside the text, as a button that copies it.
    let code = format!("{} button.code", row("995555123456"));
    assert_eq!(browser.text(&code).await, "4821");

    // The clock moves from the page; the message is delivered.
    browser.click("button[data-advance=\"2\"]").await;
    browser
        .until("delivery", || async {
            browser.text(&status).await == "delivered"
        })
        .await;
    assert!(
        browser
            .text("#clock-times")
            .await
            .contains("2026-01-01 00:00:02 UTC")
    );

    // Opened, it shows its history and the callback attempt.
    browser.click(&row("995555123456")).await;
    browser
        .until("the callback attempt", || async {
            let attempts = browser.text("#attempts").await;
            attempts.contains("status=Delivered") && attempts.contains("HTTP 200")
        })
        .await;
    let timeline = browser.text("#timeline").await;
    assert!(
        timeline.contains("accepted")
            && timeline.contains("pending")
            && timeline.contains("delivered"),
        "{timeline}"
    );
    assert!(browser.text("#detail").await.contains("order-1"));

    // A message that would stay pending is decided by hand.
    send(&sim, "995555120003", "order-2").await;
    let pending = format!("{} .badge", row("995555120003"));
    browser.click("button[data-advance=\"2\"]").await;
    browser
        .until("hand-over", || async {
            browser.text(&pending).await == "pending"
        })
        .await;
    browser.click(&row("995555120003")).await;
    browser.press("#outcome-reason", Some("Phone off")).await;
    browser.click("button[data-outcome=\"undelivered\"]").await;
    browser
        .until("the decided outcome", || async {
            browser.text(&pending).await == "undelivered"
        })
        .await;
    browser.screenshot("inbox.png").await;
    let messages = call(
        &sim,
        RequestBytes::get("/__admin/messages?status=undelivered"),
    )
    .await;
    assert_eq!(messages["messages"][0]["reason"], "Phone off");

    // Faults: added, refused with the API's message, cleared.
    browser.click("#t-faults").await;
    let spec = browser.find("#fault-spec").await;
    spec.send_keys("smsoffice.send=error:-100*3").await.unwrap();
    browser.click("#fault-form button[type=\"submit\"]").await;
    browser
        .until("the fault listed", || async {
            browser
                .text("#fault-rows")
                .await
                .contains("smsoffice.send=error:-100*3")
        })
        .await;
    spec.send_keys("nonsense").await.unwrap();
    browser.click("#fault-form button[type=\"submit\"]").await;
    browser
        .until("the API's refusal", || async {
            browser
                .text("#fault-error")
                .await
                .contains("expected SCOPE=KIND")
        })
        .await;
    browser.click("#fault-clear").await;
    browser
        .until("no faults", || async {
            browser
                .text("#fault-rows")
                .await
                .contains("No active faults")
        })
        .await;
    let faults = call(&sim, RequestBytes::get("/__admin/faults")).await;
    assert_eq!(faults["faults"], json!([]));

    // A balance edited on the page.
    browser.click("#t-accounts").await;
    let balance = browser.find("input[data-balance=\"demo-key\"]").await;
    balance.clear().await.unwrap();
    balance.send_keys("777").await.unwrap();
    browser
        .click("button[data-save=\"smsoffice/demo-key\"]")
        .await;
    let reply = RequestBytes::get("/api/getBalance?key=demo-key");
    browser
        .until("the new balance", || async {
            reply.send(&sim.addr().to_string()).await.unwrap().text() == "777"
        })
        .await;
    // The page's own requests (to /__admin) are not journaled, and it asks for no icon.
    let journal = call(&sim, RequestBytes::get("/__admin/requests?limit=1000")).await;
    let targets: Vec<&str> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert!(
        targets.iter().all(|t| t.starts_with("/api/")),
        "{targets:?}"
    );
    browser.client.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_phone_the_inbox_fits_and_the_keyboard_reaches_every_view() {
    let Some(browser) = Browser::open(390, 844).await else {
        return;
    };
    let sim = simulator().await;
    send(&sim, "995555123456", "phone-1").await;
    browser
        .visit(&format!("{}/__admin/ui/", sim.base_url()))
        .await;
    browser.find(&row("995555123456")).await;
    let fits = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth <= window.innerWidth",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(fits, json!(true), "the page scrolls sideways on a phone");
    browser.screenshot("inbox-phone.png").await;
    // Arrow keys move between the views; Enter opens a message.
    browser.press("#t-messages", Some("\u{E014}")).await;
    browser
        .until("the requests view", || async {
            browser.text("#requests").await.contains("/api/v2/send/")
        })
        .await;
    browser.press("#t-requests", Some("\u{E012}")).await;
    browser.press(&row("995555123456"), Some("\u{E007}")).await;
    browser
        .until("the message opened", || async {
            browser.text("#detail").await.contains("phone-1")
        })
        .await;
    browser.client.close().await.unwrap();
}
