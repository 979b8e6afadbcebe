//! getsms behaviours no evidence settles (`quirks."getsms.NAME"` in the configuration).

use serde::{Deserialize, Serialize};

/// getsms's quirks. Each field is documented by its type and in the README's quirks table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// Whether a missing nickname is refused (202) or the account's first one is used.
    pub nickname_required: bool,
    /// The replies' `Content-Type`.
    pub content_type: String,
    /// How non-ASCII text is written in JSON.
    pub json_escape: JsonEscape,
    /// Whether query-string parameters are read.
    pub get_params: GetParams,
}

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            nickname_required: true,
            content_type: "text/html; charset=UTF-8".into(),
            json_escape: JsonEscape::Unescaped,
            get_params: GetParams::Ignored,
        }
    }
}

/// How getsms writes non-ASCII text in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonEscape {
    /// As UTF-8, as the provider's document shows it.
    Unescaped,
    /// PHP `json_encode` defaults: `\uXXXX` for non-ASCII and `\/` for `/`.
    PhpDefault,
}

/// Whether getsms reads query-string parameters of a GET.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GetParams {
    /// Only POST parameters are read (the document says parameters are sent by POST).
    Ignored,
    /// Query parameters are read too.
    Read,
}
