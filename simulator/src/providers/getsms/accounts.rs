//! getsms.uz accounts, the allow-list, and the `message_id` / `request_id` counters.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::providers::{accounts_by, int64};

use super::allow_list::IpRange;

/// A getsms.uz account, identified by its login.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
    #[serde(deserialize_with = "int64::at_most")]
    pub balance: u64,
    /// The `user_id` echoed in replies.
    #[serde(default = "default_user_id", deserialize_with = "int64::at_most")]
    pub user_id: u64,
    /// A blocked account answers error 102.
    #[serde(default)]
    pub blocked: bool,
}

account_patch! {
    /// A change to a getsms account.
    pub struct GetsmsAccountPatch for GetsmsAccount {
        /// New password.
        password: String,
        /// Replace the nickname list.
        nicknames: Vec<String>,
        /// New balance.
        #[serde(default, deserialize_with = "int64::at_most_some")]
        balance: u64,
        /// New user id.
        #[serde(default, deserialize_with = "int64::at_most_some")]
        user_id: u64,
        /// Block or unblock.
        blocked: bool,
    }
}

fn default_user_id() -> u64 {
    1
}

/// The `getsms` section of the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
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

/// getsms's part of the running world.
#[derive(Debug, Clone)]
pub struct State {
    /// Accounts by login.
    pub accounts: crate::providers::Accounts<GetsmsAccount>,
    /// Who may call.
    pub allow_list: Vec<IpRange>,
    /// Whether the caller is read from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// The next `message_id`.
    pub next_message_id: u64,
    /// The last `request_id` handed out.
    pub last_request_id: u64,
}

impl State {
    /// The state the configuration starts with.
    pub fn new(section: &Section) -> State {
        State {
            accounts: accounts_by(&section.accounts, |a| &a.login),
            allow_list: section.allow_list.clone(),
            trust_forwarded_for: section.trust_forwarded_for,
            next_message_id: 10_000_001,
            last_request_id: 10_000_000,
        }
    }

    /// A fresh `message_id`.
    pub fn take_message_id(&mut self) -> u64 {
        let id = self.next_message_id;
        self.next_message_id += 1;
        id
    }

    /// A fresh `request_id`: 8 digits, random-looking, never repeated in one run. Each one is
    /// the previous plus a random step, drawn from the seeded generator.
    pub fn take_request_id(&mut self, rng: &mut impl rand::Rng) -> u64 {
        self.last_request_id += rng.random_range(1..=97);
        self.last_request_id
    }
}
