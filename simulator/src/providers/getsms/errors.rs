//! getsms.uz error objects: `[{"error":1,"text":"...","error_no":N}]` at the top level, and the
//! per-item 300 error; the JSON writer both use.

use std::io;

use serde::Serialize;

use super::ErrorKey;
use crate::domain::error::Error as DomainError;

error_table! {
    /// Every error getsms.uz documents, with its documented text.
    pub enum GetsmsError: u16, "a getsms error_no" {
        /// `login` or `password` absent or empty.
        CredentialsMissing = 100, "Login or Password is NULL";
        /// No account has this login and password.
        CredentialsIncorrect = 101, "Incorrect Login or Password";
        /// The account is blocked.
        AccountBlocked = 102, "Account blocked";
        /// The balance does not cover the charge.
        LimitIsOver = 103, "Limit is over";
        /// `data` is not JSON.
        NotJson = 200, "Array is not a JSON";
        /// `data` is not an array of 1 to 100 items.
        InvalidArray = 201, "Array is invalid";
        /// `nickname` absent.
        NicknameMissing = 202, "Nickname didn't set";
        /// `nickname` not registered to the account.
        NicknameIncorrect = 203, "Incorrect nickname";
        /// One item's phone (per item).
        NotAPhoneNumber = 300, "is NOT a phone number";
        /// `request_id` unknown or malformed.
        RequestIdWrong = 400, "request_id is wrong";
    }
}

/// One top-level error object: `{"error":1,"<key>":"...","error_no":N}`.
#[derive(Debug)]
pub struct ErrorObject {
    key: ErrorKey,
    error: GetsmsError,
}

impl Serialize for ErrorObject {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let key = match self.key {
            ErrorKey::Text => "text",
            ErrorKey::ErrorText => "error_text",
        };
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("error", &1)?;
        map.serialize_entry(key, self.error.text())?;
        map.serialize_entry("error_no", &self.error.code())?;
        map.end()
    }
}

impl GetsmsError {
    /// The top-level reply: an array of one error object, its text under `key` (the
    /// `getsms.error_key` quirk).
    pub fn reply(self, key: ErrorKey) -> [ErrorObject; 1] {
        [ErrorObject { key, error: self }]
    }
}

impl From<DomainError> for GetsmsError {
    fn from(e: DomainError) -> GetsmsError {
        match e {
            DomainError::UnknownAccount => GetsmsError::CredentialsIncorrect,
            DomainError::AccountBlocked => GetsmsError::AccountBlocked,
            DomainError::InsufficientBalance { .. } => GetsmsError::LimitIsOver,
        }
    }
}

/// PHP `json_encode` defaults inside strings: non-ASCII as `\uXXXX` (UTF-16 units, lowercase
/// hex) and `/` as `\/`. Everything else is serde_json's own output.
struct PhpEscapes;

impl serde_json::ser::Formatter for PhpEscapes {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain_from = 0;
        for (i, c) in fragment.char_indices() {
            if c != '/' && c.is_ascii() {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain_from..i])?;
            if c == '/' {
                writer.write_all(b"\\/")?;
            } else {
                for unit in c.encode_utf16(&mut [0u16; 2]) {
                    write!(writer, "\\u{unit:04x}")?;
                }
            }
            plain_from = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain_from..])
    }
}

/// Serialises a reply, with PHP's escapes when `php_escapes`. `size_hint` is the expected length,
/// so the buffer is allocated once.
pub fn to_body(value: &impl Serialize, php_escapes: bool, size_hint: usize) -> String {
    let mut out = Vec::with_capacity(size_hint);
    let written = if php_escapes {
        value.serialize(&mut serde_json::Serializer::with_formatter(
            &mut out, PhpEscapes,
        ))
    } else {
        value.serialize(&mut serde_json::Serializer::new(&mut out))
    };
    written.expect("replies are plain data and always serialise");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_replies_are_byte_exact() {
        assert_eq!(
            to_body(
                &GetsmsError::CredentialsIncorrect.reply(ErrorKey::Text),
                false,
                0
            ),
            r#"[{"error":1,"text":"Incorrect Login or Password","error_no":101}]"#
        );
        assert_eq!(
            to_body(
                &GetsmsError::LimitIsOver.reply(ErrorKey::ErrorText),
                false,
                0
            ),
            r#"[{"error":1,"error_text":"Limit is over","error_no":103}]"#
        );
    }

    #[test]
    fn domain_errors_map_to_codes() {
        let table = [
            (DomainError::UnknownAccount, 101),
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
        for &e in GetsmsError::ALL {
            assert_eq!(GetsmsError::from_code(i64::from(e.code())), Some(e));
        }
    }

    #[test]
    fn php_escapes_match_json_encode() {
        let v = json!({"text": "тест a/b 😀 \"q\"\n"});
        assert_eq!(
            to_body(&v, false, 0),
            "{\"text\":\"тест a/b 😀 \\\"q\\\"\\n\"}"
        );
        assert_eq!(
            to_body(&v, true, 0),
            r#"{"text":"\u0442\u0435\u0441\u0442 a\/b \ud83d\ude00 \"q\"\n"}"#
        );
    }
}
