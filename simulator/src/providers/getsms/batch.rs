//! The `data` of a send, parsed straight into typed items and checked before the world lock is
//! taken. Parsing stops at the first item past the limit: a larger batch is error 201 whatever
//! follows, so its size costs nothing.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::Deserializer;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::errors::GetsmsError;
use super::input::Data;
use crate::domain::numbers::{self, NumberClass, UZBEKISTAN};
use crate::domain::segments::{self, SegmentCount};

/// Most items one request may carry.
pub const MAX_ITEMS: usize = 100;

/// One `{phone, text}` item, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// The phone as written (a JSON string, or a JSON integer's digits).
    pub phone: String,
    /// The text, shared with the stored message and the reply.
    pub text: Arc<str>,
    /// Whether the phone is an Uzbek mobile number (others are answered with error 300).
    pub valid: bool,
    /// Segments the text takes.
    pub count: SegmentCount,
}

/// The items of `data`: an array of 1 to [`MAX_ITEMS`] objects, each with a string or integer
/// `phone` and a string `text` (other keys ignored, a repeated key's last value counts, as PHP's
/// `json_decode` reads it). Text that is not JSON is 200; JSON of any other shape is 201.
pub fn items(data: Option<&Data>) -> Result<Vec<Item>, GetsmsError> {
    let Data(text) = data.ok_or(GetsmsError::NotJson)?;
    let mut reader = serde_json::Deserializer::from_str(text);
    let parsed = match reader.deserialize_seq(Batch).and_then(|items| {
        reader.end()?;
        Ok(items)
    }) {
        Ok(items) => Some(items),
        // Syntax errors are only known once the whole text is read: a batch cut short by a bad
        // item is still 200 if the text is not JSON at all.
        Err(_) if serde_json::from_str::<IgnoredAny>(text).is_err() => {
            return Err(GetsmsError::NotJson);
        }
        Err(_) => None,
    };
    parsed
        .filter(|items| !items.is_empty())
        .ok_or(GetsmsError::InvalidArray)
}

impl Item {
    fn new(phone: Cow<'_, str>, text: Cow<'_, str>) -> Item {
        Item {
            valid: numbers::classify(&phone, UZBEKISTAN) == NumberClass::Valid,
            count: segments::count(&text),
            phone: phone.into_owned(),
            text: Arc::from(text.as_ref()),
        }
    }
}

/// Room for a usual batch without growing the vector.
const USUAL_ITEMS: usize = 16;

/// Reads a JSON array of items, refusing the one past [`MAX_ITEMS`].
struct Batch;

/// One item's phone and text, borrowed from the JSON text where it has no escapes.
type RawItem<'de> = (Cow<'de, str>, Cow<'de, str>);

impl<'de> Visitor<'de> for Batch {
    type Value = Vec<Item>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {phone, text} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(USUAL_ITEMS);
        while let Some((phone, text)) = seq.next_element_seed(ItemSeed)? {
            if items.len() == MAX_ITEMS {
                return Err(de::Error::custom("more than 100 items"));
            }
            items.push(Item::new(phone, text));
        }
        Ok(items)
    }
}

struct ItemSeed;

impl<'de> de::DeserializeSeed<'de> for ItemSeed {
    type Value = RawItem<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ItemSeed {
    type Value = RawItem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with phone and text")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut phone, mut text) = (None, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "phone" => phone = Some(map.next_value_seed(PHONE)?),
                "text" => text = Some(map.next_value_seed(TEXT)?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        match (phone, text) {
            (Some(phone), Some(text)) => Ok((phone, text)),
            _ => Err(de::Error::custom("an item needs phone and text")),
        }
    }
}

/// A JSON string, borrowed where it has no escapes; with `integers`, an integer's digits too
/// (a phone may be written either way). Anything else is refused.
#[derive(Clone, Copy)]
struct StrSeed {
    integers: bool,
}

/// A phone: a string as written, or an integer's digits.
const PHONE: StrSeed = StrSeed { integers: true };
/// A text: a string only.
const TEXT: StrSeed = StrSeed { integers: false };

impl<'de> de::DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        if self.integers {
            deserializer.deserialize_any(self)
        } else {
            deserializer.deserialize_str(self)
        }
    }
}

impl<'de> Visitor<'de> for StrSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.integers {
            "a string or an integer"
        } else {
            "a string"
        })
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.integer(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.integer(v)
    }
}

impl StrSeed {
    fn integer<E: de::Error>(self, v: impl fmt::Display) -> Result<Cow<'static, str>, E> {
        if self.integers {
            Ok(Cow::Owned(v.to_string()))
        } else {
            Err(E::custom("a number where a string belongs"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn from_text(text: &str) -> Result<Vec<Item>, GetsmsError> {
        items(Some(&Data(text.to_owned())))
    }

    #[test]
    fn items_accept_string_or_integer_phones_and_refuse_junk() {
        let ok = from_text(
            r#"[{"phone": "998901234567", "text": "a"}, {"phone": 998901234568, "text": "b", "x": [1]}]"#,
        )
        .unwrap();
        assert_eq!(ok[1].phone, "998901234568");
        assert!(ok[0].valid && ok[1].valid);
        let too_many = Value::Array(vec![json!({"phone": "998901234567", "text": "a"}); 101]);
        for junk in [
            json!([]),
            json!({"phone": "998901234567", "text": "a"}),
            json!([{"phone": "998901234567"}]),
            json!([{"phone": ["998901234567"], "text": "a"}]),
            json!([{"phone": "998901234567", "text": {"nested": 1}}]),
            json!([{"phone": 99.5, "text": "a"}]),
            json!(["998901234567"]),
            too_many,
        ] {
            assert_eq!(
                from_text(&junk.to_string()),
                Err(GetsmsError::InvalidArray),
                "{junk}"
            );
        }
    }

    #[test]
    fn text_that_is_not_json_is_200_even_after_a_bad_item() {
        for text in ["", "[", "not json", r#"[{"phone": 1}, oops]"#, "[] []"] {
            assert_eq!(from_text(text), Err(GetsmsError::NotJson), "{text}");
        }
        assert_eq!(items(None), Err(GetsmsError::NotJson));
    }

    #[test]
    fn escaped_text_is_decoded() {
        let items = from_text(r#"[{"phone": "998901234567", "text": "a\"b\u0442"}]"#).unwrap();
        assert_eq!(&*items[0].text, "a\"bт");
    }

    #[test]
    fn a_repeated_key_takes_its_last_value() {
        let items = from_text(r#"[{"phone": "1", "text": "a", "phone": "998901234567"}]"#).unwrap();
        assert_eq!(items[0].phone, "998901234567");
    }

    #[test]
    fn parsing_stops_at_the_item_past_the_limit() {
        let mut text = String::from("[");
        for _ in 0..100_000 {
            text.push_str(r#"{"phone":"998901234567","text":"a"},"#);
        }
        text.push_str(r#"{"phone":"998901234567","text":"a"}]"#);
        assert_eq!(from_text(&text), Err(GetsmsError::InvalidArray));
    }
}
