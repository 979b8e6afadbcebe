//! The `smsim` binary: print-config, refusals with exit code 2, and the startup banner.

use std::io::Write;
use std::process::{Command, Stdio};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

const BIN: &str = env!("CARGO_BIN_EXE_smsim");

#[test]
fn print_config_prints_the_embedded_defaults() {
    let output = Command::new(BIN).arg("print-config").output().unwrap();
    assert!(output.status.success());
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(printed, smsim::config::DEFAULT_CONFIG_JSON);
    smsim::Config::from_json(&printed, "printed").expect("the printed config loads back");
}

/// Sends SIGTERM to a child, as a service manager stopping it would.
fn terminate(child: &tokio::process::Child) {
    let pid = i32::try_from(child.id().expect("still running")).unwrap();
    let pid = rustix::process::Pid::from_raw(pid).expect("a real pid");
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
}

fn refused(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn bad_configs_and_flags_exit_2_naming_the_problem() {
    let dir = std::env::temp_dir().join(format!("smsim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::File::create(&bad)
        .unwrap()
        .write_all(br#"{"limits": {"messagez": 1}}"#)
        .unwrap();
    let stderr = refused(&["serve", "--config", bad.to_str().unwrap()], &[]);
    assert!(
        stderr.contains("messagez") && stderr.contains("bad.json"),
        "{stderr}"
    );

    let stderr = refused(
        &[
            "serve",
            "--config",
            dir.join("missing.json").to_str().unwrap(),
        ],
        &[],
    );
    assert!(stderr.contains("cannot read config file"), "{stderr}");

    let stderr = refused(&["serve", "--clock", "sometimes"], &[]);
    assert!(stderr.contains("sometimes"), "{stderr}");

    let stderr = refused(&["serve"], &[("SMSIM_SEED", "abc")]);
    assert!(stderr.contains("abc"), "{stderr}");

    let stderr = refused(&["serve", "--listen", "nowhere"], &[]);
    assert!(stderr.contains("nowhere"), "{stderr}");
    // A port alone, as other tools take it: the refusal says what to write instead.
    let stderr = refused(&["serve"], &[("SMSIM_LISTEN", "8800")]);
    assert!(
        stderr.contains("127.0.0.1:8800 (this machine only)")
            && stderr.contains("0.0.0.0:8800 (every interface"),
        "{stderr}"
    );

    let stderr = refused(&["serve", "--allowed-host", "http://smsim.test/"], &[]);
    assert!(stderr.contains("allowed_hosts[0]"), "{stderr}");
    let stderr = refused(&["serve"], &[("SMSIM_ALLOWED_HOSTS", "a.test,b.test:80")]);
    assert!(stderr.contains("allowed_hosts[1]"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_prints_address_credentials_and_admin_url_then_answers() {
    let (mut child, banner) =
        serve_banner(&["--listen", "127.0.0.1:0", "--seed", "7"], false).await;
    for expected in [
        "smsim listening on http://127.0.0.1:",
        "seed 7",
        "/__admin/health",
        "inbox: http://127.0.0.1:",
        "/__admin/ui/",
        "key=demo-key",
        "username=demo",
        "login=demo",
    ] {
        assert!(
            banner.contains(expected),
            "{expected} missing from:\n{banner}"
        );
    }
    answers_health_at_its_banners_address(&banner).await;
    child.kill().await.unwrap();
}

#[tokio::test]
async fn localhost_as_the_listen_address_is_loopback_ipv4() {
    let (mut child, banner) = serve_banner(&["--listen", "localhost:0"], false).await;
    assert!(
        banner.starts_with("smsim listening on http://127.0.0.1:"),
        "{banner}"
    );
    answers_health_at_its_banners_address(&banner).await;
    child.kill().await.unwrap();
}

/// Asserts that the address the banner's first line names answers `/__admin/health`.
async fn answers_health_at_its_banners_address(banner: &str) {
    let addr: std::net::SocketAddr = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap()
        .parse()
        .unwrap();
    let reply = crate::client::raw(addr, b"GET /__admin/health HTTP/1.1", b"").await;
    assert_eq!(reply.status, 200);
}

/// Starts `smsim serve ARGS` without an admin token in the environment and reads its banner up
/// to the `try:` line, plus one more line if `one_more` (waiting at most 10 s for it, so that a
/// build without that line fails instead of hanging).
async fn serve_banner(args: &[&str], one_more: bool) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(BIN)
        .arg("serve")
        .args(args)
        .env_remove("SMSIM_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        let done = line.starts_with("try:");
        banner.push(line);
        if done {
            break;
        }
    }
    let wait = std::time::Duration::from_secs(10);
    if one_more && let Ok(Ok(Some(line))) = tokio::time::timeout(wait, lines.next_line()).await {
        banner.push(line);
    }
    (child, banner.join("\n"))
}

/// Starts `smsim serve ARGS` on a free port with stderr piped to the test (read or left
/// unread as the test likes); returns the child, its address and its stderr.
async fn spawn_piped(
    args: &[&str],
) -> (
    tokio::process::Child,
    std::net::SocketAddr,
    tokio::process::ChildStderr,
) {
    let mut child = tokio::process::Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("SMSIM_LOG_FILTER")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().expect("banner");
    let addr = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap()
        .parse()
        .unwrap();
    // Keep draining the banner so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr, stderr)
}

/// The log's lines up to the first that contains `last` (which must come within 20 s), joined.
async fn log_through(stderr: tokio::process::ChildStderr, last: &str) -> String {
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            let done = line.contains(last);
            seen.push(line);
            if done {
                return;
            }
        }
        panic!(
            "the log ended before a line with {last:?}:\n{}",
            seen.join("\n")
        );
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), read)
        .await
        .unwrap_or_else(|_| panic!("no log line with {last:?} within 20 s"));
    seen.join("\n")
}

/// Starts `smsim serve ARGS`, its log left unread (the server must not mind).
async fn spawn_serving(args: &[&str]) -> (tokio::process::Child, std::net::SocketAddr) {
    let (child, addr, _unread) = spawn_piped(args).await;
    (child, addr)
}

#[tokio::test]
async fn callback_url_flag_sets_the_demo_account_and_bad_urls_exit_2() {
    let (mut child, addr) =
        spawn_serving(&["--callback-url", "http://127.0.0.1:9/cb?token=x"]).await;
    let accounts = crate::client::raw(addr, b"GET /__admin/accounts HTTP/1.1", b"")
        .await
        .json();
    assert_eq!(accounts["smsoffice"][0]["key"], "demo-key");
    assert_eq!(
        accounts["smsoffice"][0]["callback_url"],
        "http://127.0.0.1:9/cb?token=x"
    );
    child.kill().await.unwrap();
    let stderr = refused(&["serve", "--callback-url", "https://example.test/cb"], &[]);
    assert!(
        stderr.contains("--callback-url") && stderr.contains("https"),
        "{stderr}"
    );
    let stderr = refused(&["serve", "--callback-url", "not a url"], &[]);
    assert!(stderr.contains("--callback-url"), "{stderr}");
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let (mut child, addr) = spawn_serving(&[]).await;
    assert_eq!(
        crate::client::raw(addr, b"GET /__admin/health HTTP/1.1", b"")
            .await
            .status,
        200
    );
    terminate(&child);
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("smsim exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

#[test]
fn bad_fault_specs_exit_2_with_the_reason() {
    for (spec, why) in [
        ("nowhere=hang", "unknown scope"),
        ("smsoffice=explode", "unknown kind"),
        ("smsoffice=hang@1.5", "from 0 to 1"),
        ("smsco.send=error:-100", "not an smsco code"),
    ] {
        let stderr = refused(&["serve", "--fault", spec], &[]);
        assert!(
            stderr.contains("--fault") && stderr.contains(why),
            "{spec}: {stderr}"
        );
    }
    let stderr = refused(
        &["serve"],
        &[("SMSIM_FAULT", "smsoffice=hang;getsms=error:1")],
    );
    assert!(stderr.contains("not a getsms error_no"), "{stderr}");
}

#[test]
fn record_refuses_a_bad_upstream_with_exit_2() {
    let out = std::env::temp_dir().join(format!("smsim-record-cli-{}", std::process::id()));
    let stderr = refused(
        &[
            "record",
            "--provider",
            "smsco",
            "--upstream",
            "ftp://smsco.ge",
            "--out",
            out.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert!(stderr.contains("--upstream"), "{stderr}");
    let stderr = refused(
        &[
            "record",
            "--provider",
            "twilio",
            "--upstream",
            "http://x",
            "--out",
            "x",
        ],
        &[],
    );
    assert!(stderr.contains("twilio"), "{stderr}");
}

#[tokio::test]
async fn an_unread_stderr_never_blocks_the_server() {
    // Every request's line written, however fast they come.
    let (mut child, addr, _unread) = spawn_piped(&["--log-lines-per-second", "0"]).await;
    // Each request logs a line of a few hundred bytes; a pipe holds about 64 KB.
    let padding = "x".repeat(150);
    let all = async {
        for i in 0..2_000 {
            let head = format!("GET /api/getBalance?key=demo-key&stray={padding}{i} HTTP/1.1");
            let reply = crate::client::raw(addr, head.as_bytes(), b"").await;
            assert_eq!(reply.status, 200);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(120), all)
        .await
        .expect("the server keeps answering while nobody reads its log");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn request_lines_past_the_limit_a_second_are_summarised_and_the_journal_keeps_every_request()
{
    let (mut child, addr, stderr) = spawn_piped(&["--log-lines-per-second", "5"]).await;
    const SENT: u64 = 40;
    for _ in 0..SENT {
        let reply =
            crate::client::raw(addr, b"GET /api/getBalance?key=demo-key HTTP/1.1", b"").await;
        assert_eq!(reply.status, 200);
    }
    // Every request is either written or counted in a summary, which comes within a second.
    let mut lines = BufReader::new(stderr).lines();
    let (mut written, mut seconds, mut summarised) = (0, std::collections::HashSet::new(), 0);
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("getBalance") {
                written += 1;
                seconds.insert(line[..19].to_owned());
            } else if let Some(fields) = line.split("smsim::log: ").nth(1) {
                assert!(fields.ends_with(" per_second=5"), "{line}");
                let skipped = fields.split("skipped=").nth(1).unwrap();
                summarised += skipped.split(' ').next().unwrap().parse::<u64>().unwrap();
            }
            if written + summarised == SENT {
                return;
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), read)
        .await
        .expect("each request written or summarised");
    assert!(summarised > 0, "{written} written");
    assert!(
        written <= 5 * seconds.len() as u64,
        "{written} lines in {} seconds",
        seconds.len()
    );
    let journal = crate::client::raw(
        addr,
        b"GET /__admin/requests?provider=smsoffice&limit=1000 HTTP/1.1",
        b"",
    )
    .await;
    let journal: serde_json::Value = serde_json::from_slice(&journal.body).unwrap();
    assert_eq!(
        journal["requests"].as_array().unwrap().len() as u64,
        SENT,
        "the journal keeps every request"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn json_request_log_lines_are_json_objects_with_the_request_fields() {
    let (mut child, addr, stderr) = spawn_piped(&["--log", "json"]).await;
    crate::client::raw(addr, b"GET /api/getBalance?key=s3cret&x=1 HTTP/1.1", b"").await;
    let mut lines = BufReader::new(stderr).lines();
    let read = async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("getBalance") {
                return line;
            }
        }
        String::new()
    };
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), read)
        .await
        .expect("the request is logged");
    let entry: serde_json::Value = serde_json::from_str(&line).expect(&line);
    assert_eq!(entry["level"], "INFO");
    assert_eq!(entry["fields"]["message"], "request");
    assert_eq!(entry["fields"]["method"], "GET");
    assert_eq!(entry["fields"]["target"], "/api/getBalance?key=***&x=1");
    assert_eq!(entry["fields"]["status"], 200);
    assert!(
        entry["fields"]["lints"].as_str().unwrap().contains("x"),
        "{line}"
    );
    assert!(
        entry["timestamp"].as_str().unwrap().ends_with('Z'),
        "{line}"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn request_log_lines_show_requests_but_never_credentials() {
    let (mut child, addr, stderr) = spawn_piped(&[]).await;
    crate::client::raw(
        addr,
        b"GET /api/getBalance?key=sup3r-secret-xyz&stray=1 HTTP/1.1",
        b"",
    )
    .await;
    // An admin token given where no admin call is (a mistyped path) is a credential too.
    crate::client::raw(
        addr,
        b"GET /__adminx/events?access_token=t0ken-secret HTTP/1.1",
        b"",
    )
    .await;
    crate::client::raw(
        addr,
        b"GET /components/com_smsreseller/smsapi2.php?username=demo&password=pa55-secret&balance=true HTTP/1.1",
        b"",
    )
    .await;
    let log = log_through(stderr, "smsapi2.php").await;
    assert!(log.contains("getBalance?key=***&stray=1"), "{log}");
    assert!(log.contains("password=***"), "{log}");
    assert!(log.contains("access_token=***"), "{log}");
    for secret in ["sup3r-secret-xyz", "pa55-secret", "t0ken-secret"] {
        assert!(!log.contains(secret), "{secret} in:\n{log}");
    }
    assert!(
        !log.contains('\u{1b}'),
        "no colour when stderr is not a terminal"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn listening_beyond_loopback_without_a_token_is_warned_about() {
    // The warning follows the banner's last line.
    let (mut child, banner) = serve_banner(&["--listen", "0.0.0.0:0"], true).await;
    assert!(
        banner.contains("warning:") && banner.contains("--admin-token"),
        "{banner}"
    );
    child.kill().await.unwrap();
}

#[tokio::test]
async fn shutdown_is_bounded_and_says_which_callbacks_were_left() {
    use smsim_testkit::receiver::{Answer, Receiver};
    // A receiver that refuses the first callback (so a retry is scheduled) and never answers the
    // second (so it is in flight), with a callback timeout longer than the shutdown limit.
    let receiver = Receiver::start_with(vec![Answer::Reply(500, "no".into())], Answer::Hang)
        .await
        .unwrap();
    let mut config: serde_json::Value =
        serde_json::from_str(smsim::config::DEFAULT_CONFIG_JSON).unwrap();
    config["callbacks"]["timeout_ms"] = 20_000.into();
    config["smsoffice"]["accounts"][0]["callback_url"] = receiver.url().into();
    let file = std::env::temp_dir().join(format!("smsim-shutdown-{}.json", std::process::id()));
    std::fs::write(&file, config.to_string()).unwrap();

    let (mut child, addr, stderr) = spawn_piped(&["--config", file.to_str().unwrap()]).await;
    for reference in ["r1", "r2"] {
        let head = format!(
            "GET /api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hi&reference={reference} HTTP/1.1"
        );
        crate::client::raw(addr, head.as_bytes(), b"").await;
    }
    receiver.wait_for(2).await;

    let started = std::time::Instant::now();
    terminate(&child);
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("smsim exits")
        .unwrap();
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    assert!(took < std::time::Duration::from_millis(5_800), "{took:?}");
    let mut log = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut BufReader::new(stderr), &mut log)
        .await
        .unwrap();
    assert!(
        log.contains("callbacks still pending") && log.contains("1 scheduled attempts"),
        "{log}"
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn version_and_help_state_what_a_newcomer_needs() {
    let version = Command::new(BIN).arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("smsim {}", env!("CARGO_PKG_VERSION"))
    );
    let help = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for default in [
        "[default: 127.0.0.1:8800]",
        "[default: real]",
        "[default: now]",
        "[default: text]",
        "[default: drawn at start and printed in the banner]",
        "--clock-start <UNIX_SECONDS>",
    ] {
        assert!(help.contains(default), "{default} missing from:\n{help}");
    }
}

#[tokio::test]
async fn clock_start_sets_the_simulators_time() {
    let (mut child, addr, _stderr) =
        spawn_piped(&["--clock", "manual", "--clock-start", "1767225600"]).await;
    let clock = crate::client::raw(addr, b"GET /__admin/clock HTTP/1.1", b"").await;
    assert_eq!(clock.json()["rfc3339"], "2026-01-01T00:00:00.000Z");
    child.kill().await.unwrap();
}

#[tokio::test]
async fn health_exits_0_when_the_simulator_answers_and_1_saying_why_otherwise() {
    let (mut child, addr) = spawn_serving(&["--admin-token", "s3cret"]).await;
    let run = |args: Vec<String>, env: Vec<(&'static str, String)>| {
        let mut command = std::process::Command::new(BIN);
        command.arg("health").args(args).env_remove("SMSIM_LISTEN");
        for (name, value) in env {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    let url = format!("http://{addr}");
    let ok = tokio::task::spawn_blocking({
        let url = url.clone();
        move || run(vec!["--url".into(), url], vec![])
    })
    .await
    .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).starts_with("ok: "));
    // The address it listens on, as a container sets it (or as a compose file may spell it,
    // with localhost), makes the default URL.
    for host in ["0.0.0.0", "localhost"] {
        let listen = format!("{host}:{}", addr.port());
        let from_env =
            tokio::task::spawn_blocking(move || run(vec![], vec![("SMSIM_LISTEN", listen)]))
                .await
                .unwrap();
        assert!(
            from_env.status.success(),
            "{host}: {}",
            String::from_utf8_lossy(&from_env.stderr)
        );
    }
    child.kill().await.unwrap();
    child.wait().await.unwrap();
    let down = tokio::task::spawn_blocking(move || run(vec!["--url".into(), url], vec![]))
        .await
        .unwrap();
    assert_eq!(down.status.code(), Some(1));
    let why = String::from_utf8_lossy(&down.stderr);
    assert!(why.starts_with("smsim health: cannot connect"), "{why}");
    assert_eq!(why.lines().count(), 1, "{why}");
}

#[tokio::test]
async fn config_patches_change_single_settings_and_bad_ones_exit_2() {
    // Two patches in order: the second replaces the first's list whole; a quirk's dotted name
    // is one key; every other setting keeps its default.
    let (mut child, addr) = spawn_serving(&[
        "--config-patch",
        r#"{"getsms": {"allow_list": ["10.0.0.0/8"]}}"#,
        "--config-patch",
        r#"{"getsms": {"allow_list": ["127.0.0.0/8"]}, "quirks": {"smsoffice.long_target": "not_found"}}"#,
    ])
    .await;
    let other = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
    let body = crate::getsms::form("demo", Some("GETSMS"), crate::getsms::ONE);
    let head = b"POST /smsgateway/ HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded";
    let served = crate::client::raw_from(other, addr, head, body.as_bytes()).await;
    assert_eq!(
        served.json()[0]["client_ip"],
        "127.0.0.2",
        "{}",
        served.text()
    );
    let config = crate::client::raw(addr, b"GET /__admin/getsms/allow-list HTTP/1.1", b"")
        .await
        .json();
    assert_eq!(config["allow_list"], serde_json::json!(["127.0.0.0/8"]));
    let long = format!("GET /api/v2/send/?content={} HTTP/1.1", "a".repeat(5000));
    let long_target = crate::client::raw(addr, long.as_bytes(), b"").await;
    assert_eq!(long_target.status, 404, "the patched quirk applies");
    let accounts = crate::client::raw(addr, b"GET /__admin/accounts HTTP/1.1", b"")
        .await
        .json();
    assert_eq!(accounts["getsms"][0]["login"], "demo", "accounts kept");
    child.kill().await.unwrap();

    // From the environment, as a container is given it: a misspelt field is named.
    let stderr = refused(
        &["serve"],
        &[("SMSIM_CONFIG_PATCH", r#"{"getsms": {"alow_list": []}}"#)],
    );
    assert!(
        stderr.contains("--config-patch") && stderr.contains("alow_list"),
        "{stderr}"
    );
    let stderr = refused(&["serve", "--config-patch", "{not json"], &[]);
    assert!(stderr.contains("not JSON"), "{stderr}");
    let stderr = refused(&["serve", "--config-patch", r#"["secret"]"#], &[]);
    assert!(
        stderr.contains("JSON object")
            && stderr.contains("not an array")
            && !stderr.contains("secret"),
        "{stderr}"
    );
    let stderr = refused(
        &["serve", "--config-patch", r#"{"limits": {"messages": 0}}"#],
        &[],
    );
    assert!(stderr.contains("limits.messages"), "{stderr}");
}

/// A request hyper cannot read (an unencoded space in the target, the commonest client bug
/// with these GET APIs, or a head past hyper's limits) is answered by hyper before any smsim
/// code sees it: the log and the journal say what happened and what to encode, and the server
/// keeps serving.
#[tokio::test]
async fn a_request_refused_unread_is_explained_in_the_log() {
    let (mut child, addr, stderr) = spawn_piped(&[]).await;
    let unencoded = crate::client::raw(
        addr,
        b"GET /api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hello world HTTP/1.1",
        b"",
    )
    .await;
    assert_eq!(unencoded.status, 400);
    let mut many_headers = b"GET /api/getBalance?key=demo-key HTTP/1.1".to_vec();
    for i in 0..200 {
        many_headers.extend_from_slice(format!("\r\nX-{i}: a").as_bytes());
    }
    assert_eq!(
        crate::client::raw(addr, &many_headers, b"").await.status,
        431
    );
    let bad_header = b"GET /api/getBalance?key=demo-key HTTP/1.1\r\nBad Name: 1";
    assert_eq!(crate::client::raw(addr, bad_header, b"").await.status, 400);
    // The start of a TLS ClientHello: a client given https:// with the plain port.
    let mut tls = tokio::net::TcpStream::connect(addr).await.unwrap();
    tls.write_all(&[
        0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
    ])
    .await
    .unwrap();
    let mut reply = Vec::new();
    tls.read_to_end(&mut reply).await.unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 400 "), "{reply:?}");
    let after = crate::client::raw(addr, b"GET /api/getBalance?key=demo-key HTTP/1.1", b"").await;
    assert_eq!((after.status, after.text().as_str()), (200, "1000"));

    let log = log_through(stderr, "getBalance").await;
    let refusals: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("refused unread"))
        .collect();
    assert_eq!(refusals.len(), 4, "{log}");
    assert!(
        refusals[0].contains("WARN")
            && refusals[0].contains("answered 400")
            && refusals[0].contains("percent-encode a space"),
        "{log}"
    );
    assert!(
        refusals[1].contains("431") && refusals[1].contains("100 headers"),
        "{log}"
    );
    assert!(refusals[2].contains("a header malformed"), "{log}");
    assert!(
        refusals[3].contains("TLS handshake on the plain HTTP port"),
        "{log}"
    );
    // The journal lists each refusal with what could be read of it and why, then the answer.
    let journal = crate::client::raw(addr, b"GET /__admin/requests HTTP/1.1", b"").await;
    let journal = journal.json();
    let entries = journal["requests"].as_array().unwrap();
    let seen: Vec<(&str, &str, Option<&str>, serde_json::Value)> = entries
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
                e["host"].as_str(),
                e["status"].clone(),
            )
        })
        .collect();
    let host = addr.to_string();
    assert_eq!(
        seen,
        [
            (
                "GET",
                "/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hello world",
                Some(host.as_str()),
                400.into()
            ),
            (
                "GET",
                "/api/getBalance?key=demo-key",
                Some(host.as_str()),
                431.into()
            ),
            (
                "GET",
                "/api/getBalance?key=demo-key",
                Some(host.as_str()),
                400.into()
            ),
            ("", "", None, 400.into()),
            (
                "GET",
                "/api/getBalance?key=demo-key",
                Some(host.as_str()),
                200.into()
            ),
        ],
        "{journal}"
    );
    for (entry, refusal) in entries.iter().zip(&refusals) {
        assert_eq!(entry["provider"], serde_json::Value::Null);
        assert_eq!(entry["client"], "127.0.0.1");
        let lint = entry["lints"][0].as_str().unwrap();
        assert!(refusal.contains(lint), "{lint} / {refusal}");
    }
    child.kill().await.unwrap();
}
