//! `GET /__admin/openapi.json`: served, and true to the router. Every documented operation is
//! answered by a route (never the admin API's "no such endpoint" or "method not allowed") with
//! a status the document lists for it; every other method on a documented path is 405.

use serde_json::Value;

use crate::client::{get, raw};
use crate::delivery::manual;

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// `path` with its parameters filled in with values that exist.
fn concrete(path: &str) -> String {
    path.replace("{provider}", "smsoffice")
        .replace("{id}/outcome", "1/outcome")
        .replace("{id}", "demo-key")
}

#[tokio::test]
async fn the_document_is_served_and_every_operation_answers_as_documented() {
    let sim = manual().await;
    let served = get(&sim, "/__admin/openapi.json").await;
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("application/json"));
    let document = served.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().expect("paths");
    assert!(paths.len() > 20, "{} paths", paths.len());
    for (path, item) in paths {
        // The stream never ends; tests/it/admin.rs reads it.
        if path == "/__admin/events" {
            continue;
        }
        for method in METHODS {
            let target = concrete(path);
            let head = format!(
                "{method} {target} HTTP/1.1\r\nX-Smsim: 1\r\nContent-Type: application/json"
            );
            let body: &[u8] = if method == "GET" { b"" } else { b"{}" };
            let reply = raw(sim.addr(), head.as_bytes(), body).await;
            let answered = reply.status.to_string();
            match &item[method.to_lowercase()] {
                Value::Null => assert_eq!(
                    (reply.status, reply.json()["error"].as_str()),
                    (405, Some("method not allowed here")),
                    "{method} {path}"
                ),
                operation => {
                    assert!(
                        operation["responses"].get(&answered).is_some(),
                        "{method} {target}: {answered} is not documented: {}",
                        reply.text()
                    );
                    assert_ne!(
                        reply.text(),
                        r#"{"error":"no such admin endpoint"}"#,
                        "{method} {target}"
                    );
                }
            }
        }
    }
}
