//! `GET /__admin/openapi.json`: the OpenAPI 3.1 description of the admin API. The document is
//! written by hand in `openapi.json`; the providers' names and the version are filled in from
//! the code, so a provider added to the list appears without editing it. A test holds the
//! document to the router's table, both ways.

use std::sync::OnceLock;

use axum::body::Bytes;
use axum::response::IntoResponse;
use http::header;
use serde_json::{Value, json};

use crate::domain::Provider;

/// The document as written, before the names are filled in.
const WRITTEN: &str = include_str!("openapi.json");

/// The document with the providers' names and this build's version.
pub(crate) fn value() -> Value {
    // The file is part of the build and parsed by a test; it cannot fail to parse at run time
    // unless that test failed first.
    let mut document: Value = serde_json::from_str(WRITTEN).unwrap_or_else(|_| json!({}));
    if let Some(version) = document.pointer_mut("/info/version") {
        *version = json!(env!("CARGO_PKG_VERSION"));
    }
    if let Some(names) = document.pointer_mut("/components/schemas/ProviderName/enum") {
        *names = Provider::ALL.iter().map(|p| p.name()).collect();
    }
    document
}

/// Serves the document, serialised once.
pub(super) async fn document() -> impl IntoResponse {
    static SERVED: OnceLock<Bytes> = OnceLock::new();
    let body = SERVED.get_or_init(|| Bytes::from(value().to_string()));
    ([(header::CONTENT_TYPE, "application/json")], body.clone())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

    /// Every (path under `/__admin`, lower-case method) the document describes.
    fn documented() -> BTreeSet<(String, String)> {
        let document = value();
        let paths = document["paths"].as_object().expect("paths");
        let mut found = BTreeSet::new();
        for (path, item) in paths {
            let relative = path
                .strip_prefix("/__admin")
                .unwrap_or_else(|| panic!("{path} is not under /__admin"));
            for method in item.as_object().expect("path item").keys() {
                assert!(METHODS.contains(&method.as_str()), "{path}: {method}");
                found.insert((relative.to_owned(), method.clone()));
            }
        }
        found
    }

    #[test]
    fn the_document_describes_exactly_the_routes_the_router_answers() {
        let routed: BTreeSet<(String, String)> = crate::admin::table()
            .methods
            .iter()
            .map(|(path, method)| ((*path).to_owned(), method.as_str().to_lowercase()))
            .collect();
        let documented = documented();
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routed, not in openapi.json: {undocumented:?}"
        );
        assert!(
            unrouted.is_empty(),
            "in openapi.json, not routed: {unrouted:?}"
        );
    }

    #[test]
    fn the_document_is_openapi_3_1_with_every_reference_and_path_parameter_resolved() {
        let document = value();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
        let text = document.to_string();
        for reference in text.split("\"$ref\":\"").skip(1) {
            let pointer = reference.split('"').next().unwrap_or_default();
            let pointer = pointer.strip_prefix('#').expect("a local reference");
            assert!(
                document.pointer(pointer).is_some(),
                "{pointer} is not defined"
            );
        }
        for (path, item) in document["paths"].as_object().expect("paths") {
            let templated: BTreeSet<&str> = path
                .split('{')
                .skip(1)
                .filter_map(|rest| rest.split('}').next())
                .collect();
            for (method, operation) in item.as_object().expect("path item") {
                let declared: BTreeSet<String> = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| resolve(&document, p))
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap_or_default().to_owned())
                    .collect();
                let declared: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
                assert_eq!(declared, templated, "{method} {path}: path parameters");
                assert!(operation["operationId"].is_string(), "{method} {path}");
                assert!(
                    operation["responses"]
                        .as_object()
                        .is_some_and(|r| !r.is_empty()),
                    "{method} {path}: no responses"
                );
            }
        }
    }

    #[test]
    fn provider_names_and_page_limits_come_from_the_code() {
        let document = value();
        let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(
            document["components"]["schemas"]["ProviderName"]["enum"],
            json!(names)
        );
        assert_eq!(
            document["components"]["parameters"]["limit"]["schema"]["maximum"],
            json!(crate::admin::listings::MAX_LIMIT)
        );
        assert!(
            document["components"]["parameters"]["wait"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("limits.max_wait_seconds"))
        );
    }

    fn resolve(document: &Value, item: &Value) -> Value {
        match item["$ref"].as_str() {
            Some(pointer) => document
                .pointer(pointer.trim_start_matches('#'))
                .cloned()
                .unwrap_or(Value::Null),
            None => item.clone(),
        }
    }
}
