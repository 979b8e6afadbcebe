//! Binding, serving and graceful shutdown; the in-process handle for Rust tests.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use futures_util::future::Either;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use crate::admin::AppState;
use crate::config::Config;
use crate::engine::Engine;
use crate::gateway::{Step, exchange, exchange_now, is_admin_path};
use crate::http::half_close::ReplyBeforeEof;
use crate::http::signals::until_signal;
use crate::http::timer::ConnectionTimer;
use crate::http::{ConnControl, Connection, Kill, Scheme};
use crate::sim::Sim;
use crate::tls::Tls;

/// How long shutdown may take in all: in-flight requests and callbacks get until then.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(5);

/// The whole application as one router: every provider, the admin API, the journal. Tests can
/// drive it without a socket (requests then carry no client address, and the engine only moves
/// through `POST /__admin/clock/advance`).
pub fn app(sim: Sim) -> Router {
    let engine = Engine::new(sim.clone(), TaskTracker::new());
    router(AppState {
        sim,
        engine,
        tls: None,
    })
}

/// The admin API under `/__admin`; every other path goes to [`exchange`], which the
/// server also calls directly so provider requests skip the router.
fn router(state: AppState) -> Router {
    Router::new()
        .nest(
            "/__admin",
            crate::admin::routes().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                crate::admin::guard,
            )),
        )
        .fallback(|State(sim): State<Sim>, request: Request| async move {
            exchange(&sim, request, None).await
        })
        .with_state(state)
}

/// A running simulator. Dropping it stops the server; [`Simulator::shutdown`] also waits for
/// in-flight requests to finish.
#[derive(Debug)]
pub struct Simulator {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    tls: Option<Arc<Tls>>,
    sim: Sim,
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl Simulator {
    /// Binds `config.listen` (port 0 picks a free port), and `config.tls.listen` when HTTPS is
    /// on, and starts serving at once.
    pub async fn start(config: Config) -> std::io::Result<Simulator> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let (tls, tls_listener) = match config.tls.listen {
            Some(listen) => (
                Some(Arc::new(make_tls(&config)?)),
                Some(TcpListener::bind(listen).await?),
            ),
            None => (None, None),
        };
        let tls_addr = tls_listener
            .as_ref()
            .map(TcpListener::local_addr)
            .transpose()?;
        let sim = Sim::new(config);
        let cancel = CancellationToken::new();
        let tracker = TaskTracker::new();
        let engine = Engine::new(sim.clone(), tracker.clone());
        tracker.spawn(engine.clone().run(cancel.clone()));
        let app = App {
            sim: sim.clone(),
            router: router(AppState {
                sim: sim.clone(),
                engine,
                tls: tls.clone(),
            }),
            tls: tls.clone(),
        };
        // One bound on open connections over both listeners.
        let open = Arc::new(Semaphore::new(sim.config().limits.max_connections));
        if let Some(listener) = tls_listener {
            let secure = Listener {
                listener,
                scheme: Scheme::Https,
            };
            let loop_ = accept_loop(
                secure,
                app.clone(),
                open.clone(),
                cancel.clone(),
                tracker.clone(),
            );
            tracker.spawn(loop_);
        }
        let plain = Listener {
            listener,
            scheme: Scheme::Http,
        };
        tracker.spawn(accept_loop(
            plain,
            app,
            open,
            cancel.clone(),
            tracker.clone(),
        ));
        Ok(Simulator {
            addr,
            tls_addr,
            tls,
            sim,
            cancel,
            tracker,
        })
    }

    /// The HTTPS listener's address, when HTTPS is on.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// smsim's certificate authority (PEM) for a client to trust, when HTTPS is on and smsim
    /// made the certificate.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca().map(|(pem, _)| pem)
    }

    /// The authority's certificate and the file it is kept in, if any.
    pub fn ca(&self) -> Option<(&str, Option<&std::path::Path>)> {
        #[cfg(feature = "tls")]
        {
            let authority = self.tls.as_deref()?.authority()?;
            Some((authority.pem.as_str(), authority.path.as_deref()))
        }
        #[cfg(not(feature = "tls"))]
        {
            None
        }
    }

    /// Starts the embedded default configuration on `127.0.0.1:0`.
    pub async fn start_default() -> std::io::Result<Simulator> {
        let mut config = Config::embedded();
        config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
        Simulator::start(config).await
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simulated world, for inspection and changes from Rust.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Stops accepting, lets in-flight requests and callbacks finish for at most five seconds in
    /// all, and says what was left undone.
    pub async fn shutdown(self) -> ShutdownReport {
        self.cancel.cancel();
        // Event streams never end by themselves: end them so their connections can close.
        self.sim.events().close();
        self.tracker.close();
        let _ = tokio::time::timeout(SHUTDOWN_LIMIT, self.tracker.wait()).await;
        let report = ShutdownReport {
            scheduled_callbacks: self.sim.state().world.schedule.callbacks(),
            unfinished_tasks: self.tracker.len(),
        };
        if report.scheduled_callbacks > 0 || report.unfinished_tasks > 0 {
            tracing::warn!(
                scheduled_callbacks = report.scheduled_callbacks,
                unfinished = report.unfinished_tasks,
                "stopped with callbacks still pending: {} scheduled attempts will not be sent, {} requests or callbacks in flight were cut off",
                report.scheduled_callbacks,
                report.unfinished_tasks
            );
        }
        report
    }
}

/// What a shutdown left undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Callback attempts that were scheduled (retries, delays) and will not be sent.
    pub scheduled_callbacks: usize,
    /// Requests and callback attempts still running when the time was up.
    pub unfinished_tasks: usize,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.cancel.cancel();
        self.sim.events().close();
    }
}

/// What each connection serves: provider paths straight to [`exchange`], the admin API
/// through its router.
#[derive(Debug, Clone)]
struct App {
    sim: Sim,
    router: Router,
    tls: Option<Arc<Tls>>,
}

/// A listening socket and what its connections speak.
struct Listener {
    listener: TcpListener,
    scheme: Scheme,
}

/// HTTPS as the configuration sets it up (a build without TLS refuses `tls.*` at validation).
fn make_tls(config: &Config) -> std::io::Result<Tls> {
    #[cfg(feature = "tls")]
    {
        Tls::from_settings(&config.tls).map_err(|e| std::io::Error::other(format!("tls: {e}")))
    }
    #[cfg(not(feature = "tls"))]
    {
        let _ = config;
        Err(std::io::Error::other("tls: this build has no TLS"))
    }
}

impl App {
    /// Serves a request as far as it goes without waiting: a provider request through
    /// [`exchange_now`], the admin API through its router (always later).
    fn serve(&self, mut request: Request, connection: Connection) -> Step {
        if is_admin_path(request.uri().path()) {
            // The event stream closes its own connection when its client stops reading.
            request.extensions_mut().insert(connection.control);
            let router = self.router.clone();
            Step::Later(Box::pin(async move {
                router.oneshot(request).await.unwrap_or_else(|e| match e {})
            }))
        } else {
            exchange_now(&self.sim, request, Some(connection))
        }
    }
}

/// The first pause after a failed accept; it doubles while accepts keep failing.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
/// The longest pause after failed accepts.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Accepts connections while fewer than `limits.max_connections` are open (the rest wait in the
/// listen queue). Failed accepts (typically out of file descriptors) back off, and are logged as
/// one line per second with their count rather than one line each.
async fn accept_loop(
    Listener { listener, scheme }: Listener,
    app: App,
    open: Arc<Semaphore>,
    cancel: CancellationToken,
    tracker: TaskTracker,
) {
    let mut backoff = ACCEPT_BACKOFF_MIN;
    let mut failures = FailureLog::default();
    loop {
        let permit = tokio::select! {
            _ = cancel.cancelled() => return,
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => return,
            },
        };
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = ACCEPT_BACKOFF_MIN;
                failures.flush();
                let (app, cancel) = (app.clone(), cancel.clone());
                tracker.spawn(async move {
                    serve_connection(stream, peer, scheme, app, cancel).await;
                    drop(permit);
                });
            }
            Err(e) => {
                failures.note(&e);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
            }
        }
    }
}

/// Failed accepts, logged at most once a second with how many there were.
#[derive(Debug, Default)]
struct FailureLog {
    since_logged: u64,
    last_logged: Option<std::time::Instant>,
    last_error: String,
}

impl FailureLog {
    fn note(&mut self, error: &std::io::Error) {
        self.since_logged += 1;
        self.last_error = error.to_string();
        if self
            .last_logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.since_logged > 0 {
            tracing::warn!(
                failures = self.since_logged,
                error = %self.last_error,
                "accepting connections failed; backing off"
            );
            self.since_logged = 0;
            self.last_logged = Some(std::time::Instant::now());
        }
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    scheme: Scheme,
    app: App,
    cancel: CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    // A second handle on the socket, so an injected fault can reset it while hyper owns it.
    let (stream, handle) = match split_handle(stream) {
        Ok(pair) => pair,
        Err(e) => {
            tracing::debug!(error = %e, %peer, "cannot prepare connection");
            return;
        }
    };
    let socket = Arc::new(handle);
    match (scheme, app.tls.clone()) {
        (Scheme::Https, Some(tls)) => {
            let Some(stream) = tls_handshake(&app, &tls, stream, peer).await else {
                return;
            };
            serve_http(stream, socket, peer, scheme, app, cancel).await;
        }
        _ => serve_http(stream, socket, peer, Scheme::Http, app, cancel).await,
    }
}

/// What a plain HTTP request on the HTTPS port gets (nginx answers it so too), instead of a
/// handshake that never comes.
#[cfg(feature = "tls")]
const PLAIN_ON_TLS_PORT: &str =
    "This port speaks HTTPS: a plain HTTP request was sent to it. Use https://";

/// The journal's and the log's word on such a request.
#[cfg(feature = "tls")]
const PLAIN_ON_TLS_PORT_LINT: &str = "a plain HTTP request on the HTTPS port was refused unread: \
     answered 400 and the connection closed. Use https:// with this port, or http:// with the \
     port of --listen";

/// The TLS side of a connection to the HTTPS listener, once its handshake is done within the
/// header timeout; `None` (and the connection closed) otherwise. A client that sends plain HTTP
/// is answered 400.
#[cfg(feature = "tls")]
async fn tls_handshake(
    app: &App,
    tls: &Tls,
    mut stream: TcpStream,
    peer: SocketAddr,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    use tokio::io::AsyncWriteExt;
    /// The first byte of every TLS connection: a handshake record.
    const TLS_HANDSHAKE: u8 = 0x16;
    let limit = Duration::from_secs(app.sim.config().limits.header_timeout_seconds);
    let handshake = async {
        let mut first = [0u8; 1];
        if stream.peek(&mut first).await? == 1 && first[0] != TLS_HANDSHAKE {
            // What has come of the request, for its journal entry.
            let mut head = vec![0u8; 4096];
            let read = stream.peek(&mut head).await?;
            tracing::warn!(%peer, "{PLAIN_ON_TLS_PORT_LINT}");
            crate::gateway::record_refused(
                &app.sim,
                &head[..read],
                Scheme::Http,
                peer.ip(),
                Some(400),
                PLAIN_ON_TLS_PORT_LINT,
            );
            let reply = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
                 Connection: close\r\nContent-Length: {}\r\n\r\n{PLAIN_ON_TLS_PORT}",
                PLAIN_ON_TLS_PORT.len()
            );
            stream.write_all(reply.as_bytes()).await?;
            stream.shutdown().await?;
            return Err(std::io::Error::other("plain HTTP on the HTTPS port"));
        }
        tls.accept(stream).await
    };
    match tokio::time::timeout(limit, handshake).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!(error = %e, %peer, "TLS handshake failed");
            None
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake not done within the header timeout");
            None
        }
    }
}

#[cfg(not(feature = "tls"))]
async fn tls_handshake(_: &App, tls: &Tls, _: TcpStream, _: SocketAddr) -> Option<TcpStream> {
    match *tls {}
}

/// A boxed connection task: a tunnel serves HTTP inside HTTP, so the type must not contain itself.
type Task = std::pin::Pin<Box<dyn Future<Output = ()> + Send>>;

/// Serves HTTP/1.1 on `stream` (the socket, TLS on it, or a tunnel opened on it with
/// `CONNECT`); `socket` is the TCP socket underneath, for faults that reset it.
fn serve_http<S>(
    stream: S,
    socket: Arc<std::net::TcpStream>,
    peer: SocketAddr,
    scheme: Scheme,
    app: App,
    cancel: CancellationToken,
) -> Task
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let io = TokioIo::new(ReplyBeforeEof::new(stream));
    Box::pin(async move {
        let header_timeout = Duration::from_secs(app.sim.config().limits.header_timeout_seconds);
        let (control, killed) = ConnControl::new(Arc::downgrade(&socket));
        // For the journal entry of a request refused unread (the service takes `app`).
        let sim = app.sim.clone();
        let tunnel = (socket.clone(), app.clone(), cancel.clone());
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            if request.method() == http::Method::CONNECT {
                let (socket, app, cancel) = tunnel.clone();
                let response = open_tunnel(request, socket, peer, scheme, app, cancel);
                return Either::Right(std::future::ready(Ok::<_, Infallible>(response)));
            }
            let connection = Connection {
                peer,
                control: control.clone(),
                scheme,
            };
            // Most requests (every GET) are answered here, inside hyper's call: the request,
            // which borrows hyper's read buffer, is then gone before hyper reads again, and
            // hyper reuses the buffer instead of allocating a new one for every request. One
            // that must wait (a body still arriving, a delay) goes on as a future hyper polls.
            match app.serve(request.map(into_body), connection) {
                Step::Done(response) => Either::Right(std::future::ready(Ok(response))),
                Step::Later(rest) => Either::Left(async move { Ok::<_, Infallible>(rest.await) }),
            }
        });
        // hyper starts this timer whenever the connection waits for a request (at its start and
        // after each reply), so one setting bounds a half-sent header and an idle keep-alive
        // connection.
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(ConnectionTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(io, service)
            .with_upgrades();
        // Held unpinned (it is Unpin), so that after a refusal the bytes hyper left unread can
        // be taken back from it for the journal.
        let mut connection = connection;
        // The connection wakes for every request; the signals that end it early are looked at
        // only when one of them fires.
        let signal = Box::pin(async move {
            tokio::select! {
                Ok(how) = killed => Some(how),
                _ = cancel.cancelled() => None,
            }
        });
        match until_signal(Pin::new(&mut connection), signal).await {
            Either::Left(result) => {
                if let Err(e) = result {
                    match refused_unread(&e, scheme) {
                        Some(refusal) => {
                            tracing::warn!(error = %e, %peer, "{}", refusal.why);
                            let unread = connection.into_parts().map(|parts| parts.read_buf);
                            crate::gateway::record_refused(
                                &sim,
                                unread.as_deref().unwrap_or_default(),
                                scheme,
                                peer.ip(),
                                refusal.status,
                                refusal.why,
                            );
                        }
                        None => {
                            tracing::debug!(error = %e, %peer, "connection ended with an error")
                        }
                    }
                }
            }
            Either::Right(Some(how)) => {
                if how == Kill::Reset {
                    // Linger 0 turns the close below into a RST instead of a FIN.
                    let _ = socket2::SockRef::from(&*socket).set_linger(Some(Duration::ZERO));
                }
                // Dropping the connection and the last handle closes the socket without a reply;
                // inside a tunnel the socket outlives this connection, so it is shut here.
                if Arc::strong_count(&socket) > 2 {
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                }
            }
            Either::Right(None) => {
                Pin::new(&mut connection).graceful_shutdown();
                let _ = tokio::time::timeout(SHUTDOWN_LIMIT, connection).await;
            }
        }
    })
}

/// A request hyper could not read (a malformed request line or header, a head past its
/// limits, a TLS handshake or HTTP/2 on the plain port), answered by hyper and the connection
/// closed before any smsim code saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refusal {
    /// What a client's developer needs to know: the log line and the journal entry's lint.
    why: &'static str,
    /// What hyper answered; `None` when it closed the connection unanswered.
    status: Option<u16>,
}

/// The refusal `error` was, or `None` for a connection that ended otherwise. `scheme` is the
/// connection's: only a plain one can have met a TLS handshake.
fn refused_unread(error: &hyper::Error, scheme: Scheme) -> Option<Refusal> {
    if error.is_parse_version_h2() {
        return Some(Refusal {
            why: "an HTTP/2 connection without TLS (prior knowledge) was closed unanswered: \
                  smsim serves HTTP/1.1",
            status: None,
        });
    }
    // hyper tells the part it could not parse only in its message.
    let what = error.to_string();
    if error.is_parse_too_large() {
        return Some(if what.starts_with("URI too long") {
            Refusal {
                why: "a request was refused unread, its target over 65,534 bytes: answered 414 \
                      with no body and the connection closed",
                status: Some(414),
            }
        } else {
            Refusal {
                why: "a request was refused unread, its head too large (over about 400 KB, or \
                      over 100 headers): answered 431 with no body and the connection closed",
                status: Some(431),
            }
        });
    }
    if !error.is_parse() {
        return None;
    }
    let why = if what.starts_with("invalid HTTP method") && scheme == Scheme::Https {
        "a request was refused unread, as it does not start with an HTTP method: answered 400 \
         with no body and the connection closed"
    } else if what.starts_with("invalid HTTP method") {
        "a request was refused unread, as it does not start with an HTTP method: answered 400 \
         with no body and the connection closed. A TLS handshake on the plain HTTP port looks so \
         (a client given https:// with this port: use http://, or https:// with the port of \
         --tls-listen), as does anything that is not HTTP"
    } else if what.starts_with("invalid HTTP version") || what.starts_with("invalid URI") {
        "a request was refused unread, its request line not HTTP/1.1: answered 400 with no body \
         and the connection closed. A client must percent-encode a space, '\"', '<', '>' or a \
         control character in the target (PHP's http_build_query or urlencode, Python's \
         urllib.parse.urlencode, JavaScript's encodeURIComponent)"
    } else if [
        "invalid HTTP header",
        "invalid content-length",
        "invalid transfer-encoding",
        "unexpected transfer-encoding",
    ]
    .iter()
    .any(|header| what.starts_with(header))
    {
        "a request was refused unread, a header malformed (a name with a space or a control \
         character, a bad Content-Length or Transfer-Encoding): answered 400 with no body and \
         the connection closed"
    } else {
        "a request was refused unread, as not HTTP/1.1: answered 400 with no body and the \
         connection closed"
    };
    Some(Refusal {
        why,
        status: Some(400),
    })
}

/// hyper's request body as the handlers' type. A request without one (every GET) gets the empty
/// body, which needs no allocation, where boxing hyper's would take one per request.
fn into_body(body: Incoming) -> Body {
    if hyper::body::Body::is_end_stream(&body) {
        Body::empty()
    } else {
        Body::new(body)
    }
}

/// Answers `CONNECT host:port` the way a forward proxy does, so a client that tunnels through its
/// proxy setting (Node's undici `ProxyAgent`, Rust's ureq, PHP's and Python's `https_proxy`...)
/// reaches the simulator unmodified: 200, then the same service inside the tunnel. Port 443 to a
/// provider's host, with HTTPS on, is served as TLS with smsim's certificate for that host;
/// any other port 443 is refused with 502 and the reason.
fn open_tunnel(
    mut request: hyper::Request<Incoming>,
    socket: Arc<std::net::TcpStream>,
    peer: SocketAddr,
    scheme: Scheme,
    app: App,
    cancel: CancellationToken,
) -> Response {
    let host = request.uri().host().unwrap_or_default().to_owned();
    let tls = if request.uri().port_u16() == Some(443) {
        match intercepting(&app, &host) {
            Ok(tls) => Some(tls),
            Err(why) => {
                let mut response = Response::new(Body::from(why));
                *response.status_mut() = http::StatusCode::BAD_GATEWAY;
                return response;
            }
        }
    } else {
        None
    };
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let upgraded = match upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => {
                tracing::debug!(error = %e, %peer, "tunnel not opened");
                return;
            }
        };
        match tls {
            Some(tls) => serve_intercepted(upgraded, tls, socket, peer, app, cancel).await,
            None => serve_http(TokioIo::new(upgraded), socket, peer, scheme, app, cancel).await,
        }
    });
    Response::new(Body::empty())
}

/// The TLS set-up a `CONNECT` to `host` on port 443 is served with, or why it is refused.
fn intercepting(app: &App, host: &str) -> Result<Arc<Tls>, String> {
    let Some(tls) = app.tls.clone() else {
        return Err(format!(
            "CONNECT {host}:443: smsim serves https only when started with --tls-listen; \
             or point the client at http:// URLs to reach it through a proxy"
        ));
    };
    #[cfg(feature = "tls")]
    if !tls.intercepts(host) {
        let names = crate::tls::certificate_names(&app.sim.config().tls.names);
        return Err(format!(
            "CONNECT {host}:443: smsim answers https only for {}",
            names[crate::tls::LOOPBACK_NAMES.len()..].join(", ")
        ));
    }
    Ok(tls)
}

/// Serves a `CONNECT host:443` tunnel as that host over TLS.
#[cfg(feature = "tls")]
async fn serve_intercepted(
    upgraded: hyper::upgrade::Upgraded,
    tls: Arc<Tls>,
    socket: Arc<std::net::TcpStream>,
    peer: SocketAddr,
    app: App,
    cancel: CancellationToken,
) {
    let limit = Duration::from_secs(app.sim.config().limits.header_timeout_seconds);
    match tokio::time::timeout(limit, tls.accept(TokioIo::new(upgraded))).await {
        Ok(Ok(stream)) => serve_http(stream, socket, peer, Scheme::Https, app, cancel).await,
        Ok(Err(e)) => tracing::debug!(error = %e, %peer, "TLS handshake in a tunnel failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake in a tunnel not done in time"),
    }
}

#[cfg(not(feature = "tls"))]
async fn serve_intercepted(
    _: hyper::upgrade::Upgraded,
    tls: Arc<Tls>,
    _: Arc<std::net::TcpStream>,
    _: SocketAddr,
    _: App,
    _: CancellationToken,
) {
    match *tls {}
}

/// The stream for hyper and a duplicate handle on the same socket.
fn split_handle(stream: TcpStream) -> std::io::Result<(TcpStream, std::net::TcpStream)> {
    let std_stream = stream.into_std()?;
    let handle = std_stream.try_clone()?;
    Ok((TcpStream::from_std(std_stream)?, handle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// The error hyper's server ends a connection with after reading `bytes`.
    async fn hyper_refusal(bytes: &[u8]) -> hyper::Error {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        client.write_all(bytes).await.unwrap();
        let service = hyper::service::service_fn(|_: hyper::Request<Incoming>| async {
            Ok::<_, Infallible>(hyper::Response::new(String::new()))
        });
        hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(server), service)
            .await
            .expect_err("hyper refuses the bytes")
    }

    /// What the log says of a connection that sent `bytes`, and the status it was answered.
    async fn told(bytes: &[u8], scheme: Scheme) -> Refusal {
        refused_unread(&hyper_refusal(bytes).await, scheme).expect("a refusal")
    }

    #[tokio::test]
    async fn each_refusal_is_told_for_what_it_is() {
        let client_hello: &[u8] = &[
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];
        let long_target = [b"GET /", &[b'a'; 70_000][..], b" HTTP/1.1\r\n\r\n"].concat();
        let many_headers = [
            &b"GET / HTTP/1.1\r\n"[..],
            &b"X-A: 1\r\n".repeat(200),
            b"\r\n",
        ]
        .concat();
        // (what the client sent, on which scheme, words the line must hold, the status answered)
        let cases: [(&[u8], Scheme, &str, Option<u16>); 9] = [
            (
                b"GET /api/v2/send/?content=hello world HTTP/1.1\r\nHost: x\r\n\r\n",
                Scheme::Http,
                "percent-encode a space",
                Some(400),
            ),
            (
                b"GET /?content=\"hi\" HTTP/1.1\r\nHost: x\r\n\r\n",
                Scheme::Http,
                "percent-encode",
                Some(400),
            ),
            (
                b"GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n",
                Scheme::Http,
                "a header malformed",
                Some(400),
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                Scheme::Http,
                "a header malformed",
                Some(400),
            ),
            (client_hello, Scheme::Http, "TLS handshake", Some(400)),
            // Inside TLS the handshake is done: the same bytes are just not HTTP.
            (
                client_hello,
                Scheme::Https,
                "does not start with an HTTP method",
                Some(400),
            ),
            (
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                Scheme::Http,
                "HTTP/2",
                None,
            ),
            (&long_target, Scheme::Http, "414", Some(414)),
            (&many_headers, Scheme::Http, "100 headers", Some(431)),
        ];
        for (bytes, scheme, words, status) in cases {
            let refusal = told(bytes, scheme).await;
            assert!(
                refusal.why.contains(words),
                "{:?} lacks {words:?}",
                refusal.why
            );
            assert_eq!(refusal.status, status, "{:?}", refusal.why);
        }
        let inside_tls = told(client_hello, Scheme::Https).await.why;
        assert!(!inside_tls.contains("TLS"), "{inside_tls}");
    }
}
