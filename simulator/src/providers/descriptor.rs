//! What the rest of the program asks of a provider, declared once in the provider's folder: its
//! name, hosts, paths and endpoints, credential parameters, accounts, error table, quirks, time
//! zone, body limits, callbacks and live-mode variables. Everything above this layer reaches a
//! provider through [`Descriptor`] and the list in `providers/mod.rs`, never by its name.

use std::fmt::Debug;

use axum::response::Response;
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{Endpoint, Provider};
use crate::http::{Handler, OverLimit};
use crate::providers::Routed;

/// A provider's quirks: behaviours no evidence settles, each named and switchable.
pub trait QuirkSet:
    Debug + Clone + Default + PartialEq + Serialize + DeserializeOwned + Sync
{
    /// Every quirk's name, as written after `PROVIDER.` in the configuration.
    const NAMES: &'static [&'static str];

    /// Sets quirk `name` to its other choice; false for an unknown name.
    fn flip(&mut self, name: &str) -> bool;

    /// The replies' `Content-Type`, which the configuration checks is a valid header value.
    fn content_type(&self) -> &str;
}

/// Writes the account methods of a [`Descriptor`] impl for the usual layout: accounts in the
/// section's and the state's `accounts` field, the id in field `$id`, a `balance` field, a patch
/// applied by the account's own `apply`, and `State::new(&Section)`.
macro_rules! accounts_in_fields {
    ($account:ty, $patch:ty, $id:ident) => {
        fn new_state(section: &Self::Section) -> Self::State {
            State::new(section)
        }

        fn configured_accounts(section: &Self::Section) -> &[$account] {
            &section.accounts
        }

        fn accounts(state: &Self::State) -> &$crate::providers::Accounts<$account> {
            &state.accounts
        }

        fn accounts_mut(state: &mut Self::State) -> &mut $crate::providers::Accounts<$account> {
            &mut state.accounts
        }

        fn account_id(account: &$account) -> &str {
            &account.$id
        }

        fn balance(account: &$account) -> u64 {
            account.balance
        }

        fn apply(account: &mut $account, patch: $patch) {
            account.apply(patch);
        }
    };
}

/// A document the provider publishes, which `documented` contract fixtures quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProviderDocument {
    /// The name fixtures cite it by, e.g. `smsoffice-en`.
    pub id: &'static str,
    /// Its title, for reports.
    pub title: &'static str,
    /// Words only this document contains, to recognise its file among the documents.
    pub signature: &'static str,
}

/// A configuration field that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field's path within the provider's part of the configuration, e.g.
    /// `accounts[1].callback_url` or `quirks.max_content_chars`.
    pub field: String,
    /// What is wrong.
    pub why: String,
}

/// Something the gateway does with an endpoint's handler, which the provider's folder picks:
/// check a request's head, or run it once read.
pub trait Runner<D: Descriptor + ?Sized> {
    /// What it comes to.
    type Output;

    /// Does it with handler `H`.
    fn run<H>(self) -> Self::Output
    where
        H: Handler<Quirks = D::Quirks, State = D::State>;
}

/// Everything the program asks of one provider. Each provider folder implements it on a unit
/// type, and `providers/mod.rs` lists that type once.
pub trait Descriptor: 'static {
    /// Which provider this is.
    const PROVIDER: Provider;
    /// The real service's host names (an https client of it names one of these).
    const HOSTS: &'static [&'static str];
    /// True when the provider's own document writes its URLs with `https://` (a client sending
    /// credentials to its host over plain http is linted).
    const HTTPS_DOCUMENTED: bool = false;
    /// Every endpoint, by its short name (`send`, `status`, ...).
    const ENDPOINTS: &'static [Endpoint];
    /// The parameters that carry credentials, and the placeholders fixtures write for them.
    const CREDENTIALS: &'static [(&'static str, &'static str)];
    /// The environment variable that gives each credential parameter in live mode and recording.
    const LIVE_ENV: &'static [(&'static str, &'static str)];
    /// What the configuration and the admin API call an account's id (`key`, `login`, ...).
    const ACCOUNT_ID: &'static str;
    /// The largest request body its web server takes by default.
    const MAX_BODY_BYTES: usize;
    /// What a body over the limit gets.
    const OVER_BODY_LIMIT: OverLimit;
    /// The methods the endpoints take, for the `Allow` header of a 405.
    const ALLOW: &'static str;
    /// An error code meaning "temporary failure", whose reply a `garbage` fault borrows.
    const TEMPORARY_ERROR: i64;
    /// The time zone it writes dates in: a name for the clock's listing, and the UTC offset.
    const ZONE: (&'static str, i64);
    /// True when it sends delivery callbacks (the fault scope `PROVIDER.callback`).
    const CALLBACKS: bool = false;
    /// The documents it publishes, which fixtures may quote.
    const DOCUMENTS: &'static [ProviderDocument] = &[];

    /// Its quirks.
    type Quirks: QuirkSet;
    /// Its section of the configuration file.
    type Section: Debug + Clone + Default + Serialize + DeserializeOwned + Send + Sync;
    /// Its part of the running world: accounts, id counters.
    type State: Debug + Send;
    /// One account, as the configuration and the admin API write it; its JSON Schema is the
    /// admin API's OpenAPI document's `{Provider}Account`.
    type Account: Debug + Clone + Serialize + DeserializeOwned + JsonSchema + Send;
    /// A change to an account (`PATCH /__admin/accounts/...`), described the same way.
    type AccountPatch: DeserializeOwned + JsonSchema;

    /// The endpoint `path` names, as the provider's web server reads paths.
    fn route(path: &str) -> Option<Routed>;

    /// What to say of a path no endpoint serves, when clients are known to call it.
    fn unknown_path_hint(_path: &str) -> Option<String> {
        None
    }

    /// Hands `runner` the handler of `endpoint` (one of [`Descriptor::ENDPOINTS`]).
    fn dispatch<R: Runner<Self>>(endpoint: Endpoint, runner: R) -> R::Output;

    /// The provider's own error reply for `code` (a code its table has).
    fn error_response(quirks: &Self::Quirks, code: i64) -> Response;

    /// `Ok` when the provider has error `code`; otherwise a refusal listing the valid ones.
    fn check_error_code(code: i64) -> Result<(), String>;

    /// The state the configuration starts with.
    fn new_state(section: &Self::Section) -> Self::State;

    /// The configured accounts.
    fn configured_accounts(section: &Self::Section) -> &[Self::Account];

    /// The running accounts, by id.
    fn accounts(state: &Self::State) -> &super::Accounts<Self::Account>;

    /// The running accounts, by id, to change.
    fn accounts_mut(state: &mut Self::State) -> &mut super::Accounts<Self::Account>;

    /// An account's id.
    fn account_id(account: &Self::Account) -> &str;

    /// An account's balance, in the provider's unit.
    fn balance(account: &Self::Account) -> u64;

    /// What an account must satisfy beyond its type (e.g. a usable callback URL).
    fn check_account(_account: &Self::Account) -> Result<(), Invalid> {
        Ok(())
    }

    /// What a patch must satisfy beyond its type.
    fn check_patch(_patch: &Self::AccountPatch) -> Result<(), Invalid> {
        Ok(())
    }

    /// Applies a patch to an account.
    fn apply(account: &mut Self::Account, patch: Self::AccountPatch);

    /// What the configuration must satisfy beyond its types: limits of at least 1, and so on.
    fn validate(_section: &Self::Section, _quirks: &Self::Quirks) -> Result<(), Invalid> {
        Ok(())
    }

    /// One line of the start banner for a configured account (its credentials and state).
    fn banner_line(account: &Self::Account) -> String;
}
