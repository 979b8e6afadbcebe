//! One exchange per file: `fixtures/<provider>/<operation>/<case>.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where a fixture's expected answer came from.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Provenance {
    /// A provider document says so.
    Documented {
        /// Which document, and where in it.
        source: String,
    },
    /// Public client code only works if the provider answers so.
    Observed {
        /// Which client code.
        source: String,
    },
    /// Captured from the live service.
    Recorded {
        /// Where it was captured.
        source: String,
        /// When (RFC 3339).
        at: String,
    },
}

/// The request to replay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureRequest {
    /// HTTP method.
    pub method: String,
    /// Request target, exactly as sent (may be absolute-form).
    pub target: String,
    /// Headers sent besides Host, Connection and Content-Length.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Body, as text.
    #[serde(default)]
    pub body: String,
}

/// The response expected.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixtureResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers that matter (names case-insensitive, values exact).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body, byte-exact unless a volatile part is declared.
    pub body: String,
    /// JSON pointers into the body whose values may differ (their presence may not).
    #[serde(default)]
    pub volatile: Vec<String>,
    /// For text bodies: the shape the answer must have, `{int}` standing for digits and `{any}`
    /// for any text, e.g. `OK 4 {int}`. The verbatim `body` must match it too.
    #[serde(default)]
    pub pattern: Option<String>,
}

/// Compiles a text pattern: everything literal except `{int}` and `{any}`.
pub fn compile_pattern(pattern: &str) -> regex::Regex {
    let mut re = String::from("^");
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let (literal, tail) = rest.split_at(start);
        re.push_str(&regex::escape(literal));
        if let Some(after) = tail.strip_prefix("{int}") {
            re.push_str("[0-9]+");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("{any}") {
            re.push_str("(?s:.*)");
            rest = after;
        } else {
            re.push_str(r"\{");
            rest = &tail[1..];
        }
    }
    re.push_str(&regex::escape(rest));
    re.push('$');
    regex::Regex::new(&re).expect("escaped literals and fixed placeholders always compile")
}

/// State to establish before the request: account changes through the admin API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// `"provider/id"` to a PATCH body for `/__admin/accounts/provider/id`.
    #[serde(default)]
    pub accounts: BTreeMap<String, serde_json::Value>,
}

/// One exchange with a provider.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// What the exchange shows, in a sentence.
    pub description: String,
    /// Where the expected answer came from.
    pub provenance: Provenance,
    /// True when replaying it against the real service spends no credit.
    #[serde(default)]
    pub safe: bool,
    /// State before the request.
    #[serde(default)]
    pub setup: Setup,
    /// The request.
    pub request: FixtureRequest,
    /// The response expected.
    pub response: FixtureResponse,
}

/// Why a fixture could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The JSON is malformed or a field is wrong (serde names it, with line and column).
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// A field is well-formed JSON but unusable.
    #[error("{path}: field `{field}`: {why}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The field.
        field: String,
        /// Why.
        why: String,
    },
}

impl Fixture {
    /// Reads and checks one fixture file.
    pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.to_owned(),
            source,
        })?;
        Fixture::parse(&text, path)
    }

    /// Parses and checks fixture text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Fixture, FixtureError> {
        let fixture: Fixture =
            serde_json::from_str(text).map_err(|source| FixtureError::Parse {
                path: path.to_owned(),
                source,
            })?;
        let invalid = |field: &str, why: String| FixtureError::Invalid {
            path: path.to_owned(),
            field: field.into(),
            why,
        };
        if let Some(pattern) = &fixture.response.pattern {
            if !fixture.response.volatile.is_empty() {
                return Err(invalid(
                    "response.pattern",
                    "give either `pattern` (text) or `volatile` (JSON), not both".into(),
                ));
            }
            if !compile_pattern(pattern).is_match(&fixture.response.body) {
                return Err(invalid(
                    "response.pattern",
                    format!("{pattern:?} does not match the fixture's own body"),
                ));
            }
        }
        for pointer in &fixture.response.volatile {
            if !pointer.starts_with('/') {
                return Err(invalid(
                    "response.volatile",
                    format!("{pointer:?} is not a JSON pointer (starts with /)"),
                ));
            }
            let body: serde_json::Value =
                serde_json::from_str(&fixture.response.body).map_err(|e| {
                    invalid(
                        "response.body",
                        format!("volatile pointers need a JSON body: {e}"),
                    )
                })?;
            if body.pointer(pointer).is_none() {
                return Err(invalid(
                    "response.volatile",
                    format!("{pointer} points at nothing in the body"),
                ));
            }
        }
        if !matches!(
            fixture.request.method.as_str(),
            "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD"
        ) {
            return Err(invalid(
                "request.method",
                format!("{:?} is not an HTTP method", fixture.request.method),
            ));
        }
        for key in fixture.setup.accounts.keys() {
            if key.split('/').count() != 2 {
                return Err(invalid(
                    "setup.accounts",
                    format!("{key:?} is not \"provider/id\""),
                ));
            }
        }
        Ok(fixture)
    }
}

/// Every `*.json` below `root`, sorted, with its name `provider/operation/case`.
pub fn discover(root: &Path) -> Vec<(String, PathBuf)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .with_extension("")
                .to_string_lossy()
                .replace('\\', "/");
            (name, p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
        "description": "d",
        "provenance": {"kind": "documented", "source": "s"},
        "request": {"method": "GET", "target": "/api/getBalance?key=demo-key"},
        "response": {"status": 200, "body": "{\"a\":1}", "volatile": ["/a"]}
    }"#;

    #[test]
    fn a_minimal_fixture_loads() {
        let f = Fixture::parse(MINIMAL, Path::new("x.json")).unwrap();
        assert!(!f.safe);
        assert_eq!(f.response.volatile, ["/a"]);
    }

    #[test]
    fn patterns_match_digits_and_anything_literally_otherwise() {
        let p = compile_pattern("OK 4 {int}");
        assert!(
            p.is_match("OK 4 123")
                && !p.is_match("OK 4 ")
                && !p.is_match("OK 5 123")
                && !p.is_match("OK 4 12x")
        );
        let p = compile_pattern("a.b{any}");
        assert!(p.is_match("a.b") && p.is_match("a.bxyz\n") && !p.is_match("aXb"));
        assert!(compile_pattern("{x}").is_match("{x}"));
    }

    #[test]
    fn a_pattern_must_match_its_own_body() {
        let text = MINIMAL.replace(r#""volatile": ["/a"]"#, r#""pattern": "OK {int}""#);
        let err = Fixture::parse(&text, Path::new("p.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("response.pattern") && err.contains("does not match"),
            "{err}"
        );
    }

    #[test]
    fn mistakes_name_the_file_and_field() {
        let typo = MINIMAL.replace("\"status\"", "\"statuss\"");
        let err = Fixture::parse(&typo, Path::new("typo.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("typo.json") && err.contains("statuss"),
            "{err}"
        );

        let dangling = MINIMAL.replace("[\"/a\"]", "[\"/b\"]");
        let err = Fixture::parse(&dangling, Path::new("d.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("response.volatile") && err.contains("/b"),
            "{err}"
        );

        let provenance = MINIMAL.replace("documented", "rumoured");
        let err = Fixture::parse(&provenance, Path::new("p.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("rumoured"), "{err}");
    }
}
