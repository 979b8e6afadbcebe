//! The one gateway every provider request passes: route the path to its endpoint, apply any
//! injected fault, run the endpoint in the one handler skeleton, write the journal.

mod faults;
mod journal;

use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Instant;

use axum::extract::Request;
use axum::response::Response;
use http::Method;

use crate::config::Configured;
use crate::domain::{Endpoint, Provider};
use crate::http::params::shorten;
use crate::http::{Answer, BodyLimit, Connection, Handler, RawRequest, Read, Run, Scheme, pages};
use crate::providers::{self, Descriptor, Routed, Runner, route, with_provider};
use crate::sim::{Sim, Stateful};
pub use journal::{Exchange, record_refused};

/// Whether a path belongs to the admin API (neither faulted nor journaled).
pub fn is_admin_path(path: &str) -> bool {
    path.strip_prefix("/__admin")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Answers one request outside the admin API: the endpoint its path names (or the 404 page),
/// with any injected fault applied, recorded in the journal and the log. Requests driven
/// without a socket have no `connection`: no client address, and reset or close faults only
/// withhold the reply.
pub async fn exchange(sim: &Sim, request: Request, connection: Option<Connection>) -> Response {
    match exchange_now(sim, request, connection) {
        Step::Done(response) => response,
        Step::Later(rest) => rest.await,
    }
}

/// How far a request got without waiting.
pub enum Step {
    /// Answered (and journaled).
    Done(Response),
    /// The rest must wait (a body still to read, a fault that delays, hangs or cuts the reply):
    /// this future finishes it.
    Later(Pin<Box<dyn Future<Output = Response> + Send>>),
}

/// [`exchange`] as far as it goes without waiting. Most requests (every GET without a fault)
/// are answered here in one pass, with no future built for them; the rest get one, boxed.
pub fn exchange_now(sim: &Sim, request: Request, connection: Option<Connection>) -> Step {
    let exchange = Exchange::of(sim, &request, connection.as_ref());
    let path = request.uri().path();
    let (endpoint, route_lint) = match route(path) {
        Some(Routed { endpoint, lint }) => (Some(endpoint), lint),
        None => (None, providers::unknown_path_hint(path)),
    };
    let Some(endpoint) = endpoint else {
        let answer = Answer::from(pages::not_found());
        return Step::Done(finish(
            sim,
            exchange,
            None,
            answer,
            None,
            [route_lint, None],
        ));
    };
    let plain_lint = plain_http_lint(&exchange, endpoint.provider());
    let lints = [route_lint, plain_lint];
    let client = connection.as_ref().map(|c| c.peer);
    match faults::pick(sim, endpoint) {
        None => match dispatch_now(sim, endpoint, request, client) {
            Dispatched::Answered(answer) => {
                Step::Done(finish(sim, exchange, Some(endpoint), answer, None, lints))
            }
            Dispatched::BodyToRead(reading) => {
                let sim = sim.clone();
                Step::Later(Box::pin(async move {
                    let answer = reading.finish(&sim).await;
                    finish(&sim, exchange, Some(endpoint), answer, None, lints)
                }))
            }
        },
        Some(fault) => {
            let sim = sim.clone();
            Step::Later(Box::pin(async move {
                let (answer, fault) =
                    faults::apply(&sim, endpoint, request, connection.as_ref(), fault).await;
                finish(&sim, exchange, Some(endpoint), answer, fault, lints)
            }))
        }
    }
}

/// The answer's last touches (the gateway's own lints, their bounds, the inert marks), then the
/// journal entry and the log line; hands back the reply.
fn finish(
    sim: &Sim,
    exchange: Exchange,
    endpoint: Option<Endpoint>,
    mut answer: Answer,
    fault: Option<String>,
    [route_lint, plain_lint]: [Option<String>; 2],
) -> Response {
    if let Some(lint) = route_lint {
        answer.lints.insert(0, lint);
    }
    if let Some(lint) = plain_lint {
        answer.lints.push(lint);
    }
    bound_lints(&mut answer.lints);
    make_inert(&mut answer.response);
    let status = answer.response.status().as_u16();
    exchange.record(sim, endpoint, Some(status), answer, fault)
}

/// A lint for credentials sent over plain HTTP to a provider host whose document shows https:
/// they cross the network readable. A client pointed at smsim by its own address is not
/// linted; one that names the real host (through a proxy, or a hosts-file entry) is.
fn plain_http_lint(exchange: &Exchange, provider: Provider) -> Option<String> {
    let entry = providers::entry(provider);
    let host = exchange.host_name()?;
    let documented = entry.https_documented && exchange.scheme() == Scheme::Http;
    (documented && entry.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))).then(|| {
        format!(
            "credentials sent over plain http to {host}: {provider}'s document writes https://{host}/; \
             against the real service they cross the network readable"
        )
    })
}

/// Marks a provider reply inert in a browser. Some echo what the client sent (getsms's reply,
/// `text/html` as the real one is, repeats the SMS text), so a page that posts a form with a
/// script in it must not get that script run on the simulator's origin, where the admin API is.
/// A sandboxed document runs no script and has an origin of its own; `nosniff` keeps a browser
/// from reading a reply as anything but its declared type. HTTP clients ignore both.
fn make_inert(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        http::HeaderValue::from_static("sandbox"),
    );
    headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
}

/// Most lints one journal entry keeps.
const MAX_LINTS: usize = 20;
/// Most characters one lint keeps.
const MAX_LINT_CHARS: usize = 500;

/// Keeps a request's lints to a fixed size, so the journal's memory is bounded by its number of
/// entries whatever a request carries: each lint shortened, the count capped with a last lint
/// saying how many more there were.
fn bound_lints(lints: &mut Vec<String>) {
    for lint in lints.iter_mut() {
        if lint.chars().nth(MAX_LINT_CHARS).is_some() {
            *lint = shorten(lint, MAX_LINT_CHARS);
        }
    }
    if lints.len() > MAX_LINTS {
        let more = lints.len() - (MAX_LINTS - 1);
        lints.truncate(MAX_LINTS - 1);
        lints.push(format!("{more} more lints not kept"));
    }
}

/// How much body `provider`'s endpoints read: its own limit under the global one, and its
/// server's way with a larger body.
fn body_limit(sim: &Sim, provider: Provider) -> BodyLimit {
    let limits = &sim.config().limits;
    BodyLimit {
        bytes: limits.body_bytes.of(provider).min(limits.max_body_bytes),
        over: providers::entry(provider).over_body_limit,
        read_timeout: std::time::Duration::from_secs(limits.body_read_timeout_seconds),
        total_timeout: std::time::Duration::from_secs(limits.body_timeout_seconds),
    }
}

/// `provider`'s own error reply for `code`.
pub fn error_response(sim: &Sim, provider: Provider, code: i64) -> Response {
    let quirks = &sim.config().quirks;
    with_provider!(provider, G => G::error_response(G::quirks(quirks), code))
}

/// Runs `endpoint` for a request from `client`: its head checked, its body read, then decoded,
/// run and answered ([`dispatch_now`], waiting for the body if there is one).
async fn dispatch(
    sim: &Sim,
    endpoint: Endpoint,
    request: Request,
    client: Option<SocketAddr>,
) -> Answer {
    match dispatch_now(sim, endpoint, request, client) {
        Dispatched::Answered(answer) => answer,
        Dispatched::BodyToRead(reading) => reading.finish(sim).await,
    }
}

/// How far [`dispatch_now`] got.
enum Dispatched {
    /// All the way.
    Answered(Answer),
    /// Up to a body still to read.
    BodyToRead(Reading),
}

/// Runs `endpoint` as far as it goes without waiting: the whole way for a request without a
/// body (every GET), up to the body otherwise. The endpoints take GET and POST (HEAD runs GET
/// and the reply goes without its body); any other method gets a 405 page naming the methods
/// the provider documents.
fn dispatch_now(
    sim: &Sim,
    endpoint: Endpoint,
    request: Request,
    client: Option<SocketAddr>,
) -> Dispatched {
    use axum::body::HttpBody;
    let provider = endpoint.provider();
    if !matches!(*request.method(), Method::GET | Method::POST | Method::HEAD) {
        let allow = providers::entry(provider).allow;
        return Dispatched::Answered(Answer::from(pages::method_not_allowed(allow)));
    }
    let arrived = Instant::now();
    let mut lints = Vec::new();
    let head = with_provider!(provider, G => G::dispatch(endpoint, CheckHead::<G> {
        sim,
        request: &request,
        lints: &mut lints,
        provider: PhantomData,
    }));
    if let Err(refusal) = head {
        return Dispatched::Answered(Answer::new(refusal, lints));
    }
    if !request.body().is_end_stream() {
        return Dispatched::BodyToRead(Reading {
            endpoint,
            request,
            client,
            lints,
            arrived,
        });
    }
    let raw = RawRequest::bodyless(request, client);
    Dispatched::Answered(execute(sim, endpoint, &raw, lints, arrived))
}

/// A request whose head passed, with a body still to read.
struct Reading {
    endpoint: Endpoint,
    request: Request,
    client: Option<SocketAddr>,
    lints: Vec<String>,
    arrived: Instant,
}

impl Reading {
    /// Reads the body (a refusal if it cannot be read), then runs the endpoint.
    async fn finish(self, sim: &Sim) -> Answer {
        let Reading {
            endpoint,
            request,
            client,
            mut lints,
            arrived,
        } = self;
        let limit = body_limit(sim, endpoint.provider());
        let raw = match RawRequest::read(request, client, limit).await {
            Ok(raw) => raw,
            Err(refusal) => return Answer::new(refusal.into_response(), lints),
        };
        if raw.body_ignored {
            lints.push(format!(
                "body over {} bytes ignored, as PHP ignores a body past post_max_size",
                limit.bytes
            ));
        }
        execute(sim, endpoint, &raw, lints, arrived)
    }
}

/// Runs `endpoint`'s handler on a request read whole.
fn execute(
    sim: &Sim,
    endpoint: Endpoint,
    raw: &RawRequest,
    lints: Vec<String>,
    arrived: Instant,
) -> Answer {
    with_provider!(endpoint.provider(), G => G::dispatch(endpoint, Execute::<G> {
        sim,
        raw,
        lints,
        arrived,
        provider: PhantomData,
    }))
}

/// Checks a request's head with its endpoint's handler, before the body is read.
struct CheckHead<'a, G> {
    sim: &'a Sim,
    request: &'a Request,
    lints: &'a mut Vec<String>,
    provider: PhantomData<fn() -> G>,
}

impl<G: Stateful> Runner<G> for CheckHead<'_, G> {
    type Output = Result<(), Response>;

    fn run<H>(self) -> Result<(), Response>
    where
        H: Handler<Quirks = G::Quirks, State = G::State>,
    {
        H::check_head(
            self.request,
            G::quirks(&self.sim.config().quirks),
            self.lints,
        )
    }
}

/// A request read whole, on its way to its endpoint's handler.
struct Execute<'a, G> {
    sim: &'a Sim,
    raw: &'a RawRequest,
    lints: Vec<String>,
    arrived: Instant,
    provider: PhantomData<fn() -> G>,
}

impl<G: Stateful> Runner<G> for Execute<'_, G> {
    type Output = Answer;

    fn run<H>(self) -> Answer
    where
        H: Handler<Quirks = G::Quirks, State = G::State>,
    {
        let quirks = G::quirks(&self.sim.config().quirks);
        run::<H, G>(self, quirks, G::with_world)
    }
}

/// The one handler skeleton: decode outside the world lock, execute under it, reply after it.
fn run<H: Handler, G>(
    request: Execute<'_, G>,
    quirks: &H::Quirks,
    part: fn(&mut crate::sim::State) -> (&mut crate::domain::World, &mut H::State),
) -> Answer {
    let Execute {
        sim,
        raw,
        mut lints,
        arrived,
        ..
    } = request;
    // Account ids are short: kept inline, without an allocation per request.
    let mut account = None;
    let read = Read {
        raw,
        quirks,
        lints: &mut lints,
        account: &mut account,
        arrived,
    };
    let handler = match H::decode(read) {
        Ok(handler) => handler,
        Err(refusal) => {
            let mut answer = Answer::new(refusal, lints);
            answer.account = account;
            return answer;
        }
    };
    let now = sim.now();
    let (output, messages) = {
        let mut state = sim.state();
        let (world, state) = part(&mut state);
        world.begin_request();
        let lints = &mut lints;
        let output = handler.execute(Run {
            world,
            state,
            quirks,
            now,
            lints,
        });
        (output, world.take_accepted())
    };
    let reply = H::respond(output, quirks);
    if reply.wake_engine {
        sim.wake_engine();
    }
    if let Some(accepted) = messages {
        sim.messages_accepted(accepted);
    }
    Answer {
        response: reply.response,
        lints,
        account,
        messages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lints_are_kept_to_a_fixed_size() {
        let mut lints: Vec<String> = (0..100)
            .map(|i| format!("{i}{}", "x".repeat(2000)))
            .collect();
        bound_lints(&mut lints);
        assert_eq!(lints.len(), MAX_LINTS);
        assert!(
            lints[..MAX_LINTS - 1]
                .iter()
                .all(|l| l.chars().count() == MAX_LINT_CHARS + 1)
        );
        assert_eq!(lints[MAX_LINTS - 1], "81 more lints not kept");
    }
}
