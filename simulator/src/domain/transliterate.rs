//! Georgian to Latin, by the national romanisation system of 2002, for gateways that carry
//! Latin text only.

use super::segments::gsm7_septets;

/// The Latin form of one Georgian (Mkhedruli) letter.
fn georgian_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ა' => "a",
        'ბ' => "b",
        'გ' => "g",
        'დ' => "d",
        'ე' => "e",
        'ვ' => "v",
        'ზ' => "z",
        'თ' => "t",
        'ი' => "i",
        'კ' => "k",
        'ლ' => "l",
        'მ' => "m",
        'ნ' => "n",
        'ო' => "o",
        'პ' => "p",
        'ჟ' => "zh",
        'რ' => "r",
        'ს' => "s",
        'ტ' => "t",
        'უ' => "u",
        'ფ' => "p",
        'ქ' => "k",
        'ღ' => "gh",
        'ყ' => "q",
        'შ' => "sh",
        'ჩ' => "ch",
        'ც' => "ts",
        'ძ' => "dz",
        'წ' => "ts",
        'ჭ' => "ch",
        'ხ' => "kh",
        'ჯ' => "j",
        'ჰ' => "h",
        _ => return None,
    })
}

/// Rewrites `text` into the GSM-7 alphabet: Georgian letters romanised when `georgian` is
/// true, every other character outside GSM-7 replaced by `?`.
pub fn to_gsm7(text: &str, georgian: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match (
            gsm7_septets(c),
            georgian.then(|| georgian_letter(c)).flatten(),
        ) {
            (Some(_), _) => out.push(c),
            (None, Some(latin)) => out.push_str(latin),
            (None, None) => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romanises_georgian_and_replaces_the_rest() {
        assert_eq!(to_gsm7("გამარჯობა", true), "gamarjoba");
        assert_eq!(to_gsm7("შეხვედრა 5-ზე!", true), "shekhvedra 5-ze!");
        assert_eq!(to_gsm7("Привет ✓ ok", true), "?????? ? ok");
        assert_eq!(to_gsm7("გა", false), "??");
        assert_eq!(to_gsm7("Hello {ok}", true), "Hello {ok}");
    }
}
