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
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::domain::Provider;
use crate::domain::clock::Timestamp;

mod fixture;
mod redact;

pub use fixture::{RecordedExchange, fixture_for, fixture_text, volatile_pointers};
pub use redact::{KnownCredentials, WrittenBody, scrub_body, scrub_form, scrub_known};

/// The largest request body the recorder reads (and forwards).
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

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
            crate::providers::route(path).map_or("other", |routed| routed.endpoint.name());
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

    #[test]
    fn provenance_names_no_user_information() {
        assert_eq!(
            upstream_host(&"http://user:pass@example.test:8080/base".parse().unwrap()),
            "http://example.test:8080"
        );
    }
}
