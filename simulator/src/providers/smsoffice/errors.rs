//! smsoffice.ge ErrorCodes, their messages, and the JSON envelope every reply uses.

use serde::Serialize;

use crate::domain::error::Error as DomainError;

error_table! {
    /// Every ErrorCode smsoffice.ge documents (English table, plus 40 and 110 from the Georgian
    /// one). The text is the English document's description; 40 and 110, which only the
    /// Georgian document lists, in translation.
    pub enum SmsofficeError: i32, "an smsoffice ErrorCode" {
        /// Every number is foreign.
        NoValidNumbers = 10, "Destination does not contain any valid numbers";
        /// Balance below the charge.
        InsufficientBalance = 20, "Balance is insufficient";
        /// Content over the length limit.
        ContentTooLong = 40, "Content is too long";
        /// Content empty.
        ContentEmpty = 60, "Content parameter is missing";
        /// Destination empty.
        DestinationEmpty = 70, "Destination parameter is empty";
        /// Every number stop-listed.
        AllStopListed = 75, "All numbers are stoplisted";
        /// Every number malformed.
        AllInvalidFormat = 76, "All numbers have invalid format";
        /// A mix of stop-listed, malformed and foreign numbers.
        StopListedOrInvalid = 77, "All numbers are stoplisted or have invalid format";
        /// No account has this key.
        KeyIncorrect = 80, "API key is incorrect";
        /// The sender is not a possible title.
        SenderMalformed = 110, "Sender is invalid";
        /// API access disabled for the account.
        ApiDisabled = 120, "API access is disabled";
        /// The sender is not registered to the account.
        SenderNotFound = 150, "Sender not found";
        /// `key` absent.
        KeyMissing = 500, "API key is missing";
        /// `destination` absent.
        DestinationMissing = 600, "Destination is missing";
        /// `sender` absent.
        SenderMissing = 700, "Sender is missing";
        /// `content` absent.
        ContentMissing = 800, "Content is missing";
        /// Temporary delay (only through fault injection).
        TemporaryDelay = -100, "Temporary delay";
    }
}

/// The `Message` of a successful reply.
pub const SUCCESS_MESSAGE: &str = "The request has been successfully received by our system.";

impl From<DomainError> for SmsofficeError {
    fn from(e: DomainError) -> SmsofficeError {
        match e {
            DomainError::UnknownAccount => SmsofficeError::KeyIncorrect,
            DomainError::AccountBlocked => SmsofficeError::ApiDisabled,
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
            message: e.text(),
            output: None,
            error_code: e.code(),
        }
    }

    /// The exact body bytes.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("envelope serialisation cannot fail")
    }

    /// The exact body: the plain success (most replies) written once, the rest serialised.
    pub fn to_body(&self) -> axum::body::Body {
        if self.success && self.output.is_none() {
            axum::body::Body::from(PLAIN_SUCCESS)
        } else {
            axum::body::Body::from(self.to_json())
        }
    }
}

/// The envelope of a success with nothing in `Output`, as serde writes it (unit-tested).
const PLAIN_SUCCESS: &str = concat!(
    r#"{"Success":true,"Message":""#,
    "The request has been successfully received by our system.",
    r#"","Output":null,"ErrorCode":0}"#
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_success_written_once_is_what_serde_writes() {
        assert_eq!(PLAIN_SUCCESS, Envelope::success(None).to_json());
        assert!(PLAIN_SUCCESS.contains(SUCCESS_MESSAGE));
    }

    #[test]
    fn domain_errors_map_to_codes() {
        let table = [
            (DomainError::UnknownAccount, 80),
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
        for &e in SmsofficeError::ALL {
            assert_eq!(SmsofficeError::from_code(i64::from(e.code())), Some(e));
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
