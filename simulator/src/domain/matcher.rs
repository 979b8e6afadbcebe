//! Matching destination numbers: exact, prefix, suffix or regular expression.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One way of matching a destination, written in JSON as a one-key object:
/// `{"exact": "..."}`, `{"prefix": "..."}`, `{"suffix": "..."}` or `{"regex": "..."}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "MatcherSpec", into = "MatcherSpec")]
pub struct DestinationMatcher {
    spec: MatcherSpec,
    /// The compiled pattern; `None` for `.*`, which matches any text (the default rules end
    /// with it, and a regex search costs more than the rest of matching a send).
    regex: Option<regex::Regex>,
}

/// A pattern every text matches, read without running it.
const MATCH_ANY: &str = ".*";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum MatcherSpec {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Regex(String),
}

impl TryFrom<MatcherSpec> for DestinationMatcher {
    type Error = String;

    fn try_from(spec: MatcherSpec) -> Result<Self, String> {
        let regex = match &spec {
            MatcherSpec::Regex(pattern) if pattern == MATCH_ANY => None,
            MatcherSpec::Regex(pattern) => Some(
                regex::Regex::new(pattern)
                    .map_err(|e| format!("invalid regex {pattern:?}: {e}"))?,
            ),
            _ => None,
        };
        Ok(DestinationMatcher { spec, regex })
    }
}

impl From<DestinationMatcher> for MatcherSpec {
    fn from(m: DestinationMatcher) -> MatcherSpec {
        m.spec
    }
}

impl DestinationMatcher {
    /// True when `destination` matches.
    pub fn matches(&self, destination: &str) -> bool {
        match (&self.spec, &self.regex) {
            (MatcherSpec::Exact(s), _) => destination == s,
            (MatcherSpec::Prefix(s), _) => destination.starts_with(s.as_str()),
            (MatcherSpec::Suffix(s), _) => destination.ends_with(s.as_str()),
            (MatcherSpec::Regex(_), Some(re)) => re.is_match(destination),
            (MatcherSpec::Regex(_), None) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<DestinationMatcher, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn each_kind_matches() {
        assert!(
            parse(r#"{"exact":"995555000001"}"#)
                .unwrap()
                .matches("995555000001")
        );
        assert!(
            !parse(r#"{"exact":"995555000001"}"#)
                .unwrap()
                .matches("9955550000011")
        );
        assert!(
            parse(r#"{"prefix":"99555"}"#)
                .unwrap()
                .matches("995555000001")
        );
        assert!(
            parse(r#"{"suffix":"0004"}"#)
                .unwrap()
                .matches("995555000004")
        );
        assert!(
            parse(r#"{"regex":"^99890"}"#)
                .unwrap()
                .matches("998901234567")
        );
    }

    #[test]
    fn the_match_any_pattern_matches_what_the_regex_matches() {
        let any = parse(r#"{"regex":".*"}"#).unwrap();
        assert!(any.regex.is_none(), "not compiled");
        let compiled = regex::Regex::new(MATCH_ANY).unwrap();
        for text in ["", "995577123456", "+1 (555)", "a\nb", "ნომერი"] {
            assert!(any.matches(text), "{text:?}");
            assert_eq!(any.matches(text), compiled.is_match(text), "{text:?}");
        }
        assert_eq!(serde_json::to_string(&any).unwrap(), r#"{"regex":".*"}"#);
    }

    #[test]
    fn bad_matchers_are_refused_with_a_reason() {
        let err = parse(r#"{"regex":"("}"#).unwrap_err().to_string();
        assert!(err.contains("invalid regex"), "{err}");
        assert!(parse(r#"{"contains":"1"}"#).is_err());
        assert!(parse(r#"{"exact":"1","suffix":"2"}"#).is_err());
    }

    #[test]
    fn serializes_back_to_its_spec() {
        let m = parse(r#"{"suffix":"0004"}"#).unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"suffix":"0004"}"#);
    }
}
