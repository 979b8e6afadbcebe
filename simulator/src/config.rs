//! One typed configuration, composed of the providers' own sections and quirks: the embedded
//! defaults, a JSON file that replaces them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::Provider;
use crate::domain::clock::{ClockMode, Timestamp};
use crate::domain::faults::{FaultSet, FaultSpec, SpecError};
use crate::domain::rules::Rule;
use crate::providers::smsoffice::{CallbackConfig, OperatorPrefix};
use crate::providers::{getsms, smsco, smsoffice};

/// The embedded default configuration, as printed by `smsim print-config`.
pub const DEFAULT_CONFIG_JSON: &str = include_str!("default-config.json");

/// Everything the simulator is started with.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address of the one listener serving all providers and the admin API.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Seed of the one random generator; `None` draws one and logs it.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Real or manual clock.
    #[serde(default)]
    pub clock: ClockMode,
    /// Where the clock starts (Unix seconds): a manual clock stands there until advanced, a real
    /// one runs on from there; wall time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_start: Option<i64>,
    /// Log format.
    #[serde(default)]
    pub log: LogFormat,
    /// Memory bounds.
    #[serde(default)]
    pub limits: Limits,
    /// Provider behaviours that are guesses, each switchable.
    #[serde(default)]
    pub quirks: Quirks,
    /// smsoffice.ge accounts.
    #[serde(default)]
    pub smsoffice: smsoffice::Section,
    /// smsco.ge accounts.
    #[serde(default)]
    pub smsco: smsco::Section,
    /// getsms.uz accounts and allow-list.
    #[serde(default)]
    pub getsms: getsms::Section,
    /// Delivery rules, first match wins.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// How smsoffice delivery callbacks are sent.
    #[serde(default)]
    pub callbacks: CallbackConfig,
    /// Mobile network codes (MCC+MNC) by number prefix, for the callback's `operator`.
    #[serde(default)]
    pub operators: Vec<OperatorPrefix>,
    /// Faults active from the start, in `--fault` syntax.
    #[serde(default)]
    pub faults: Vec<String>,
    /// When set, every `/__admin` call needs `Authorization: Bearer <token>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_token: Option<String>,
}

/// Each provider's quirks: behaviours no evidence settles, each a named setting. Written flat,
/// as `"PROVIDER.NAME": value`, in the configuration's `quirks` object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quirks {
    /// `smsoffice.*`.
    pub smsoffice: smsoffice::Quirks,
    /// `smsco.*`.
    pub smsco: smsco::Quirks,
    /// `getsms.*`.
    pub getsms: getsms::Quirks,
}

impl Quirks {
    /// Every quirk's full name (`smsoffice.check_order`, ...), provider by provider.
    pub fn names() -> Vec<String> {
        let named = |provider: Provider, names: &[&str]| {
            names
                .iter()
                .map(|name| format!("{}.{name}", provider.name()))
                .collect::<Vec<_>>()
        };
        [
            named(Provider::Smsoffice, smsoffice::Quirks::NAMES),
            named(Provider::Smsco, smsco::Quirks::NAMES),
            named(Provider::Getsms, getsms::Quirks::NAMES),
        ]
        .concat()
    }

    /// These quirks with the one called `name` set to its other choice; `None` for an unknown
    /// name. A contract harness replays fixtures with each quirk flipped to show what depends
    /// on it.
    pub fn flipped(&self, name: &str) -> Option<Quirks> {
        let (provider, quirk) = name.split_once('.')?;
        let mut quirks = self.clone();
        let known = match Provider::parse(provider)? {
            Provider::Smsoffice => quirks.smsoffice.flip(quirk),
            Provider::Smsco => quirks.smsco.flip(quirk),
            Provider::Getsms => quirks.getsms.flip(quirk),
        };
        known.then_some(quirks)
    }
}

impl Serialize for Quirks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let parts = [
            (Provider::Smsoffice, serde_json::to_value(&self.smsoffice)),
            (Provider::Smsco, serde_json::to_value(&self.smsco)),
            (Provider::Getsms, serde_json::to_value(&self.getsms)),
        ];
        let mut map = serializer.serialize_map(None)?;
        for (provider, part) in parts {
            let serde_json::Value::Object(fields) = part.map_err(S::Error::custom)? else {
                return Err(S::Error::custom("quirks serialise as objects"));
            };
            for (name, value) in fields {
                map.serialize_entry(&format!("{}.{name}", provider.name()), &value)?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Quirks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quirks, D::Error> {
        use serde::de::Error;
        let flat = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut parts: [serde_json::Map<String, serde_json::Value>; 3] = Default::default();
        for (key, value) in flat {
            let provider = key
                .split_once('.')
                .and_then(|(provider, _)| Provider::parse(provider));
            let Some(provider) = provider else {
                return Err(D::Error::custom(format!(
                    "unknown quirk `{key}`: quirks are named `smsoffice.NAME`, `smsco.NAME` or `getsms.NAME`"
                )));
            };
            let name = key[provider.name().len() + 1..].to_owned();
            parts[provider as usize].insert(name, value);
        }
        let [so, sc, gs] = parts;
        let part = |provider: Provider, e: serde_json::Error| {
            D::Error::custom(format!("quirks of {}: {e}", provider.name()))
        };
        Ok(Quirks {
            smsoffice: serde_json::from_value(so.into())
                .map_err(|e| part(Provider::Smsoffice, e))?,
            smsco: serde_json::from_value(sc.into()).map_err(|e| part(Provider::Smsco, e))?,
            getsms: serde_json::from_value(gs.into()).map_err(|e| part(Provider::Getsms, e))?,
        })
    }
}

/// Whether `provider` has error code `code`; the refusal lists the valid codes.
pub fn check_error_code(provider: Provider, code: i64) -> Result<(), String> {
    match provider {
        Provider::Smsoffice => smsoffice::SmsofficeError::check(code),
        Provider::Smsco => smsco::SmscoError::check(code),
        Provider::Getsms => getsms::GetsmsError::check(code),
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Bounds that keep memory flat under load; the oldest entries are evicted and counted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Request journal entries kept.
    pub journal_entries: usize,
    /// Messages kept.
    pub messages: usize,
    /// Largest request body read for any provider; each provider's own limit
    /// (`limits.body_bytes`) applies below it.
    pub max_body_bytes: usize,
    /// The largest body each provider's web server takes, and past which it reacts its own way.
    pub body_bytes: BodyBytes,
    /// Callback attempts kept.
    pub callback_entries: usize,
    /// Client connections served at once; more wait in the listen queue until one closes.
    pub max_connections: usize,
    /// Seconds a connection may take to send a request's whole header, counted from when it
    /// opens or the previous reply was sent: past it the connection is closed. It bounds a
    /// half-sent header and an idle keep-alive connection alike.
    pub header_timeout_seconds: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            journal_entries: 10_000,
            messages: 100_000,
            max_body_bytes: 32 * 1024 * 1024,
            body_bytes: BodyBytes::default(),
            callback_entries: 10_000,
            max_connections: 4096,
            header_timeout_seconds: 30,
        }
    }
}

/// Each provider's request body limit: what its web server takes by default. Past it smsoffice
/// (IIS) answers 413; smsco and getsms (PHP) run as if no body had been sent, as PHP does past
/// `post_max_size`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BodyBytes {
    /// smsoffice.ge.
    pub smsoffice: usize,
    /// smsco.ge.
    pub smsco: usize,
    /// getsms.uz.
    pub getsms: usize,
}

impl Default for BodyBytes {
    fn default() -> BodyBytes {
        BodyBytes {
            smsoffice: smsoffice::MAX_BODY_BYTES,
            smsco: smsco::MAX_BODY_BYTES,
            getsms: getsms::MAX_BODY_BYTES,
        }
    }
}

impl BodyBytes {
    /// `provider`'s limit.
    pub fn of(&self, provider: Provider) -> usize {
        match provider {
            Provider::Smsoffice => self.smsoffice,
            Provider::Smsco => self.smsco,
            Provider::Getsms => self.getsms,
        }
    }
}

/// The longest `limits.header_timeout_seconds`: a day.
pub const MAX_HEADER_TIMEOUT_SECONDS: u64 = 86_400;

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8800))
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON is malformed or a field has the wrong name or type.
    #[error("config file {origin}: {source}")]
    Parse {
        /// The file, or "embedded defaults".
        origin: String,
        /// serde's message, which names the field, line and column.
        source: serde_json::Error,
    },
    /// The JSON is well-formed but a value makes no sense.
    #[error("config field `{field}`: {why}")]
    Invalid {
        /// Path of the field, e.g. `smsoffice.accounts[1].key`.
        field: String,
        /// What is wrong with it.
        why: String,
    },
}

impl Config {
    /// The embedded defaults.
    pub fn embedded() -> Config {
        Config::from_json(DEFAULT_CONFIG_JSON, "embedded defaults")
            .expect("the embedded default configuration is valid (unit-tested)")
    }

    /// Parses and validates a configuration; `origin` names it in errors.
    pub fn from_json(json: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = serde_json::from_str(json).map_err(|source| ConfigError::Parse {
            origin: origin.to_owned(),
            source,
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates a configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let json = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_json(&json, &path.display().to_string())
    }

    /// Parses one fault spec, checking error codes against the scope's provider.
    pub fn parse_fault(spec: &str) -> Result<FaultSpec, SpecError> {
        FaultSpec::parse(spec, check_error_code)
    }

    /// The configured faults, active (validated by [`Config::validate`]).
    pub fn fault_set(&self) -> FaultSet {
        let mut set = FaultSet::default();
        for spec in self
            .faults
            .iter()
            .filter_map(|s| Config::parse_fault(s).ok())
        {
            set.add(spec);
        }
        set
    }

    /// The start instant of a manual clock, if configured.
    pub fn clock_start(&self) -> Option<Timestamp> {
        self.clock_start.map(|s| Timestamp(s * 1000))
    }

    /// Checks what serde cannot: unique account ids, usable limits.
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn unique<'a>(
            section: &str,
            ids: impl Iterator<Item = &'a str>,
        ) -> Result<(), ConfigError> {
            let mut seen = std::collections::HashSet::new();
            for (i, id) in ids.enumerate() {
                if id.is_empty() {
                    return Err(invalid(format!("{section}[{i}]"), "must not be empty"));
                }
                if !seen.insert(id) {
                    return Err(invalid(
                        format!("{section}[{i}]"),
                        format!("{id:?} appears twice"),
                    ));
                }
            }
            Ok(())
        }
        unique(
            "smsoffice.accounts.key",
            self.smsoffice.accounts.iter().map(|a| a.key.as_str()),
        )?;
        unique(
            "smsco.accounts.username",
            self.smsco.accounts.iter().map(|a| a.username.as_str()),
        )?;
        unique(
            "getsms.accounts.login",
            self.getsms.accounts.iter().map(|a| a.login.as_str()),
        )?;
        for (field, value) in [
            ("limits.journal_entries", self.limits.journal_entries),
            ("limits.messages", self.limits.messages),
            ("limits.max_body_bytes", self.limits.max_body_bytes),
            (
                "limits.body_bytes.smsoffice",
                self.limits.body_bytes.smsoffice,
            ),
            ("limits.body_bytes.smsco", self.limits.body_bytes.smsco),
            ("limits.body_bytes.getsms", self.limits.body_bytes.getsms),
            ("limits.callback_entries", self.limits.callback_entries),
            ("limits.max_connections", self.limits.max_connections),
            ("callbacks.max_in_flight", self.callbacks.max_in_flight),
            (
                "limits.header_timeout_seconds",
                usize::try_from(self.limits.header_timeout_seconds).unwrap_or(usize::MAX),
            ),
            (
                "quirks.smsoffice.max_content_chars",
                self.quirks.smsoffice.max_content_chars,
            ),
            (
                "quirks.smsoffice.max_request_target",
                self.quirks.smsoffice.max_request_target,
            ),
        ] {
            if value == 0 {
                return Err(invalid(field.to_owned(), "must be at least 1"));
            }
        }
        if self.limits.header_timeout_seconds > MAX_HEADER_TIMEOUT_SECONDS {
            return Err(invalid(
                "limits.header_timeout_seconds".into(),
                format!("must be at most {MAX_HEADER_TIMEOUT_SECONDS} (a day)"),
            ));
        }
        let span = 0.0..=crate::domain::clock::MAX_SPAN_SECONDS;
        if let Some(bad) = self
            .callbacks
            .retry_backoff_seconds
            .iter()
            .find(|s| !(s.is_finite() && span.contains(s)))
        {
            return Err(invalid(
                "callbacks.retry_backoff_seconds".into(),
                format!("{bad} is not a number of seconds from 0 to ten years"),
            ));
        }
        for (field, value) in [
            (
                "quirks.smsoffice.content_type",
                &self.quirks.smsoffice.content_type,
            ),
            ("quirks.smsco.content_type", &self.quirks.smsco.content_type),
            (
                "quirks.getsms.content_type",
                &self.quirks.getsms.content_type,
            ),
        ] {
            if http::HeaderValue::from_str(value).is_err() {
                return Err(invalid(field.into(), "is not a valid header value"));
            }
        }
        if self.admin_token.as_deref().is_some_and(|t| {
            t.is_empty() || http::HeaderValue::from_str(&format!("Bearer {t}")).is_err()
        }) {
            return Err(invalid(
                "admin_token".into(),
                "must be a non-empty header-safe text",
            ));
        }
        for (i, spec) in self.faults.iter().enumerate() {
            Config::parse_fault(spec)
                .map_err(|e| invalid(format!("faults[{i}]"), e.to_string()))?;
        }
        for (i, account) in self.smsoffice.accounts.iter().enumerate() {
            if let Some(url) = account.callback_url.as_deref().filter(|u| !u.is_empty()) {
                validate_callback_url(url)
                    .map_err(|why| invalid(format!("smsoffice.accounts[{i}].callback_url"), why))?;
            }
        }
        Ok(())
    }
}

/// Checks that a callback URL is one the engine can call: absolute `http://` with a host, and no
/// white space or control character (which would never reach a receiver intact).
pub fn validate_callback_url(url: &str) -> Result<(), String> {
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?} holds white space or a control character; percent-encode it"
        ));
    }
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http"), Some(_)) => Ok(()),
        (Some("https"), _) => Err(format!(
            "{url:?}: https callback URLs are not supported; use http"
        )),
        _ => Err(format!("{url:?} must be an absolute http:// URL")),
    }
}

fn invalid(field: String, why: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        field,
        why: why.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_hold_every_demo_account() {
        let c = Config::embedded();
        let keys: Vec<_> = c
            .smsoffice
            .accounts
            .iter()
            .map(|a| a.key.as_str())
            .collect();
        assert_eq!(keys, ["demo-key", "disabled-key", "empty-key"]);
        let smsco: Vec<_> = c
            .smsco
            .accounts
            .iter()
            .map(|a| a.username.as_str())
            .collect();
        assert_eq!(smsco, ["demo", "nobrand", "empty"]);
        let getsms: Vec<_> = c.getsms.accounts.iter().map(|a| a.login.as_str()).collect();
        assert_eq!(getsms, ["demo", "blocked", "empty"]);
        assert_eq!(c.listen, default_listen());
        assert_eq!(c.rules.len(), 7);
    }

    #[test]
    fn every_quirk_has_a_name_and_a_flipped_value() {
        let defaults = Quirks::default();
        let written = serde_json::to_value(&defaults).unwrap();
        let keys: Vec<&String> = written.as_object().unwrap().keys().collect();
        let names = Quirks::names();
        assert_eq!(keys, names.iter().collect::<Vec<_>>());
        for name in &names {
            let flipped = serde_json::to_value(defaults.flipped(name).unwrap()).unwrap();
            assert_ne!(
                flipped[name], written[name],
                "{name} flips to a different value"
            );
            for other in names.iter().filter(|n| *n != name) {
                assert_eq!(
                    flipped[other], written[other],
                    "flipping {name} moves only it"
                );
            }
            let back = defaults.flipped(name).unwrap().flipped(name).unwrap();
            assert_eq!(back, defaults, "{name} flips back");
        }
        assert!(defaults.flipped("smsoffice.nonsense").is_none());
        assert!(defaults.flipped("nonsense").is_none());
    }

    #[test]
    fn the_embedded_configuration_spells_out_every_quirk() {
        for name in Quirks::names() {
            assert!(
                DEFAULT_CONFIG_JSON.contains(&format!("\"{name}\"")),
                "print-config does not show {name}"
            );
        }
    }

    #[test]
    fn embedded_quirks_equal_the_built_in_defaults() {
        let embedded = serde_json::to_value(Config::embedded().quirks).unwrap();
        assert_eq!(embedded, serde_json::to_value(Quirks::default()).unwrap());
    }

    #[test]
    fn errors_name_the_field_and_why() {
        let err = Config::from_json(r#"{"limits": {"journal": 5}}"#, "x.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.json") && err.contains("unknown field `journal`"),
            "{err}"
        );

        let err = Config::from_json(
            r#"{"quirks": {"smsoffice.slashless_post": "maybe"}}"#,
            "x.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("unknown variant `maybe`") && err.contains("redirect"),
            "{err}"
        );

        let err = Config::from_json(
            r#"{"smsco": {"accounts": [{"username": "a", "password": "b", "balance": 1},
            {"username": "a", "password": "c", "balance": 1}]}}"#,
            "x.json",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("smsco.accounts.username[1]") && err.contains("twice"),
            "{err}"
        );

        let err = Config::from_json(r#"{"limits": {"messages": 0}}"#, "x.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("limits.messages"), "{err}");
    }

    #[test]
    fn a_partial_file_keeps_default_limits_and_quirks_but_no_accounts() {
        let c = Config::from_json("{}", "x.json").unwrap();
        assert!(c.smsoffice.accounts.is_empty());
        assert_eq!(c.limits.messages, Limits::default().messages);
        assert_eq!(c.quirks.smsoffice.max_content_chars, 1000);
    }
}
