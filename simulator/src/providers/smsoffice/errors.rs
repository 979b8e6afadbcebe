//! smsoffice.ge ErrorCodes, their messages, and the JSON envelope every reply uses.

use serde::Serialize;

use crate::domain::error::Error as DomainError;

/// Every ErrorCode smsoffice.ge documents (English table, plus 40 and 110 from the Georgian one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SmsofficeError {
    /// 10: every number is foreign.
    #[error("10")]
    NoValidNumbers,
    /// 20: balance below the charge.
    #[error("20")]
    InsufficientBalance,
    /// 40: content over the length limit.
    #[error("40")]
    ContentTooLong,
    /// 60: content empty.
    #[error("60")]
    ContentEmpty,
    /// 70: destination empty.
    #[error("70")]
    DestinationEmpty,
    /// 75: every number stop-listed.
    #[error("75")]
    AllStopListed,
    /// 76: every number malformed.
    #[error("76")]
    AllInvalidFormat,
    /// 77: a mix of stop-listed, malformed and foreign numbers.
    #[error("77")]
    StopListedOrInvalid,
    /// 80: no account has this key.
    #[error("80")]
    KeyIncorrect,
    /// 110: the sender is not a possible title.
    #[error("110")]
    SenderMalformed,
    /// 120: API access disabled for the account.
    #[error("120")]
    ApiDisabled,
    /// 150: the sender is not registered to the account.
    #[error("150")]
    SenderNotFound,
    /// 500: `key` absent.
    #[error("500")]
    KeyMissing,
    /// 600: `destination` absent.
    #[error("600")]
    DestinationMissing,
    /// 700: `sender` absent.
    #[error("700")]
    SenderMissing,
    /// 800: `content` absent.
    #[error("800")]
    ContentMissing,
    /// -100: temporary delay (only through fault injection).
    #[error("-100")]
    TemporaryDelay,
}

/// The `Message` of a successful reply.
pub const SUCCESS_MESSAGE: &str = "The request has been successfully received by our system.";

impl SmsofficeError {
    /// Every code, for tables and for validating fault specs.
    pub const ALL: [SmsofficeError; 17] = [
        SmsofficeError::NoValidNumbers,
        SmsofficeError::InsufficientBalance,
        SmsofficeError::ContentTooLong,
        SmsofficeError::ContentEmpty,
        SmsofficeError::DestinationEmpty,
        SmsofficeError::AllStopListed,
        SmsofficeError::AllInvalidFormat,
        SmsofficeError::StopListedOrInvalid,
        SmsofficeError::KeyIncorrect,
        SmsofficeError::SenderMalformed,
        SmsofficeError::ApiDisabled,
        SmsofficeError::SenderNotFound,
        SmsofficeError::KeyMissing,
        SmsofficeError::DestinationMissing,
        SmsofficeError::SenderMissing,
        SmsofficeError::ContentMissing,
        SmsofficeError::TemporaryDelay,
    ];

    /// The numeric ErrorCode.
    pub fn code(self) -> i32 {
        match self {
            SmsofficeError::NoValidNumbers => 10,
            SmsofficeError::InsufficientBalance => 20,
            SmsofficeError::ContentTooLong => 40,
            SmsofficeError::ContentEmpty => 60,
            SmsofficeError::DestinationEmpty => 70,
            SmsofficeError::AllStopListed => 75,
            SmsofficeError::AllInvalidFormat => 76,
            SmsofficeError::StopListedOrInvalid => 77,
            SmsofficeError::KeyIncorrect => 80,
            SmsofficeError::SenderMalformed => 110,
            SmsofficeError::ApiDisabled => 120,
            SmsofficeError::SenderNotFound => 150,
            SmsofficeError::KeyMissing => 500,
            SmsofficeError::DestinationMissing => 600,
            SmsofficeError::SenderMissing => 700,
            SmsofficeError::ContentMissing => 800,
            SmsofficeError::TemporaryDelay => -100,
        }
    }

    /// The error with this code, if smsoffice has one.
    pub fn from_code(code: i32) -> Option<SmsofficeError> {
        SmsofficeError::ALL.into_iter().find(|e| e.code() == code)
    }

    /// The `Message` text: the English document's description; 40 and 110, which only the
    /// Georgian document lists, in translation.
    pub fn message(self) -> &'static str {
        match self {
            SmsofficeError::NoValidNumbers => "Destination does not contain any valid numbers",
            SmsofficeError::InsufficientBalance => "Balance is insufficient",
            SmsofficeError::ContentTooLong => "Content is too long",
            SmsofficeError::ContentEmpty => "Content parameter is missing",
            SmsofficeError::DestinationEmpty => "Destination parameter is empty",
            SmsofficeError::AllStopListed => "All numbers are stoplisted",
            SmsofficeError::AllInvalidFormat => "All numbers have invalid format",
            SmsofficeError::StopListedOrInvalid => {
                "All numbers are stoplisted or have invalid format"
            }
            SmsofficeError::KeyIncorrect => "API key is incorrect",
            SmsofficeError::SenderMalformed => "Sender is invalid",
            SmsofficeError::ApiDisabled => "API access is disabled",
            SmsofficeError::SenderNotFound => "Sender not found",
            SmsofficeError::KeyMissing => "API key is missing",
            SmsofficeError::DestinationMissing => "Destination is missing",
            SmsofficeError::SenderMissing => "Sender is missing",
            SmsofficeError::ContentMissing => "Content is missing",
            SmsofficeError::TemporaryDelay => "Temporary delay",
        }
    }
}

impl From<DomainError> for SmsofficeError {
    fn from(e: DomainError) -> SmsofficeError {
        match e {
            DomainError::UnknownAccount => SmsofficeError::KeyIncorrect,
            DomainError::ApiDisabled | DomainError::AccountBlocked => SmsofficeError::ApiDisabled,
            DomainError::InsufficientBalance { .. } => SmsofficeError::InsufficientBalance,
        }
    }
}

/// What `Output` holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Output {
    /// A send's extras; serialised as `null` by [`Envelope`] when empty.
    Send {
        /// Numbers dropped for being stop-listed.
        #[serde(rename = "StopListed", skip_serializing_if = "Option::is_none")]
        stop_listed: Option<Vec<String>>,
        /// Processing time in milliseconds, with `showServiceTime=true`.
        #[serde(rename = "ServiceTime", skip_serializing_if = "Option::is_none")]
        service_time: Option<u64>,
    },
    /// getMessageStatus's answer.
    Status {
        /// `Delivered`, `Undelivered`, `Expired`, `Pending` or `Unknown`.
        #[serde(rename = "Status")]
        status: &'static str,
    },
}

/// The reply envelope, keys in the provider's order and case.
#[derive(Debug, Serialize)]
pub struct Envelope {
    #[serde(rename = "Success")]
    success: bool,
    #[serde(rename = "Message")]
    message: &'static str,
    #[serde(rename = "Output")]
    output: Option<Output>,
    #[serde(rename = "ErrorCode")]
    error_code: i32,
}

impl Envelope {
    /// A successful reply; an empty send output becomes `null`.
    pub fn success(output: Option<Output>) -> Envelope {
        let output = output.filter(|o| {
            *o != Output::Send {
                stop_listed: None,
                service_time: None,
            }
        });
        Envelope {
            success: true,
            message: SUCCESS_MESSAGE,
            output,
            error_code: 0,
        }
    }

    /// A failed reply.
    pub fn error(e: SmsofficeError) -> Envelope {
        Envelope {
            success: false,
            message: e.message(),
            output: None,
            error_code: e.code(),
        }
    }

    /// The exact body bytes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("envelope serialisation cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_map_to_codes() {
        let table = [
            (DomainError::UnknownAccount, 80),
            (DomainError::ApiDisabled, 120),
            (DomainError::AccountBlocked, 120),
            (
                DomainError::InsufficientBalance {
                    needed: 2,
                    available: 1,
                },
                20,
            ),
        ];
        for (domain, code) in table {
            assert_eq!(
                SmsofficeError::from(domain.clone()).code(),
                code,
                "{domain:?}"
            );
        }
    }

    #[test]
    fn codes_round_trip() {
        for e in SmsofficeError::ALL {
            assert_eq!(SmsofficeError::from_code(e.code()), Some(e));
        }
        assert_eq!(SmsofficeError::from_code(2905), None);
    }

    #[test]
    fn envelopes_are_byte_exact() {
        assert_eq!(
            Envelope::error(SmsofficeError::KeyMissing).to_json(),
            r#"{"Success":false,"Message":"API key is missing","Output":null,"ErrorCode":500}"#
        );
        assert_eq!(
            Envelope::success(Some(Output::Send {
                stop_listed: None,
                service_time: None
            }))
            .to_json(),
            r#"{"Success":true,"Message":"The request has been successfully received by our system.","Output":null,"ErrorCode":0}"#
        );
        assert_eq!(
            Envelope::success(Some(Output::Send {
                stop_listed: Some(vec!["995555000004".into()]),
                service_time: Some(3)
            }))
            .to_json(),
            r#"{"Success":true,"Message":"The request has been successfully received by our system.","Output":{"StopListed":["995555000004"],"ServiceTime":3},"ErrorCode":0}"#
        );
    }
}
