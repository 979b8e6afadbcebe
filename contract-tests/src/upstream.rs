//! The upstream client: one request to a simulator or a real service, over plain TCP with the
//! fixture's exact bytes or over TLS, and the reply read whole.

use std::path::Path;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use smsim_testkit::{Reply, RequestBytes};

/// Sends one request on a fresh connection to `authority` (`host:port`) and reads the whole reply.
pub async fn send(
    authority: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut request = RequestBytes::new(method, target).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send(authority).await
}

/// Where fixtures are replayed: a plain `host:port` (bytes exactly as the fixture writes them),
/// or an `https://` base URL reached through TLS.
#[derive(Clone)]
pub enum Upstream {
    /// `host:port` over plain TCP.
    Plain(String),
    /// An `https://` base URL.
    Tls {
        /// Scheme, host and port, without a trailing slash.
        base: String,
        /// The TLS client (boxed: its size depends on the features other crates turn on).
        client: Box<Client<HttpsConnector<HttpConnector>, Full<Bytes>>>,
    },
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Upstream::Plain(authority) => write!(f, "Plain({authority})"),
            Upstream::Tls { base, .. } => write!(f, "Tls({base})"),
        }
    }
}

impl Upstream {
    /// The upstream a base URL names: `http://host[:port]` or `https://host[:port]`; `ca_file`
    /// adds certificates (PEM) to trust for TLS.
    pub fn parse(base_url: &str, ca_file: Option<&Path>) -> Result<Upstream, String> {
        if base_url.starts_with("http://") {
            return authority_of(base_url).map(Upstream::Plain);
        }
        let Some(rest) = base_url.strip_prefix("https://") else {
            return Err(format!(
                "{base_url:?}: give an http:// or https:// base URL"
            ));
        };
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || host.contains('@') {
            return Err(format!(
                "{base_url:?}: give a host (and no user information)"
            ));
        }
        let connector = smsim::record::https_connector(ca_file).map_err(|e| e.to_string())?;
        Ok(Upstream::Tls {
            base: format!("https://{host}"),
            client: Box::new(Client::builder(TokioExecutor::new()).build(connector)),
        })
    }

    /// Sends one request and reads the whole reply (`Content-Length`, chunked or close-delimited).
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> std::io::Result<Reply> {
        let (base, client) = match self {
            Upstream::Plain(authority) => {
                return send(authority, method, target, headers, body).await;
            }
            Upstream::Tls { base, client } => (base, client),
        };
        let other = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
        // An absolute-form target (a client behind a proxy) keeps only its path and query.
        let path = match target.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
            None => target,
        };
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{base}{path}"));
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request
            .body(Full::new(Bytes::copy_from_slice(body)))
            .map_err(|e| other(&e))?;
        let response = client.request(request).await.map_err(|e| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message = format!("{message}: {cause}");
                source = cause.source();
            }
            std::io::Error::other(message)
        })?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| other(&e))?.to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: body.to_vec(),
        })
    }
}

/// The `host:port` of an `http://` base URL (https is [`Upstream::parse`]'s); other schemes
/// and user information are refused with the reason.
pub fn authority_of(base_url: &str) -> Result<String, String> {
    let rest = base_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{base_url:?}: an http:// base URL is expected here"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(format!("{base_url:?} has no host"));
    }
    if authority.contains('@') {
        return Err(format!("{base_url:?}: give no user information"));
    }
    Ok(if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities() {
        assert_eq!(
            authority_of("http://127.0.0.1:8800").unwrap(),
            "127.0.0.1:8800"
        );
        assert_eq!(authority_of("http://smsco.ge/").unwrap(), "smsco.ge:80");
        assert!(authority_of("https://smsoffice.ge").is_err());
        assert!(authority_of("http://").is_err());
        assert!(authority_of("http://user:pass@host").is_err());
        assert!(matches!(
            Upstream::parse("https://smsoffice.ge", None),
            Ok(Upstream::Tls { .. })
        ));
        assert!(Upstream::parse("ftp://smsoffice.ge", None).is_err());
    }
}
