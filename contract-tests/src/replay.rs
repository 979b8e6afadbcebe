//! Replaying a fixture against a running simulator and listing every difference.

use std::fmt;

use crate::fixture::{Credentials, Fixture, FixtureRequest};
pub use crate::upstream::{Upstream, send};
use smsim_testkit::Reply;

/// One difference between the expected and the actual response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What differs: `status`, `header content-type`, `body`, `body /Output/Status`, `setup ...`.
    pub field: String,
    /// What the fixture expects.
    pub expected: String,
    /// What came back.
    pub got: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:\n    expected: {}\n    got:      {}",
            self.field, self.expected, self.got
        )
    }
}

/// Sends a fixture request (placeholders filled) to `upstream`.
pub async fn send_request(
    upstream: &Upstream,
    request: &FixtureRequest,
    credentials: &Credentials,
) -> std::io::Result<Reply> {
    let request = request.with_credentials(credentials);
    let headers: Vec<(String, String)> = request.headers.into_iter().collect();
    upstream
        .send(
            &request.method,
            &request.target,
            &headers,
            request.body.as_bytes(),
        )
        .await
}

/// One admin call of the setup; a failure is reported as a mismatch of the setup.
async fn admin(
    upstream: &Upstream,
    method: &str,
    path: &str,
    body: String,
    what: &str,
    mismatches: &mut Vec<Mismatch>,
) {
    let headers = [("Content-Type".to_owned(), "application/json".to_owned())];
    let got = match upstream.send(method, path, &headers, body.as_bytes()).await {
        Ok(reply) if (200..300).contains(&reply.status) => return,
        Ok(reply) => format!("{} {}", reply.status, String::from_utf8_lossy(&reply.body)),
        Err(e) => e.to_string(),
    };
    mismatches.push(Mismatch {
        field: format!("setup {what}"),
        expected: "2xx".into(),
        got,
    });
}

/// Establishes a fixture's setup through a simulator's admin API.
pub async fn apply_setup(
    fixture: &Fixture,
    upstream: &Upstream,
    credentials: &Credentials,
) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    let setup = &fixture.setup;
    for (account, patch) in &setup.accounts {
        let path = format!("/__admin/accounts/{account}");
        admin(
            upstream,
            "PATCH",
            &path,
            patch.to_string(),
            &format!("accounts {account}"),
            &mut mismatches,
        )
        .await;
    }
    if let Some(rules) = &setup.rules {
        admin(
            upstream,
            "PUT",
            "/__admin/rules",
            rules.to_string(),
            "rules",
            &mut mismatches,
        )
        .await;
    }
    for spec in &setup.faults {
        let body = serde_json::json!({ "spec": spec }).to_string();
        admin(
            upstream,
            "POST",
            "/__admin/faults",
            body,
            &format!("faults {spec}"),
            &mut mismatches,
        )
        .await;
    }
    for (i, request) in setup.before.iter().enumerate() {
        if let Err(e) = send_request(upstream, request, credentials).await {
            mismatches.push(Mismatch {
                field: format!("setup before[{i}]"),
                expected: "a reply".into(),
                got: e.to_string(),
            });
        }
    }
    if setup.advance_seconds > 0.0 {
        let body = serde_json::json!({ "seconds": setup.advance_seconds }).to_string();
        admin(
            upstream,
            "POST",
            "/__admin/clock/advance",
            body,
            "advance_seconds",
            &mut mismatches,
        )
        .await;
    }
    mismatches
}

/// Applies the fixture's setup (if any), sends its request, and returns every mismatch (empty:
/// passed).
pub async fn replay(
    fixture: &Fixture,
    upstream: &Upstream,
    credentials: &Credentials,
) -> Vec<Mismatch> {
    let mut mismatches = if fixture.setup.is_empty() {
        Vec::new()
    } else {
        apply_setup(fixture, upstream, credentials).await
    };
    match send_request(upstream, &fixture.request, credentials).await {
        Ok(reply) => compare(fixture, &reply, credentials, &mut mismatches),
        Err(e) => mismatches.push(Mismatch {
            field: "exchange".into(),
            expected: "a reply".into(),
            got: e.to_string(),
        }),
    }
    mismatches
}

/// Compares a reply with the fixture's expected response.
pub fn compare(
    fixture: &Fixture,
    reply: &Reply,
    credentials: &Credentials,
    mismatches: &mut Vec<Mismatch>,
) {
    let expected = &fixture.response;
    if reply.status != expected.status {
        mismatches.push(Mismatch {
            field: "status".into(),
            expected: expected.status.to_string(),
            got: reply.status.to_string(),
        });
    }
    for (name, value) in &expected.headers {
        let value = &credentials.fill(value, true);
        let got = reply
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str());
        if got != Some(value.as_str()) {
            mismatches.push(Mismatch {
                field: format!("header {}", name.to_ascii_lowercase()),
                expected: value.clone(),
                got: got.unwrap_or("(absent)").to_owned(),
            });
        }
    }
    let got_body = String::from_utf8_lossy(&reply.body);
    if let Some(pattern) = &expected.pattern {
        if !crate::fixture::compile_pattern(pattern).is_match(&got_body) {
            mismatches.push(Mismatch {
                field: "body".into(),
                expected: format!("{} (pattern {pattern})", expected.body),
                got: got_body.into_owned(),
            });
        }
        return;
    }
    if expected.volatile.is_empty() {
        if got_body != expected.body {
            mismatches.push(Mismatch {
                field: "body".into(),
                expected: expected.body.clone(),
                got: got_body.into_owned(),
            });
        }
        return;
    }
    compare_json_with_volatile(&expected.body, &got_body, &expected.volatile, mismatches);
}

fn compare_json_with_volatile(
    expected: &str,
    got: &str,
    volatile: &[String],
    mismatches: &mut Vec<Mismatch>,
) {
    let (Ok(mut want), Ok(mut have)) = (
        serde_json::from_str::<serde_json::Value>(expected),
        serde_json::from_str::<serde_json::Value>(got),
    ) else {
        mismatches.push(Mismatch {
            field: "body".into(),
            expected: expected.into(),
            got: got.into(),
        });
        return;
    };
    // A volatile value may differ, but it keeps its place and its JSON type: a number stays a
    // number, a string a string.
    for pointer in volatile {
        let kind = want.pointer(pointer).map(json_type);
        match have.pointer_mut(pointer) {
            Some(value) => {
                if kind.is_some_and(|kind| kind != json_type(value)) {
                    mismatches.push(Mismatch {
                        field: format!("body {pointer}"),
                        expected: format!("a {} (volatile)", kind.unwrap_or_default()),
                        got: format!("a {}: {value}", json_type(value)),
                    });
                }
                *value = serde_json::Value::Null;
            }
            None => mismatches.push(Mismatch {
                field: format!("body {pointer}"),
                expected: "present (volatile)".into(),
                got: "(absent)".into(),
            }),
        }
        if let Some(value) = want.pointer_mut(pointer) {
            *value = serde_json::Value::Null;
        }
    }
    // Key order, escaping and spacing matter to byte-exact clients: the bodies must be the same
    // bytes but for the volatile values.
    if mask_volatile(expected, volatile) != mask_volatile(got, volatile)
        || serde_json::to_string(&want).ok() != serde_json::to_string(&have).ok()
    {
        mismatches.push(Mismatch {
            field: "body".into(),
            expected: expected.into(),
            got: got.into(),
        });
    }
}

/// `text` with each value at a `volatile` JSON pointer replaced by `?`, every other byte as it
/// is; `None` when it is not JSON.
fn mask_volatile(text: &str, volatile: &[String]) -> Option<String> {
    let mut masked = String::with_capacity(text.len());
    let mut at = 0;
    json_value(text, &mut at, "", volatile, &mut Some(&mut masked))?;
    masked.push_str(text.get(at..)?);
    Some(masked)
}

/// Copies (into `out`, when given) the JSON value at `text[*at..]` whose pointer is `path`,
/// masking volatile values; leaves `*at` after it.
fn json_value(
    text: &str,
    at: &mut usize,
    path: &str,
    volatile: &[String],
    out: &mut Option<&mut String>,
) -> Option<()> {
    let bytes = text.as_bytes();
    let copy = |out: &mut Option<&mut String>, from: usize, to: usize| {
        if let Some(out) = out.as_deref_mut() {
            out.push_str(&text[from..to]);
        }
    };
    let skip_space = |at: &mut usize, out: &mut Option<&mut String>| {
        let start = *at;
        while bytes.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
        copy(out, start, *at);
    };
    skip_space(at, out);
    if volatile.iter().any(|p| p == path) {
        if let Some(o) = out.as_deref_mut() {
            o.push('?');
        }
        return json_value(text, at, path, &[], &mut None);
    }
    let start = *at;
    match bytes.get(*at)? {
        b'"' => {
            *at += 1;
            while *bytes.get(*at)? != b'"' {
                *at += if bytes[*at] == b'\\' { 2 } else { 1 };
            }
            *at += 1;
            copy(out, start, *at);
        }
        open @ (b'{' | b'[') => {
            let close = if *open == b'{' { b'}' } else { b']' };
            *at += 1;
            copy(out, start, *at);
            let mut index = 0;
            loop {
                skip_space(at, out);
                if *bytes.get(*at)? == close {
                    *at += 1;
                    copy(out, *at - 1, *at);
                    break;
                }
                let child = if close == b'}' {
                    let key_start = *at;
                    json_value(text, at, "", &[], out)?;
                    let key: String = serde_json::from_str(&text[key_start..*at]).ok()?;
                    skip_space(at, out);
                    (*bytes.get(*at)? == b':').then_some(())?;
                    *at += 1;
                    copy(out, *at - 1, *at);
                    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
                } else {
                    format!("{path}/{index}")
                };
                json_value(text, at, &child, volatile, out)?;
                index += 1;
                skip_space(at, out);
                if *bytes.get(*at)? == b',' {
                    *at += 1;
                    copy(out, *at - 1, *at);
                }
            }
        }
        _ => {
            while bytes
                .get(*at)
                .is_some_and(|b| !matches!(b, b',' | b']' | b'}') && !b.is_ascii_whitespace())
            {
                *at += 1;
            }
            copy(out, start, *at);
        }
    }
    Some(())
}

/// The JSON type of a value, as a word for reports.
fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn fixture(body: &str, volatile: &str) -> Fixture {
        let text = format!(
            r#"{{"description": "d", "provenance": {{"kind": "assumed", "source": "s",
                "quirks": ["smsoffice.content_type"]}},
                "request": {{"method": "GET", "target": "/"}},
                "response": {{"status": 200, "headers": {{"Content-Type": "text/plain"}},
                              "body": {}, "volatile": {volatile}}}}}"#,
            serde_json::to_string(body).unwrap()
        );
        Fixture::parse(&text, Path::new("t.json")).unwrap()
    }

    fn exchange(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn every_difference_is_reported_at_once() {
        let f = fixture("OK", "[]");
        let mut found = Vec::new();
        compare(
            &f,
            &exchange(500, "text/html", "2905"),
            &Credentials::demo(),
            &mut found,
        );
        let fields: Vec<_> = found.iter().map(|m| m.field.as_str()).collect();
        assert_eq!(fields, ["status", "header content-type", "body"]);
        assert_eq!(
            found[2].to_string(),
            "body:\n    expected: OK\n    got:      2905"
        );
    }

    #[test]
    fn volatile_values_are_masked_and_every_other_byte_kept() {
        let volatile = ["/0/id".to_owned(), "/0/a~1b".to_owned()];
        assert_eq!(
            mask_volatile(
                r#"[{"id": 12, "t":"\u0442", "a/b": [1, {"x":"y"}]}]"#,
                &volatile
            )
            .unwrap(),
            r#"[{"id": ?, "t":"\u0442", "a/b": ?}]"#
        );
        assert_eq!(mask_volatile("[1, 2", &[]), None);
    }

    #[test]
    fn escaping_that_differs_is_a_difference_even_with_volatile_values() {
        let f = fixture(r#"{"t":"т","id":1}"#, r#"["/id"]"#);
        let mut found = Vec::new();
        compare(
            &f,
            &exchange(200, "text/plain", r#"{"t":"\u0442","id":2}"#),
            &Credentials::demo(),
            &mut found,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].field, "body");
    }

    #[test]
    fn volatile_pointers_ignore_values_but_not_presence_or_order() {
        let f = fixture(r#"{"a":1,"t":5}"#, r#"["/t"]"#);
        let mut found = Vec::new();
        compare(
            &f,
            &exchange(200, "text/plain", r#"{"a":1,"t":99}"#),
            &Credentials::demo(),
            &mut found,
        );
        assert!(found.is_empty(), "{found:?}");
        compare(
            &f,
            &exchange(200, "text/plain", r#"{"a":1}"#),
            &Credentials::demo(),
            &mut found,
        );
        assert_eq!(found[0].field, "body /t");
        found.clear();
        compare(
            &f,
            &exchange(200, "text/plain", r#"{"t":5,"a":1}"#),
            &Credentials::demo(),
            &mut found,
        );
        assert_eq!(found.len(), 1, "reordered keys are a difference");
    }

    #[test]
    fn a_volatile_value_keeps_its_json_type() {
        let f = fixture(r#"{"n":1,"s":"2"}"#, r#"["/n", "/s"]"#);
        let mut found = Vec::new();
        compare(
            &f,
            &exchange(200, "text/plain", r#"{"n":"1","s":2}"#),
            &Credentials::demo(),
            &mut found,
        );
        let fields: Vec<&str> = found.iter().map(|m| m.field.as_str()).collect();
        assert_eq!(fields, ["body /n", "body /s"], "{found:?}");
        assert!(found[0].expected.contains("number") && found[0].got.contains("string"));
    }
}
