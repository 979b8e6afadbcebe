//! smsco.ge reply codes: bare four-digit numbers in a plain-text body.

use super::ErrorBody;
use crate::domain::error::Error as DomainError;

error_table! {
    /// Every failure code smsco.ge documents, with its description.
    pub enum SmscoError: u16, "an smsco code" {
        /// No usable recipient.
        SendingFailed = 2904, "SMS Sending Failed";
        /// No account has this username and password.
        InvalidCredentials = 2905, "Invalid username/password combination";
        /// The balance does not cover the charge.
        CreditExhausted = 2906, "Credit exhausted";
        /// Only through fault injection.
        GatewayUnavailable = 2907, "Gateway unavailable";
        /// `schedule` is not `YYYY-MM-DD HH:mm:ss`.
        InvalidScheduleFormat = 2908, "Invalid schedule date format";
        /// `schedule` is in the past.
        UnableToSchedule = 2909, "Unable to schedule";
        /// `username` empty.
        UsernameEmpty = 2910, "Username is empty";
        /// `password` empty.
        PasswordEmpty = 2911, "Password is empty";
        /// `recipient` empty.
        RecipientEmpty = 2912, "Recipient is empty";
        /// `message` empty.
        MessageEmpty = 2913, "Message is empty";
        /// The account has no brand.
        SenderEmpty = 2914, "Sender is empty";
        /// Both `recipient` and `message` empty.
        RequiredFieldsEmpty = 2915, "One or more required fields are empty";
    }
}

impl SmscoError {
    /// The body, as quirk `smsco.error_body` writes it.
    pub fn body(self, form: ErrorBody) -> String {
        match form {
            ErrorBody::Code => self.code().to_string(),
            ErrorBody::CodeAndText => format!("{}={}", self.code(), self.text()),
        }
    }
}

impl From<DomainError> for SmscoError {
    fn from(e: DomainError) -> SmscoError {
        match e {
            DomainError::UnknownAccount | DomainError::AccountBlocked => {
                SmscoError::InvalidCredentials
            }
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
        for &e in SmscoError::ALL {
            assert_eq!(SmscoError::from_code(i64::from(e.code())), Some(e));
            assert_eq!(e.body(ErrorBody::Code), e.code().to_string());
        }
        assert_eq!(SmscoError::from_code(80), None);
    }
}
