//! The `data` of a status request, parsed straight into request ids before the world lock is
//! taken. Parsing stops at the first id past the limit, so a huge array costs nothing.

use std::fmt;

use serde::Deserializer;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::errors::GetsmsError;
use super::input::Data;

/// Most request ids one status request may ask for (the document's example asks for one).
pub const MAX_REQUEST_IDS: usize = 100;

/// The request ids of `data`: an array of 1 to [`MAX_REQUEST_IDS`] objects, each with a
/// `request_id` that is a string of digits (surrounding spaces allowed) or a non-negative
/// integer; other keys are ignored. Anything else is 400.
pub fn request_ids(data: Option<&Data>) -> Result<Vec<u64>, GetsmsError> {
    let Some(Data(text)) = data else {
        return Err(GetsmsError::RequestIdWrong);
    };
    let mut reader = serde_json::Deserializer::from_str(text);
    reader
        .deserialize_seq(Ids)
        .and_then(|ids| reader.end().map(|()| ids))
        .ok()
        .filter(|ids| !ids.is_empty())
        .ok_or(GetsmsError::RequestIdWrong)
}

/// Reads the array, refusing the id past [`MAX_REQUEST_IDS`].
struct Ids;

impl<'de> Visitor<'de> for Ids {
    type Value = Vec<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of {request_id} objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u64>, A::Error> {
        let mut ids = Vec::new();
        while let Some(id) = seq.next_element_seed(IdObject)? {
            if ids.len() == MAX_REQUEST_IDS {
                return Err(de::Error::custom("more request ids than allowed"));
            }
            ids.push(id);
        }
        Ok(ids)
    }
}

/// One `{"request_id": ...}` object.
struct IdObject;

impl<'de> de::DeserializeSeed<'de> for IdObject {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for IdObject {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object with request_id")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "request_id" {
                id = Some(map.next_value_seed(IdValue)?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        id.ok_or_else(|| de::Error::custom("no request_id"))
    }
}

/// A request id: digits in a string, or an integer.
struct IdValue;

impl<'de> de::DeserializeSeed<'de> for IdValue {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for IdValue {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("digits in a string, or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.trim().parse().map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Result<Vec<u64>, GetsmsError> {
        request_ids(Some(&Data(text.into())))
    }

    #[test]
    fn ids_are_strings_of_digits_or_integers() {
        assert_eq!(
            ids(r#"[{"request_id":"10000040"},{"request_id": 7, "x": [1]},{"request_id":" 8 "}]"#),
            Ok(vec![10_000_040, 7, 8])
        );
    }

    #[test]
    fn anything_else_is_400() {
        for bad in [
            "",
            "not json",
            "[]",
            "{}",
            r#"[{"request_id":"abc"}]"#,
            r#"[{"request_id":-1}]"#,
            r#"[{"request_id":1.5}]"#,
            r#"[{"other":1}]"#,
            r#"[{"request_id":"1"}] trailing"#,
        ] {
            assert_eq!(ids(bad), Err(GetsmsError::RequestIdWrong), "{bad}");
        }
        assert_eq!(request_ids(None), Err(GetsmsError::RequestIdWrong));
    }

    #[test]
    fn parsing_stops_at_the_id_past_the_limit() {
        let at_limit = format!(
            "[{}]",
            vec![r#"{"request_id":1}"#; MAX_REQUEST_IDS].join(",")
        );
        assert_eq!(ids(&at_limit).map(|v| v.len()), Ok(MAX_REQUEST_IDS));
        // One more id, then text that is not JSON at all: refused without reading that far.
        let over = format!(
            "{},{{\"request_id\":1}}, not json",
            &at_limit[..at_limit.len() - 1]
        );
        assert_eq!(ids(&over), Err(GetsmsError::RequestIdWrong));
    }
}
