//! getsms request parameters, from a form body or a JSON body.

use serde_json::Value;

use super::GetParams;
use crate::http::params::{DuplicateParams, NameMatching, ParamList, Params};
use crate::http::{BodyKind, RawRequest};

/// The `data` parameter: JSON text (form field, or a JSON body's string) or an already parsed
/// JSON value (a JSON body's array).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// Text still to be parsed.
    Text(String),
    /// A parsed value.
    Value(Value),
}

impl Data {
    /// The JSON value, or `None` when the text is not JSON.
    pub fn parse(&self) -> Option<Value> {
        match self {
            Data::Text(text) => serde_json::from_str(text).ok(),
            Data::Value(value) => Some(value.clone()),
        }
    }
}

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

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { String::new() }),
        _ => None,
    }
}

impl GetsmsInput {
    /// Reads a request: PHP `$_POST` (form bodies), or a JSON object body. Query parameters
    /// count only when the `getsms.get_params` quirk says `read`.
    pub async fn read(
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
            raw.body_params().await,
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
        );
        let strays = params.strays(KNOWN);
        if !strays.is_empty() {
            lints.push(format!("unrecognised parameters {strays} ignored"));
        }
        GetsmsInput {
            login: params.get("login"),
            password: params.get("password"),
            nickname: params.get("nickname"),
            data: params.get("data").map(Data::Text),
        }
    }

    fn from_json_body(body: &[u8], query: ParamList, lints: &mut Vec<String>) -> GetsmsInput {
        let from_query = Params::new(
            query,
            ParamList::default(),
            NameMatching::Exact,
            DuplicateParams::Last,
            true,
        );
        let mut input = GetsmsInput {
            login: from_query.get("login"),
            password: from_query.get("password"),
            nickname: from_query.get("nickname"),
            data: from_query.get("data").map(Data::Text),
        };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => {
                for (key, value) in object {
                    match key.as_str() {
                        "login" => input.login = scalar(&value),
                        "password" => input.password = scalar(&value),
                        "nickname" => input.nickname = scalar(&value),
                        "data" => {
                            input.data = Some(match value {
                                Value::String(text) => Data::Text(text),
                                other => Data::Value(other),
                            })
                        }
                        other => lints.push(format!("unrecognised JSON key {other:?} ignored")),
                    }
                }
            }
            Ok(_) => lints.push("JSON body is not an object: nothing read from it".into()),
            Err(e) => lints.push(format!(
                "JSON body does not parse ({e}): nothing read from it"
            )),
        }
        input
    }
}
