//! smsco.ge reply codes: bare four-digit numbers in a plain-text body.

use crate::domain::error::Error as DomainError;

/// Every failure code smsco.ge documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SmscoError {
    /// 2904: SMS Sending Failed (no usable recipient).
    #[error("2904")]
    SendingFailed,
    /// 2905: Invalid username/password combination.
    #[error("2905")]
    InvalidCredentials,
    /// 2906: Credit exhausted.
    #[error("2906")]
    CreditExhausted,
    /// 2907: Gateway unavailable (only through fault injection).
    #[error("2907")]
    GatewayUnavailable,
    /// 2908: Invalid schedule date format.
    #[error("2908")]
    InvalidScheduleFormat,
    /// 2909: Unable to schedule (the date is past).
    #[error("2909")]
    UnableToSchedule,
    /// 2910: Username is empty.
    #[error("2910")]
    UsernameEmpty,
    /// 2911: Password is empty.
    #[error("2911")]
    PasswordEmpty,
    /// 2912: Recipient is empty.
    #[error("2912")]
    RecipientEmpty,
    /// 2913: Message is empty.
    #[error("2913")]
    MessageEmpty,
    /// 2914: Sender is empty (the account has no brand).
    #[error("2914")]
    SenderEmpty,
    /// 2915: One or more required fields are empty.
    #[error("2915")]
    RequiredFieldsEmpty,
}

impl SmscoError {
    /// Every code.
    pub const ALL: [SmscoError; 12] = [
        SmscoError::SendingFailed,
        SmscoError::InvalidCredentials,
        SmscoError::CreditExhausted,
        SmscoError::GatewayUnavailable,
        SmscoError::InvalidScheduleFormat,
        SmscoError::UnableToSchedule,
        SmscoError::UsernameEmpty,
        SmscoError::PasswordEmpty,
        SmscoError::RecipientEmpty,
        SmscoError::MessageEmpty,
        SmscoError::SenderEmpty,
        SmscoError::RequiredFieldsEmpty,
    ];

    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            SmscoError::SendingFailed => 2904,
            SmscoError::InvalidCredentials => 2905,
            SmscoError::CreditExhausted => 2906,
            SmscoError::GatewayUnavailable => 2907,
            SmscoError::InvalidScheduleFormat => 2908,
            SmscoError::UnableToSchedule => 2909,
            SmscoError::UsernameEmpty => 2910,
            SmscoError::PasswordEmpty => 2911,
            SmscoError::RecipientEmpty => 2912,
            SmscoError::MessageEmpty => 2913,
            SmscoError::SenderEmpty => 2914,
            SmscoError::RequiredFieldsEmpty => 2915,
        }
    }

    /// The error with this code, if smsco has one.
    pub fn from_code(code: i64) -> Option<SmscoError> {
        SmscoError::ALL
            .into_iter()
            .find(|e| i64::from(e.code()) == code)
    }

    /// The body: the bare code.
    pub fn body(self) -> String {
        self.code().to_string()
    }
}

impl From<DomainError> for SmscoError {
    fn from(e: DomainError) -> SmscoError {
        match e {
            DomainError::UnknownAccount
            | DomainError::ApiDisabled
            | DomainError::AccountBlocked => SmscoError::InvalidCredentials,
            DomainError::InsufficientBalance { .. } => SmscoError::CreditExhausted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_map_to_codes() {
        let table = [
            (DomainError::UnknownAccount, 2905),
            (DomainError::ApiDisabled, 2905),
            (DomainError::AccountBlocked, 2905),
            (
                DomainError::InsufficientBalance {
                    needed: 5,
                    available: 0,
                },
                2906,
            ),
        ];
        for (domain, code) in table {
            assert_eq!(SmscoError::from(domain.clone()).code(), code, "{domain:?}");
        }
    }

    #[test]
    fn codes_round_trip_and_render_bare() {
        for e in SmscoError::ALL {
            assert_eq!(SmscoError::from_code(i64::from(e.code())), Some(e));
            assert_eq!(e.body(), e.code().to_string());
        }
        assert_eq!(SmscoError::from_code(80), None);
    }
}
