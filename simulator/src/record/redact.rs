//! Structural redaction: a recorded request rewritten from what the recorder reads, every
//! credential replaced whatever its spelling, and known secrets removed from every byte.

use bytes::Bytes;
use serde_json::Value;

use crate::domain::Provider;
use crate::http::params::{ParamList, encode};
use crate::providers::entry;

/// Parameters that carry credentials, per provider, and their placeholders.
pub(super) fn credential_params(provider: Provider) -> &'static [(&'static str, &'static str)] {
    entry(provider).credentials
}

/// The real credentials of the account being recorded, when known: parameter name to value.
/// A credential parameter holding its real value becomes the placeholder; holding another value
/// (a deliberately wrong key), `placeholder-wrong-<name>`. With nothing known, every value of a
/// credential parameter becomes the placeholder, so nothing real can leak.
#[derive(Debug, Clone, Default)]
pub struct KnownCredentials(pub Vec<(String, String)>);

impl KnownCredentials {
    /// The credentials live mode reads for `provider` (`SMSIM_LIVE_SMSOFFICE_KEY`,
    /// `SMSIM_LIVE_SMSCO_USERNAME`/`_PASSWORD`, `SMSIM_LIVE_GETSMS_LOGIN`/`_PASSWORD`, ...).
    pub fn from_env(provider: Provider) -> KnownCredentials {
        KnownCredentials(
            entry(provider)
                .live_env
                .iter()
                .filter_map(|(name, var)| {
                    std::env::var(var)
                        .ok()
                        .filter(|v| !v.is_empty())
                        .map(|v| ((*name).to_owned(), v))
                })
                .collect(),
        )
    }

    /// What a credential parameter's value is written as.
    pub(super) fn replacement(&self, name: &str, value: &str, placeholder: &str) -> String {
        match self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, real)) if real != value => {
                format!("placeholder-wrong-{}", name.to_ascii_lowercase())
            }
            _ => placeholder.to_owned(),
        }
    }
}

/// The placeholder of `name` when it names one of `provider`'s credential parameters, read the
/// way PHP and ASP.NET read names: surrounding spaces ignored, any letter case, and PHP's array
/// suffix (`password[]`, `password[0]`) dropped.
pub(super) fn credential_placeholder(provider: Provider, name: &str) -> Option<&'static str> {
    let name = name.trim();
    let name = name.split('[').next().unwrap_or(name).trim();
    credential_params(provider)
        .iter()
        .find(|(p, _)| name.eq_ignore_ascii_case(p))
        .map(|(_, placeholder)| *placeholder)
}

/// Rewrites `name=value&...` text (a query string or an urlencoded body) from its decoded items:
/// every credential parameter's value is replaced, every other name and value re-encoded.
/// Placeholders stay unencoded, so replay fills them in.
pub fn scrub_form(provider: Provider, known: &KnownCredentials, text: &str) -> String {
    let list = ParamList::from_urlencoded(text.as_bytes());
    let pairs = list.pairs().map(|(name, value)| {
        let value = match credential_placeholder(provider, name) {
            Some(placeholder) => known.replacement(name.trim(), value, placeholder),
            None => encode(value),
        };
        format!("{}={value}", encode(name))
    });
    pairs
        .chain(list.bare().map(encode))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request body as the recorder writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WrittenBody {
    /// The body, credentials replaced.
    Text(String),
    /// Not written: the recorder could not read it with certainty, so any credential in it would
    /// survive; the reason is written in its place for a reviewer.
    Withheld(String),
}

/// Replaces credential values in a JSON value: every object key that names a credential, at any
/// depth, gets its placeholder.
fn scrub_json(provider: Provider, known: &KnownCredentials, value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (name, child) in object.iter_mut() {
                match credential_placeholder(provider, name) {
                    Some(placeholder) => {
                        let given = child
                            .as_str()
                            .map_or_else(|| child.to_string(), str::to_owned);
                        *child = Value::String(known.replacement(name.trim(), &given, placeholder));
                    }
                    None => scrub_json(provider, known, child),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| scrub_json(provider, known, item)),
        _ => {}
    }
}

/// A request body as the recorder writes it, whatever its declared type: JSON wherever the
/// text is JSON, multipart rebuilt from the parts it parses, anything else read as a form.
/// A body that looks like JSON or multipart but does not parse, or is not UTF-8, is withheld.
pub async fn scrub_body(
    provider: Provider,
    known: &KnownCredentials,
    content_type: Option<&str>,
    body: &[u8],
) -> WrittenBody {
    if body.is_empty() {
        return WrittenBody::Text(String::new());
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return WrittenBody::Withheld("the body is not UTF-8 text".into());
    };
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') || media.contains("json") {
        return match serde_json::from_str::<Value>(text) {
            Ok(mut value) => {
                scrub_json(provider, known, &mut value);
                WrittenBody::Text(value.to_string())
            }
            Err(e) => WrittenBody::Withheld(format!("the body looks like JSON but is not: {e}")),
        };
    }
    if media == "multipart/form-data" {
        return scrub_multipart(provider, known, content_type.unwrap_or_default(), body).await;
    }
    WrittenBody::Text(scrub_form(provider, known, text))
}

/// A multipart body rebuilt from its parsed text fields, credentials replaced; withheld when it
/// does not parse, holds a file, or holds a part without a name.
async fn scrub_multipart(
    provider: Provider,
    known: &KnownCredentials,
    content_type: &str,
    body: &[u8],
) -> WrittenBody {
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return WrittenBody::Withheld("multipart without a usable boundary".into());
    };
    let bytes = Bytes::copy_from_slice(body);
    let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(bytes) });
    let mut multipart = multer::Multipart::new(stream, boundary.clone());
    let mut rebuilt = String::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return WrittenBody::Withheld(format!("multipart does not parse: {e}")),
        };
        let (Some(name), None) = (field.name().map(str::to_owned), field.file_name()) else {
            return WrittenBody::Withheld("a multipart part without a name, or a file".into());
        };
        let Ok(value) = field.text().await else {
            return WrittenBody::Withheld("a multipart part is not text".into());
        };
        let value = match credential_placeholder(provider, &name) {
            Some(placeholder) => known.replacement(name.trim(), &value, placeholder),
            None => value,
        };
        let name = name.replace(['"', '\r', '\n'], "");
        rebuilt.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    rebuilt.push_str(&format!("--{boundary}--\r\n"));
    WrittenBody::Text(rebuilt)
}

/// Replaces every known credential value in `text`, however it was written (as is,
/// percent-encoded in either letter case or with `+` for spaces, JSON-escaped), with its
/// placeholder: the last line of defence, applied to every byte the recorder writes.
pub fn scrub_known(provider: Provider, known: &KnownCredentials, text: &str) -> String {
    let mut out = text.to_owned();
    for (name, secret) in &known.0 {
        if secret.is_empty() {
            continue;
        }
        let placeholder = credential_placeholder(provider, name).unwrap_or("{{redacted}}");
        let encoded = encode(secret);
        let forms = [
            secret.clone(),
            encoded.clone(),
            encoded.to_ascii_lowercase(),
            encoded.replace("%20", "+"),
            serde_json::to_string(secret)
                .map(|s| s.trim_matches('"').to_owned())
                .unwrap_or_default(),
        ];
        for form in forms.iter().filter(|f| !f.is_empty()) {
            out = out.replace(form.as_str(), placeholder);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn credentials_are_scrubbed_by_parameter_name() {
        let none = KnownCredentials::default();
        assert_eq!(
            scrub_form(Provider::Smsoffice, &none, "KEY=abc&destination=1"),
            "KEY={{smsoffice.key}}&destination=1"
        );
        assert_eq!(
            scrub_form(
                Provider::Smsco,
                &none,
                "username=u&password=p&message=password"
            ),
            "username={{smsco.username}}&password={{smsco.password}}&message=password"
        );
        assert_eq!(
            scrub_body(
                Provider::Getsms,
                &none,
                Some("application/json"),
                br#"{"login":"l","password":"p","data":[]}"#
            )
            .await,
            WrittenBody::Text(
                r#"{"login":"{{getsms.login}}","password":"{{getsms.password}}","data":[]}"#.into()
            )
        );
        let multipart =
            "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--b--\r\n";
        assert_eq!(
            scrub_body(
                Provider::Getsms,
                &none,
                Some("multipart/form-data; boundary=b"),
                multipart.as_bytes()
            )
            .await,
            WrittenBody::Text(
                "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n{{getsms.password}}\r\n--b--\r\n".into()
            )
        );
    }

    #[tokio::test]
    async fn every_shape_that_leaked_is_scrubbed_or_withheld() {
        let none = KnownCredentials::default();
        let form = |text: &str| scrub_form(Provider::Getsms, &none, text);
        // Percent-encoded names, PHP array names, names with spaces.
        assert_eq!(form("logi%6E=x&y=1"), "login={{getsms.login}}&y=1");
        assert_eq!(
            form("password%5B%5D=x"),
            "password%5B%5D={{getsms.password}}"
        );
        assert_eq!(form("+password=x"), "%20password={{getsms.password}}");
        // JSON under another content type, a JSON array, nested objects.
        let none = &none;
        let json = |ct: &'static str, body: &'static str| async move {
            scrub_body(Provider::Getsms, none, Some(ct), body.as_bytes()).await
        };
        let text = |w: WrittenBody| match w {
            WrittenBody::Text(t) => t,
            WrittenBody::Withheld(why) => panic!("withheld: {why}"),
        };
        let plain = text(json("text/plain", r#"{"login":"l","password":"p"}"#).await);
        assert!(!plain.contains("\"p\""), "{plain}");
        let array = text(json("application/json", r#"[{"password":"p"}]"#).await);
        assert!(!array.contains("\"p\""), "{array}");
        // Broken JSON and broken multipart are withheld, never written raw.
        assert!(matches!(
            json("application/json", r#"{"password":"p""#).await,
            WrittenBody::Withheld(_)
        ));
        assert!(matches!(
            json("application/x-www-form-urlencoded", r#"{"password":"p""#).await,
            WrittenBody::Withheld(_)
        ));
        let lf_only = "--b\nContent-Disposition: form-data; name=\"password\"\n\np\n--b--\n";
        assert!(matches!(
            json("multipart/form-data; boundary=b", lf_only).await,
            WrittenBody::Withheld(_)
        ));
    }

    #[test]
    fn known_secrets_are_scrubbed_in_every_spelling() {
        let known = KnownCredentials(vec![("password".into(), "p@ss w/rd".into())]);
        for written in [
            "p@ss w/rd",
            "p%40ss%20w%2Frd",
            "p%40ss+w%2Frd",
            "p%40ss%20w%2frd",
        ] {
            let out = scrub_known(Provider::Getsms, &known, &format!("x={written}&y"));
            assert_eq!(out, "x={{getsms.password}}&y", "{written}");
        }
    }
}
