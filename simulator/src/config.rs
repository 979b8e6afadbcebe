//! One typed configuration: the embedded defaults, a JSON file that replaces them, and the
//! quirks, each a named setting for a provider behaviour that no evidence settles.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::accounts::{GetsmsAccount, SmscoAccount, SmsofficeAccount};
use crate::domain::allow_list::IpRange;
use crate::domain::clock::{ClockMode, Timestamp};
use crate::domain::faults::{FaultSet, FaultSpec, SpecError};
use crate::domain::rules::Rule;

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
    /// Where a manual clock starts (Unix seconds); wall time when absent.
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
    pub smsoffice: SmsofficeConfig,
    /// smsco.ge accounts.
    #[serde(default)]
    pub smsco: SmscoConfig,
    /// getsms.uz accounts and allow-list.
    #[serde(default)]
    pub getsms: GetsmsConfig,
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
}

/// One entry of the operator table: numbers starting with `prefix` belong to `code`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorPrefix {
    /// Number prefix, country code included, e.g. `99557`.
    pub prefix: String,
    /// MCC+MNC, e.g. `28202`.
    pub code: String,
}

/// smsoffice callback delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallbackConfig {
    /// Seconds of simulator time before each retry of an unacknowledged callback; its length
    /// is the number of retries.
    pub retry_backoff_seconds: Vec<f64>,
    /// How long one attempt may take (real milliseconds) before it counts as failed.
    pub timeout_ms: u64,
    /// Callbacks in flight at once.
    pub max_in_flight: usize,
    /// Local address outgoing callbacks are sent from (e.g. `127.0.0.2`).
    pub bind: Option<std::net::IpAddr>,
    /// Add `X-Forwarded-For` and `X-Real-IP: 91.239.206.90`, the provider's documented source,
    /// for receivers that check it behind a proxy.
    pub forwarded_headers: bool,
}

impl Default for CallbackConfig {
    fn default() -> CallbackConfig {
        CallbackConfig {
            retry_backoff_seconds: vec![10.0, 60.0, 300.0],
            timeout_ms: 5000,
            max_in_flight: 64,
            bind: None,
            forwarded_headers: false,
        }
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
    /// Largest request body read; larger bodies are answered 413.
    pub max_body_bytes: usize,
    /// Callback attempts kept.
    pub callback_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            journal_entries: 10_000,
            messages: 100_000,
            max_body_bytes: 32 * 1024 * 1024,
            callback_entries: 10_000,
        }
    }
}

/// smsoffice.ge section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsofficeConfig {
    /// Accounts, by API key.
    #[serde(default)]
    pub accounts: Vec<SmsofficeAccount>,
}

/// smsco.ge section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmscoConfig {
    /// Accounts, by username.
    #[serde(default)]
    pub accounts: Vec<SmscoAccount>,
}

/// getsms.uz section.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetsmsConfig {
    /// Source addresses or CIDR ranges allowed to call getsms; others get 403.
    #[serde(default)]
    pub allow_list: Vec<IpRange>,
    /// Read the client address from the first `X-Forwarded-For` entry (behind a proxy).
    #[serde(default)]
    pub trust_forwarded_for: bool,
    /// Accounts, by login.
    #[serde(default)]
    pub accounts: Vec<GetsmsAccount>,
}

/// What a POST to the slashless `/api/v2/send` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlashlessPost {
    /// 301 to `/api/v2/send/` with the same query, as IIS does.
    Redirect,
    /// Served like the slashed path.
    Accept,
}

/// What getBalance answers for a missing or unknown key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceBadKey {
    /// The bare integer `0`.
    Zero,
    /// The JSON envelope with ErrorCode 500 or 80.
    Envelope,
}

/// How parameter names are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameMatching {
    /// `KEY` and `key` are the same parameter (ASP.NET).
    CaseInsensitive,
    /// Names must match exactly.
    Exact,
}

/// Which value a parameter given twice in one place takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateParams {
    /// The first occurrence (ASP.NET MVC / Web API model binding).
    First,
    /// The last occurrence (PHP).
    Last,
    /// All values joined with commas (ASP.NET `Request[...]`).
    Join,
}

/// The order of smsoffice send checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOrder {
    /// 500, 600, 700, 800 (absent parameters) before 80, 120 (the key's account).
    PresenceFirst,
    /// 500, 80, 120 (the key) before 600, 700, 800.
    AuthFirst,
}

/// Whether `showServiceTime=true` changes the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowServiceTime {
    /// `Output` carries `{"ServiceTime": <ms>}`.
    Output,
    /// The flag is ignored.
    Ignore,
}

/// Whether sender titles are compared ignoring case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderCase {
    /// `smsoffice` finds the title `SMSOFFICE` (the provider's own example does this).
    Ignore,
    /// Titles must match exactly.
    Exact,
}

/// What getMessageStatus says for a destination/reference pair never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusNeverSent {
    /// `Success:true` with `Status:"Unknown"`.
    Unknown,
    /// `Success:true` with `Status:"Pending"`.
    Pending,
}

/// Provider behaviours chosen without evidence; each can be flipped in the config.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
#[allow(missing_docs)] // each field is documented by its enum and in the README's quirks table
pub struct Quirks {
    #[serde(rename = "smsoffice.slashless_post")]
    pub smsoffice_slashless_post: SlashlessPost,
    #[serde(rename = "smsoffice.balance_bad_key")]
    pub smsoffice_balance_bad_key: BalanceBadKey,
    #[serde(rename = "smsoffice.param_names")]
    pub smsoffice_param_names: NameMatching,
    #[serde(rename = "smsoffice.duplicate_params")]
    pub smsoffice_duplicate_params: DuplicateParams,
    #[serde(rename = "smsoffice.check_order")]
    pub smsoffice_check_order: CheckOrder,
    #[serde(rename = "smsoffice.max_content_chars")]
    pub smsoffice_max_content_chars: usize,
    #[serde(rename = "smsoffice.max_request_target")]
    pub smsoffice_max_request_target: usize,
    #[serde(rename = "smsoffice.show_service_time")]
    pub smsoffice_show_service_time: ShowServiceTime,
    #[serde(rename = "smsoffice.content_type")]
    pub smsoffice_content_type: String,
    #[serde(rename = "smsoffice.sender_case")]
    pub smsoffice_sender_case: SenderCase,
    #[serde(rename = "smsoffice.status_never_sent")]
    pub smsoffice_status_never_sent: StatusNeverSent,
    #[serde(rename = "smsoffice.callback_status_case")]
    pub smsoffice_callback_status_case: CallbackStatusCase,
    #[serde(rename = "smsoffice.callback_ack")]
    pub smsoffice_callback_ack: CallbackAck,
    #[serde(rename = "smsco.balance_flag")]
    pub smsco_balance_flag: BalanceFlag,
    #[serde(rename = "smsco.content_type")]
    pub smsco_content_type: String,
    #[serde(rename = "smsco.non_latin")]
    pub smsco_non_latin: NonLatin,
    #[serde(rename = "smsco.status_unknown_mes_id")]
    pub smsco_status_unknown_mes_id: UnknownMesId,
    #[serde(rename = "getsms.nickname_required")]
    pub getsms_nickname_required: bool,
    #[serde(rename = "getsms.content_type")]
    pub getsms_content_type: String,
    #[serde(rename = "getsms.json_escape")]
    pub getsms_json_escape: JsonEscape,
    #[serde(rename = "getsms.get_params")]
    pub getsms_get_params: GetParams,
}

/// The letter case of the callback's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatusCase {
    /// `Delivered`, as the document's table writes it.
    Capitalized,
    /// `delivered`, as the document's example URL writes it.
    Lowercase,
}

/// Which receiver bodies count as the `OK` acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackAck {
    /// `OK` with surrounding white space allowed (a PHP `echo "OK\n"`), from a 2xx answer.
    Trimmed,
    /// Exactly `OK`, from a 2xx answer.
    Exact,
}

/// Which `balance` values make smsco answer the balance instead of sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceFlag {
    /// Only `true`, in any letter case (the document says "Set to true").
    TrueOnly,
    /// Any non-empty value (a PHP `if ($_REQUEST['balance'])` would also take `1`, `yes`).
    AnyNonempty,
}

/// What smsco does with text outside its Latin alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonLatin {
    /// Georgian letters become Latin (national romanisation), anything else outside GSM-7 `?`.
    Transliterate,
    /// Every character outside GSM-7 becomes `?`.
    QuestionMarks,
}

/// What smsco's getstatus.php answers for a `mes_id` it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownMesId {
    /// An empty body.
    Empty,
    /// `2904`, the generic failure code.
    Error2904,
}

/// How getsms writes non-ASCII text in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonEscape {
    /// As UTF-8, as the provider's document shows it.
    Unescaped,
    /// PHP `json_encode` defaults: `\uXXXX` for non-ASCII and `\/` for `/`.
    PhpDefault,
}

/// Whether getsms reads query-string parameters of a GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GetParams {
    /// Only POST parameters are read (the document says parameters are sent by POST).
    Ignored,
    /// Query parameters are read too.
    Read,
}

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            smsoffice_slashless_post: SlashlessPost::Redirect,
            smsoffice_balance_bad_key: BalanceBadKey::Zero,
            smsoffice_param_names: NameMatching::CaseInsensitive,
            smsoffice_duplicate_params: DuplicateParams::First,
            smsoffice_check_order: CheckOrder::PresenceFirst,
            smsoffice_max_content_chars: 1000,
            smsoffice_max_request_target: 4096,
            smsoffice_show_service_time: ShowServiceTime::Output,
            smsoffice_content_type: "application/json; charset=utf-8".into(),
            smsoffice_sender_case: SenderCase::Ignore,
            smsoffice_status_never_sent: StatusNeverSent::Unknown,
            smsoffice_callback_status_case: CallbackStatusCase::Capitalized,
            smsoffice_callback_ack: CallbackAck::Trimmed,
            smsco_balance_flag: BalanceFlag::TrueOnly,
            smsco_content_type: "text/html; charset=UTF-8".into(),
            smsco_non_latin: NonLatin::Transliterate,
            smsco_status_unknown_mes_id: UnknownMesId::Empty,
            getsms_nickname_required: true,
            getsms_content_type: "text/html; charset=UTF-8".into(),
            getsms_json_escape: JsonEscape::Unescaped,
            getsms_get_params: GetParams::Ignored,
        }
    }
}

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
        FaultSpec::parse(spec, crate::providers::check_error_code)
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
            ("limits.callback_entries", self.limits.callback_entries),
            ("callbacks.max_in_flight", self.callbacks.max_in_flight),
            (
                "quirks.smsoffice.max_content_chars",
                self.quirks.smsoffice_max_content_chars,
            ),
            (
                "quirks.smsoffice.max_request_target",
                self.quirks.smsoffice_max_request_target,
            ),
        ] {
            if value == 0 {
                return Err(invalid(field.to_owned(), "must be at least 1"));
            }
        }
        if http::HeaderValue::from_str(&self.quirks.smsoffice_content_type).is_err() {
            return Err(invalid(
                "quirks.smsoffice.content_type".into(),
                "is not a valid header value",
            ));
        }
        Ok(())
    }
}

/// Checks that a callback URL is one the engine can call: absolute `http://` with a host.
pub fn validate_callback_url(url: &str) -> Result<(), String> {
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
        assert_eq!(c.quirks.smsoffice_max_content_chars, 1000);
    }
}
