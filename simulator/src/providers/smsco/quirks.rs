//! smsco behaviours no evidence settles (`quirks."smsco.NAME"` in the configuration).

use serde::{Deserialize, Serialize};

use crate::providers::{Flip, QuirkSet, flip_text};

/// smsco's quirks. Each field is documented by its type and in docs/quirks.md's table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// Which `balance` values read the balance.
    pub balance_flag: BalanceFlag,
    /// The unit of the balance reply.
    pub balance_unit: BalanceUnit,
    /// The replies' `Content-Type`.
    pub content_type: String,
    /// How a failure code is written.
    pub error_body: ErrorBody,
    /// What happens to text outside the Latin alphabet.
    pub non_latin: NonLatin,
    /// How getstatus.php writes a status.
    pub status_body: StatusBody,
    /// What getstatus.php answers for an unknown `mes_id`.
    pub status_unknown_mes_id: UnknownMesId,
    /// Whether `/api/getstatus.php` serves the status, as `/api/sendsms.php` serves sends.
    pub status_alias: StatusAlias,
    /// The order of smsapi2.php's checks.
    pub check_order: CheckOrder,
}

/// Whether `/api/getstatus.php` is an alias of getstatus.php. `/api/sendsms.php` is seen in use
/// for sending; the status alias is inferred from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusAlias {
    /// Served like getstatus.php.
    Served,
    /// Answered 404, like any path the server does not have.
    NotFound,
}

/// The order of smsapi2.php's checks, which the document does not give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOrder {
    /// The credentials (2905, 2910, 2911) before the fields (2912, 2913, 2915).
    CredentialsFirst,
    /// The fields before the credentials.
    FieldsFirst,
}

/// The replies' `Content-Type` by default.
const CONTENT_TYPE: &str = "text/html; charset=UTF-8";
/// Its flipped value.
const CONTENT_TYPE_FLIPPED: &str = "text/plain; charset=UTF-8";

impl QuirkSet for Quirks {
    const NAMES: &'static [&'static str] = &[
        "balance_flag",
        "balance_unit",
        "content_type",
        "error_body",
        "non_latin",
        "status_body",
        "status_unknown_mes_id",
        "status_alias",
        "check_order",
    ];

    fn flip(&mut self, name: &str) -> bool {
        match name {
            "balance_flag" => self.balance_flag = self.balance_flag.flipped(),
            "balance_unit" => self.balance_unit = self.balance_unit.flipped(),
            "content_type" => flip_text(&mut self.content_type, CONTENT_TYPE, CONTENT_TYPE_FLIPPED),
            "error_body" => self.error_body = self.error_body.flipped(),
            "non_latin" => self.non_latin = self.non_latin.flipped(),
            "status_body" => self.status_body = self.status_body.flipped(),
            "status_unknown_mes_id" => {
                self.status_unknown_mes_id = self.status_unknown_mes_id.flipped()
            }
            "status_alias" => self.status_alias = self.status_alias.flipped(),
            "check_order" => self.check_order = self.check_order.flipped(),
            _ => return false,
        }
        true
    }

    fn content_type(&self) -> &str {
        &self.content_type
    }
}

flip_between!(BalanceFlag: TrueOnly <-> AnyNonempty);
flip_between!(BalanceUnit: Tetri <-> Lari);
flip_between!(ErrorBody: Code <-> CodeAndText);
flip_between!(StatusBody: Digit <-> DigitAndName);
flip_between!(NonLatin: Transliterate <-> QuestionMarks);
flip_between!(UnknownMesId: Empty <-> Error2904);
flip_between!(StatusAlias: Served <-> NotFound);
flip_between!(CheckOrder: CredentialsFirst <-> FieldsFirst);

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            balance_flag: BalanceFlag::TrueOnly,
            balance_unit: BalanceUnit::Tetri,
            content_type: CONTENT_TYPE.into(),
            error_body: ErrorBody::Code,
            non_latin: NonLatin::Transliterate,
            status_body: StatusBody::Digit,
            status_unknown_mes_id: UnknownMesId::Empty,
            status_alias: StatusAlias::Served,
            check_order: CheckOrder::CredentialsFirst,
        }
    }
}

/// Which `balance` values make smsco answer the balance instead of sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceFlag {
    /// Only `true`, in any letter case (the document says "Set to true").
    TrueOnly,
    /// Any non-empty value (a PHP `if ($_REQUEST['balance'])` would also take `1`, `yes`).
    AnyNonempty,
}

/// What smsco does with text outside its Latin alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NonLatin {
    /// Georgian letters become Latin (national romanisation), anything else outside GSM-7 `?`.
    Transliterate,
    /// Every character outside GSM-7 becomes `?`.
    QuestionMarks,
}

/// What smsco's getstatus.php answers for a `mes_id` it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownMesId {
    /// An empty body.
    Empty,
    /// `2904`, the generic failure code. Written `error_2904`, as docs/quirks.md names it
    /// (snake case alone would make it `error2904`, still read).
    #[serde(rename = "error_2904", alias = "error2904")]
    Error2904,
}

/// The unit smsapi2.php's balance reply is written in (the document shows the request only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalanceUnit {
    /// The bare integer of tetri, the unit the send reply charges in (`10000`).
    Tetri,
    /// Lari with two decimals (`100.00`).
    Lari,
}

/// How smsco writes a failure (the document lists each code as `2905=Invalid ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorBody {
    /// The bare code: `2905`.
    Code,
    /// The code and its text as the document's list writes them:
    /// `2905=Invalid username/password combination`.
    CodeAndText,
}

/// How getstatus.php writes a status (the document lists each as `1 | Delivered – ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusBody {
    /// The bare digit: `1`.
    Digit,
    /// The digit and the status's English name: `1 Delivered`.
    DigitAndName,
}
