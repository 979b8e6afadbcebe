//! The README's tour and the examples of docs/providers.md, executed: every `curl` in them, in
//! order, against a simulator started the way the page says, each reply compared with the `# `
//! lines written right under it (`…` stands for any text; a line whose text starts with spaces
//! goes on the line before it; a blank line ends the reply). A page that drifts from what smsim
//! answers fails here.

use smsim::{Config, Simulator};
use smsim_testkit::RequestBytes;

const README: &str = include_str!("../../../README.md");
/// The start command the tour's replies depend on.
const START: &str = "smsim serve --clock manual --seed 1 --clock-start 1767225600";
const PROVIDERS: &str = include_str!("../../../docs/providers.md");
/// The start command docs/providers.md's replies depend on.
const PROVIDERS_START: &str = "smsim serve --clock manual --seed 1 --clock-start 1763769600";
const BASE: &str = "http://127.0.0.1:8800";
/// How an example sends through smsim as a proxy (an absolute URL as the request's target).
const THROUGH_PROXY: &str = "http_proxy=http://127.0.0.1:8800 curl ";

/// One example: the command and the reply written under it, if any.
struct Example {
    command: String,
    expected: Option<String>,
}

/// The `curl` commands of a page's shell blocks, in order, with their replies.
fn examples(page: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let (mut in_shell, mut in_reply) = (false, false);
    let mut pending = String::new();
    for line in page.lines() {
        if line.starts_with("```") {
            in_shell = line == "```sh";
            in_reply = false;
            continue;
        }
        if !in_shell {
            continue;
        }
        if let Some(continued) = line.strip_suffix('\\') {
            pending.push_str(continued);
            continue;
        }
        let line = format!("{pending}{line}");
        // A single-quoted word (a JSON body) may run over several lines, as in a shell.
        if line.matches('\'').count() % 2 == 1 {
            pending = line + "\n";
            continue;
        }
        pending.clear();
        let line = line.trim();
        if line.starts_with("curl ") || line.starts_with(THROUGH_PROXY) {
            examples.push(Example {
                command: line.to_owned(),
                expected: None,
            });
            in_reply = true;
        } else if let (Some(reply), Some(last), true) =
            (line.strip_prefix("# "), examples.last_mut(), in_reply)
        {
            let wrapped = reply.starts_with(' ');
            last.expected = Some(match last.expected.take() {
                Some(before) if wrapped => format!("{before}{}", reply.trim_start()),
                Some(before) => format!("{before}\n{reply}"),
                None => reply.to_owned(),
            });
        } else {
            in_reply = false;
        }
    }
    examples
}

/// Shell words: single quotes literal, double quotes literal but for `\"`, backslash escapes.
fn words(command: &str) -> Vec<String> {
    let (mut words, mut word, mut started) = (Vec::new(), String::new(), false);
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                started = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                started = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                started = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                started = true;
                word.push(c);
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// The request a `curl` command line sends (the options the README uses).
fn request(command: &str) -> RequestBytes {
    let through_proxy = command.starts_with(THROUGH_PROXY);
    let words = words(
        command
            .strip_prefix("http_proxy=http://127.0.0.1:8800 ")
            .unwrap_or(command),
    );
    let mut args = words[1..].iter();
    let (mut method, mut url, mut data, mut headers) = (None, None, Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-s" => {}
            "-X" => method = args.next().cloned(),
            "-d" => data.push(args.next().unwrap().clone()),
            "--data-urlencode" => {
                let pair = args.next().unwrap();
                let (name, value) = pair.split_once('=').unwrap();
                data.push(format!("{name}={}", smsim_testkit::encode(value)));
            }
            "-H" => {
                let (name, value) = args.next().unwrap().split_once(':').unwrap();
                headers.push((name.to_owned(), value.trim().to_owned()));
            }
            other if other.starts_with("http://") => url = Some(other.to_owned()),
            other => panic!("the README's test does not know curl's {other:?}: {command}"),
        }
    }
    let url = url.unwrap_or_else(|| panic!("no URL in {command}"));
    // Through a proxy the target is the whole URL, as curl sends it to the proxy.
    let target = match through_proxy {
        true => &url,
        false => url
            .strip_prefix(BASE)
            .unwrap_or_else(|| panic!("{url} is not on {BASE}")),
    };
    let method = method.unwrap_or_else(|| if data.is_empty() { "GET" } else { "POST" }.into());
    let mut request = RequestBytes::new(&method, target);
    if !data.is_empty() {
        if !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            request = request.header("Content-Type", "application/x-www-form-urlencoded");
        }
        request = request.body(data.join("&"));
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    request
}

/// Whether `got` reads as `expected`, where `…` stands for any text.
fn reads_as(expected: &str, got: &str) -> bool {
    let parts: Vec<&str> = expected.split('…').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return got == expected;
    }
    if !got.starts_with(first) || !got.ends_with(last) {
        return false;
    }
    let mut rest = &got[first.len()..got.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// The configuration `start` (`smsim serve` and its flags) describes, read as the binary reads
/// it, on a port of its own.
fn started_as(start: &str) -> Config {
    use clap::Parser;
    let cli =
        smsim::cli::Cli::try_parse_from(words(start)).unwrap_or_else(|e| panic!("{start}: {e}"));
    let smsim::cli::Command::Serve(args) = cli.command else {
        panic!("{start} does not serve");
    };
    let mut config = args.config().unwrap_or_else(|e| panic!("{start}: {e}"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config
}

/// Runs `page`'s examples against a simulator started as `start` says (its start command must be
/// on the page, in a shell block of its own); at least `at_least` of them.
async fn answers_as_written(name: &str, page: &str, start: &str, at_least: usize) {
    assert!(
        page.contains(&format!("```sh\n{start}\n```")),
        "{name}: the start command"
    );
    let sim = Simulator::start(started_as(start)).await.unwrap();
    let examples = examples(page);
    assert!(
        examples.len() >= at_least,
        "{name}: {} examples",
        examples.len()
    );
    for example in &examples {
        let expected = example
            .expected
            .as_deref()
            .unwrap_or_else(|| panic!("{name}: no reply under {}", example.command));
        let reply = request(&example.command)
            .send(&sim.addr().to_string())
            .await
            .unwrap();
        let text = reply.text();
        assert!(
            reads_as(expected, &text),
            "{name}: {}\n  the page says: {expected}\n  smsim said:    {text}",
            example.command
        );
    }
}

#[tokio::test]
async fn the_readme_tour_answers_as_written() {
    answers_as_written("README.md", README, START, 15).await;
}

#[tokio::test]
async fn the_providers_page_answers_as_written() {
    answers_as_written("docs/providers.md", PROVIDERS, PROVIDERS_START, 12).await;
}

#[tokio::test]
async fn the_delivery_page_answers_as_written() {
    let delivery = include_str!("../../../docs/delivery.md");
    let start = "smsim serve --clock manual --clock-start 1763769600 --callback-url http://127.0.0.1:9000/sms-callback";
    answers_as_written("docs/delivery.md", delivery, start, 4).await;
}

#[tokio::test]
async fn the_fault_and_admin_pages_answer_as_written() {
    let faults = include_str!("../../../docs/faults.md");
    answers_as_written("docs/faults.md", faults, "smsim serve", 4).await;
    let admin = include_str!("../../../docs/admin-api.md");
    answers_as_written("docs/admin-api.md", admin, "smsim serve", 5).await;
}

#[test]
fn the_readme_refers_to_nothing_outside_the_repository() {
    for outside in ["../shared", "PROVIDERS.md", "seeds/"] {
        assert!(!README.contains(outside), "the README refers to {outside}");
    }
}

#[test]
fn the_matcher_takes_ellipses_as_any_text() {
    assert!(reads_as("a…c", "abbbc"));
    assert!(reads_as("{…\"x\":1…}", "{\"y\":2,\"x\":1,\"z\":3}"));
    assert!(!reads_as("a…c", "abd"));
    assert!(!reads_as("ab", "abc"));
    let page = "```sh\ncurl x\n# [1,\n#  2]\n\n# a comment\ncurl y\n# a\n# b\n```\n# c\n";
    let found = examples(page);
    assert_eq!(found[0].expected.as_deref(), Some("[1,2]"));
    assert_eq!(found[1].expected.as_deref(), Some("a\nb"));
    let quoted = examples("```sh\ncurl -d '[1,\n  2]' x\n# ok\n```\n");
    assert_eq!(quoted[0].command, "curl -d '[1,\n  2]' x");
    assert_eq!(words(&quoted[0].command)[2], "[1,\n  2]");
    assert_eq!(
        words(r#"curl -d '{"a": 1}' "x y" a\ b"#),
        ["curl", "-d", r#"{"a": 1}"#, "x y", "a b"]
    );
}
