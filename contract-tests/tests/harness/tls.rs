//! Live mode and the recorder against an `https://` upstream: a local TLS front (certificate
//! made in the test, trusted with `--ca-file`) in front of a simulator, answering chunked and
//! close-delimited replies as PHP hosts do.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use contract_tests::fixture::{Fixture, discover};
use contract_tests::inprocess::{replay_config, run_in_process};
use contract_tests::upstream::Upstream;
use smsim::Provider;
use smsim::record::{KnownCredentials, RecordOptions, Recorder};
use smsim_testkit::RequestBytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{BIN, start};

/// A TLS front for `backend` on 127.0.0.1; its certificate (PEM) is written to `ca_file`.
struct TlsFront {
    addr: SocketAddr,
    ca_file: PathBuf,
}

impl TlsFront {
    async fn start(backend: SocketAddr, name: &str) -> TlsFront {
        let issued =
            rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
                .unwrap();
        let ca_file =
            std::env::temp_dir().join(format!("smsim-tls-{name}-{}.pem", std::process::id()));
        std::fs::write(&ca_file, issued.cert.pem()).unwrap();
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(issued.signing_key.serialize_der()).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![issued.cert.der().clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let replies = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let replies = replies.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        let chunked = replies.fetch_add(1, Ordering::Relaxed).is_multiple_of(2);
                        let _ = serve_one(tls, backend, chunked).await;
                    }
                });
            }
        });
        TlsFront { addr, ca_file }
    }

    fn base_url(&self) -> String {
        format!("https://localhost:{}", self.addr.port())
    }
}

/// Reads one request, forwards it to `backend`, and answers chunked or close-delimited.
async fn serve_one(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    backend: SocketAddr,
    chunked: bool,
) -> std::io::Result<()> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    let (request, head_len) = loop {
        let n = tls.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        received.extend_from_slice(&buffer[..n]);
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut parsed = httparse::Request::new(&mut slots);
        if let Ok(httparse::Status::Complete(len)) = parsed.parse(&received) {
            let mut request =
                RequestBytes::new(parsed.method.unwrap_or("GET"), parsed.path.unwrap_or("/"));
            for header in parsed.headers.iter() {
                let name = header.name.to_ascii_lowercase();
                if !matches!(name.as_str(), "host" | "connection" | "content-length") {
                    request = request.header(header.name, &String::from_utf8_lossy(header.value));
                }
            }
            break (request, len);
        }
    };
    let length = request_length(&received[..head_len]);
    while received.len() < head_len + length {
        let n = tls.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..n]);
    }
    let reply = request
        .body(received[head_len..].to_vec())
        .send(&backend.to_string())
        .await?;
    let mut head = format!("HTTP/1.1 {} Reply\r\n", reply.status);
    for (name, value) in &reply.headers {
        if !matches!(
            name.to_ascii_lowercase().as_str(),
            "content-length" | "connection" | "transfer-encoding" | "date"
        ) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    head.push_str("Connection: close\r\n");
    let mut bytes = Vec::new();
    if chunked {
        head.push_str("Transfer-Encoding: chunked\r\n\r\n");
        bytes.extend_from_slice(head.as_bytes());
        let (first, second) = reply.body.split_at(reply.body.len() / 2);
        for part in [first, second].into_iter().filter(|p| !p.is_empty()) {
            bytes.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
            bytes.extend_from_slice(part);
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"0\r\n\r\n");
    } else {
        head.push_str("\r\n");
        bytes.extend_from_slice(head.as_bytes());
        bytes.extend_from_slice(&reply.body);
    }
    tls.write_all(&bytes).await?;
    tls.shutdown().await
}

fn request_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .unwrap_or(0)
}

fn live_over_tls(base_url: String, ca_file: Option<PathBuf>) -> (bool, String) {
    let mut command = Command::new(BIN);
    command.args(["--target", &base_url, "--provider", "smsoffice"]);
    command.arg("--fixtures").arg(super::fixtures());
    if let Some(ca_file) = ca_file {
        command.arg("--ca-file").arg(ca_file);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn live_mode_reaches_an_https_upstream_trusted_with_a_ca_file() {
    let sim = start(|_| {}).await;
    let front = TlsFront::start(sim.addr(), "live").await;
    let (base, ca_file) = (front.base_url(), front.ca_file.clone());
    let (ok, report) = tokio::task::spawn_blocking(move || live_over_tls(base, Some(ca_file)))
        .await
        .unwrap();
    assert!(ok, "{report}");
    assert!(report.contains("0 drifted, 0 broken"), "{report}");
    assert!(
        report.contains("same    smsoffice/balance/demo-key"),
        "{report}"
    );

    // Without the certificate the upstream is not trusted, and nothing passes for "same".
    let base = front.base_url();
    let (ok, report) = tokio::task::spawn_blocking(move || live_over_tls(base, None))
        .await
        .unwrap();
    assert!(!ok, "{report}");
    assert!(report.to_lowercase().contains("certificate"), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_recorder_records_from_an_https_upstream() {
    let sim = start(|_| {}).await;
    let front = TlsFront::start(sim.addr(), "record").await;
    let out = std::env::temp_dir().join(format!("smsim-record-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let recorder = Recorder::start(RecordOptions {
        provider: Provider::Smsoffice,
        upstream: front.base_url(),
        out: out.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        known: KnownCredentials(vec![("key".into(), "demo-key".into())]),
        ca_file: Some(front.ca_file.clone()),
    })
    .await
    .unwrap();
    let authority = recorder.addr().to_string();
    for target in [
        "/api/getBalance?key=demo-key",
        "/api/v2/send/?key=demo-key&destination=995577123456&sender=SMSOFFICE&content=hi",
        "/api/getBalance?key=wrong",
    ] {
        let reply = RequestBytes::get(target).send(&authority).await.unwrap();
        assert_eq!(reply.status, 200, "{target}: {}", reply.text());
    }
    let written = discover(&out);
    assert_eq!(written.len(), 3, "{written:?}");
    for (name, path) in &written {
        let text = std::fs::read_to_string(path).unwrap();
        assert!(text.contains("https://localhost"), "{text}");
        let fixture = Fixture::load(path).unwrap_or_else(|e| panic!("{e}"));
        let mismatches = run_in_process(&fixture, replay_config()).await.unwrap();
        assert!(mismatches.is_empty(), "{name}: {mismatches:?}");
    }
    // The upstream is reachable over TLS through the replay client too.
    let upstream = Upstream::parse(&front.base_url(), Some(&front.ca_file)).unwrap();
    let reply = upstream
        .send("GET", "/api/getBalance?key=demo-key", &[], b"")
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let _ = std::fs::remove_dir_all(&out);
}
