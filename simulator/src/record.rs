//! `smsim record`: a forwarding proxy in front of a real provider (or any upstream) that writes
//! each exchange as a `recorded` contract fixture, credentials replaced by placeholders and
//! volatile values (ids, dates, addresses) marked.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::domain::Provider;
use crate::domain::clock::Timestamp;

/// Parameters that carry credentials, per provider, and their placeholders.
fn credential_params(provider: Provider) -> &'static [(&'static str, &'static str)] {
    match provider {
        Provider::Smsoffice => &[("key", "{{smsoffice.key}}")],
        Provider::Smsco => &[
            ("username", "{{smsco.username}}"),
            ("password", "{{smsco.password}}"),
        ],
        Provider::Getsms => &[
            ("login", "{{getsms.login}}"),
            ("password", "{{getsms.password}}"),
        ],
    }
}

/// Keys whose values differ from one exchange to the next.
const VOLATILE_KEYS: &[&str] = &[
    "message_id",
    "request_id",
    "date_received",
    "date_sent",
    "date_delivered",
    "client_ip",
    "ServiceTime",
];

/// The real credentials of the account being recorded, when known: parameter name to value.
/// A credential parameter holding its real value becomes the placeholder; holding another value
/// (a deliberately wrong key), `placeholder-wrong-<name>`. With nothing known, every value of a
/// credential parameter becomes the placeholder, so nothing real can leak.
#[derive(Debug, Clone, Default)]
pub struct KnownCredentials(pub Vec<(String, String)>);

impl KnownCredentials {
    /// `SMSIM_LIVE_SMSOFFICE_KEY`, `SMSIM_LIVE_SMSCO_USERNAME`/`_PASSWORD`,
    /// `SMSIM_LIVE_GETSMS_LOGIN`/`_PASSWORD`, for `provider`.
    pub fn from_env(provider: Provider) -> KnownCredentials {
        let vars: &[(&str, &str)] = match provider {
            Provider::Smsoffice => &[("key", "SMSIM_LIVE_SMSOFFICE_KEY")],
            Provider::Smsco => &[
                ("username", "SMSIM_LIVE_SMSCO_USERNAME"),
                ("password", "SMSIM_LIVE_SMSCO_PASSWORD"),
            ],
            Provider::Getsms => &[
                ("login", "SMSIM_LIVE_GETSMS_LOGIN"),
                ("password", "SMSIM_LIVE_GETSMS_PASSWORD"),
            ],
        };
        KnownCredentials(
            vars.iter()
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
    fn replacement(&self, name: &str, value: &str, placeholder: &str) -> String {
        match self.0.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, real)) if real != value => {
                format!("placeholder-wrong-{}", name.to_ascii_lowercase())
            }
            _ => placeholder.to_owned(),
        }
    }
}

/// Replaces credential values in `name=value&...` text (query or urlencoded body).
pub fn scrub_form(provider: Provider, known: &KnownCredentials, text: &str) -> String {
    text.split('&')
        .map(|item| match item.split_once('=') {
            Some((name, value)) => match credential_params(provider)
                .iter()
                .find(|(p, _)| name.eq_ignore_ascii_case(p))
            {
                Some((_, placeholder)) => {
                    let value = crate::http::params::decode(value.as_bytes());
                    format!("{name}={}", known.replacement(name, &value, placeholder))
                }
                None => item.to_owned(),
            },
            None => item.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Replaces credential values in a body of any supported type.
pub fn scrub_body(
    provider: Provider,
    known: &KnownCredentials,
    content_type: &str,
    body: &str,
) -> String {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/json" => match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(mut object)) => {
                for (name, placeholder) in credential_params(provider) {
                    if let Some(value) = object.get_mut(*name) {
                        let given = value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_owned);
                        *value = Value::String(known.replacement(name, &given, placeholder));
                    }
                }
                Value::Object(object).to_string()
            }
            _ => body.to_owned(),
        },
        "multipart/form-data" => {
            let mut out = body.to_owned();
            for (name, placeholder) in credential_params(provider) {
                let pattern = format!(r#"(?i)(name="{name}"\r\n(?:[^\r\n]+\r\n)*\r\n)([^\r\n]*)"#);
                if let Ok(re) = regex::Regex::new(&pattern) {
                    out = re
                        .replace_all(&out, |caps: &regex::Captures| {
                            format!(
                                "{}{}",
                                &caps[1],
                                known.replacement(name, &caps[2], placeholder)
                            )
                        })
                        .into_owned();
                }
            }
            out
        }
        _ => scrub_form(provider, known, body),
    }
}

/// JSON pointers of every volatile value in `body`.
pub fn volatile_pointers(body: &Value) -> Vec<String> {
    fn walk(value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let pointer = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                    if VOLATILE_KEYS.contains(&key.as_str()) {
                        out.push(pointer);
                    } else {
                        walk(child, &pointer, out);
                    }
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, &format!("{path}/{i}"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(body, "", &mut out);
    out
}

/// The text pattern of an smsco success (`OK 5 123` → `OK 5 {int}`), whose `mes_id` varies.
fn text_pattern(body: &str) -> Option<String> {
    let parts: Vec<&str> = body.split(' ').collect();
    match parts.as_slice() {
        ["OK", tetri, mes_id] if tetri.parse::<u64>().is_ok() && mes_id.parse::<u64>().is_ok() => {
            Some(format!("OK {tetri} {{int}}"))
        }
        _ => None,
    }
}

/// One exchange as seen by the recorder.
#[derive(Debug, Clone)]
pub struct RecordedExchange {
    /// HTTP method.
    pub method: String,
    /// Origin-form target (path and query).
    pub target: String,
    /// The request's content type, if any.
    pub request_content_type: Option<String>,
    /// Request body, as text.
    pub request_body: String,
    /// Upstream status.
    pub status: u16,
    /// Upstream content type, if any.
    pub response_content_type: Option<String>,
    /// Upstream body, as text.
    pub response_body: String,
}

/// The fixture JSON for an exchange, credentials scrubbed, volatile values marked.
pub fn fixture_for(
    provider: Provider,
    known: &KnownCredentials,
    upstream: &str,
    at: Timestamp,
    exchange: &RecordedExchange,
) -> Value {
    let (path, query) = match exchange.target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (exchange.target.as_str(), None),
    };
    let target = match query {
        Some(q) => format!("{path}?{}", scrub_form(provider, known, q)),
        None => path.to_owned(),
    };
    let mut request = json!({"method": exchange.method, "target": target});
    if let Some(ct) = &exchange.request_content_type {
        request["headers"] = json!({"Content-Type": ct});
        request["body"] = json!(scrub_body(provider, known, ct, &exchange.request_body));
    } else if !exchange.request_body.is_empty() {
        request["body"] = json!(scrub_form(provider, known, &exchange.request_body));
    }
    let mut response = json!({"status": exchange.status});
    if let Some(ct) = &exchange.response_content_type {
        response["headers"] = json!({"Content-Type": ct});
    }
    response["body"] = json!(exchange.response_body);
    match serde_json::from_str::<Value>(&exchange.response_body) {
        Ok(parsed) if matches!(parsed, Value::Object(_) | Value::Array(_)) => {
            let pointers = volatile_pointers(&parsed);
            if !pointers.is_empty() {
                response["volatile"] = json!(pointers);
            }
        }
        _ => {
            if let Some(pattern) = text_pattern(&exchange.response_body) {
                response["pattern"] = json!(pattern);
            }
        }
    }
    json!({
        "description": format!("Recorded {} {} from {upstream}.", exchange.method, path),
        "provenance": {"kind": "recorded", "source": upstream, "at": at.rfc3339()},
        "safe": false,
        "request": request,
        "response": response,
    })
}

/// Settings of one recording session.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// The provider whose fixtures are written (and whose credentials are scrubbed).
    pub provider: Provider,
    /// Base URL of the upstream, `http://` or `https://`.
    pub upstream: String,
    /// Folder the `<provider>/<operation>/<case>.json` files go under.
    pub out: PathBuf,
    /// Address to listen on (port 0 picks one).
    pub listen: SocketAddr,
    /// The real credentials, when known, so wrong ones can be told apart.
    pub known: KnownCredentials,
}

/// A running recorder; dropping it stops it.
#[derive(Debug)]
pub struct Recorder {
    addr: SocketAddr,
    cancel: CancellationToken,
}

impl Recorder {
    /// Binds and starts forwarding.
    pub async fn start(options: RecordOptions) -> std::io::Result<Recorder> {
        let upstream: hyper::Uri = options
            .upstream
            .trim_end_matches('/')
            .parse()
            .map_err(|e| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("--upstream: {e}"))
            })?;
        if !matches!(upstream.scheme_str(), Some("http" | "https")) || upstream.host().is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "--upstream must be an http:// or https:// URL",
            ));
        }
        let listener = TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .build();
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(https);
        let state = Arc::new(State {
            options,
            upstream,
            client,
            seq: AtomicU64::new(0),
        });
        let stop = cancel.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.forward(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Recorder { addr, cancel })
    }

    /// The address clients should call instead of the upstream.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

struct State {
    options: RecordOptions,
    upstream: hyper::Uri,
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
    seq: AtomicU64,
}

impl State {
    async fn forward(&self, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
        match self.try_forward(request).await {
            Ok(response) => response,
            Err(e) => {
                tracing::warn!(error = %e, "forwarding failed");
                let mut response = hyper::Response::new(Full::new(Bytes::from(format!(
                    "smsim record: upstream failed: {e}"
                ))));
                *response.status_mut() = hyper::StatusCode::BAD_GATEWAY;
                response
            }
        }
    }

    async fn try_forward(
        &self,
        request: hyper::Request<Incoming>,
    ) -> Result<hyper::Response<Full<Bytes>>, String> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |pq| pq.as_str())
            .to_owned();
        let base = self.upstream.to_string();
        let url: hyper::Uri = format!("{}{target}", base.trim_end_matches('/'))
            .parse()
            .map_err(|e| format!("{e}"))?;
        let mut upstream_request = hyper::Request::builder()
            .method(parts.method.clone())
            .uri(url);
        for (name, value) in &parts.headers {
            if !matches!(
                name.as_str(),
                "host" | "connection" | "proxy-connection" | "keep-alive"
            ) {
                upstream_request = upstream_request.header(name, value);
            }
        }
        let upstream_request = upstream_request
            .body(Full::new(body.clone()))
            .map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(upstream_request)
            .await
            .map_err(|e| e.to_string())?;
        let (response_parts, response_body) = response.into_parts();
        let response_body = response_body
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        let header = |headers: &http::HeaderMap| {
            headers
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let exchange = RecordedExchange {
            method: parts.method.to_string(),
            target,
            request_content_type: header(&parts.headers),
            request_body: String::from_utf8_lossy(&body).into_owned(),
            status: response_parts.status.as_u16(),
            response_content_type: header(&response_parts.headers),
            response_body: String::from_utf8_lossy(&response_body).into_owned(),
        };
        if let Err(e) = self.write(&exchange) {
            tracing::warn!(error = %e, "cannot write the fixture");
        }
        let mut response = hyper::Response::new(Full::new(response_body));
        *response.status_mut() = response_parts.status;
        for (name, value) in &response_parts.headers {
            if !matches!(
                name.as_str(),
                "connection" | "transfer-encoding" | "content-length"
            ) {
                response.headers_mut().insert(name, value.clone());
            }
        }
        Ok(response)
    }

    fn write(&self, exchange: &RecordedExchange) -> std::io::Result<PathBuf> {
        let provider = self.options.provider;
        let path = exchange.target.split('?').next().unwrap_or("/");
        let operation =
            crate::gateway::route(path).map_or("other", |routed| routed.endpoint.name());
        let at = Timestamp(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
        );
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let stamp = at.format(
            time::macros::format_description!("[year][month][day]-[hour][minute][second]"),
            0,
        );
        let case = format!("recorded-{stamp}-{seq:03}-{}", exchange.status);
        let dir = self.options.out.join(provider.name()).join(operation);
        std::fs::create_dir_all(&dir)?;
        let file = dir.join(format!("{case}.json"));
        let fixture = fixture_for(
            provider,
            &self.options.known,
            &upstream_host(&self.upstream),
            at,
            exchange,
        );
        let mut text = serde_json::to_string_pretty(&fixture).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(&file, text)?;
        tracing::info!(file = %file.display(), "recorded");
        Ok(file)
    }
}

/// The upstream as provenance names it: scheme and host, never a path or credentials.
fn upstream_host(uri: &hyper::Uri) -> String {
    format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("http"),
        uri.authority().map_or("", |a| a.as_str())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_scrubbed_by_parameter_name() {
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
                "application/json",
                r#"{"login":"l","password":"p","data":[]}"#
            ),
            r#"{"login":"{{getsms.login}}","password":"{{getsms.password}}","data":[]}"#
        );
        let multipart =
            "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--b--\r\n";
        assert_eq!(
            scrub_body(
                Provider::Getsms,
                &none,
                "multipart/form-data; boundary=b",
                multipart
            ),
            "--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n{{getsms.password}}\r\n--b--\r\n"
        );
    }

    #[test]
    fn known_credentials_tell_wrong_ones_apart() {
        let known = KnownCredentials(vec![("key".into(), "real key".into())]);
        assert_eq!(
            scrub_form(Provider::Smsoffice, &known, "key=real+key&x=1"),
            "key={{smsoffice.key}}&x=1"
        );
        assert_eq!(
            scrub_form(Provider::Smsoffice, &known, "key=nope"),
            "key=placeholder-wrong-key"
        );
    }

    #[test]
    fn volatile_values_are_found_and_text_ids_patterned() {
        let body: Value = serde_json::from_str(
            r#"[{"recipient":1,"message_id":2,"request_id":3,"client_ip":"x"}]"#,
        )
        .unwrap();
        assert_eq!(
            volatile_pointers(&body),
            ["/0/message_id", "/0/request_id", "/0/client_ip"]
        );
        assert_eq!(text_pattern("OK 5 100001").as_deref(), Some("OK 5 {int}"));
        assert_eq!(text_pattern("2905"), None);
    }
}
