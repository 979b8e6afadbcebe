//! The names the domain may know the providers by: an enum of providers and one of their
//! endpoints. What each endpoint means lives in the provider's own folder.

use serde::{Deserialize, Serialize};

/// The three simulated gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// smsoffice.ge
    Smsoffice,
    /// smsco.ge
    Smsco,
    /// getsms.uz
    Getsms,
}

impl Provider {
    /// Every provider, in a fixed order.
    pub const ALL: [Provider; 3] = [Provider::Smsoffice, Provider::Smsco, Provider::Getsms];

    /// The lowercase name used in URLs, config and the admin API.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Smsoffice => "smsoffice",
            Provider::Smsco => "smsco",
            Provider::Getsms => "getsms",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The provider's endpoints.
    pub fn endpoints(self) -> impl Iterator<Item = Endpoint> {
        Endpoint::ALL
            .into_iter()
            .filter(move |e| e.provider() == self)
    }
}

/// Every endpoint a client can call. Paths, fault scopes, the journal and dispatch all use
/// this one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// smsoffice `/api/v2/send/`.
    SmsofficeSend,
    /// smsoffice `/api/getBalance`.
    SmsofficeBalance,
    /// smsoffice `/api/v2/getMessageStatus/`.
    SmsofficeStatus,
    /// smsco `smsapi2.php` (sending and the balance).
    SmscoSend,
    /// smsco `getstatus.php`.
    SmscoStatus,
    /// getsms `/smsgateway/`.
    GetsmsSend,
    /// getsms `/smsgateway/status/`.
    GetsmsStatus,
}

impl Endpoint {
    /// Every endpoint, grouped by provider.
    pub const ALL: [Endpoint; 7] = [
        Endpoint::SmsofficeSend,
        Endpoint::SmsofficeBalance,
        Endpoint::SmsofficeStatus,
        Endpoint::SmscoSend,
        Endpoint::SmscoStatus,
        Endpoint::GetsmsSend,
        Endpoint::GetsmsStatus,
    ];

    /// The provider it belongs to.
    pub fn provider(self) -> Provider {
        match self {
            Endpoint::SmsofficeSend | Endpoint::SmsofficeBalance | Endpoint::SmsofficeStatus => {
                Provider::Smsoffice
            }
            Endpoint::SmscoSend | Endpoint::SmscoStatus => Provider::Smsco,
            Endpoint::GetsmsSend | Endpoint::GetsmsStatus => Provider::Getsms,
        }
    }

    /// The short name within its provider (`send`, `balance`, `status`), as fault scopes and the
    /// journal write it.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::SmsofficeSend | Endpoint::SmscoSend | Endpoint::GetsmsSend => "send",
            Endpoint::SmsofficeBalance => "balance",
            Endpoint::SmsofficeStatus | Endpoint::SmscoStatus | Endpoint::GetsmsStatus => "status",
        }
    }

    /// The endpoint `provider` calls `name`.
    pub fn parse(provider: Provider, name: &str) -> Option<Endpoint> {
        provider.endpoints().find(|e| e.name() == name)
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
    fn every_endpoint_parses_back_from_its_provider_and_name() {
        for endpoint in Endpoint::ALL {
            assert_eq!(
                Endpoint::parse(endpoint.provider(), endpoint.name()),
                Some(endpoint)
            );
        }
        assert_eq!(Endpoint::parse(Provider::Smsco, "balance"), None);
    }
}
