//! Delivery rules as data: which destinations meet which fate, after how long.

use serde::{Deserialize, Serialize};

use super::Provider;
use super::clock::MAX_SPAN_SECONDS;

/// The largest weight of a random choice: larger ones would make the draw meaningless.
pub const MAX_WEIGHT: f64 = 1_000_000.0;
use super::matcher::DestinationMatcher;

/// A final (or never-final) outcome a rule can give a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Reaches the handset.
    Delivered,
    /// The operator could not deliver it.
    Undelivered,
    /// Its validity runs out.
    Expired,
    /// The operator refuses it.
    Rejected,
    /// Stays pending forever.
    Pending,
}

/// A delay in seconds: fixed, or drawn uniformly from `[min, max]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Delay {
    /// Always this many seconds.
    Fixed(#[serde(serialize_with = "whole_as_integer")] f64),
    /// Uniformly between the two bounds.
    Range(#[serde(serialize_with = "each_whole_as_integer")] [f64; 2]),
}

/// Writes a whole number as an integer (`2`, not `2.0`), so rules read back as they were
/// written: a PHP client's `assertSame` tells `2` from `2.0`.
fn whole_as_integer<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    // Below 2^53 every whole f64 is exactly an i64 (weights and delays are far below it).
    if value.fract() == 0.0 && value.abs() < 9_007_199_254_740_992.0 {
        serializer.serialize_i64(*value as i64)
    } else {
        serializer.serialize_f64(*value)
    }
}

/// [`whole_as_integer`] for each bound of a range.
fn each_whole_as_integer<S: serde::Serializer>(
    values: &[f64; 2],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(values.iter().map(|value| WholeAsInteger(*value)))
}

/// A number written by [`whole_as_integer`].
struct WholeAsInteger(f64);

impl Serialize for WholeAsInteger {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        whole_as_integer(&self.0, serializer)
    }
}

/// One weighted choice of a random rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedOutcome {
    /// Relative weight, positive.
    #[serde(serialize_with = "whole_as_integer")]
    pub weight: f64,
    /// The outcome chosen.
    pub outcome: Outcome,
    /// Failure reason reported with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a rule decides: one outcome, or a weighted draw.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Always this outcome.
    Fixed {
        /// The outcome.
        outcome: Outcome,
        /// Failure reason reported with it.
        reason: Option<String>,
    },
    /// Drawn from the seeded generator.
    Random(Vec<WeightedOutcome>),
}

/// One delivery rule. The first rule matching a message decides its fate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "RuleSpec", into = "RuleSpec")]
pub struct Rule {
    /// Only messages of this provider, or all when `None`.
    pub provider: Option<Provider>,
    /// Which destinations.
    pub destination: DestinationMatcher,
    /// What happens to them.
    pub fate: Fate,
    /// How long after acceptance the fate arrives.
    pub delay: Delay,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<Provider>,
    destination: DestinationMatcher,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    random: Option<Vec<WeightedOutcome>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delay_seconds: Option<Delay>,
}

impl TryFrom<RuleSpec> for Rule {
    type Error = String;

    fn try_from(spec: RuleSpec) -> Result<Rule, String> {
        let fate = match (spec.outcome, spec.random) {
            (Some(outcome), None) => Fate::Fixed {
                outcome,
                reason: spec.reason,
            },
            (None, Some(choices)) => {
                if spec.reason.is_some() {
                    return Err("`reason` goes inside each `random` choice".into());
                }
                if choices.is_empty() {
                    return Err("`random` needs at least one choice".into());
                }
                if let Some(bad) = choices
                    .iter()
                    .find(|c| !(c.weight.is_finite() && c.weight > 0.0 && c.weight <= MAX_WEIGHT))
                {
                    return Err(format!(
                        "`random` weight must be a positive number up to {MAX_WEIGHT}, got {}",
                        bad.weight
                    ));
                }
                Fate::Random(choices)
            }
            (Some(_), Some(_)) => return Err("give either `outcome` or `random`, not both".into()),
            (None, None) => return Err("a rule needs `outcome` or `random`".into()),
        };
        let delay = spec.delay_seconds.unwrap_or(Delay::Fixed(0.0));
        let span = |s: f64| s.is_finite() && (0.0..=MAX_SPAN_SECONDS).contains(&s);
        let valid = match delay {
            Delay::Fixed(s) => span(s),
            Delay::Range([lo, hi]) => span(lo) && span(hi) && lo <= hi,
        };
        if !valid {
            return Err(format!(
                "`delay_seconds` must be a number from 0 to {MAX_SPAN_SECONDS} (ten years), or [min, max] of such numbers with min <= max"
            ));
        }
        Ok(Rule {
            provider: spec.provider,
            destination: spec.destination,
            fate,
            delay,
        })
    }
}

impl From<Rule> for RuleSpec {
    fn from(rule: Rule) -> RuleSpec {
        let (outcome, reason, random) = match rule.fate {
            Fate::Fixed { outcome, reason } => (Some(outcome), reason, None),
            Fate::Random(choices) => (None, None, Some(choices)),
        };
        RuleSpec {
            provider: rule.provider,
            destination: rule.destination,
            outcome,
            reason,
            random,
            delay_seconds: Some(rule.delay),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_rule() {
        let rule: Rule = serde_json::from_str(
            r#"{"provider": "smsoffice", "destination": {"suffix": "0001"}, "outcome": "undelivered",
                "reason": "Subscriber absent", "delay_seconds": 2}"#,
        )
        .unwrap();
        assert_eq!(rule.provider, Some(Provider::Smsoffice));
        assert!(rule.destination.matches("995555000001"));
        assert_eq!(
            rule.fate,
            Fate::Fixed {
                outcome: Outcome::Undelivered,
                reason: Some("Subscriber absent".into())
            }
        );
        assert_eq!(rule.delay, Delay::Fixed(2.0));
    }

    #[test]
    fn rules_are_written_back_as_they_were_read() {
        let written = r#"[{"destination":{"prefix":"99890"},"random":[{"weight":9,"outcome":"delivered"},{"weight":0.5,"outcome":"undelivered","reason":"Busy"}],"delay_seconds":[1,2.5]},{"destination":{"regex":".*"},"outcome":"delivered","delay_seconds":2}]"#;
        let rules: Vec<Rule> = serde_json::from_str(written).unwrap();
        assert_eq!(serde_json::to_string(&rules).unwrap(), written);
    }

    #[test]
    fn parses_random_rules_and_ranges() {
        let rule: Rule = serde_json::from_str(
            r#"{"destination": {"prefix": "998"}, "delay_seconds": [1, 5],
                "random": [{"weight": 3, "outcome": "delivered"},
                           {"weight": 1, "outcome": "undelivered", "reason": "Busy"}]}"#,
        )
        .unwrap();
        assert!(matches!(rule.fate, Fate::Random(ref c) if c.len() == 2));
        assert_eq!(rule.delay, Delay::Range([1.0, 5.0]));
    }

    #[test]
    fn refuses_contradictory_rules_with_a_reason() {
        let cases = [
            (
                r#"{"destination":{"exact":"1"}}"#,
                "needs `outcome` or `random`",
            ),
            (
                r#"{"destination":{"exact":"1"},"outcome":"delivered","random":[]}"#,
                "not both",
            ),
            (
                r#"{"destination":{"exact":"1"},"random":[{"weight":0,"outcome":"delivered"}]}"#,
                "positive",
            ),
            (
                r#"{"destination":{"exact":"1"},"outcome":"delivered","delay_seconds":[5,1]}"#,
                "min <= max",
            ),
            (
                r#"{"destination":{"exact":"1"},"outcome":"lost"}"#,
                "unknown variant",
            ),
        ];
        for (json, why) in cases {
            let err = serde_json::from_str::<Rule>(json).unwrap_err().to_string();
            assert!(err.contains(why), "{json}: {err}");
        }
    }
}
