//! How many SMS segments a text takes: GSM 03.38 7-bit when every character is in the default
//! alphabet (extension characters count two septets), UCS-2 otherwise (UTF-16 code units).

use serde::Serialize;

/// The encoding a text is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// GSM 03.38 default alphabet, 7 bits per character.
    Gsm7,
    /// UCS-2, 16 bits per UTF-16 code unit.
    Ucs2,
}

/// The segment count of a text and the encoding it was counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentCount {
    /// The encoding the text needs.
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Segments charged; 1 for an empty text.
    pub segments: u32,
}

const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// Septets of each ASCII character (0 for none in the alphabet), from the two tables above: most
/// texts are ASCII, and a table look-up is far cheaper than searching the alphabet string.
const ASCII_SEPTETS: [u8; 128] = {
    let mut table = [0u8; 128];
    let (basic, extension) = (GSM7_BASIC.as_bytes(), GSM7_EXTENSION.as_bytes());
    let mut i = 0;
    while i < basic.len() {
        if basic[i] < 128 {
            table[basic[i] as usize] = 1;
        }
        i += 1;
    }
    i = 0;
    while i < extension.len() {
        if extension[i] < 128 {
            table[extension[i] as usize] = 2;
        }
        i += 1;
    }
    table
};

/// Septets a character takes in GSM-7, or `None` when it is outside the alphabet.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if c.is_ascii() {
        return match ASCII_SEPTETS[c as usize] {
            0 => None,
            n => Some(usize::from(n)),
        };
    }
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The length of `text` in UTF-16 code units, as .NET and the UCS-2 alphabet count it. ASCII
/// text, most of it, is as long as its bytes: checked at once rather than encoded.
pub fn utf16_len(text: &str) -> usize {
    if text.is_ascii() {
        text.len()
    } else {
        text.encode_utf16().count()
    }
}

/// Counts the segments of `text`: 160 septets in one segment or 153 per segment beyond; 70 UCS-2
/// units in one or 67 per segment beyond.
pub fn count(text: &str) -> SegmentCount {
    let septets = if text.is_ascii() {
        // Most texts: a table look-up a byte, without decoding characters.
        text.bytes()
            .try_fold(0, |sum, b| match ASCII_SEPTETS[usize::from(b)] {
                0 => None,
                n => Some(sum + usize::from(n)),
            })
    } else {
        text.chars().map(gsm7_septets).sum()
    };
    let (encoding, units, single, multi) = match septets {
        Some(n) => (Encoding::Gsm7, n, 160, 153),
        None => (Encoding::Ucs2, utf16_len(text), 70, 67),
    };
    let segments = if units <= single {
        1
    } else {
        units.div_ceil(multi)
    };
    SegmentCount {
        encoding,
        units,
        segments: u32::try_from(segments).unwrap_or(u32::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_length_counts_surrogate_pairs_twice() {
        for (text, units) in [
            ("", 0),
            ("hello", 5),
            ("გამარჯობა", 9),
            ("ok 👍", 5),
            ("€", 1),
        ] {
            assert_eq!(utf16_len(text), units, "{text}");
            assert_eq!(utf16_len(text), text.encode_utf16().count(), "{text}");
        }
    }

    #[test]
    fn ascii_table_agrees_with_the_alphabet() {
        for c in (0u8..128).map(char::from) {
            let searched = if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            };
            assert_eq!(gsm7_septets(c), searched, "{c:?}");
        }
        assert_eq!(gsm7_septets('`'), None);
        assert_eq!(gsm7_septets('€'), Some(2));
        assert_eq!(gsm7_septets('Ä'), Some(1));
    }

    #[test]
    fn ascii_text_counts_as_its_characters_do() {
        for c in (0u8..128).map(char::from) {
            let text = format!("a{c}{c}");
            let by_characters: Option<usize> = text.chars().map(gsm7_septets).sum();
            let counted = count(&text);
            match by_characters {
                Some(septets) => assert_eq!(
                    (counted.encoding, counted.units),
                    (Encoding::Gsm7, septets),
                    "{c:?}"
                ),
                None => assert_eq!(
                    (counted.encoding, counted.units),
                    (Encoding::Ucs2, 3),
                    "{c:?}"
                ),
            }
        }
    }

    #[test]
    fn gsm7_boundaries() {
        assert_eq!(count(&"a".repeat(160)).segments, 1);
        assert_eq!(count(&"a".repeat(161)).segments, 2);
        assert_eq!(count(&"a".repeat(306)).segments, 2);
        assert_eq!(count(&"a".repeat(307)).segments, 3);
        assert_eq!(count("").segments, 1);
    }

    #[test]
    fn extension_characters_count_two_septets() {
        let c = count(&"{".repeat(80));
        assert_eq!((c.encoding, c.units, c.segments), (Encoding::Gsm7, 160, 1));
        assert_eq!(count(&"{".repeat(81)).segments, 2);
        assert_eq!(count("€").units, 2);
    }

    #[test]
    fn non_gsm_text_is_ucs2_in_utf16_units() {
        assert_eq!(count(&"გ".repeat(70)).segments, 1);
        assert_eq!(count(&"გ".repeat(71)).segments, 2);
        assert_eq!(count(&"გ".repeat(134)).segments, 2);
        assert_eq!(count(&"გ".repeat(135)).segments, 3);
        // An emoji is two UTF-16 units.
        let c = count("😀");
        assert_eq!((c.encoding, c.units), (Encoding::Ucs2, 2));
        // One non-GSM character turns the whole text into UCS-2.
        assert_eq!(count(&format!("{}✓", "a".repeat(70))).segments, 2);
    }
}
