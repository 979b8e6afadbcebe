//! One typed configuration, composed of the providers' own sections and quirks: the embedded
//! defaults, a JSON file that replaces them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::Provider;
use crate::domain::clock::{ClockMode, Timestamp};
use crate::domain::faults::{FaultSet, FaultSpec, SpecError};
use crate::domain::rules::Rule;
pub use crate::providers::smsoffice::validate_callback_url;
use crate::providers::smsoffice::{CallbackConfig, OperatorPrefix};
use crate::providers::{self, Descriptor, Invalid, QuirkSet, with_provider};

/// The embedded default configuration, as printed by `smsim print-config`.
pub const DEFAULT_CONFIG_JSON: &str = include_str!("default-config.json");

/// Declares the types whose fields are one per provider, from the list of providers: the
/// configuration (each provider's section under its name), its quirks, its body limits, and
/// [`Configured`] for each provider.
macro_rules! config_types {
    ([] $( $(#[$attr:meta])* $folder:ident :: $ty:ident, )*) => {
        /// Everything the simulator is started with.
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Config {
            /// Address of the one listener serving all providers and the admin API (see
            /// [`parse_listen_address`]).
            #[serde(default = "default_listen", deserialize_with = "listen_address")]
            pub listen: SocketAddr,
            /// Seed of the one random generator; `None` draws one and logs it.
            #[serde(default)]
            pub seed: Option<u64>,
            /// Real or manual clock.
            #[serde(default)]
            pub clock: ClockMode,
            /// Where the clock starts (Unix seconds): a manual clock stands there until advanced,
            /// a real one runs on from there; wall time when absent.
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
            $(
                $(#[$attr])*
                #[doc = concat!("`", stringify!($folder), "`: its accounts and settings.")]
                #[serde(default)]
                pub $folder: providers::$folder::Section,
            )*
            /// Delivery rules, first match wins.
            #[serde(default)]
            pub rules: Vec<Rule>,
            /// How smsoffice delivery callbacks are sent.
            #[serde(default)]
            pub callbacks: CallbackConfig,
            /// What the admin API and the inbox show of messages.
            #[serde(default)]
            pub inbox: Inbox,
            /// Mobile network codes (MCC+MNC) by number prefix, for the callback's `operator`.
            #[serde(default)]
            pub operators: Vec<OperatorPrefix>,
            /// Faults active from the start, in `--fault` syntax.
            #[serde(default)]
            pub faults: Vec<String>,
            /// When set, every `/__admin` call needs `Authorization: Bearer <token>`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub admin_token: Option<String>,
            /// Host names the admin API and the inbox answer to besides loopback names and IP
            /// addresses; `*` for any.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub allowed_hosts: Vec<String>,
            /// HTTPS: a second listener, and `CONNECT` to the providers' hosts answered as them.
            #[serde(default, skip_serializing_if = "TlsSettings::is_off")]
            pub tls: TlsSettings,
        }

        /// Each provider's quirks: behaviours no evidence settles, each a named setting. Written
        /// flat, as `"PROVIDER.NAME": value`, in the configuration's `quirks` object.
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct Quirks {
            $(
                $(#[$attr])*
                #[doc = concat!("`", stringify!($folder), ".*`.")]
                pub $folder: providers::$folder::Quirks,
            )*
        }

        /// Each provider's request body limit: what its web server takes by default. Past it
        /// smsoffice (IIS) answers 413; smsco and getsms (PHP) run as if no body had been sent,
        /// as PHP does past `post_max_size`.
        #[derive(Debug, Clone, Copy, Serialize, Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct BodyBytes {
            $(
                $(#[$attr])*
                #[doc = concat!("`", stringify!($folder), "`.")]
                pub $folder: usize,
            )*
        }

        impl Default for BodyBytes {
            fn default() -> BodyBytes {
                BodyBytes {
                    $( $(#[$attr])* $folder: <providers::$folder::$ty as Descriptor>::MAX_BODY_BYTES, )*
                }
            }
        }

        impl Quirks {
            /// Writes each provider's quirks as `PROVIDER.NAME` entries of `map`.
            fn serialize_parts<M: serde::ser::SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
                $( $(#[$attr])* serialize_part(map, stringify!($folder), &self.$folder)?; )*
                Ok(())
            }

            /// Reads each provider's quirks from its part of the flat object.
            fn from_parts(
                mut parts: std::collections::HashMap<Provider, serde_json::Map<String, serde_json::Value>>,
            ) -> Result<Quirks, (Provider, serde_json::Error)> {
                Ok(Quirks {
                    $( $(#[$attr])* $folder: {
                        let provider = <providers::$folder::$ty as Descriptor>::PROVIDER;
                        let part = parts.remove(&provider).unwrap_or_default();
                        serde_json::from_value(part.into()).map_err(|e| (provider, e))?
                    }, )*
                })
            }
        }

        $(
            $(#[$attr])*
            impl Configured for providers::$folder::$ty {
                fn quirks(quirks: &Quirks) -> &Self::Quirks {
                    &quirks.$folder
                }
                fn quirks_mut(quirks: &mut Quirks) -> &mut Self::Quirks {
                    &mut quirks.$folder
                }
                fn section(config: &Config) -> &Self::Section {
                    &config.$folder
                }
                fn body_bytes(limits: &BodyBytes) -> usize {
                    limits.$folder
                }
            }
        )*
    };
}
providers::for_each_provider!(config_types);

/// A provider's parts of the configuration, for code written once for every provider.
pub(crate) trait Configured: Descriptor {
    /// Its quirks.
    fn quirks(quirks: &Quirks) -> &Self::Quirks;
    /// Its quirks, to change.
    fn quirks_mut(quirks: &mut Quirks) -> &mut Self::Quirks;
    /// Its section.
    fn section(config: &Config) -> &Self::Section;
    /// Its body limit.
    fn body_bytes(limits: &BodyBytes) -> usize;
}

fn serialize_part<M: serde::ser::SerializeMap>(
    map: &mut M,
    provider: &str,
    quirks: &impl Serialize,
) -> Result<(), M::Error> {
    use serde::ser::Error;
    let value = serde_json::to_value(quirks).map_err(M::Error::custom)?;
    let serde_json::Value::Object(fields) = value else {
        return Err(M::Error::custom("quirks serialise as objects"));
    };
    for (name, value) in fields {
        map.serialize_entry(&format!("{provider}.{name}"), &value)?;
    }
    Ok(())
}

impl Quirks {
    /// Every quirk's full name (`smsoffice.check_order`, ...), provider by provider.
    pub fn names() -> Vec<String> {
        providers::ENTRIES
            .iter()
            .flat_map(|e| {
                e.quirk_names
                    .iter()
                    .map(|name| format!("{}.{name}", e.provider.name()))
            })
            .collect()
    }

    /// These quirks with the one called `name` set to its other choice; `None` for an unknown
    /// name. A contract harness replays fixtures with each quirk flipped to show what depends
    /// on it.
    pub fn flipped(&self, name: &str) -> Option<Quirks> {
        let (provider, quirk) = name.split_once('.')?;
        let mut quirks = self.clone();
        let known =
            with_provider!(Provider::parse(provider)?, G => G::quirks_mut(&mut quirks).flip(quirk));
        known.then_some(quirks)
    }
}

impl Serialize for Quirks {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        self.serialize_parts(&mut map)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Quirks {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Quirks, D::Error> {
        use serde::de::Error;
        let flat = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut parts = std::collections::HashMap::<Provider, serde_json::Map<_, _>>::new();
        for (key, value) in flat {
            let provider = key
                .split_once('.')
                .and_then(|(provider, _)| Provider::parse(provider));
            let Some(provider) = provider else {
                let names: Vec<String> = Provider::ALL
                    .iter()
                    .map(|p| format!("`{}.NAME`", p.name()))
                    .collect();
                return Err(D::Error::custom(format!(
                    "unknown quirk `{key}`: quirks are named {}",
                    names.join(", ")
                )));
            };
            let name = key[provider.name().len() + 1..].to_owned();
            parts.entry(provider).or_default().insert(name, value);
        }
        Quirks::from_parts(parts)
            .map_err(|(provider, e)| D::Error::custom(format!("quirks of {provider}: {e}")))
    }
}

/// The longest account id, in bytes: it travels in admin paths and in every request's journal
/// entry.
pub const MAX_ACCOUNT_ID_BYTES: usize = 256;

/// An account id the admin API can name: not empty, at most [`MAX_ACCOUNT_ID_BYTES`].
pub fn check_account_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("must not be empty".into());
    }
    if id.len() > MAX_ACCOUNT_ID_BYTES {
        return Err(format!(
            "is {} bytes long, more than {MAX_ACCOUNT_ID_BYTES}",
            id.len()
        ));
    }
    Ok(())
}

/// Whether `provider` has error code `code`; the refusal lists the valid codes.
pub fn check_error_code(provider: Provider, code: i64) -> Result<(), String> {
    (providers::entry(provider).check_error_code)(code)
}

/// HTTPS. It is on when `listen` is set: smsim then serves HTTPS there, and a `CONNECT` to a
/// provider's host on port 443 through the plain listener is answered as that provider over TLS.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// Address of the HTTPS listener (see [`parse_listen_address`]).
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "optional_listen_address"
    )]
    pub listen: Option<SocketAddr>,
    /// Names and addresses the certificate is valid for besides loopback and the providers'
    /// hosts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// A certificate chain (PEM) to serve instead of one made by smsim's authority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<std::path::PathBuf>,
    /// The private key (PEM) of `cert`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<std::path::PathBuf>,
    /// Where smsim's authority is kept between runs (made there on first use); without it, a
    /// fresh authority is made at each start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_dir: Option<std::path::PathBuf>,
}

impl TlsSettings {
    /// True when HTTPS is off (nothing to write in the configuration).
    pub fn is_off(&self) -> bool {
        *self == TlsSettings::default()
    }
}

/// What the admin API and the inbox show of messages.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Inbox {
    /// A regular expression finding the one-time code in a message's text: its first group, or
    /// the whole match without one. By default the first run of 4 to 8 digits that is not part
    /// of a longer number.
    pub code_pattern: String,
}

/// The code pattern by default: 4 to 8 digits with no digit on either side.
pub const DEFAULT_CODE_PATTERN: &str = r"(?:^|[^0-9])([0-9]{4,8})(?:[^0-9]|$)";

impl Default for Inbox {
    fn default() -> Inbox {
        Inbox {
            code_pattern: DEFAULT_CODE_PATTERN.to_owned(),
        }
    }
}

impl Inbox {
    /// The compiled code pattern (validated at start).
    pub fn code_regex(&self) -> Result<regex::Regex, regex::Error> {
        regex::RegexBuilder::new(&self.code_pattern)
            .size_limit(1 << 20)
            .build()
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
    /// Listeners of `/__admin/events` at once; one more is answered 503.
    pub max_event_listeners: usize,
    /// Seconds a listener of `/__admin/events` may leave what it was sent untaken (its client
    /// not reading) before its connection is closed.
    pub event_listener_stuck_seconds: u64,
    /// Accounts each provider holds at most (configured and created through the admin API).
    pub max_accounts: usize,
    /// Seconds a request body may pause between two arrivals of bytes: past it the request is
    /// answered 408 and the connection closed.
    pub body_read_timeout_seconds: u64,
    /// Seconds a whole request body may take to arrive, however steadily: past it, 408.
    pub body_timeout_seconds: u64,
    /// The longest `wait` a `GET /__admin/messages/latest` may ask for.
    pub max_wait_seconds: u64,
    /// Request log lines written in one second at most (0: every one); the rest of that
    /// second's are counted, and a summary line says how many.
    pub log_lines_per_second: u64,
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
            max_event_listeners: 256,
            event_listener_stuck_seconds: 10,
            max_accounts: 10_000,
            body_read_timeout_seconds: 10,
            body_timeout_seconds: 30,
            max_wait_seconds: 60,
            log_lines_per_second: crate::log::DEFAULT_LINES_PER_SECOND,
        }
    }
}

impl BodyBytes {
    /// `provider`'s limit.
    pub fn of(&self, provider: Provider) -> usize {
        with_provider!(provider, G => G::body_bytes(self))
    }
}

/// How errors name the embedded defaults.
const EMBEDDED: &str = "embedded defaults";

/// The longest `limits.header_timeout_seconds` and body timeouts: a day.
pub const MAX_HEADER_TIMEOUT_SECONDS: u64 = 86_400;

/// What kind of JSON value `value` is, for a message that must not echo it (it may hold a
/// token).
fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// Applies a JSON merge patch (RFC 7396) to `target`.
fn merge_patch(target: &mut serde_json::Value, patch: serde_json::Value) {
    let serde_json::Value::Object(fields) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    let Some(object) = target.as_object_mut() else {
        return;
    };
    for (name, value) in fields {
        if value.is_null() {
            object.remove(&name);
        } else {
            merge_patch(object.entry(name).or_insert(serde_json::Value::Null), value);
        }
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8800))
}

/// Reads an address to listen on: an IP address and a port (`127.0.0.1:8800`, `[::1]:8800`,
/// `0.0.0.0:8800`), or `localhost:PORT`, read as `127.0.0.1:PORT` (the address the banner then
/// shows). Anything else (a port alone, `:8800`, another host name) is refused with the spellings
/// that work, since binding needs an address and a name could resolve to several.
pub fn parse_listen_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(address) = text.parse::<SocketAddr>() {
        return Ok(address);
    }
    let (host, port) = text.rsplit_once(':').unwrap_or(("", text));
    let port = port.parse::<u16>().ok();
    if let Some(port) = port
        && host.eq_ignore_ascii_case("localhost")
    {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    let port = port.unwrap_or(8800);
    Err(format!(
        "not an address to listen on: give an IP address and a port, such as \
         127.0.0.1:{port} (this machine only), [::1]:{port} or 0.0.0.0:{port} (every interface, \
         as in a container); localhost:{port} is read as 127.0.0.1:{port}"
    ))
}

/// [`parse_listen_address`] for a configuration file's `listen`.
fn listen_address<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<SocketAddr, D::Error> {
    let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
    parse_listen_address(&text)
        .map_err(|why| serde::de::Error::custom(format!("listen {text:?}: {why}")))
}

/// [`listen_address`] of `tls.listen`, which may be absent or null.
fn optional_listen_address<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SocketAddr>, D::Error> {
    let text = Option::<std::borrow::Cow<str>>::deserialize(deserializer)?;
    text.map(|text| {
        parse_listen_address(&text)
            .map_err(|why| serde::de::Error::custom(format!("tls.listen {text:?}: {why}")))
    })
    .transpose()
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
        Config::from_json(DEFAULT_CONFIG_JSON, EMBEDDED)
            .expect("the embedded default configuration is valid (unit-tested)")
    }

    /// The embedded defaults with `patches` applied (see [`Config::from_json_patched`]).
    pub fn embedded_patched(patches: &[String]) -> Result<Config, ConfigError> {
        Config::from_json_patched(DEFAULT_CONFIG_JSON, EMBEDDED, patches)
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
        Config::from_file_patched(path, &[])
    }

    /// [`Config::from_file`] with `patches` applied first (see [`Config::from_json_patched`]).
    pub fn from_file_patched(path: &Path, patches: &[String]) -> Result<Config, ConfigError> {
        let json = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_json_patched(&json, &path.display().to_string(), patches)
    }

    /// Parses `json` with each of `patches`, a JSON merge patch (RFC 7396) written as text,
    /// applied in turn, then validates the result: objects merge key by key, any other value
    /// replaces what was there (an array whole), `null` removes a field (its default applies).
    /// What a container is given in one environment variable, where mounting a file is a chore.
    pub fn from_json_patched(
        json: &str,
        origin: &str,
        patches: &[String],
    ) -> Result<Config, ConfigError> {
        if patches.is_empty() {
            return Config::from_json(json, origin);
        }
        let mut value: serde_json::Value =
            serde_json::from_str(json).map_err(|source| ConfigError::Parse {
                origin: origin.to_owned(),
                source,
            })?;
        for patch in patches {
            let patch: serde_json::Value = serde_json::from_str(patch)
                .map_err(|e| invalid("--config-patch".into(), format!("not JSON: {e}")))?;
            if !patch.is_object() {
                return Err(invalid(
                    "--config-patch".into(),
                    format!(
                        "a patch is a JSON object of the fields to change, e.g. {{\"getsms\": {{\"allow_list\": [\"0.0.0.0/0\"]}}}}, not {}",
                        kind_of(&patch)
                    ),
                ));
            }
            merge_patch(&mut value, patch);
        }
        let config: Config = serde_json::from_value(value)
            .map_err(|e| invalid("--config-patch".into(), e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Parses one fault spec, checking error codes against the scope's provider.
    pub fn parse_fault(spec: &str) -> Result<FaultSpec, SpecError> {
        FaultSpec::parse(spec, &providers::Faults)
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
    /// HTTPS settings that make sense together, in a build that has TLS.
    fn validate_tls(&self) -> Result<(), ConfigError> {
        let tls = &self.tls;
        if tls.is_off() {
            return Ok(());
        }
        if !cfg!(feature = "tls") {
            return Err(invalid(
                "tls".into(),
                "this build has no TLS (the `tls` cargo feature is off)",
            ));
        }
        if tls.listen.is_none() {
            return Err(invalid(
                "tls.listen".into(),
                "HTTPS is on only with a listener: give tls.listen (--tls-listen)",
            ));
        }
        if tls.cert.is_some() != tls.key.is_some() {
            return Err(invalid(
                "tls.cert".into(),
                "give the certificate and its key together (--tls-cert and --tls-key)",
            ));
        }
        if tls.cert.is_some() && tls.ca_dir.is_some() {
            return Err(invalid(
                "tls.ca_dir".into(),
                "a given certificate needs no authority: drop tls.ca_dir or tls.cert",
            ));
        }
        if let Some(name) = tls.names.iter().find(|n| !crate::tls::valid_name(n)) {
            return Err(invalid(
                "tls.names".into(),
                format!("{name:?} is not a DNS name or an IP address"),
            ));
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for provider in Provider::ALL {
            with_provider!(*provider, G => self.validate_provider::<G>())?;
        }
        for (field, value) in [
            ("limits.journal_entries", self.limits.journal_entries),
            ("limits.messages", self.limits.messages),
            ("limits.max_body_bytes", self.limits.max_body_bytes),
            ("limits.callback_entries", self.limits.callback_entries),
            ("limits.max_connections", self.limits.max_connections),
            ("limits.max_accounts", self.limits.max_accounts),
            (
                "limits.max_event_listeners",
                self.limits.max_event_listeners,
            ),
            ("callbacks.max_in_flight", self.callbacks.max_in_flight),
        ] {
            if value == 0 {
                return Err(invalid(field.to_owned(), "must be at least 1"));
            }
        }
        for (field, seconds) in [
            (
                "limits.header_timeout_seconds",
                self.limits.header_timeout_seconds,
            ),
            (
                "limits.body_read_timeout_seconds",
                self.limits.body_read_timeout_seconds,
            ),
            (
                "limits.body_timeout_seconds",
                self.limits.body_timeout_seconds,
            ),
        ] {
            if seconds == 0 {
                return Err(invalid(field.to_owned(), "must be at least 1"));
            }
            if seconds > MAX_HEADER_TIMEOUT_SECONDS {
                return Err(invalid(
                    field.to_owned(),
                    format!("must be at most {MAX_HEADER_TIMEOUT_SECONDS} (a day)"),
                ));
            }
        }
        self.validate_tls()?;
        let max_wait = crate::admin::MAX_WAIT_SECONDS;
        if !(1..=max_wait).contains(&self.limits.max_wait_seconds) {
            return Err(invalid(
                "limits.max_wait_seconds".into(),
                format!("must be from 1 to {max_wait} (ten minutes)"),
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
        if self.admin_token.as_deref().is_some_and(|t| {
            t.is_empty() || http::HeaderValue::from_str(&format!("Bearer {t}")).is_err()
        }) {
            return Err(invalid(
                "admin_token".into(),
                "must be a non-empty header-safe text",
            ));
        }
        for (i, host) in self.allowed_hosts.iter().enumerate() {
            if host.is_empty() || host.contains(['/', ' ', '@', ':']) {
                return Err(invalid(
                    format!("allowed_hosts[{i}]"),
                    format!("{host:?} is not a host name (give it without scheme, path or port)"),
                ));
            }
        }
        if let Err(e) = self.inbox.code_regex() {
            return Err(invalid(
                "inbox.code_pattern".into(),
                format!("is not a regular expression: {e}"),
            ));
        }
        for (i, spec) in self.faults.iter().enumerate() {
            Config::parse_fault(spec)
                .map_err(|e| invalid(format!("faults[{i}]"), e.to_string()))?;
        }
        Ok(())
    }

    /// Each configured account's credentials and state, a line each, provider by provider, as the
    /// start banner shows them.
    pub fn account_lines(&self) -> Vec<String> {
        Provider::ALL
            .iter()
            .flat_map(|provider| {
                with_provider!(*provider, G => G::configured_accounts(G::section(self))
                    .iter()
                    .map(G::banner_line)
                    .collect::<Vec<_>>())
            })
            .collect()
    }

    /// One provider's checks: unique non-empty account ids, a body limit and a content type that
    /// work, and what the provider itself requires.
    fn validate_provider<G: Configured>(&self) -> Result<(), ConfigError> {
        let name = G::PROVIDER.name();
        let section = G::section(self);
        let mut seen = std::collections::HashSet::new();
        let accounts = G::configured_accounts(section);
        if accounts.len() > self.limits.max_accounts {
            return Err(invalid(
                format!("{name}.accounts"),
                format!(
                    "{} accounts, more than limits.max_accounts ({})",
                    accounts.len(),
                    self.limits.max_accounts
                ),
            ));
        }
        for (i, account) in accounts.iter().enumerate() {
            let id = G::account_id(account);
            let field = || format!("{name}.accounts.{}[{i}]", G::ACCOUNT_ID);
            if let Err(why) = check_account_id(id) {
                return Err(invalid(field(), why));
            }
            if !seen.insert(id) {
                return Err(invalid(field(), format!("{id:?} appears twice")));
            }
        }
        if G::body_bytes(&self.limits.body_bytes) == 0 {
            return Err(invalid(
                format!("limits.body_bytes.{name}"),
                "must be at least 1",
            ));
        }
        let quirks = G::quirks(&self.quirks);
        if http::HeaderValue::from_str(quirks.content_type()).is_err() {
            return Err(invalid(
                format!("quirks.{name}.content_type"),
                "is not a valid header value",
            ));
        }
        G::validate(section, quirks).map_err(|Invalid { field, why }| invalid(field, why))
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
    fn listen_addresses_are_ips_or_localhost_and_others_are_refused_saying_what_works() {
        for (text, address) in [
            ("127.0.0.1:8800", "127.0.0.1:8800"),
            ("0.0.0.0:9000", "0.0.0.0:9000"),
            ("[::1]:8800", "[::1]:8800"),
            ("[::]:0", "[::]:0"),
            ("localhost:8800", "127.0.0.1:8800"),
            ("LocalHost:0", "127.0.0.1:0"),
        ] {
            assert_eq!(
                parse_listen_address(text),
                Ok(address.parse().unwrap()),
                "{text}"
            );
        }
        for (text, port) in [
            ("8800", "8800"),
            (":8800", "8800"),
            ("localhost", "8800"),
            ("localhost:99999", "8800"),
            ("smsim.test:9000", "9000"),
            ("", "8800"),
        ] {
            let why = parse_listen_address(text).unwrap_err();
            for works in [
                format!("127.0.0.1:{port}"),
                format!("0.0.0.0:{port}"),
                format!("localhost:{port} is read as 127.0.0.1:{port}"),
            ] {
                assert!(why.contains(&works), "{text}: {why}");
            }
        }

        // The configuration reads its listeners the same way, naming the setting it refuses.
        let config: Config = serde_json::from_str(
            r#"{"listen": "localhost:9000", "tls": {"listen": "localhost:9443"}}"#,
        )
        .unwrap();
        assert_eq!(config.listen, "127.0.0.1:9000".parse().unwrap());
        assert_eq!(config.tls.listen, Some("127.0.0.1:9443".parse().unwrap()));
        let refused = serde_json::from_str::<Config>(r#"{"listen": "9000"}"#).unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with(r#"listen "9000": not an address"#),
            "{refused}"
        );
        let refused =
            serde_json::from_str::<Config>(r#"{"tls": {"listen": "smsim.test:443"}}"#).unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with(r#"tls.listen "smsim.test:443": not an address"#),
            "{refused}"
        );
    }

    #[test]
    fn a_merge_patch_merges_objects_replaces_the_rest_and_removes_nulls() {
        let mut value = serde_json::json!({"a": {"b": 1, "c": [1, 2]}, "d": "x", "q": {"p.r": 1}});
        merge_patch(
            &mut value,
            serde_json::json!({"a": {"c": [3], "e": {"f": true}}, "d": null, "q": {"p.r": 2}}),
        );
        assert_eq!(
            value,
            serde_json::json!({"a": {"b": 1, "c": [3], "e": {"f": true}}, "q": {"p.r": 2}})
        );
    }

    #[test]
    fn a_patched_configuration_keeps_what_the_patch_leaves_out() {
        let patched =
            Config::embedded_patched(&[r#"{"seed": 7, "limits": {"messages": 10}}"#.to_owned()])
                .unwrap();
        let embedded = Config::embedded();
        assert_eq!((patched.seed, patched.limits.messages), (Some(7), 10));
        assert_eq!(
            patched.limits.journal_entries,
            embedded.limits.journal_entries
        );
        assert_eq!(
            serde_json::to_value(&patched.getsms).unwrap(),
            serde_json::to_value(&embedded.getsms).unwrap()
        );
    }

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
        // The test-only provider ships in no configuration.
        for name in Quirks::names()
            .into_iter()
            .filter(|n| !n.starts_with("fakegate."))
        {
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
