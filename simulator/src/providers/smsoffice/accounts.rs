//! smsoffice.ge accounts: API keys, registered senders, stop lists, callback URLs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::providers::{accounts_by, int64};

use crate::domain::matcher::DestinationMatcher;
use crate::providers::double_option;

/// A sender name (title) registered to an smsoffice account.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsofficeSender {
    /// The name as registered, e.g. `SMSOFFICE`.
    pub name: String,
    /// Active senders may use `urgent=true` to pass the stop list.
    #[serde(default = "yes")]
    pub active: bool,
}

/// An smsoffice.ge account, identified by its API key.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsofficeAccount {
    /// The API key clients send as `key`.
    pub key: String,
    /// When false, every send answers ErrorCode 120.
    #[serde(default = "yes")]
    pub api_enabled: bool,
    /// Messages left (each segment to each recipient costs one).
    #[serde(deserialize_with = "int64::at_most")]
    pub balance: u64,
    /// Registered sender names.
    #[serde(default)]
    pub senders: Vec<SmsofficeSender>,
    /// Numbers that have blocked messages from this account.
    #[serde(default)]
    pub stop_list: Vec<DestinationMatcher>,
    /// Where delivery callbacks go, if anywhere.
    #[serde(default)]
    pub callback_url: Option<String>,
}

account_patch! {
    /// A change to an account through `PATCH /__admin/accounts/...`; absent fields stay as they
    /// are.
    pub struct SmsofficeAccountPatch for SmsofficeAccount {
        /// New balance.
        #[serde(default, deserialize_with = "int64::at_most_some")]
        balance: u64,
        /// Enable or disable API access.
        api_enabled: bool,
        /// Replace the sender list.
        senders: Vec<SmsofficeSender>,
        /// Replace the stop list.
        stop_list: Vec<DestinationMatcher>,
        /// Set (string) or clear (null) the callback URL.
        #[serde(default, deserialize_with = "double_option")]
        callback_url: Option<String>,
    }
}

impl SmsofficeAccount {
    /// The registered sender called `name`; sender titles are matched ignoring case, as the
    /// provider's own example sends `sender=smsoffice` for the title `SMSOFFICE`.
    pub fn sender(&self, name: &str, ignore_case: bool) -> Option<&SmsofficeSender> {
        // Nearly every client writes the name as registered: an exact comparison, cheaper than
        // the case-insensitive one, settles it first.
        self.senders
            .iter()
            .find(|s| s.name == name || (ignore_case && s.name.eq_ignore_ascii_case(name)))
    }

    /// True when `destination` is on this account's stop list.
    pub fn is_stop_listed(&self, destination: &str) -> bool {
        self.stop_list.iter().any(|m| m.matches(destination))
    }
}

fn yes() -> bool {
    true
}

/// The `smsoffice` section of the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Accounts, by API key.
    #[serde(default)]
    pub accounts: Vec<SmsofficeAccount>,
}

/// smsoffice's part of the running world: its accounts by key, in the configuration's order.
#[derive(Debug, Clone, Default)]
pub struct State {
    /// Accounts by API key.
    pub accounts: crate::providers::Accounts<SmsofficeAccount>,
}

impl State {
    /// The state the configuration starts with.
    pub fn new(section: &Section) -> State {
        State {
            accounts: accounts_by(&section.accounts, |a| &a.key),
        }
    }
}
