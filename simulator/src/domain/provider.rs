//! The names the domain may know the providers by: an enum of providers, generated from the one
//! list of providers (`for_each_provider!` in `providers/mod.rs`, which holds names only), and
//! their endpoints by name. What each provider and endpoint means lives in its own folder.

use serde::{Deserialize, Serialize};

/// Declares [`Provider`] from the list of providers: a variant per folder, named by its type,
/// written in URLs, configuration and the admin API by its folder's name.
macro_rules! provider_enum {
    ([] $( $(#[$attr:meta])* $folder:ident :: $ty:ident, )*) => {
        /// The simulated gateways.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Provider {
            $( $(#[$attr])* #[doc = concat!("`", stringify!($folder), "`")] $ty, )*
        }

        impl Provider {
            /// Every provider, in the list's order.
            pub const ALL: &'static [Provider] = &[ $( $(#[$attr])* Provider::$ty, )* ];

            /// The lowercase name used in URLs, config and the admin API.
            pub fn name(self) -> &'static str {
                match self {
                    $( $(#[$attr])* Provider::$ty => stringify!($folder), )*
                }
            }
        }
    };
}
crate::providers::for_each_provider!(provider_enum);

impl Provider {
    /// Parses a lowercase name.
    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.iter().copied().find(|p| p.name() == name)
    }
}

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Provider {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Provider {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Provider, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Provider::parse(&name).ok_or_else(|| {
            let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
            serde::de::Error::custom(format!(
                "unknown provider `{name}`, expected one of {}",
                names.join(", ")
            ))
        })
    }
}

/// An endpoint a client can call: its provider and its short name there (`send`, `balance`,
/// `status`). Paths, fault scopes, the journal and dispatch all use this one type; each
/// provider declares its endpoints in its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    provider: Provider,
    name: &'static str,
}

impl Endpoint {
    /// The endpoint `provider` calls `name`.
    pub const fn new(provider: Provider, name: &'static str) -> Endpoint {
        Endpoint { provider, name }
    }

    /// The provider it belongs to.
    pub fn provider(self) -> Provider {
        self.provider
    }

    /// The short name within its provider, as fault scopes and the journal write it.
    pub fn name(self) -> &'static str {
        self.name
    }
}

impl Serialize for Endpoint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_parses_back_from_its_name() {
        for provider in Provider::ALL {
            assert_eq!(Provider::parse(provider.name()), Some(*provider));
            let json = serde_json::to_string(provider).unwrap();
            assert_eq!(serde_json::from_str::<Provider>(&json).unwrap(), *provider);
        }
        assert_eq!(Provider::parse("Smsoffice"), None);
    }
}
