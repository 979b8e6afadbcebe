//! smsoffice behaviours no evidence settles, each a named, switchable setting
//! (`quirks."smsoffice.NAME"` in the configuration).

use serde::{Deserialize, Serialize};

use crate::providers::{Flip, QuirkSet, flip_text};

pub use crate::http::params::{DuplicateParams, NameMatching};

/// smsoffice's quirks. Each field is documented by its type and in docs/quirks.md's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// What a POST to the slashless `/api/v2/send` gets.
    pub slashless_post: SlashlessPost,
    /// What getBalance answers for a missing or unknown key.
    pub balance_bad_key: BalanceBadKey,
    /// How parameter names are compared.
    pub param_names: NameMatching,
    /// Which value a repeated parameter takes.
    pub duplicate_params: DuplicateParams,
    /// The order of the send and status checks.
    pub check_order: CheckOrder,
    /// Longest `content`, in UTF-16 code units.
    pub max_content_chars: usize,
    /// Longest request target (documented: 4096 bytes).
    pub max_request_target: usize,
    /// What a longer request target gets.
    pub long_target: LongTarget,
    /// Whether `showServiceTime=true` changes the reply.
    pub show_service_time: ShowServiceTime,
    /// The replies' `Content-Type`.
    pub content_type: String,
    /// Whether sender titles are compared ignoring case.
    pub sender_case: SenderCase,
    /// What getMessageStatus says for a message never sent.
    pub status_never_sent: StatusNeverSent,
    /// The letter case of the callback's `status`.
    pub callback_status_case: CallbackStatusCase,
    /// Which receiver bodies acknowledge a callback.
    pub callback_ack: CallbackAck,
    /// The callback `timestamp`'s hours.
    pub callback_clock: CallbackClock,
    /// The callback `timestamp`'s time zone.
    pub callback_zone: CallbackZone,
}

/// The hours of the callback's `timestamp`, which the document writes `yyyyMMddhhmmss` (in .NET,
/// `hh` is the 12-hour clock) and shows only with a morning time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackClock {
    /// 00 to 23.
    H24,
    /// 01 to 12, as .NET writes `hh`.
    H12,
}

/// The time zone of the callback's `timestamp`, which the document does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackZone {
    /// Georgia (UTC+4), where the service is.
    Georgia,
    /// UTC.
    Utc,
}

/// The replies' `Content-Type` by default.
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
/// Its flipped value.
const CONTENT_TYPE_FLIPPED: &str = "text/html; charset=utf-8";

impl QuirkSet for Quirks {
    const NAMES: &'static [&'static str] = &[
        "slashless_post",
        "balance_bad_key",
        "param_names",
        "duplicate_params",
        "check_order",
        "max_content_chars",
        "max_request_target",
        "long_target",
        "show_service_time",
        "content_type",
        "sender_case",
        "status_never_sent",
        "callback_status_case",
        "callback_ack",
        "callback_clock",
        "callback_zone",
    ];

    fn flip(&mut self, name: &str) -> bool {
        match name {
            "slashless_post" => self.slashless_post = self.slashless_post.flipped(),
            "balance_bad_key" => self.balance_bad_key = self.balance_bad_key.flipped(),
            "param_names" => self.param_names = self.param_names.flipped(),
            "duplicate_params" => self.duplicate_params = self.duplicate_params.flipped(),
            "check_order" => self.check_order = self.check_order.flipped(),
            // The Georgian document's error 40 speaks of 160 characters.
            "max_content_chars" => {
                self.max_content_chars = if self.max_content_chars == 160 {
                    1000
                } else {
                    160
                }
            }
            "max_request_target" => {
                self.max_request_target = if self.max_request_target == 2048 {
                    4096
                } else {
                    2048
                }
            }
            "long_target" => self.long_target = self.long_target.flipped(),
            "show_service_time" => self.show_service_time = self.show_service_time.flipped(),
            "content_type" => flip_text(&mut self.content_type, CONTENT_TYPE, CONTENT_TYPE_FLIPPED),
            "sender_case" => self.sender_case = self.sender_case.flipped(),
            "status_never_sent" => self.status_never_sent = self.status_never_sent.flipped(),
            "callback_status_case" => {
                self.callback_status_case = self.callback_status_case.flipped()
            }
            "callback_ack" => self.callback_ack = self.callback_ack.flipped(),
            "callback_clock" => self.callback_clock = self.callback_clock.flipped(),
            "callback_zone" => self.callback_zone = self.callback_zone.flipped(),
            _ => return false,
        }
        true
    }

    fn content_type(&self) -> &str {
        &self.content_type
    }
}

flip_between!(SlashlessPost: Redirect <-> Accept);
flip_between!(BalanceBadKey: Zero <-> Envelope);
flip_between!(CheckOrder: PresenceFirst <-> AuthFirst);
flip_between!(ShowServiceTime: Output <-> Ignore);
flip_between!(SenderCase: Ignore <-> Exact);
flip_between!(StatusNeverSent: Unknown <-> Pending);
flip_between!(CallbackStatusCase: Capitalized <-> Lowercase);
flip_between!(CallbackAck: Trimmed <-> Exact);
flip_between!(LongTarget: UriTooLong <-> NotFound);
flip_between!(CallbackClock: H24 <-> H12);
flip_between!(CallbackZone: Georgia <-> Utc);

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            slashless_post: SlashlessPost::Redirect,
            balance_bad_key: BalanceBadKey::Zero,
            param_names: NameMatching::CaseInsensitive,
            duplicate_params: DuplicateParams::First,
            check_order: CheckOrder::PresenceFirst,
            max_content_chars: 1000,
            max_request_target: 4096,
            long_target: LongTarget::UriTooLong,
            show_service_time: ShowServiceTime::Output,
            content_type: CONTENT_TYPE.into(),
            sender_case: SenderCase::Ignore,
            status_never_sent: StatusNeverSent::Unknown,
            callback_status_case: CallbackStatusCase::Capitalized,
            callback_ack: CallbackAck::Trimmed,
            callback_clock: CallbackClock::H24,
            callback_zone: CallbackZone::Georgia,
        }
    }
}

/// What a request target longer than `smsoffice.max_request_target` gets; the document says
/// only to use POST past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LongTarget {
    /// 414 URI Too Long with a short page, as a web server answers a target over its limit.
    UriTooLong,
    /// 404 with a short page, as IIS request filtering answers a URL or query string over its
    /// limits (its substatuses 404.14 and 404.15).
    NotFound,
}

/// What a POST to the slashless `/api/v2/send` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlashlessPost {
    /// 301 to `/api/v2/send/` with the same query, as IIS does.
    Redirect,
    /// Served like the slashed path.
    Accept,
}

/// What getBalance answers for a missing or unknown key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceBadKey {
    /// The bare integer `0`.
    Zero,
    /// The JSON envelope with ErrorCode 500 or 80.
    Envelope,
}

/// The order of smsoffice send checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOrder {
    /// 500, 600, 700, 800 (absent parameters) before 80, 120 (the key's account).
    PresenceFirst,
    /// 500, 80, 120 (the key) before 600, 700, 800.
    AuthFirst,
}

/// Whether `showServiceTime=true` changes the reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowServiceTime {
    /// `Output` carries `{"ServiceTime": <ms>}`.
    Output,
    /// The flag is ignored.
    Ignore,
}

/// Whether sender titles are compared ignoring case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SenderCase {
    /// `smsoffice` finds the title `SMSOFFICE` (the provider's own example does this).
    Ignore,
    /// Titles must match exactly.
    Exact,
}

/// What getMessageStatus says for a destination/reference pair never sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusNeverSent {
    /// `Success:true` with `Status:"Unknown"`.
    Unknown,
    /// `Success:true` with `Status:"Pending"`.
    Pending,
}

/// The letter case of the callback's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackStatusCase {
    /// `Delivered`, as the document's table writes it.
    Capitalized,
    /// `delivered`, as the document's example URL writes it.
    Lowercase,
}

/// Which receiver bodies count as the `OK` acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackAck {
    /// `OK` with surrounding white space allowed (a PHP `echo "OK\n"`), from a 2xx answer.
    Trimmed,
    /// Exactly `OK`, from a 2xx answer.
    Exact,
}
