//! getsms.uz error objects: `[{"error":1,"text":"...","error_no":N}]` at the top level, and the
//! per-item 300 error.

use serde_json::json;

use crate::domain::error::Error as DomainError;

/// Every error getsms.uz documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GetsmsError {
    /// 100: Login or Password is NULL.
    #[error("100")]
    CredentialsMissing,
    /// 101: Incorrect Login or Password.
    #[error("101")]
    CredentialsIncorrect,
    /// 102: Account blocked.
    #[error("102")]
    AccountBlocked,
    /// 103: Limit is over (balance below the charge).
    #[error("103")]
    LimitIsOver,
    /// 200: Array is not a JSON.
    #[error("200")]
    NotJson,
    /// 201: Array is invalid.
    #[error("201")]
    InvalidArray,
    /// 202: Nickname didn't set.
    #[error("202")]
    NicknameMissing,
    /// 203: Incorrect nickname.
    #[error("203")]
    NicknameIncorrect,
    /// 300: is NOT a phone number (per item).
    #[error("300")]
    NotAPhoneNumber,
    /// 400: request_id is wrong.
    #[error("400")]
    RequestIdWrong,
}

impl GetsmsError {
    /// Every code.
    pub const ALL: [GetsmsError; 10] = [
        GetsmsError::CredentialsMissing,
        GetsmsError::CredentialsIncorrect,
        GetsmsError::AccountBlocked,
        GetsmsError::LimitIsOver,
        GetsmsError::NotJson,
        GetsmsError::InvalidArray,
        GetsmsError::NicknameMissing,
        GetsmsError::NicknameIncorrect,
        GetsmsError::NotAPhoneNumber,
        GetsmsError::RequestIdWrong,
    ];

    /// `error_no`.
    pub fn code(self) -> u16 {
        match self {
            GetsmsError::CredentialsMissing => 100,
            GetsmsError::CredentialsIncorrect => 101,
            GetsmsError::AccountBlocked => 102,
            GetsmsError::LimitIsOver => 103,
            GetsmsError::NotJson => 200,
            GetsmsError::InvalidArray => 201,
            GetsmsError::NicknameMissing => 202,
            GetsmsError::NicknameIncorrect => 203,
            GetsmsError::NotAPhoneNumber => 300,
            GetsmsError::RequestIdWrong => 400,
        }
    }

    /// The error with this code, if getsms has one.
    pub fn from_code(code: i64) -> Option<GetsmsError> {
        GetsmsError::ALL
            .into_iter()
            .find(|e| i64::from(e.code()) == code)
    }

    /// The documented text.
    pub fn text(self) -> &'static str {
        match self {
            GetsmsError::CredentialsMissing => "Login or Password is NULL",
            GetsmsError::CredentialsIncorrect => "Incorrect Login or Password",
            GetsmsError::AccountBlocked => "Account blocked",
            GetsmsError::LimitIsOver => "Limit is over",
            GetsmsError::NotJson => "Array is not a JSON",
            GetsmsError::InvalidArray => "Array is invalid",
            GetsmsError::NicknameMissing => "Nickname didn't set",
            GetsmsError::NicknameIncorrect => "Incorrect nickname",
            GetsmsError::NotAPhoneNumber => "is NOT a phone number",
            GetsmsError::RequestIdWrong => "request_id is wrong",
        }
    }

    /// The top-level reply: an array of one error object, key `text` (as the live service
    /// answers; the document's list writes `error_text`).
    pub fn reply(self) -> serde_json::Value {
        json!([{"error": 1, "text": self.text(), "error_no": self.code()}])
    }
}

impl From<DomainError> for GetsmsError {
    fn from(e: DomainError) -> GetsmsError {
        match e {
            DomainError::UnknownAccount => GetsmsError::CredentialsIncorrect,
            DomainError::ApiDisabled | DomainError::AccountBlocked => GetsmsError::AccountBlocked,
            DomainError::InsufficientBalance { .. } => GetsmsError::LimitIsOver,
        }
    }
}

/// Serialises a reply. `php_escapes` mimics PHP `json_encode` defaults: non-ASCII as `\uXXXX`
/// (UTF-16 units) and `/` as `\/`.
pub fn to_body(value: &serde_json::Value, php_escapes: bool) -> String {
    let plain = serde_json::to_string(value).expect("JSON values always serialise");
    if !php_escapes {
        return plain;
    }
    // Outside strings a serialised JSON text is pure ASCII without `/`, so a character-level
    // pass only ever touches string contents.
    let mut out = String::with_capacity(plain.len());
    for c in plain.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if c.is_ascii() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_replies_are_byte_exact() {
        assert_eq!(
            to_body(&GetsmsError::CredentialsIncorrect.reply(), false),
            r#"[{"error":1,"text":"Incorrect Login or Password","error_no":101}]"#
        );
    }

    #[test]
    fn domain_errors_map_to_codes() {
        let table = [
            (DomainError::UnknownAccount, 101),
            (DomainError::ApiDisabled, 102),
            (DomainError::AccountBlocked, 102),
            (
                DomainError::InsufficientBalance {
                    needed: 2,
                    available: 1,
                },
                103,
            ),
        ];
        for (domain, code) in table {
            assert_eq!(GetsmsError::from(domain.clone()).code(), code, "{domain:?}");
        }
        for e in GetsmsError::ALL {
            assert_eq!(GetsmsError::from_code(i64::from(e.code())), Some(e));
        }
    }

    #[test]
    fn php_escapes_match_json_encode() {
        let v = json!({"text": "тест a/b 😀"});
        assert_eq!(to_body(&v, false), r#"{"text":"тест a/b 😀"}"#);
        assert_eq!(
            to_body(&v, true),
            r#"{"text":"\u0442\u0435\u0441\u0442 a\/b \ud83d\ude00"}"#
        );
    }
}
