//! The providers, each in its own folder owning everything about it: paths, typed endpoints,
//! parameters, quirks and their defaults, accounts, ids, error table, time zone, reply types,
//! callback format. No folder knows another. [`for_each_provider!`] lists them once; everything
//! above this layer asks that list (through [`Descriptor`], [`Entry`] and [`with_provider!`]).

/// Every provider the simulator serves: its folder and the type there that implements
/// [`Descriptor`]. **A new provider is its folder and one line here.** The domain's `Provider`
/// enum, the configuration's sections and quirks, the world's state, dispatch and every listing
/// are generated from this list.
///
/// `for_each_provider!(path::to::macro, args...)` invokes that macro with `[args...]` followed
/// by the list, one `folder::Type,` per provider (with any `#[cfg]` before it).
macro_rules! for_each_provider {
    ($($then:ident)::+ $(, $($args:tt)*)?) => {
        $($then)::+! { [$($($args)*)?]
            smsoffice::Smsoffice,
            smsco::Smsco,
            getsms::Getsms,
            #[cfg(test)] fakegate::Fakegate,
        }
    };
}
pub(crate) use for_each_provider;

/// Evaluates `body` with the type alias `G` naming `provider`'s [`Descriptor`]:
/// `with_provider!(provider, G => G::NAME)`. Generic code over providers is written once and
/// this one `match`, generated from the list, picks the provider.
macro_rules! with_provider {
    ($provider:expr, $g:ident => $body:expr) => {
        $crate::providers::for_each_provider!(
            $crate::providers::provider_arms,
            $provider,
            $g,
            $body
        )
    };
}
pub(crate) use with_provider;

/// The `match` behind [`with_provider!`].
macro_rules! provider_arms {
    ([$provider:expr, $g:ident, $body:expr] $( $(#[$attr:meta])* $folder:ident :: $ty:ident, )*) => {
        match $provider {
            $( $(#[$attr])* $crate::domain::Provider::$ty => {
                // A body that needs only the provider value leaves the alias unused.
                #[allow(dead_code)]
                type $g = $crate::providers::$folder::$ty;
                $body
            } )*
        }
    };
}
pub(crate) use provider_arms;

/// Declares each provider's folder.
macro_rules! declare_folders {
    ([] $( $(#[$attr:meta])* $folder:ident :: $ty:ident, )*) => {
        $( $(#[$attr])* pub mod $folder; )*
        /// What every provider answers without its types, in the list's order.
        pub const ENTRIES: &[Entry] = &[ $( $(#[$attr])* Entry::of::<$folder::$ty>(), )* ];
    };
}

/// Declares a provider's error codes once: each variant with its code and the provider's text.
/// Generates `ALL`, `code()`, `text()`, `from_code()`, `check()` and `Display` (the code).
macro_rules! error_table {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $code_ty:ty, $what:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every code, in the table's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The numeric code.
            pub fn code(self) -> $code_ty {
                match self {
                    $($name::$variant => $code),*
                }
            }

            /// The provider's text for it.
            pub fn text(self) -> &'static str {
                match self {
                    $($name::$variant => $text),*
                }
            }

            /// The error with this code, if the provider has one.
            pub fn from_code(code: i64) -> Option<$name> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|e| i64::from(e.code()) == code)
            }

            /// `Ok` when the provider has `code` (for fault specs); otherwise a refusal that
            /// lists the valid ones.
            pub fn check(code: i64) -> Result<(), String> {
                if Self::from_code(code).is_some() {
                    return Ok(());
                }
                let valid: Vec<String> = Self::ALL.iter().map(|e| e.code().to_string()).collect();
                Err(format!("{code} is not {}; valid: {}", $what, valid.join(", ")))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.code())
            }
        }

        impl std::error::Error for $name {}
    };
}

/// Declares an account's patch (`PATCH /__admin/accounts/...`): every listed field optional, an
/// absent one left as it is; and the account's `apply`, written once for all fields.
macro_rules! account_patch {
    (
        $(#[$meta:meta])*
        pub struct $patch:ident for $account:ident {
            $( $(#[$field_meta:meta])* $field:ident: $ty:ty, )*
        }
    ) => {
        // The derives first: `$meta` may hold their helper attributes (`#[schemars(...)]`).
        #[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
        $(#[$meta])*
        #[serde(deny_unknown_fields)]
        pub struct $patch {
            $( $(#[$field_meta])* pub $field: Option<$ty>, )*
        }

        impl $account {
            /// Applies a patch: each field it gives replaces the account's.
            pub fn apply(&mut self, patch: $patch) {
                $( if let Some(value) = patch.$field { self.$field = value; } )*
            }
        }
    };
}

/// Implements [`Flip`] for a quirk enum of exactly two choices.
macro_rules! flip_between {
    ($ty:ident: $a:ident <-> $b:ident) => {
        impl crate::providers::Flip for $ty {
            fn flipped(self) -> $ty {
                match self {
                    $ty::$a => $ty::$b,
                    $ty::$b => $ty::$a,
                }
            }
        }
    };
}

#[macro_use]
mod descriptor;
for_each_provider!(declare_folders);

use indexmap::IndexMap;
use serde::Deserialize;

use crate::domain::faults::{Scope, Vocabulary};
use crate::domain::{Endpoint, Provider};
use crate::http::OverLimit;
use crate::http::params::{DuplicateParams, NameMatching};
pub use descriptor::{Descriptor, Invalid, ProviderDocument, QuirkSet, Runner};

/// One provider's answers that need none of its types: plain data and function pointers, so a
/// listing, the router or the log can go through every provider in a loop.
#[derive(Debug)]
pub struct Entry {
    /// Which provider.
    pub provider: Provider,
    /// The real service's host names.
    pub hosts: &'static [&'static str],
    /// Whether its document writes its URLs with `https://`.
    pub https_documented: bool,
    /// Its endpoints.
    pub endpoints: &'static [Endpoint],
    /// Credential parameters and their fixture placeholders.
    pub credentials: &'static [(&'static str, &'static str)],
    /// Credential parameters and the environment variables live mode reads them from.
    pub live_env: &'static [(&'static str, &'static str)],
    /// What an account's id is called.
    pub account_id: &'static str,
    /// What a body over the limit gets.
    pub over_body_limit: OverLimit,
    /// The methods it takes.
    pub allow: &'static str,
    /// An error code meaning "temporary failure".
    pub temporary_error: i64,
    /// Its time zone's name and UTC offset in hours.
    pub zone: (&'static str, i64),
    /// Whether it sends delivery callbacks.
    pub callbacks: bool,
    /// Its quirks' names.
    pub quirk_names: &'static [&'static str],
    /// The documents it publishes.
    pub documents: &'static [ProviderDocument],
    /// The endpoint a path names.
    pub route: fn(&str) -> Option<Routed>,
    /// What to say of an unknown path clients are known to call.
    pub unknown_path_hint: fn(&str) -> Option<String>,
    /// Whether an error code is the provider's.
    pub check_error_code: fn(i64) -> Result<(), String>,
}

impl Entry {
    const fn of<D: Descriptor>() -> Entry {
        Entry {
            provider: D::PROVIDER,
            hosts: D::HOSTS,
            https_documented: D::HTTPS_DOCUMENTED,
            endpoints: D::ENDPOINTS,
            credentials: D::CREDENTIALS,
            live_env: D::LIVE_ENV,
            account_id: D::ACCOUNT_ID,
            over_body_limit: D::OVER_BODY_LIMIT,
            allow: D::ALLOW,
            temporary_error: D::TEMPORARY_ERROR,
            zone: D::ZONE,
            callbacks: D::CALLBACKS,
            quirk_names: <D::Quirks as QuirkSet>::NAMES,
            documents: D::DOCUMENTS,
            route: D::route,
            unknown_path_hint: D::unknown_path_hint,
            check_error_code: D::check_error_code,
        }
    }
}

/// `provider`'s entry.
pub fn entry(provider: Provider) -> &'static Entry {
    with_provider!(provider, G => {
        const ENTRY: Entry = Entry::of::<G>();
        &ENTRY
    })
}

/// The endpoint a path belongs to, as each provider's web server reads its paths.
pub fn route(path: &str) -> Option<Routed> {
    ENTRIES.iter().find_map(|e| (e.route)(path))
}

/// What to say of a path no provider serves, when clients are known to call it.
pub fn unknown_path_hint(path: &str) -> Option<String> {
    ENTRIES.iter().find_map(|e| (e.unknown_path_hint)(path))
}

/// The endpoint `provider` calls `name`.
pub fn endpoint(provider: Provider, name: &str) -> Option<Endpoint> {
    entry(provider)
        .endpoints
        .iter()
        .copied()
        .find(|e| e.name() == name)
}

/// The fault syntax's words, from the providers' endpoints, callbacks and error tables.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults;

impl Vocabulary for Faults {
    fn scope(&self, provider: &str, endpoint: Option<&str>) -> Option<Scope> {
        let provider = Provider::parse(provider)?;
        match endpoint {
            None => Some(Scope::Provider(provider)),
            Some("callback") if entry(provider).callbacks => Some(Scope::Callback(provider)),
            Some(name) => self::endpoint(provider, name).map(Scope::Endpoint),
        }
    }

    fn scope_names(&self) -> String {
        let mut names = vec!["*".to_owned()];
        for entry in ENTRIES {
            let provider = entry.provider.name();
            names.push(provider.to_owned());
            names.extend(
                entry
                    .endpoints
                    .iter()
                    .map(|e| format!("{provider}.{}", e.name())),
            );
            if entry.callbacks {
                names.push(format!("{provider}.callback"));
            }
        }
        names.join(", ")
    }

    fn callback_scope_names(&self) -> String {
        let names: Vec<String> = ENTRIES
            .iter()
            .filter(|e| e.callbacks)
            .map(|e| format!("{}.callback", e.provider.name()))
            .collect();
        names.join(", ")
    }

    fn check_code(&self, provider: Provider, code: i64) -> Result<(), String> {
        (entry(provider).check_error_code)(code)
    }
}

/// A path matched to its endpoint, with a lint when it matched only the way the provider's web
/// server reads paths (letter case, repeated slashes, a missing trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Why the path is risky against the real service, if it is.
    pub lint: Option<String>,
}

/// The endpoint `path` names in `table`, exactly.
fn exact(table: &[(&str, Endpoint)], path: &str) -> Option<Endpoint> {
    table.iter().find(|(p, _)| *p == path).map(|(_, e)| *e)
}

/// `path` with every run of slashes merged into one, as Apache and nginx read it; `None` when it
/// has no repeated slash.
fn merge_slashes(path: &str) -> Option<String> {
    if !path.contains("//") {
        return None;
    }
    let mut merged = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && merged.ends_with('/')) {
            merged.push(c);
        }
    }
    Some(merged)
}

/// The endpoint `path` names in `table` as Apache or nginx read it: exactly, or with repeated
/// slashes merged (with a lint).
fn route_merging_slashes(table: &[(&str, Endpoint)], path: &str) -> Option<Routed> {
    if let Some(endpoint) = exact(table, path) {
        return Some(Routed {
            endpoint,
            lint: None,
        });
    }
    let merged = merge_slashes(path)?;
    let endpoint = exact(table, &merged)?;
    Some(Routed {
        endpoint,
        lint: Some(format!(
            "repeated slashes in {path}: the real web server merges them and serves {merged}"
        )),
    })
}

/// A quirk's other choice, for showing what depends on it.
trait Flip {
    /// The other choice.
    fn flipped(self) -> Self;
}

flip_between!(NameMatching: CaseInsensitive <-> Exact);

impl Flip for DuplicateParams {
    fn flipped(self) -> DuplicateParams {
        match self {
            DuplicateParams::First => DuplicateParams::Last,
            DuplicateParams::Last | DuplicateParams::Join => DuplicateParams::First,
        }
    }
}

/// Flips a text quirk: `alternative` in place of the default, the default in place of
/// anything else.
fn flip_text(value: &mut String, default: &str, alternative: &str) {
    *value = if value == default {
        alternative.to_owned()
    } else {
        default.to_owned()
    };
}

/// A provider's running accounts by their id, in the configuration's order. Every request looks
/// its account up here: hashed with foldhash, several times quicker than the standard SipHash on
/// short ids (the ids are the tester's own, so there is no flooding to resist).
pub type Accounts<A> = IndexMap<String, A, foldhash::fast::RandomState>;

/// Accounts by their id (`id` reads it), in the configuration's order.
fn accounts_by<A: Clone>(accounts: &[A], id: impl Fn(&A) -> &str) -> Accounts<A> {
    accounts
        .iter()
        .map(|a| (id(a).to_owned(), a.clone()))
        .collect()
}

/// Whole numbers in accounts (balances, prices, ids) as the admin API's document describes them:
/// `int64`, so a client generated in C#, Java or Go holds every value it can be sent. A number
/// past `i64::MAX` is refused where it is read, in the configuration and the admin API alike.
mod int64 {
    use serde::de::{Deserialize, Deserializer, Error, Unexpected};

    /// The most an account's number may be.
    pub const MAX: u64 = i64::MAX as u64;

    /// What a number past [`MAX`] is told it should have been.
    const EXPECTED: &str = "a whole number from 0 to 9223372036854775807 (int64)";

    /// A number from 0 to [`MAX`].
    pub fn at_most<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let value = u64::deserialize(deserializer)?;
        if value > MAX {
            return Err(D::Error::invalid_value(
                Unexpected::Unsigned(value),
                &EXPECTED,
            ));
        }
        Ok(value)
    }

    /// As [`at_most`], for a patch's field: `null`, like an absent field (give it `default`
    /// too), leaves the account's value as it is.
    pub fn at_most_some<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        match Option::<u64>::deserialize(deserializer)? {
            Some(value) if value > MAX => Err(D::Error::invalid_value(
                Unexpected::Unsigned(value),
                &EXPECTED,
            )),
            given => Ok(given),
        }
    }
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`), for account
/// patches.
fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
