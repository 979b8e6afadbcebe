//! The three providers, each in its own folder owning everything about it: paths, typed
//! endpoints, parameters, quirks and their defaults, accounts, ids, error table, time zone,
//! reply types, callback format. Nothing here knows another provider.

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
        $(#[$meta])*
        #[derive(Debug, Clone, Default, serde::Deserialize)]
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

pub mod getsms;
pub mod smsco;
pub mod smsoffice;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::domain::Endpoint;
use crate::http::params::{DuplicateParams, NameMatching};

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

/// Accounts by their id (`id` reads it), in the configuration's order.
fn accounts_by<A: Clone>(accounts: &[A], id: impl Fn(&A) -> &str) -> IndexMap<String, A> {
    accounts
        .iter()
        .map(|a| (id(a).to_owned(), a.clone()))
        .collect()
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
