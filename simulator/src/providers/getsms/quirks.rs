//! getsms behaviours no evidence settles (`quirks."getsms.NAME"` in the configuration).

use serde::{Deserialize, Serialize};

use crate::providers::{Flip, QuirkSet, flip_text};

/// getsms's quirks. Each field is documented by its type and in docs/quirks.md's table.
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
    /// The key of a top-level error's text.
    pub error_key: ErrorKey,
    /// The status words for a message not yet delivered and one that failed.
    pub status_words: StatusWords,
    /// The time zone status dates are written in.
    pub date_zone: DateZone,
}

/// The time zone of status dates (`date_received`, `date_sent`, `date_delivered`), which the
/// document writes without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateZone {
    /// Tashkent (UTC+5), where the service is.
    Tashkent,
    /// UTC.
    Utc,
}

impl DateZone {
    /// Hours ahead of UTC.
    pub fn utc_offset_hours(self) -> i64 {
        match self {
            DateZone::Tashkent => super::UTC_OFFSET_HOURS,
            DateZone::Utc => 0,
        }
    }
}

/// The `status` words of a status row other than `delivered` (the one the document shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusWords {
    /// `sent` until the report, `failed` after a failure (a sibling deployment's client polls
    /// until `sent` changes).
    SentFailed,
    /// `pending` until the report, `undelivered` after a failure.
    PendingUndelivered,
}

/// The key under which a top-level error object carries its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKey {
    /// `text`, as the document's one example error reply (101) writes it.
    Text,
    /// `error_text`, as the document's list of errors writes it.
    ErrorText,
}

/// The replies' `Content-Type` by default.
const CONTENT_TYPE: &str = "text/html; charset=UTF-8";
/// Its flipped value.
const CONTENT_TYPE_FLIPPED: &str = "application/json";

impl QuirkSet for Quirks {
    const NAMES: &'static [&'static str] = &[
        "nickname_required",
        "content_type",
        "json_escape",
        "get_params",
        "error_key",
        "status_words",
        "date_zone",
    ];

    fn flip(&mut self, name: &str) -> bool {
        match name {
            "nickname_required" => self.nickname_required = !self.nickname_required,
            "content_type" => flip_text(&mut self.content_type, CONTENT_TYPE, CONTENT_TYPE_FLIPPED),
            "json_escape" => self.json_escape = self.json_escape.flipped(),
            "get_params" => self.get_params = self.get_params.flipped(),
            "error_key" => self.error_key = self.error_key.flipped(),
            "status_words" => self.status_words = self.status_words.flipped(),
            "date_zone" => self.date_zone = self.date_zone.flipped(),
            _ => return false,
        }
        true
    }

    fn content_type(&self) -> &str {
        &self.content_type
    }
}

flip_between!(JsonEscape: Unescaped <-> PhpDefault);
flip_between!(GetParams: Ignored <-> Read);
flip_between!(ErrorKey: Text <-> ErrorText);
flip_between!(StatusWords: SentFailed <-> PendingUndelivered);
flip_between!(DateZone: Tashkent <-> Utc);

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            nickname_required: false,
            content_type: CONTENT_TYPE.into(),
            json_escape: JsonEscape::Unescaped,
            get_params: GetParams::Ignored,
            error_key: ErrorKey::Text,
            status_words: StatusWords::SentFailed,
            date_zone: DateZone::Tashkent,
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
