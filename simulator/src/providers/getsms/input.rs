//! getsms request parameters, from a form body or a JSON body.

use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::GetParams;
use crate::http::params::{DuplicateParams, NameMatching, ParamList, Params, shorten};
use crate::http::{BodyKind, RawRequest};

/// The `data` parameter as JSON text still to be parsed: a form field, a JSON body's string, or
/// the text of a JSON body's array (each endpoint parses it with its own bounds).
#[derive(Debug, Clone, PartialEq)]
pub struct Data(pub String);

/// What getsms reads from a request: `None` absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GetsmsInput {
    /// Login.
    pub login: Option<String>,
    /// Password.
    pub password: Option<String>,
    /// Sender nickname.
    pub nickname: Option<String>,
    /// The items (send) or request ids (status).
    pub data: Option<Data>,
}

/// Names getsms reads.
pub const KNOWN: &[&str] = &["login", "password", "nickname", "data"];

/// A JSON body's scalar as PHP would turn it into a string; arrays, objects and null are none.
/// Only scalars are parsed: a huge array in the wrong place costs nothing.
fn scalar(raw: &RawValue) -> Option<String> {
    let text = raw.get();
    match text.as_bytes().first()? {
        b'"' => serde_json::from_str(text).ok(),
        b't' => Some("1".into()),
        b'f' => Some(String::new()),
        b'-' | b'0'..=b'9' => Some(text.to_owned()),
        _ => None,
    }
}

/// `data` from a JSON body: a string's content, or any other value's JSON text.
fn data(raw: &RawValue) -> Data {
    let text = raw.get();
    match serde_json::from_str::<String>(text) {
        Ok(content) if text.starts_with('"') => Data(content),
        _ => Data(text.to_owned()),
    }
}

impl GetsmsInput {
    /// Reads a request: PHP `$_POST` (form bodies), or a JSON object body. Query parameters
    /// count only when the `getsms.get_params` quirk says `read`.
    pub fn read(
        raw: &RawRequest,
        get_params: GetParams,
        lints: &mut Vec<String>,
    ) -> GetsmsInput {
        let query = match get_params {
            GetParams::Read => raw.query_params(),
            GetParams::Ignored => {
                let query = raw.query_params();
                if !query.is_empty() {
                    lints.push(
                        "query-string parameters ignored: getsms reads POST parameters only".into(),
                    );
                }
                ParamList::default()
            }
        };
        if raw.body_kind() == BodyKind::Json {
            return GetsmsInput::from_json_body(&raw.body, query, lints);
        }
        if raw.body_kind() == BodyKind::Other {
            lints.push(format!(
                "body ignored: content type {:?} is neither a form nor JSON",
                raw.media_type()
            ));
        }
        let params = Params::new(
            query,
            raw.body_params(),
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
            KNOWN,
        );
        if let Some(lint) = params.ignored_lint() {
            lints.push(lint);
        }
        let strays = params.strays();
        if !strays.is_empty() {
            lints.push(format!("unrecognised parameters {strays} ignored"));
        }
        GetsmsInput {
            login: params.get("login"),
            password: params.get("password"),
            nickname: params.get("nickname"),
            data: params.get("data").map(Data),
        }
    }

    fn from_json_body(body: &[u8], query: ParamList, lints: &mut Vec<String>) -> GetsmsInput {
        let from_query = Params::new(
            query,
            ParamList::default(),
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
            KNOWN,
        );
        let mut input = GetsmsInput {
            login: from_query.get("login"),
            password: from_query.get("password"),
            nickname: from_query.get("nickname"),
            data: from_query.get("data").map(Data),
        };
        // Values stay raw JSON text until read, and other keys are only counted: the body is never
        // held as a tree, whatever it holds. A repeated key's last value counts, as in PHP's
        // json_decode.
        match serde_json::from_slice::<JsonBody<'_>>(body) {
            Ok(object) => {
                for (field, value) in [
                    (&mut input.login, object.login),
                    (&mut input.password, object.password),
                    (&mut input.nickname, object.nickname),
                ] {
                    if let Some(value) = value {
                        *field = scalar(value);
                    }
                }
                if let Some(value) = object.data {
                    input.data = Some(data(value));
                }
                if object.unknown_total > 0 {
                    let more = object.unknown_total - object.unknown.len();
                    let more = if more > 0 {
                        format!(" and {more} more")
                    } else {
                        String::new()
                    };
                    lints.push(format!(
                        "unrecognised JSON keys {:?}{more} ignored",
                        object.unknown
                    ));
                }
            }
            Err(_) if serde_json::from_slice::<IgnoredAny>(body).is_ok() => {
                lints.push("JSON body is not an object: nothing read from it".into());
            }
            Err(e) => lints.push(format!(
                "JSON body does not parse ({e}): nothing read from it"
            )),
        }
        input
    }
}

/// A JSON body's object as getsms reads it: its four keys' values as raw JSON text, and other
/// keys counted, the first few named.
#[derive(Debug, Default)]
struct JsonBody<'a> {
    login: Option<&'a RawValue>,
    password: Option<&'a RawValue>,
    nickname: Option<&'a RawValue>,
    data: Option<&'a RawValue>,
    unknown: Vec<String>,
    unknown_total: usize,
}

/// Unknown keys a lint names at most, and characters of each.
const UNKNOWN_SHOWN: usize = 10;
const UNKNOWN_CHARS: usize = 40;

impl<'de> serde::Deserialize<'de> for JsonBody<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(JsonBodyVisitor)
    }
}

struct JsonBodyVisitor;

impl<'de> serde::de::Visitor<'de> for JsonBodyVisitor {
    type Value = JsonBody<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<JsonBody<'de>, A::Error> {
        let mut body = JsonBody::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "login" => &mut body.login,
                "password" => &mut body.password,
                "nickname" => &mut body.nickname,
                "data" => &mut body.data,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    if body.unknown.len() < UNKNOWN_SHOWN {
                        body.unknown.push(shorten(&key, UNKNOWN_CHARS));
                    }
                    body.unknown_total += 1;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(body)
    }
}
