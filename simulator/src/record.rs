//! `smsim record`: a forwarding proxy in front of a real provider (or any upstream) that writes
//! each exchange as a `recorded` contract fixture, credentials replaced by placeholders and
//! volatile values (ids, dates, addresses) marked.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
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
use crate::http::params::{ParamList, encode};

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

/// The largest request body the recorder reads (and forwards).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

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

/// The placeholder of `name` when it names one of `provider`'s credential parameters, read the
/// way PHP and ASP.NET read names: surrounding spaces ignored, any letter case, and PHP's array
/// suffix (`password[]`, `password[0]`) dropped.
fn credential_placeholder(provider: Provider, name: &str) -> Option<&'static str> {
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
    /// Request body bytes.
    pub request_body: Bytes,
    /// Upstream status.
    pub status: u16,
    /// Upstream content type, if any.
    pub response_content_type: Option<String>,
    /// Upstream body, as text.
    pub response_body: String,
}

/// The fixture JSON for an exchange, credentials scrubbed, volatile values marked. A request
/// body the recorder cannot read with certainty is left out and the fixture marked for review.
pub async fn fixture_for(
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
    let content_type = exchange.request_content_type.as_deref();
    if let Some(ct) = content_type {
        request["headers"] = json!({"Content-Type": ct});
    }
    let mut review = None;
    match scrub_body(provider, known, content_type, &exchange.request_body).await {
        WrittenBody::Text(body) if body.is_empty() => {}
        WrittenBody::Text(body) => request["body"] = json!(body),
        WrittenBody::Withheld(why) => review = Some(format!("request body withheld: {why}")),
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
    let mut fixture = json!({
        "description": format!("Recorded {} {} from {upstream}.", exchange.method, path),
        "provenance": {"kind": "recorded", "source": upstream, "at": at.rfc3339()},
        "safe": false,
        "request": request,
        "response": response,
    });
    if let Some(review) = review {
        fixture["review"] = json!(review);
    }
    fixture
}

/// The fixture file's text for an exchange: [`fixture_for`], pretty-printed, with every known
/// credential value replaced wherever it still stands.
pub async fn fixture_text(
    provider: Provider,
    known: &KnownCredentials,
    upstream: &str,
    at: Timestamp,
    exchange: &RecordedExchange,
) -> String {
    let fixture = fixture_for(provider, known, upstream, at, exchange).await;
    let text = serde_json::to_string_pretty(&fixture).unwrap_or_default();
    let mut text = scrub_known(provider, known, &text);
    text.push('\n');
    text
}

/// The HTTP client connector for `http://` and `https://` upstreams: TLS trusting the usual web
/// roots, plus the certificates of `ca_file` (PEM) when given, for a private or test upstream.
pub fn https_connector(
    ca_file: Option<&Path>,
) -> std::io::Result<hyper_rustls::HttpsConnector<HttpConnector>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let invalid = |why: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, why);
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| invalid(format!("--ca-file {}: {e}", path.display())))?;
        let mut added = 0;
        for cert in certs {
            let cert = cert.map_err(|e| invalid(format!("--ca-file {}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| invalid(format!("--ca-file {}: {e}", path.display())))?;
            added += 1;
        }
        if added == 0 {
            return Err(invalid(format!(
                "--ca-file {}: no PEM certificate in it",
                path.display()
            )));
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build())
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
    /// Extra certificates (PEM) to trust for an `https://` upstream.
    pub ca_file: Option<PathBuf>,
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
        let https = https_connector(options.ca_file.as_deref())?;
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
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Typically out of file descriptors: wait instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
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
        let body = http_body_util::Limited::new(body, MAX_BODY_BYTES)
            .collect()
            .await
            .map_err(|e| format!("reading the request body (at most {MAX_BODY_BYTES} bytes): {e}"))?
            .to_bytes();
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
            request_body: body.clone(),
            status: response_parts.status.as_u16(),
            response_content_type: header(&response_parts.headers),
            response_body: String::from_utf8_lossy(&response_body).into_owned(),
        };
        if let Err(e) = self.write(&exchange).await {
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

    async fn write(&self, exchange: &RecordedExchange) -> std::io::Result<PathBuf> {
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
        tokio::fs::create_dir_all(&dir).await?;
        let file = dir.join(format!("{case}.json"));
        let upstream = upstream_host(&self.upstream);
        let text = fixture_text(provider, &self.options.known, &upstream, at, exchange).await;
        tokio::fs::write(&file, text).await?;
        tracing::info!(file = %file.display(), "recorded");
        Ok(file)
    }
}

/// The upstream as provenance names it: scheme, host and port, never a path or the user
/// information of `http://user:pass@host`.
fn upstream_host(uri: &hyper::Uri) -> String {
    let port = uri.port().map(|p| format!(":{p}")).unwrap_or_default();
    format!(
        "{}://{}{port}",
        uri.scheme_str().unwrap_or("http"),
        uri.host().unwrap_or_default()
    )
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
        assert_eq!(
            upstream_host(&"http://user:pass@example.test:8080/base".parse().unwrap()),
            "http://example.test:8080"
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
