//! The admin API under `/__admin`: JSON in, JSON out, errors as `{"error": "..."}`.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::handler::Handler;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use http::Method;
use http::StatusCode;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use std::sync::Arc;

use crate::config::Config;
use crate::domain::Provider;
use crate::domain::clock::MAX_SPAN_SECONDS;
use crate::domain::rules::Rule;
use crate::engine::Engine;
use crate::events::Event;
use crate::providers::getsms::allow_list::IpRange;
use crate::providers::{self, getsms};
use crate::sim::Sim;
use crate::tls::Tls;

/// What every route can extract: the simulation and its delivery engine.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The simulated world.
    pub sim: Sim,
    /// The engine that moves it through time.
    pub engine: Engine,
    /// HTTPS, when on.
    pub tls: Option<Arc<Tls>>,
}

impl FromRef<AppState> for Sim {
    fn from_ref(state: &AppState) -> Sim {
        state.sim.clone()
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}

/// The admin routes, to be nested under `/__admin`.
pub fn routes() -> Router<AppState> {
    table()
        .into_router()
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such admin endpoint") })
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here")
        })
}

/// Every admin route with its methods. The router is built from this table alone, so the
/// table is what the router answers, and the OpenAPI document is checked against it.
fn table() -> RouteTable {
    RouteTable::default()
        .get("/health", || async { axum::Json(json!({"status": "ok"})) })
        .get("/openapi.json", openapi::document)
        .get("/messages", listings::messages)
        .delete("/messages", delete_messages)
        .get("/messages/latest", listings::latest)
        .post("/messages/{id}/outcome", messages::decide)
        .get("/requests", listings::requests)
        .get("/events", events::stream)
        .get("/providers", accounts::providers)
        .get("/accounts", accounts::list)
        .post("/accounts/{provider}", accounts::create)
        .patch("/accounts/{provider}/{id}", accounts::patch)
        .delete("/accounts/{provider}/{id}", accounts::delete)
        .get("/getsms/allow-list", read_allow_list)
        .put("/getsms/allow-list", put_allow_list)
        .get("/rules", read_rules)
        .put("/rules", put_rules)
        .get("/faults", list_faults)
        .post("/faults", add_fault)
        .delete("/faults", clear_faults)
        .get("/callbacks", listings::callbacks)
        .get("/clock", read_clock)
        .post("/clock/advance", advance_clock)
        .post("/reset", reset)
        .get("/tls/ca.pem", ca_certificate)
        .get("/ui", ui::redirect)
        .get("/ui/", ui::page)
        .get("/ui/inbox.css", ui::style)
        .get("/ui/inbox.js", ui::script)
}

/// Routes being collected: each path's handlers, and the (path, method) pairs they answer.
#[derive(Default)]
struct RouteTable {
    paths: Vec<(&'static str, MethodRouter<AppState>)>,
    methods: Vec<(&'static str, Method)>,
}

impl RouteTable {
    fn add(
        mut self,
        path: &'static str,
        method: Method,
        with: impl FnOnce(MethodRouter<AppState>) -> MethodRouter<AppState>,
    ) -> RouteTable {
        self.methods.push((path, method));
        match self.paths.iter_mut().find(|(p, _)| *p == path) {
            Some((_, router)) => *router = with(std::mem::take(router)),
            None => self.paths.push((path, with(MethodRouter::new()))),
        }
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> RouteTable {
        self.add(path, Method::GET, |r| r.get(h))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> RouteTable {
        self.add(path, Method::POST, |r| r.post(h))
    }

    fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> RouteTable {
        self.add(path, Method::PUT, |r| r.put(h))
    }

    fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> RouteTable {
        self.add(path, Method::PATCH, |r| r.patch(h))
    }

    fn delete<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> RouteTable {
        self.add(path, Method::DELETE, |r| r.delete(h))
    }

    fn into_router(self) -> Router<AppState> {
        self.paths
            .into_iter()
            .fold(Router::new(), |router, (path, methods)| {
                router.route(path, methods)
            })
    }
}

/// An admin call refused: the status and a message, answered as `{"error": "..."}`.
#[derive(Debug)]
pub struct AdminError {
    pub(super) status: StatusCode,
    message: String,
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"error": self.message}))).into_response()
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> AdminError {
    AdminError {
        status,
        message: message.into(),
    }
}

type AdminResult = Result<axum::Json<Value>, AdminError>;

/// A request body whose rejections (too large, unreadable) are answered as admin errors, in JSON
/// like every other admin answer.
struct Body(Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = AdminError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Body, AdminError> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|rejection| error(rejection.status(), rejection.body_text()))
    }
}

/// Path parameters whose rejections (an id that is not a number, a segment that is not UTF-8)
/// are answered as admin errors, in JSON like every other admin answer.
struct Path<T>(T);

impl<S: Send + Sync, T> axum::extract::FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = AdminError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Path<T>, AdminError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| {
                error(
                    StatusCode::BAD_REQUEST,
                    format!("invalid path: {}", rejection.body_text()),
                )
            })
    }
}

/// Parses a JSON body, answering 400 with serde's reason (which names the field) on failure.
fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

mod accounts;
mod events;
mod guard;
pub use guard::guard;
mod listings;
mod messages;
mod openapi;
mod ui;
pub use listings::MAX_WAIT_SECONDS;

/// A query string read by axum's `Query` (serde_urlencoded), or 400 saying why not.
fn read_query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, AdminError> {
    query.map(|Query(q)| q).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!("invalid query string: {e}"),
        )
    })
}

/// The provider `name` names, or `status` saying which exist.
fn provider(name: &str, status: StatusCode) -> Result<Provider, AdminError> {
    Provider::parse(name).ok_or_else(|| {
        let names: Vec<&str> = Provider::ALL.iter().map(|p| p.name()).collect();
        error(
            status,
            format!("unknown provider {name:?}: {}", names.join(", ")),
        )
    })
}

async fn delete_messages(State(sim): State<Sim>) -> AdminResult {
    let mut state = sim.state();
    let world = &mut state.world;
    let deleted = world.messages.len();
    world.messages.clear();
    drop(state);
    sim.events().publish(Event::Cleared);
    Ok(axum::Json(json!({"deleted": deleted})))
}

fn allow_list_json(getsms: &getsms::State) -> Value {
    json!({
        "allow_list": getsms.allow_list,
        "trust_forwarded_for": getsms.trust_forwarded_for,
    })
}

async fn read_allow_list(State(sim): State<Sim>) -> AdminResult {
    Ok(axum::Json(allow_list_json(&sim.state().getsms)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowListUpdate {
    allow_list: Vec<IpRange>,
    trust_forwarded_for: Option<bool>,
}

/// Replaces the getsms allow-list (addresses or CIDR ranges); `trust_forwarded_for` too if given.
async fn put_allow_list(State(sim): State<Sim>, Body(body): Body) -> AdminResult {
    let update: AllowListUpdate = parse_body(&body)?;
    let mut state = sim.state();
    state.getsms.allow_list = update.allow_list;
    if let Some(trust) = update.trust_forwarded_for {
        state.getsms.trust_forwarded_for = trust;
    }
    Ok(axum::Json(allow_list_json(&state.getsms)))
}

/// The clock as the admin API shows it.
pub(crate) fn clock_json(sim: &Sim) -> Value {
    let now = sim.now();
    let next_due = sim.state().world.schedule.next_due();
    let mut clock = serde_json::Map::new();
    clock.insert("mode".into(), json!(sim.clock().mode()));
    clock.insert("unix".into(), json!(now.unix_seconds()));
    clock.insert("unix_ms".into(), json!(now.0));
    clock.insert("rfc3339".into(), json!(now.rfc3339()));
    // The time in each zone a provider writes dates in, once per zone.
    for (zone, offset) in providers::ENTRIES.iter().map(|e| e.zone) {
        clock
            .entry(zone)
            .or_insert_with(|| json!(now.format_datetime(offset)));
    }
    clock.insert("next_due".into(), json!(next_due.map(|t| t.rfc3339())));
    Value::Object(clock)
}

async fn read_clock(State(sim): State<Sim>) -> AdminResult {
    Ok(axum::Json(clock_json(&sim)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: f64,
}

async fn list_faults(State(sim): State<Sim>) -> AdminResult {
    Ok(axum::Json(
        json!({"faults": sim.state().world.faults.list()}),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFault {
    spec: String,
}

/// Adds a fault (`{"spec": "..."}`, the `--fault` syntax); 201 with it, or 400 saying what is wrong.
async fn add_fault(
    State(sim): State<Sim>,
    Body(body): Body,
) -> Result<(StatusCode, axum::Json<Value>), AdminError> {
    let NewFault { spec } = parse_body(&body)?;
    let parsed =
        Config::parse_fault(&spec).map_err(|e| error(StatusCode::BAD_REQUEST, e.to_string()))?;
    let mut state = sim.state();
    sim.set_faults_active(true);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!(state.world.faults.add(parsed))),
    ))
}

async fn clear_faults(State(sim): State<Sim>) -> AdminResult {
    let mut state = sim.state();
    let deleted = state.world.faults.list().len();
    state.world.faults.clear();
    sim.set_faults_active(false);
    Ok(axum::Json(json!({"deleted": deleted})))
}

async fn read_rules(State(sim): State<Sim>) -> AdminResult {
    Ok(axum::Json(json!(sim.state().world.rules)))
}

/// Replaces the delivery rules whole. Messages already accepted keep the fate they were given.
async fn put_rules(State(sim): State<Sim>, Body(body): Body) -> AdminResult {
    let rules: Vec<Rule> = parse_body(&body)?;
    let mut state = sim.state();
    state.world.rules = rules;
    Ok(axum::Json(json!(state.world.rules)))
}

async fn advance_clock(State(engine): State<Engine>, Body(body): Body) -> AdminResult {
    let advance: Advance = parse_body(&body)?;
    if !(advance.seconds.is_finite() && (0.0..=MAX_SPAN_SECONDS).contains(&advance.seconds)) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            format!(
                "`seconds` must be a number from 0 to {MAX_SPAN_SECONDS} (ten years): the clock never goes back"
            ),
        ));
    }
    engine
        .advance((advance.seconds * 1000.0).round() as i64)
        .await;
    engine.sim().events().publish(Event::Clock);
    Ok(axum::Json(clock_json(engine.sim())))
}

/// smsim's certificate authority, for a client to trust; 404 when HTTPS is off or serves a
/// certificate given by `--tls-cert`.
async fn ca_certificate(State(app): State<AppState>) -> Result<Response, AdminError> {
    #[cfg(feature = "tls")]
    if let Some(authority) = app.tls.as_deref().and_then(|tls| tls.authority()) {
        return Ok((
            [(http::header::CONTENT_TYPE, "application/x-pem-file")],
            authority.pem.clone(),
        )
            .into_response());
    }
    let why = if app.tls.is_some() {
        "HTTPS serves the certificate given by --tls-cert: smsim has no authority of its own"
    } else {
        "HTTPS is off: start smsim with --tls-listen ADDR"
    };
    Err(error(StatusCode::NOT_FOUND, why))
}

async fn reset(State(sim): State<Sim>) -> AdminResult {
    sim.reset();
    Ok(axum::Json(json!({"status": "reset"})))
}
