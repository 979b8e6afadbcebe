//! smsco.ge accounts and the `mes_id` counter.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::providers::{accounts_by, int64};

use crate::providers::double_option;

/// An smsco.ge account, identified by its username.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
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
    #[serde(deserialize_with = "int64::at_most")]
    pub balance: u64,
    /// Tetri charged per segment per recipient.
    #[serde(default = "default_smsco_price", deserialize_with = "int64::at_most")]
    pub price_per_segment: u64,
}

account_patch! {
    /// A change to an smsco account.
    pub struct SmscoAccountPatch for SmscoAccount {
        /// New password.
        password: String,
        /// Set (string) or clear (null) the brand.
        #[serde(default, deserialize_with = "double_option")]
        brand: Option<String>,
        /// New balance in tetri.
        #[serde(default, deserialize_with = "int64::at_most_some")]
        balance: u64,
        /// New price per segment.
        #[serde(default, deserialize_with = "int64::at_most_some")]
        price_per_segment: u64,
    }
}

fn default_smsco_price() -> u64 {
    5
}

/// The `smsco` section of the configuration.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Accounts, by username.
    #[serde(default)]
    pub accounts: Vec<SmscoAccount>,
}

/// The first `mes_id` handed out.
const FIRST_MES_ID: u64 = 100_001;

/// smsco's part of the running world.
#[derive(Debug, Clone)]
pub struct State {
    /// Accounts by username.
    pub accounts: crate::providers::Accounts<SmscoAccount>,
    /// The next `mes_id`: each send's id is one more than the last, so replies and status
    /// look-ups stay consistent.
    pub next_mes_id: u64,
}

impl State {
    /// The state the configuration starts with.
    pub fn new(section: &Section) -> State {
        State {
            accounts: accounts_by(&section.accounts, |a| &a.username),
            next_mes_id: FIRST_MES_ID,
        }
    }

    /// A fresh `mes_id`.
    pub fn take_mes_id(&mut self) -> u64 {
        let id = self.next_mes_id;
        self.next_mes_id += 1;
        id
    }
}
