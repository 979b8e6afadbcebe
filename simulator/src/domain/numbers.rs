//! Classifying destination numbers the way the Georgian and Uzbek gateways do.

use serde::Serialize;

/// What a destination string is, relative to one provider's home country.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberClass {
    /// A mobile number of the provider's own country, in international form.
    Valid,
    /// A well-formed international number of another country.
    Foreign,
    /// Anything else: `+`, spaces, letters, a local number, the wrong length.
    InvalidFormat,
}

/// A country's mobile numbering: country code plus the national mobile prefix and length.
#[derive(Debug, Clone, Copy)]
pub struct Country {
    /// Country calling code, e.g. `995`.
    pub code: &'static str,
    /// What a mobile number starts with, country code included, e.g. `9955`.
    pub mobile_prefix: &'static str,
    /// Total digits of a mobile number in international form.
    pub mobile_len: usize,
}

/// Georgia: `9955` + 8 digits.
pub const GEORGIA: Country = Country {
    code: "995",
    mobile_prefix: "9955",
    mobile_len: 12,
};
/// Uzbekistan: `998` + 9 digits.
pub const UZBEKISTAN: Country = Country {
    code: "998",
    mobile_prefix: "998",
    mobile_len: 12,
};

/// Classifies `number` for a provider whose home is `country`.
pub fn classify(number: &str, country: Country) -> NumberClass {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return NumberClass::InvalidFormat;
    }
    if number.starts_with(country.mobile_prefix) && number.len() == country.mobile_len {
        return NumberClass::Valid;
    }
    if (10..=15).contains(&number.len())
        && !number.starts_with('0')
        && !number.starts_with(country.code)
    {
        return NumberClass::Foreign;
    }
    NumberClass::InvalidFormat
}

/// True for a 9-digit Georgian mobile number written without the country code (`5XXXXXXXX`):
/// accepted nowhere, but a common client mistake worth a lint.
pub fn looks_like_local_georgian(number: &str) -> bool {
    number.len() == 9 && number.starts_with('5') && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn georgian_numbers() {
        assert_eq!(classify("995555123456", GEORGIA), NumberClass::Valid);
        assert_eq!(
            classify("995322123456", GEORGIA),
            NumberClass::InvalidFormat
        );
        assert_eq!(classify("99555512345", GEORGIA), NumberClass::InvalidFormat);
        assert_eq!(
            classify("+995555123456", GEORGIA),
            NumberClass::InvalidFormat
        );
        assert_eq!(classify("555123456", GEORGIA), NumberClass::InvalidFormat);
        assert_eq!(classify("998901234567", GEORGIA), NumberClass::Foreign);
        assert_eq!(
            classify("0998901234567", GEORGIA),
            NumberClass::InvalidFormat
        );
        assert_eq!(classify("123456789", GEORGIA), NumberClass::InvalidFormat);
        assert_eq!(
            classify("1234567890123456", GEORGIA),
            NumberClass::InvalidFormat
        );
        assert_eq!(
            classify("99555 123456", GEORGIA),
            NumberClass::InvalidFormat
        );
        assert!(looks_like_local_georgian("555123456"));
        assert!(!looks_like_local_georgian("995555123456"));
    }

    #[test]
    fn uzbek_numbers() {
        assert_eq!(classify("998901234567", UZBEKISTAN), NumberClass::Valid);
        assert_eq!(
            classify("99890123456", UZBEKISTAN),
            NumberClass::InvalidFormat
        );
        assert_eq!(classify("995555123456", UZBEKISTAN), NumberClass::Foreign);
    }
}
