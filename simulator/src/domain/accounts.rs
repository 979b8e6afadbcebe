//! Simulated customer accounts of the three providers.

use serde::{Deserialize, Serialize};

use super::matcher::DestinationMatcher;

/// A sender name (title) registered to an smsoffice account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsofficeSender {
    /// The name as registered, e.g. `SMSOFFICE`.
    pub name: String,
    /// Active senders may use `urgent=true` to pass the stop list.
    #[serde(default = "yes")]
    pub active: bool,
}

/// An smsoffice.ge account, identified by its API key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsofficeAccount {
    /// The API key clients send as `key`.
    pub key: String,
    /// When false, every send answers ErrorCode 120.
    #[serde(default = "yes")]
    pub api_enabled: bool,
    /// Messages left (each segment to each recipient costs one).
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

/// An smsco.ge account, identified by its username.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmscoAccount {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// The sender brand bound to the account; none answers 2914.
    #[serde(default)]
    pub brand: Option<String>,
    /// Credit in tetri.
    pub balance: u64,
    /// Tetri charged per segment per recipient.
    #[serde(default = "default_smsco_price")]
    pub price_per_segment: u64,
}

/// A getsms.uz account, identified by its login.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetsmsAccount {
    /// Login name.
    pub login: String,
    /// Password.
    pub password: String,
    /// Registered sender nicknames.
    #[serde(default)]
    pub nicknames: Vec<String>,
    /// Messages left.
    pub balance: u64,
    /// The `user_id` echoed in replies.
    #[serde(default = "default_user_id")]
    pub user_id: u64,
    /// A blocked account answers error 102.
    #[serde(default)]
    pub blocked: bool,
}

fn yes() -> bool {
    true
}

fn default_smsco_price() -> u64 {
    5
}

fn default_user_id() -> u64 {
    1
}

/// A change to an account through `PATCH /__admin/accounts/...`; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsofficeAccountPatch {
    /// New balance.
    pub balance: Option<u64>,
    /// Enable or disable API access.
    pub api_enabled: Option<bool>,
    /// Replace the sender list.
    pub senders: Option<Vec<SmsofficeSender>>,
    /// Replace the stop list.
    pub stop_list: Option<Vec<DestinationMatcher>>,
    /// Set (string) or clear (null) the callback URL.
    #[serde(default, deserialize_with = "double_option")]
    pub callback_url: Option<Option<String>>,
}

impl SmsofficeAccount {
    /// Applies a patch.
    pub fn apply(&mut self, patch: SmsofficeAccountPatch) {
        if let Some(v) = patch.balance {
            self.balance = v;
        }
        if let Some(v) = patch.api_enabled {
            self.api_enabled = v;
        }
        if let Some(v) = patch.senders {
            self.senders = v;
        }
        if let Some(v) = patch.stop_list {
            self.stop_list = v;
        }
        if let Some(v) = patch.callback_url {
            self.callback_url = v;
        }
    }

    /// The registered sender called `name`; sender titles are matched ignoring case, as the
    /// provider's own example sends `sender=smsoffice` for the title `SMSOFFICE`.
    pub fn sender(&self, name: &str, ignore_case: bool) -> Option<&SmsofficeSender> {
        self.senders.iter().find(|s| {
            if ignore_case {
                s.name.eq_ignore_ascii_case(name)
            } else {
                s.name == name
            }
        })
    }

    /// True when `destination` is on this account's stop list.
    pub fn is_stop_listed(&self, destination: &str) -> bool {
        self.stop_list.iter().any(|m| m.matches(destination))
    }
}

/// A change to an smsco account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmscoAccountPatch {
    /// New password.
    pub password: Option<String>,
    /// Set (string) or clear (null) the brand.
    #[serde(default, deserialize_with = "double_option")]
    pub brand: Option<Option<String>>,
    /// New balance in tetri.
    pub balance: Option<u64>,
    /// New price per segment.
    pub price_per_segment: Option<u64>,
}

impl SmscoAccount {
    /// Applies a patch.
    pub fn apply(&mut self, patch: SmscoAccountPatch) {
        if let Some(v) = patch.password {
            self.password = v;
        }
        if let Some(v) = patch.brand {
            self.brand = v;
        }
        if let Some(v) = patch.balance {
            self.balance = v;
        }
        if let Some(v) = patch.price_per_segment {
            self.price_per_segment = v;
        }
    }
}

/// A change to a getsms account.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetsmsAccountPatch {
    /// New password.
    pub password: Option<String>,
    /// Replace the nickname list.
    pub nicknames: Option<Vec<String>>,
    /// New balance.
    pub balance: Option<u64>,
    /// New user id.
    pub user_id: Option<u64>,
    /// Block or unblock.
    pub blocked: Option<bool>,
}

impl GetsmsAccount {
    /// Applies a patch.
    pub fn apply(&mut self, patch: GetsmsAccountPatch) {
        if let Some(v) = patch.password {
            self.password = v;
        }
        if let Some(v) = patch.nicknames {
            self.nicknames = v;
        }
        if let Some(v) = patch.balance {
            self.balance = v;
        }
        if let Some(v) = patch.user_id {
            self.user_id = v;
        }
        if let Some(v) = patch.blocked {
            self.blocked = v;
        }
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
