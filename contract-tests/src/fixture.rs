//! One exchange per file: `fixtures/<provider>/<operation>/<case>.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use crate::provenance::{Document, Provenance};

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

/// State to establish before the request, through the admin API (so only against a simulator,
/// never live): account changes, rules, faults, earlier requests, clock moves.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// `"provider/id"` to a PATCH body for `/__admin/accounts/provider/id`.
    #[serde(default)]
    pub accounts: BTreeMap<String, serde_json::Value>,
    /// Replaces the delivery rules.
    #[serde(default)]
    pub rules: Option<serde_json::Value>,
    /// Faults to add, in `--fault` syntax.
    #[serde(default)]
    pub faults: Vec<String>,
    /// Requests sent first, their answers not checked (e.g. the send a status query asks about).
    #[serde(default)]
    pub before: Vec<FixtureRequest>,
    /// Seconds the clock moves after `before` and before the request.
    #[serde(default)]
    pub advance_seconds: f64,
}

impl Setup {
    /// True when nothing needs the admin API.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.rules.is_none()
            && self.faults.is_empty()
            && self.before.is_empty()
            && self.advance_seconds == 0.0
    }
}

/// Delivery callbacks the request must cause: the harness points the demo smsoffice account at a
/// local receiver, advances the clock, and compares what arrived (query parameters, in order).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedCallbacks {
    /// Seconds to advance the clock after the request.
    pub after_seconds: f64,
    /// Each callback's query parameters.
    pub callbacks: Vec<BTreeMap<String, String>>,
    /// The body the receiver answers with (status 200); `OK` when absent.
    #[serde(default)]
    pub answer: Option<String>,
}

/// The kind of account a fixture needs, and the simulator's demo account of that kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Needs {
    /// The kind, in words (`"API access disabled"`, `"no credit"`, ...): `smsim-contract --needs`
    /// takes the same words.
    pub account: String,
    /// The placeholders' values that name such an account among the simulator's demo accounts.
    pub demo: BTreeMap<String, String>,
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
    /// An account of a special kind the exchange needs (API access disabled, no credit, ...):
    /// live mode skips the fixture unless told the account it uses is of that kind, since an
    /// ordinary account answers otherwise; against a simulator it uses the demo account named.
    #[serde(default)]
    pub needs: Option<Needs>,
    /// State before the request.
    #[serde(default)]
    pub setup: Setup,
    /// The request.
    pub request: FixtureRequest,
    /// The response expected.
    pub response: FixtureResponse,
    /// Callbacks expected (smsoffice).
    #[serde(default)]
    pub expect_callbacks: Option<ExpectedCallbacks>,
    /// Why a person must look at it before it counts (the recorder withheld part of it); a
    /// fixture marked so fails until the mark is removed.
    #[serde(default)]
    pub review: Option<String>,
}

/// Credentials put in place of the placeholders each provider declares (`{{smsoffice.key}}`,
/// `{{smsco.username}}`, `{{getsms.password}}`, ...), so fixtures never hold real ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Each placeholder and its value.
    values: Vec<(&'static str, String)>,
}

impl Credentials {
    /// The simulator's demo credentials: each provider's first account in the embedded
    /// configuration, read by the names of its credential parameters.
    pub fn demo() -> Credentials {
        Credentials::of(&smsim::Config::embedded())
    }

    /// The credentials of each provider's first account in `config`.
    pub fn of(config: &smsim::Config) -> Credentials {
        let config = serde_json::to_value(config).unwrap_or_default();
        let mut values = Vec::new();
        for entry in smsim::PROVIDERS {
            let account = &config[entry.provider.name()]["accounts"][0];
            for (parameter, placeholder) in entry.credentials {
                let value = account[*parameter].as_str().unwrap_or_default();
                values.push((*placeholder, value.to_owned()));
            }
        }
        Credentials { values }
    }

    /// The credentials live mode reads (`SMSIM_LIVE_SMSOFFICE_KEY`,
    /// `SMSIM_LIVE_SMSCO_USERNAME`/`_PASSWORD`, `SMSIM_LIVE_GETSMS_LOGIN`/`_PASSWORD`, as each
    /// provider declares them), each falling back to the demo value.
    pub fn from_env() -> Credentials {
        let mut credentials = Credentials::demo();
        for entry in smsim::PROVIDERS {
            for (parameter, variable) in entry.live_env {
                let Some(value) = std::env::var(variable).ok().filter(|v| !v.is_empty()) else {
                    continue;
                };
                let placeholder = entry
                    .credentials
                    .iter()
                    .find(|(name, _)| name == parameter)
                    .map(|(_, placeholder)| *placeholder);
                if let Some(placeholder) = placeholder {
                    credentials = credentials.with(placeholder, &value);
                }
            }
        }
        credentials
    }

    /// These credentials for `fixture` against a simulator: its needed kind of account, if any,
    /// is the demo account it names.
    pub fn for_simulator(&self, fixture: &Fixture) -> Credentials {
        let mut credentials = self.clone();
        if let Some(needs) = &fixture.needs {
            for (placeholder, value) in &needs.demo {
                credentials = credentials.with(placeholder, value);
            }
        }
        credentials
    }

    /// These credentials with `placeholder` (e.g. `{{smsoffice.key}}`) standing for `value`.
    pub fn with(mut self, placeholder: &str, value: &str) -> Credentials {
        for (name, old) in &mut self.values {
            if *name == placeholder {
                *old = value.to_owned();
            }
        }
        self
    }

    /// The value `placeholder` stands for.
    pub fn value(&self, placeholder: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(name, _)| *name == placeholder)
            .map(|(_, value)| value.as_str())
    }

    /// Fills placeholders in `text`; `encode` percent-encodes values (for targets and form bodies).
    pub fn fill(&self, text: &str, encode: bool) -> String {
        self.values
            .iter()
            .fold(text.to_owned(), |text, (placeholder, value)| {
                let value = if encode {
                    smsim_testkit::encode(value)
                } else {
                    value.clone()
                };
                text.replace(placeholder, &value)
            })
    }
}

impl FixtureRequest {
    /// The request with placeholders filled.
    pub fn with_credentials(&self, credentials: &Credentials) -> FixtureRequest {
        let json = self
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("content-type") && v.contains("json"));
        FixtureRequest {
            method: self.method.clone(),
            target: credentials.fill(&self.target, true),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), credentials.fill(v, false)))
                .collect(),
            body: credentials.fill(&self.body, !json),
        }
    }
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
        let invalid = |(field, why): (&str, String)| FixtureError::Invalid {
            path: path.to_owned(),
            field: field.into(),
            why,
        };
        fixture.check_matchers().map_err(invalid)?;
        fixture.check_provenance().map_err(invalid)?;
        fixture.check_request().map_err(invalid)?;
        Ok(fixture)
    }

    /// The response's `pattern` matches its own body, and each volatile pointer points at a
    /// field of a JSON body; never both.
    fn check_matchers(&self) -> Result<(), (&'static str, String)> {
        let response = &self.response;
        if let Some(pattern) = &response.pattern {
            if !response.volatile.is_empty() {
                return Err((
                    "response.pattern",
                    "give either `pattern` (text) or `volatile` (JSON), not both".into(),
                ));
            }
            if !compile_pattern(pattern).is_match(&response.body) {
                return Err((
                    "response.pattern",
                    format!("{pattern:?} does not match the fixture's own body"),
                ));
            }
        }
        for pointer in &response.volatile {
            if !pointer.starts_with('/') {
                return Err((
                    "response.volatile",
                    format!("{pointer:?} is not a JSON pointer (starts with /)"),
                ));
            }
            let body: serde_json::Value = serde_json::from_str(&response.body).map_err(|e| {
                (
                    "response.body",
                    format!("volatile pointers need a JSON body: {e}"),
                )
            })?;
            if body.pointer(pointer).is_none() {
                return Err((
                    "response.volatile",
                    format!("{pointer} points at nothing in the body"),
                ));
            }
        }
        Ok(())
    }

    /// A quote where the kind needs one; an `assumed` fixture lists quirks that exist.
    fn check_provenance(&self) -> Result<(), (&'static str, String)> {
        match &self.provenance {
            Provenance::Documented { quote, .. } | Provenance::Observed { quote, .. }
                if quote.trim().is_empty() =>
            {
                Err(("provenance.quote", "must not be empty".into()))
            }
            Provenance::Observed { quirks, .. } => match quirks
                .iter()
                .find(|q| !smsim::Quirks::names().contains(q))
            {
                Some(unknown) => Err(("provenance.quirks", format!("{unknown:?} is not a quirk"))),
                None => Ok(()),
            },
            Provenance::Assumed { quirks, .. } => {
                if quirks.is_empty() {
                    return Err((
                        "provenance.quirks",
                        "an assumed fixture lists the quirk settings it depends on".into(),
                    ));
                }
                let known = smsim::Quirks::names();
                match quirks.iter().find(|q| !known.contains(q)) {
                    Some(unknown) => Err((
                        "provenance.quirks",
                        format!("{unknown:?} is not a quirk; quirks: {}", known.join(", ")),
                    )),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    /// A safe fixture needs no setup and checks no callbacks; the method is an HTTP method; setup
    /// accounts are named `provider/id`.
    fn check_request(&self) -> Result<(), (&'static str, String)> {
        if self.safe && !self.setup.is_empty() {
            return Err((
                "safe",
                "a safe fixture replays against live services, so it cannot need a setup".into(),
            ));
        }
        if self.safe && self.expect_callbacks.is_some() {
            return Err((
                "safe",
                "callbacks are only checked against a simulator".into(),
            ));
        }
        if !matches!(
            self.request.method.as_str(),
            "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD"
        ) {
            return Err((
                "request.method",
                format!("{:?} is not an HTTP method", self.request.method),
            ));
        }
        if let Some(key) = self
            .setup
            .accounts
            .keys()
            .find(|k| k.split('/').count() != 2)
        {
            return Err(("setup.accounts", format!("{key:?} is not \"provider/id\"")));
        }
        Ok(())
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
        "provenance": {"kind": "documented", "document": "smsoffice-en", "source": "s",
                       "quote": "q"},
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
    fn placeholders_fill() {
        let c = Credentials::demo().with("{{smsoffice.key}}", "s3cr/t");
        assert_eq!(
            Credentials::demo().value("{{smsoffice.key}}"),
            Some("demo-key")
        );
        assert_eq!(
            Credentials::demo().value("{{smsco.password}}"),
            Some("demo")
        );
        assert_eq!(
            c.fill("/api/getBalance?key={{smsoffice.key}}", true),
            "/api/getBalance?key=s3cr%2Ft"
        );
        assert_eq!(
            c.fill(r#"{"login":"{{getsms.login}}"}"#, false),
            r#"{"login":"demo"}"#
        );
    }

    #[test]
    fn safe_fixtures_cannot_need_a_setup() {
        let text = MINIMAL.replace(
            r#""description": "d","#,
            r#""description": "d", "safe": true, "setup": {"faults": ["*=hang"]},"#,
        );
        let err = Fixture::parse(&text, Path::new("s.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("field `safe`"), "{err}");
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
