//! smsco behaviours no evidence settles (`quirks."smsco.NAME"` in the configuration).

use serde::{Deserialize, Serialize};

/// smsco's quirks. Each field is documented by its type and in the README's quirks table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Quirks {
    /// Which `balance` values read the balance.
    pub balance_flag: BalanceFlag,
    /// The replies' `Content-Type`.
    pub content_type: String,
    /// What happens to text outside the Latin alphabet.
    pub non_latin: NonLatin,
    /// What getstatus.php answers for an unknown `mes_id`.
    pub status_unknown_mes_id: UnknownMesId,
}

impl Default for Quirks {
    fn default() -> Quirks {
        Quirks {
            balance_flag: BalanceFlag::TrueOnly,
            content_type: "text/html; charset=UTF-8".into(),
            non_latin: NonLatin::Transliterate,
            status_unknown_mes_id: UnknownMesId::Empty,
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
    /// `2904`, the generic failure code.
    Error2904,
}
