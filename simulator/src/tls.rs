//! HTTPS: smsim's own certificate authority, the server certificate it signs (loopback and every
//! provider's hosts, so an https client that names the real host trusts smsim once it trusts the
//! authority), and accepting TLS on a connection or inside a `CONNECT` tunnel.

/// Names the made certificate is valid for besides the providers' hosts and `tls.names`.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Whether `name` can stand in a certificate: an IP address, or a DNS name (letters, digits,
/// `-`, `.`, a leading `*.` wildcard).
pub fn valid_name(name: &str) -> bool {
    if name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let name = name.strip_prefix("*.").unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Every name the made certificate covers: loopback, the providers' hosts, then `extra`.
pub fn certificate_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
    for host in crate::providers::ENTRIES.iter().flat_map(|e| e.hosts) {
        names.push((*host).to_owned());
    }
    for name in extra {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.clone());
        }
    }
    names
}

/// Whether certificate name `name` covers `host`: equal in any case, or a `*.` wildcard and
/// `host` one label under the rest.
pub fn covers(name: &str, host: &str) -> bool {
    match name.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(parent)),
        None => name.eq_ignore_ascii_case(host),
    }
}

#[cfg(feature = "tls")]
mod enabled {
    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    use rustls::ServerConfig;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use time::{Duration, OffsetDateTime};
    use tokio::io::{AsyncRead, AsyncWrite};

    use crate::config::TlsSettings;

    /// The authority's certificate file in `tls.ca_dir`.
    pub const CA_CERT_FILE: &str = "smsim-ca.pem";
    /// The authority's private key file in `tls.ca_dir`.
    pub const CA_KEY_FILE: &str = "smsim-ca-key.pem";

    /// Why HTTPS could not be set up.
    #[derive(Debug, thiserror::Error)]
    pub enum TlsError {
        /// A file could not be read or written.
        #[error("{path}: {source}")]
        File {
            /// The file.
            path: PathBuf,
            /// What failed.
            source: std::io::Error,
        },
        /// A certificate or key could not be read, made or used.
        #[error("{0}")]
        Certificate(String),
    }

    fn certificate_error(what: &str, e: impl std::fmt::Display) -> TlsError {
        TlsError::Certificate(format!("{what}: {e}"))
    }

    /// smsim's certificate authority, as a client is to trust it.
    #[derive(Debug, Clone)]
    pub struct Authority {
        /// Its certificate, PEM.
        pub pem: String,
        /// The file it is kept in (`tls.ca_dir`), if kept.
        pub path: Option<PathBuf>,
    }

    /// What HTTPS is served with.
    pub struct Tls {
        acceptor: tokio_rustls::TlsAcceptor,
        authority: Option<Authority>,
        intercepted: Vec<String>,
    }

    impl std::fmt::Debug for Tls {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Tls")
                .field("authority", &self.authority)
                .field("intercepted", &self.intercepted)
                .finish_non_exhaustive()
        }
    }

    impl Tls {
        /// The certificate `settings` give, or one made now by the authority (kept in
        /// `tls.ca_dir` or made fresh).
        pub fn from_settings(settings: &TlsSettings) -> Result<Tls, TlsError> {
            let names = super::certificate_names(&settings.names);
            let (chain, key, authority) = match (&settings.cert, &settings.key) {
                (Some(cert), Some(key)) => {
                    let (chain, key) = read_given(cert, key)?;
                    (chain, key, None)
                }
                _ => {
                    let (issuer, authority) = authority(settings.ca_dir.as_deref())?;
                    let (leaf, key) = sign_server_certificate(&issuer, &names)?;
                    let ca = CertificateDer::from_pem_slice(authority.pem.as_bytes())
                        .map_err(|e| certificate_error("the authority's certificate", e))?;
                    (vec![leaf, ca], key, Some(authority))
                }
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| certificate_error("TLS versions", e))?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(|e| certificate_error("the server certificate", e))?;
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Ok(Tls {
                acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
                authority,
                intercepted: names,
            })
        }

        /// smsim's authority, when smsim made the certificate.
        pub fn authority(&self) -> Option<&Authority> {
            self.authority.as_ref()
        }

        /// Whether a `CONNECT` to `host` on port 443 is answered as the simulator: the
        /// providers' hosts and the names given (a `*.` name covers one label more), not the
        /// loopback names, which [`super::certificate_names`] puts first.
        pub fn intercepts(&self, host: &str) -> bool {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            self.intercepted
                .iter()
                .skip(super::LOOPBACK_NAMES.len())
                .any(|name| super::covers(name, host))
        }

        /// Runs the TLS handshake on `io` as the server.
        pub async fn accept<IO>(
            &self,
            io: IO,
        ) -> std::io::Result<tokio_rustls::server::TlsStream<IO>>
        where
            IO: AsyncRead + AsyncWrite + Unpin,
        {
            self.acceptor.accept(io).await
        }
    }

    /// The certificate chain and key given by `--tls-cert` and `--tls-key`.
    fn read_given(
        cert: &Path,
        key: &Path,
    ) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
        let file_error = |path: &Path, e: rustls_pki_types::pem::Error| {
            certificate_error(&path.display().to_string(), e)
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| file_error(cert, e))?;
        if chain.is_empty() {
            return Err(TlsError::Certificate(format!(
                "{}: no certificate in it",
                cert.display()
            )));
        }
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| file_error(key, e))?;
        Ok((chain, key))
    }

    /// The authority kept in `dir` (made there if absent), or a fresh one.
    fn authority(dir: Option<&Path>) -> Result<(Issuer<'static, KeyPair>, Authority), TlsError> {
        let Some(dir) = dir else {
            let (pem, issuer) = new_authority()?;
            return Ok((issuer, Authority { pem, path: None }));
        };
        let (cert_path, key_path) = (dir.join(CA_CERT_FILE), dir.join(CA_KEY_FILE));
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| TlsError::File {
                path: path.to_owned(),
                source,
            })
        };
        if cert_path.exists() {
            let pem = read(&cert_path)?;
            let key = KeyPair::from_pem(&read(&key_path)?)
                .map_err(|e| certificate_error(&key_path.display().to_string(), e))?;
            let issuer = Issuer::from_ca_cert_pem(&pem, key)
                .map_err(|e| certificate_error(&cert_path.display().to_string(), e))?;
            return Ok((
                issuer,
                Authority {
                    pem,
                    path: Some(cert_path),
                },
            ));
        }
        if key_path.exists() {
            // A key without its certificate: making a new authority would overwrite a key that
            // machines may trust the certificate of; the tester decides.
            return Err(TlsError::Certificate(format!(
                "{} is there but {} is not: put the authority's certificate back, or remove the key to make a new authority (clients must then trust the new one)",
                key_path.display(),
                cert_path.display()
            )));
        }
        let (pem, issuer) = new_authority()?;
        let write_error = |path: &Path| {
            let path = path.to_owned();
            move |source| TlsError::File { path, source }
        };
        std::fs::create_dir_all(dir).map_err(write_error(dir))?;
        write_private(&key_path, &issuer.key().serialize_pem()).map_err(write_error(&key_path))?;
        std::fs::write(&cert_path, &pem).map_err(write_error(&cert_path))?;
        Ok((
            issuer,
            Authority {
                pem,
                path: Some(cert_path),
            },
        ))
    }

    /// Writes a private key readable by its owner alone.
    fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        options.open(path)?.write_all(contents.as_bytes())
    }

    /// A new authority valid for ten years: its certificate (PEM) and its issuer.
    fn new_authority() -> Result<(String, Issuer<'static, KeyPair>), TlsError> {
        let key = KeyPair::generate().map_err(|e| certificate_error("a key", e))?;
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "smsim local authority");
        params
            .distinguished_name
            .push(DnType::OrganizationName, "smsim (testing only)");
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = OffsetDateTime::now_utc();
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(3650);
        let cert = params
            .self_signed(&key)
            .map_err(|e| certificate_error("the authority", e))?;
        Ok((cert.pem(), Issuer::new(params, key)))
    }

    /// A server certificate for `names`, valid for a year, signed by `issuer`.
    fn sign_server_certificate(
        issuer: &Issuer<'static, KeyPair>,
        names: &[String],
    ) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), TlsError> {
        let key = KeyPair::generate().map_err(|e| certificate_error("a key", e))?;
        let mut params = CertificateParams::new(names.to_vec())
            .map_err(|e| certificate_error("the certificate's names", e))?;
        params.distinguished_name.push(DnType::CommonName, "smsim");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = OffsetDateTime::now_utc();
        // Clients cap a server certificate's life (Apple at 398 days); a start makes a new one.
        params.not_before = now - Duration::days(1);
        params.not_after = now + Duration::days(365);
        let cert = params
            .signed_by(&key, issuer)
            .map_err(|e| certificate_error("the server certificate", e))?;
        let key = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|e| certificate_error("the server key", e))?;
        Ok((cert.der().clone(), key))
    }
}

#[cfg(feature = "tls")]
pub use enabled::{Authority, CA_CERT_FILE, CA_KEY_FILE, Tls, TlsError};

/// HTTPS in a build without TLS: never made (the configuration refuses `tls.*` there).
#[cfg(not(feature = "tls"))]
#[derive(Debug)]
pub enum Tls {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_names_or_addresses() {
        for good in ["sms.test", "*.sms.test", "10.1.2.3", "::1", "a-b.c"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "bad name", "-a.test", "a..b", "*", "x_y.test"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn a_wildcard_covers_one_label_more() {
        assert!(covers("*.sms.test", "api.sms.test"));
        assert!(covers("*.sms.test", "API.SMS.test"));
        assert!(!covers("*.sms.test", "sms.test"));
        assert!(!covers("*.sms.test", "a.b.sms.test"));
        assert!(covers("smsoffice.ge", "SMSOFFICE.GE"));
        assert!(!covers("smsoffice.ge", "www.smsoffice.ge"));
    }

    #[test]
    fn the_certificate_names_every_provider_host_once() {
        let names = certificate_names(&["smsoffice.ge".into(), "extra.test".into()]);
        for entry in crate::providers::ENTRIES {
            for host in entry.hosts {
                assert_eq!(names.iter().filter(|n| n == host).count(), 1, "{host}");
            }
        }
        assert_eq!(&names[..LOOPBACK_NAMES.len()], LOOPBACK_NAMES);
        assert_eq!(names.last().map(String::as_str), Some("extra.test"));
    }
}
