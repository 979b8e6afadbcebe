//! The README's tour, executed: every `curl` in it, in order, against a simulator started the way
//! the README says, each reply compared with the `# ` lines written under it (`…` stands for any
//! text). A README that drifts from what smsim answers fails here.

use smsim::{ClockMode, Config, Simulator};
use smsim_testkit::RequestBytes;

const README: &str = include_str!("../../../README.md");
/// The start command the tour's replies depend on.
const START: &str = "smsim serve --clock manual --seed 1 --clock-start 1767225600";
const BASE: &str = "http://127.0.0.1:8800";

/// One example: the command and the reply written under it, if any.
struct Example {
    command: String,
    expected: Option<String>,
}

/// The `curl` commands of the README's shell blocks, in order, with their replies.
fn examples(readme: &str) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    let mut in_shell = false;
    let mut pending = String::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_shell = line == "```sh";
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
        pending.clear();
        let line = line.trim();
        if line.starts_with("curl ") {
            examples.push(Example {
                command: line.to_owned(),
                expected: None,
            });
        } else if let (Some(reply), Some(last)) = (line.strip_prefix("# "), examples.last_mut()) {
            last.expected = Some(match last.expected.take() {
                Some(before) => format!("{before}\n{reply}"),
                None => reply.to_owned(),
            });
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
    let words = words(command);
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
    let target = url
        .strip_prefix(BASE)
        .unwrap_or_else(|| panic!("{url} is not on {BASE}"));
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

#[tokio::test]
async fn the_readme_tour_answers_as_written() {
    assert!(
        README.contains(&format!("```sh\n{START}\n```")),
        "the tour's start command"
    );
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.clock = ClockMode::Manual;
    config.seed = Some(1);
    config.clock_start = Some(1_767_225_600);
    let sim = Simulator::start(config).await.unwrap();
    let examples = examples(README);
    assert!(examples.len() >= 15, "{} examples", examples.len());
    let checked = examples.iter().filter(|e| e.expected.is_some()).count();
    assert_eq!(
        checked,
        examples.len(),
        "every README example shows its reply"
    );
    for example in &examples {
        let reply = request(&example.command)
            .send(&sim.addr().to_string())
            .await
            .unwrap();
        let text = reply.text();
        let expected = example.expected.as_deref().unwrap();
        assert!(
            reads_as(expected, &text),
            "{}\n  README says: {expected}\n  smsim said:  {text}",
            example.command
        );
    }
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
    assert_eq!(
        words(r#"curl -d '{"a": 1}' "x y" a\ b"#),
        ["curl", "-d", r#"{"a": 1}"#, "x y", "a b"]
    );
}
