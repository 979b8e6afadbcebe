//! HTTPS: the TLS listener, `CONNECT` interception of the providers' hosts, smsim's authority,
//! and what a client that speaks TLS wrongly gets. The client is rustls with the authority as its
//! only root, as a test machine that trusts smsim once would be set up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use smsim::{Config, Simulator};
use smsim_testkit::http1::{RequestBytes, parse_reply, read_reply};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::client::{Reply, admin, get, raw};
use crate::smsoffice_send::start_with;

const SEND: &str =
    "/api/v2/send/?key=demo-key&destination=995555123456&sender=SMSOFFICE&content=hi";

/// A simulator with HTTPS on a free port and the given changes.
async fn start_tls(change: impl FnOnce(&mut Config)) -> Simulator {
    start_with(|c| {
        c.tls.listen = Some("127.0.0.1:0".parse().unwrap());
        change(c);
    })
    .await
}

/// A TLS client whose only trusted root is the certificate(s) in `pem`.
fn trusting(pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Sends `request` over TLS on `stream` to `name` and reads the whole reply.
async fn over_tls<S>(
    stream: S,
    tls: &TlsConnector,
    name: &str,
    request: &[u8],
) -> std::io::Result<Reply>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let mut stream = tls.connect(name, stream).await?;
    stream.write_all(request).await?;
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await?;
    parse_reply(&bytes)
}

/// `GET target` on the HTTPS listener, naming `name` (SNI and `Host`).
async fn https_get(
    sim: &Simulator,
    tls: &TlsConnector,
    name: &str,
    target: &str,
) -> std::io::Result<Reply> {
    let stream = TcpStream::connect(sim.tls_addr().unwrap()).await?;
    over_tls(
        stream,
        tls,
        name,
        &RequestBytes::get(target).to_bytes(name, false),
    )
    .await
}

/// Opens `CONNECT authority` through the plain listener; the reply head and the open stream.
async fn connect_through(addr: SocketAddr, authority: &str) -> (String, TcpStream) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if stream.read(&mut byte).await.unwrap() == 0 {
            break;
        }
        head.push(byte[0]);
    }
    (String::from_utf8(head).unwrap(), stream)
}

/// The body that follows `head` on `stream`, as long as its `Content-Length` says.
async fn body_after(head: &str, stream: &mut TcpStream) -> String {
    let length = head
        .lines()
        .find_map(|line| {
            line.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|n| n.trim().parse::<usize>().unwrap())
        })
        .expect("a Content-Length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    String::from_utf8(body).unwrap()
}

fn assert_accepted(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["ErrorCode"], 0, "{}", reply.text());
}

#[tokio::test]
async fn the_https_listener_serves_the_providers_the_admin_api_and_the_inbox() {
    let sim = start_tls(|_| {}).await;
    let tls = trusting(sim.ca_pem().unwrap());
    // The certificate covers loopback and every provider host a client may name.
    for name in [
        "localhost",
        "127.0.0.1",
        "smsoffice.ge",
        "www.smsoffice.ge",
        "smsco.ge",
        "getsms.uz",
        "185.8.212.184",
    ] {
        assert_accepted(&https_get(&sim, &tls, name, SEND).await.unwrap());
    }
    let health = https_get(&sim, &tls, "localhost", "/__admin/health")
        .await
        .unwrap();
    assert_eq!(health.json()["status"], "ok");
    let inbox = https_get(&sim, &tls, "localhost", "/__admin/ui/")
        .await
        .unwrap();
    assert_eq!(inbox.status, 200);
    assert!(
        inbox
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    // Keep-alive: two requests on one TLS connection.
    let stream = TcpStream::connect(sim.tls_addr().unwrap()).await.unwrap();
    let name = ServerName::try_from("smsco.ge").unwrap();
    let mut stream = tls.connect(name, stream).await.unwrap();
    let mut buffer = Vec::new();
    for _ in 0..2 {
        let request = RequestBytes::get(SEND).to_bytes("smsco.ge", true);
        stream.write_all(&request).await.unwrap();
        assert_accepted(&read_reply(&mut stream, &mut buffer).await.unwrap());
    }
    // The journal says how each came.
    let newest = admin(&sim, "/requests?order=newest&limit=1").await;
    assert_eq!(newest["requests"][0]["scheme"], "https");
    assert_eq!(newest["requests"][0]["host"], "smsco.ge");
    assert_eq!(admin(&sim, "/messages").await["count"], 9);
}

#[tokio::test]
async fn connect_to_a_provider_host_is_answered_as_that_provider_over_tls() {
    let sim = start_tls(|_| {}).await;
    let tls = trusting(sim.ca_pem().unwrap());
    let (head, tunnel) = connect_through(sim.addr(), "smsoffice.ge:443").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let request = RequestBytes::get(SEND).to_bytes("smsoffice.ge", false);
    let reply = over_tls(tunnel, &tls, "smsoffice.ge", &request)
        .await
        .unwrap();
    assert_accepted(&reply);
    let entry = &admin(&sim, "/requests?order=newest&limit=1").await["requests"][0];
    assert_eq!(entry["scheme"], "https");
    assert_eq!(entry["host"], "smsoffice.ge");
    assert_eq!(entry["lints"], serde_json::json!([]));
    // Another host on 443 is refused with the reason; the server goes on.
    let (head, mut refused) = connect_through(sim.addr(), "example.com:443").await;
    assert!(head.starts_with("HTTP/1.1 502"), "{head}");
    let reason = body_after(&head, &mut refused).await;
    assert!(reason.contains("smsoffice.ge"), "{reason}");
    assert_accepted(&get(&sim, SEND).await);
}

#[tokio::test]
async fn without_https_a_connect_to_443_is_refused_with_the_flag_to_use() {
    let sim = start_with(|_| {}).await;
    let (head, mut refused) = connect_through(sim.addr(), "smsoffice.ge:443").await;
    assert!(head.starts_with("HTTP/1.1 502"), "{head}");
    let reason = body_after(&head, &mut refused).await;
    assert!(reason.contains("--tls-listen"), "{reason}");
    let ca = get(&sim, "/__admin/tls/ca.pem").await;
    assert_eq!(ca.status, 404);
    assert!(
        ca.json()["error"]
            .as_str()
            .unwrap()
            .contains("--tls-listen")
    );
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_authority_fails_and_others_are_still_served() {
    let sim = start_tls(|_| {}).await;
    let stranger = start_tls(|_| {}).await;
    let untrusting = trusting(stranger.ca_pem().unwrap());
    let refused = https_get(&sim, &untrusting, "smsoffice.ge", SEND).await;
    let error = refused.expect_err("a certificate from an authority the client does not trust");
    assert!(error.to_string().contains("certificate"), "{error}");
    let tls = trusting(sim.ca_pem().unwrap());
    assert_accepted(&https_get(&sim, &tls, "smsoffice.ge", SEND).await.unwrap());
    // A name the certificate does not hold is refused by the client, not served.
    assert!(https_get(&sim, &tls, "example.com", SEND).await.is_err());
}

#[tokio::test]
async fn plain_http_on_the_https_port_gets_400_not_a_hang() {
    let sim = start_tls(|_| {}).await;
    let reply = raw(
        sim.tls_addr().unwrap(),
        format!("GET {SEND} HTTP/1.1").as_bytes(),
        b"",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("HTTPS"), "{}", reply.text());
    // The journal lists it, and says which port to use.
    let journal = admin(&sim, "/requests").await;
    let entry = &journal["requests"][0];
    assert_eq!(
        (&entry["method"], &entry["target"], &entry["status"]),
        (&"GET".into(), &SEND.into(), &400.into()),
        "{journal}"
    );
    assert_eq!(entry["host"], sim.tls_addr().unwrap().to_string());
    assert!(
        entry["lints"][0]
            .as_str()
            .unwrap()
            .contains("Use https:// with this port"),
        "{journal}"
    );
    let tls = trusting(sim.ca_pem().unwrap());
    assert_accepted(&https_get(&sim, &tls, "localhost", SEND).await.unwrap());
}

#[tokio::test]
async fn a_handshake_that_never_completes_is_closed_by_the_header_timeout() {
    let sim = start_tls(|c| c.limits.header_timeout_seconds = 1).await;
    let mut stalled = TcpStream::connect(sim.tls_addr().unwrap()).await.unwrap();
    // The first bytes of a ClientHello record, and nothing more.
    stalled
        .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00])
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed =
        tokio::time::timeout(Duration::from_secs(20), stalled.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection was left open");
    let tls = trusting(sim.ca_pem().unwrap());
    assert_accepted(&https_get(&sim, &tls, "localhost", SEND).await.unwrap());
}

#[tokio::test]
async fn the_authority_is_served_and_kept_between_runs_in_its_directory() {
    let dir = std::env::temp_dir().join(format!("smsim-ca-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let first = start_tls(|c| c.tls.ca_dir = Some(dir.clone())).await;
    let pem = first.ca_pem().unwrap().to_owned();
    let served = get(&first, "/__admin/tls/ca.pem").await;
    assert_eq!(served.status, 200);
    assert_eq!(
        served.header("content-type"),
        Some("application/x-pem-file")
    );
    assert_eq!(served.text(), pem);
    assert_eq!(
        std::fs::read_to_string(dir.join("smsim-ca.pem")).unwrap(),
        pem
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = std::fs::metadata(dir.join("smsim-ca-key.pem")).unwrap();
        assert_eq!(key.permissions().mode() & 0o777, 0o600);
    }
    first.shutdown().await;
    let second = start_tls(|c| c.tls.ca_dir = Some(dir.clone())).await;
    assert_eq!(
        second.ca_pem().unwrap(),
        pem,
        "the authority changed between runs"
    );
    // A client that trusted the first run trusts the second's new server certificate.
    assert_accepted(
        &https_get(&second, &trusting(&pem), "smsoffice.ge", SEND)
            .await
            .unwrap(),
    );
    // Without the directory, each start makes a fresh authority.
    let fresh = start_tls(|_| {}).await;
    assert_ne!(fresh.ca_pem().unwrap(), pem);
    // A key whose certificate is gone is neither overwritten nor used: the start says which.
    second.shutdown().await;
    std::fs::remove_file(dir.join("smsim-ca.pem")).unwrap();
    let key = std::fs::read_to_string(dir.join("smsim-ca-key.pem")).unwrap();
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.tls.listen = Some("127.0.0.1:0".parse().unwrap());
    config.tls.ca_dir = Some(dir.clone());
    let refused = Simulator::start(config)
        .await
        .expect_err("started with a key and no certificate")
        .to_string();
    assert!(
        refused.contains("smsim-ca-key.pem is there but")
            && refused.contains("smsim-ca.pem is not"),
        "{refused}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("smsim-ca-key.pem")).unwrap(),
        key
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_given_certificate_is_served_instead_and_extra_names_are_covered() {
    let dir = std::env::temp_dir().join(format!("smsim-cert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let own = rcgen::generate_simple_self_signed(vec!["sms.test".to_owned()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, own.cert.pem()).unwrap();
    std::fs::write(&key, own.signing_key.serialize_pem()).unwrap();
    let sim = start_tls(|c| {
        c.tls.cert = Some(cert.clone());
        c.tls.key = Some(key.clone());
    })
    .await;
    assert_eq!(sim.ca_pem(), None);
    assert_accepted(
        &https_get(&sim, &trusting(&own.cert.pem()), "sms.test", SEND)
            .await
            .unwrap(),
    );
    let ca = get(&sim, "/__admin/tls/ca.pem").await;
    assert_eq!(ca.status, 404);
    assert!(ca.json()["error"].as_str().unwrap().contains("--tls-cert"));
    let _ = std::fs::remove_dir_all(&dir);

    let named = start_tls(|c| c.tls.names = vec!["sms.internal".into(), "10.1.2.3".into()]).await;
    let tls = trusting(named.ca_pem().unwrap());
    for name in ["sms.internal", "10.1.2.3"] {
        assert_accepted(&https_get(&named, &tls, name, SEND).await.unwrap());
    }
    // A given name is intercepted too.
    let (head, _) = connect_through(named.addr(), "sms.internal:443").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
}

#[test]
fn tls_settings_that_cannot_work_are_refused_at_start() {
    for (json, field) in [
        (r#"{"tls": {"names": ["x.test"]}}"#, "tls.listen"),
        (
            r#"{"tls": {"listen": "127.0.0.1:0", "cert": "c.pem"}}"#,
            "tls.cert",
        ),
        (
            r#"{"tls": {"listen": "127.0.0.1:0", "names": ["bad name"]}}"#,
            "tls.names",
        ),
        (
            r#"{"tls": {"listen": "127.0.0.1:0", "cert": "c", "key": "k", "ca_dir": "d"}}"#,
            "tls.ca_dir",
        ),
    ] {
        let refused = Config::from_json(json, "x.json").unwrap_err().to_string();
        assert!(refused.contains(field), "{json}: {refused}");
    }
}

#[tokio::test]
async fn an_unreadable_certificate_file_stops_the_start_with_its_name() {
    let mut config = Config::embedded();
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.tls.listen = Some("127.0.0.1:0".parse().unwrap());
    config.tls.cert = Some("/nonexistent/cert.pem".into());
    config.tls.key = Some("/nonexistent/key.pem".into());
    let error = Simulator::start(config).await.unwrap_err().to_string();
    assert!(error.contains("/nonexistent/cert.pem"), "{error}");
}

#[tokio::test]
async fn credentials_over_plain_http_to_a_host_documented_with_https_are_linted() {
    let sim = start_with(|_| {}).await;
    let lints = |reply: serde_json::Value| reply["requests"][0]["lints"].to_string();
    // A client pointed at smsim's own address is not linted.
    assert_accepted(&get(&sim, SEND).await);
    let local = lints(admin(&sim, "/requests?order=newest&limit=1").await);
    assert!(!local.contains("plain http"), "{local}");
    let absolute = format!("GET http://smsoffice.ge{SEND} HTTP/1.1");
    assert_accepted(&raw(sim.addr(), absolute.as_bytes(), b"").await);
    let proxied = lints(admin(&sim, "/requests?order=newest&limit=1").await);
    assert!(proxied.contains("plain http to smsoffice.ge"), "{proxied}");
    assert!(proxied.contains("https://smsoffice.ge/"), "{proxied}");
    // smsco's document shows http only: nothing to say.
    let smsco = "GET http://smsco.ge/components/com_smsreseller/smsapi2.php?username=demo&password=demo&recipient=995599445448&message=t HTTP/1.1";
    raw(sim.addr(), smsco.as_bytes(), b"").await;
    let quiet = lints(admin(&sim, "/requests?order=newest&limit=1").await);
    assert!(!quiet.contains("plain http"), "{quiet}");
}

#[tokio::test]
async fn a_client_that_closes_its_sending_side_after_its_request_still_gets_the_reply() {
    let sim = start_tls(|_| {}).await;
    let tls = trusting(sim.ca_pem().unwrap());
    for _ in 0..10 {
        let tcp = TcpStream::connect(sim.tls_addr().unwrap()).await.unwrap();
        let name = ServerName::try_from("smsoffice.ge").unwrap();
        let mut stream = tls.connect(name, tcp).await.unwrap();
        let request = RequestBytes::get(SEND).to_bytes("smsoffice.ge", true);
        stream.write_all(&request).await.unwrap();
        // TLS's close_notify, then the TCP stream's end.
        stream.shutdown().await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        assert_accepted(&parse_reply(&bytes).unwrap());
    }
}
