//! The fixture a recorded exchange becomes: credentials scrubbed, volatile values marked.

use bytes::Bytes;
use serde_json::{Value, json};

use super::redact::{KnownCredentials, WrittenBody, scrub_body, scrub_form, scrub_known};
use crate::domain::Provider;
use crate::domain::clock::Timestamp;

/// Keys whose values differ from one exchange to the next.
const VOLATILE_KEYS: &[&str] = &[
    "message_id",
    "request_id",
    "date_received",
    "date_sent",
    "date_delivered",
    "client_ip",
    "ServiceTime",
];

/// JSON pointers of every volatile value in `body`.
pub fn volatile_pointers(body: &Value) -> Vec<String> {
    fn walk(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let pointer = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if VOLATILE_KEYS.contains(&key.as_str()) {
                        out.push(pointer);
                    } else {
                        walk(child, &pointer, out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, "", &mut out);
    out
}

/// The text pattern of an smsco success (`OK 5 123` → `OK 5 {int}`), whose `mes_id` varies.
fn text_pattern(body: &str) -> Option<String> {
    let parts: Vec<&str> = body.split(' ').collect();
    match parts.as_slice() {
        ["OK", tetri, mes_id] if tetri.parse::<u64>().is_ok() && mes_id.parse::<u64>().is_ok() => {
            Some(format!("OK {tetri} {{int}}"))
        }
        _ => None,
    }
}

/// One exchange as seen by the recorder.
#[derive(Debug, Clone)]
pub struct RecordedExchange {
    /// HTTP method.
    pub method: String,
    /// Origin-form target (path and query).
    pub target: String,
    /// The request's content type, if any.
    pub request_content_type: Option<String>,
    /// Request body bytes.
    pub request_body: Bytes,
    /// Upstream status.
    pub status: u16,
    /// Upstream content type, if any.
    pub response_content_type: Option<String>,
    /// Upstream body, as text.
    pub response_body: String,
}

/// The fixture JSON for an exchange, credentials scrubbed, volatile values marked. A request
/// body the recorder cannot read with certainty is left out and the fixture marked for review.
pub async fn fixture_for(
    provider: Provider,
    known: &KnownCredentials,
    upstream: &str,
    at: Timestamp,
    exchange: &RecordedExchange,
) -> Value {
    let (path, query) = match exchange.target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (exchange.target.as_str(), None),
    };
    let target = match query {
        Some(q) => format!("{path}?{}", scrub_form(provider, known, q)),
        None => path.to_owned(),
    };
    let mut request = json!({"method": exchange.method, "target": target});
    let content_type = exchange.request_content_type.as_deref();
    if let Some(ct) = content_type {
        request["headers"] = json!({"Content-Type": ct});
    }
    let mut review = None;
    match scrub_body(provider, known, content_type, &exchange.request_body).await {
        WrittenBody::Text(body) if body.is_empty() => {}
        WrittenBody::Text(body) => request["body"] = json!(body),
        WrittenBody::Withheld(why) => review = Some(format!("request body withheld: {why}")),
    }
    let mut response = json!({"status": exchange.status});
    if let Some(ct) = &exchange.response_content_type {
        response["headers"] = json!({"Content-Type": ct});
    }
    response["body"] = json!(exchange.response_body);
    match serde_json::from_str::<Value>(&exchange.response_body) {
        Ok(parsed) if matches!(parsed, Value::Object(_) | Value::Array(_)) => {
            let pointers = volatile_pointers(&parsed);
            if !pointers.is_empty() {
                response["volatile"] = json!(pointers);
            }
        }
        _ => {
            if let Some(pattern) = text_pattern(&exchange.response_body) {
                response["pattern"] = json!(pattern);
            }
        }
    }
    let mut fixture = json!({
        "description": format!("Recorded {} {} from {upstream}.", exchange.method, path),
        "provenance": {"kind": "recorded", "source": upstream, "at": at.rfc3339()},
        "safe": false,
        "request": request,
        "response": response,
    });
    if let Some(review) = review {
        fixture["review"] = json!(review);
    }
    fixture
}

/// The fixture file's text for an exchange: [`fixture_for`], pretty-printed, with every known
/// credential value replaced wherever it still stands.
pub async fn fixture_text(
    provider: Provider,
    known: &KnownCredentials,
    upstream: &str,
    at: Timestamp,
    exchange: &RecordedExchange,
) -> String {
    let fixture = fixture_for(provider, known, upstream, at, exchange).await;
    let text = serde_json::to_string_pretty(&fixture).unwrap_or_default();
    let mut text = scrub_known(provider, known, &text);
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatile_values_are_found_and_text_ids_patterned() {
        let body: Value = serde_json::from_str(
            r#"[{"recipient":1,"message_id":2,"request_id":3,"client_ip":"x"}]"#,
        )
        .unwrap();
        assert_eq!(
            volatile_pointers(&body),
            ["/0/message_id", "/0/request_id", "/0/client_ip"]
        );
        assert_eq!(text_pattern("OK 5 100001").as_deref(), Some("OK 5 {int}"));
        assert_eq!(text_pattern("2905"), None);
    }
}
