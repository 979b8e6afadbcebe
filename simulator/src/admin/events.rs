//! `GET /__admin/events`: a server-sent-events stream of what happens. Each event's data is the
//! record as its listing shows it, written once for every listener when the first one sends it;
//! a listener that falls behind is told how many events it missed (`lagged`) and can re-read the
//! listings. How the stream stays cheap with many listeners is in `crate::events`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use std::collections::VecDeque;

use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

use super::{clock_json, error};
use crate::events::{Event, Listener, Received, SEND_BUFFER};
use crate::http::ConnControl;
use crate::sim::Sim;

/// A comment line this often keeps proxies and browsers from timing out a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// The most events taken from the hub at once; the rest wait in the hub's ring.
const MAX_PENDING: usize = 64;
/// How often stuck listeners are looked for.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// The stream; it ends when the simulator shuts down. Past `limits.max_event_listeners`, 503.
pub(super) async fn stream(
    State(sim): State<Sim>,
    control: Option<axum::Extension<ConnControl>>,
) -> Response {
    let max = sim.config().limits.max_event_listeners;
    if sim.events().listeners() >= max {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{max} event listeners already (limits.max_event_listeners): close one, or read the listings"
            ),
        )
        .into_response();
    }
    let control = control.map(|axum::Extension(c)| c);
    if let Some(control) = &control {
        control.limit_send_buffer(SEND_BUFFER);
    }
    let listener = sim.listen(control);
    watch_for_stuck_listeners(&sim);
    let hello = frame("hello", &json!({"clock": clock_json(&sim)}));
    let stream = Stream {
        sim,
        listener,
        pending: VecDeque::from([hello]),
    };
    let chunks = futures_util::stream::unfold(stream, |mut stream| async move {
        let part = stream.next_part().await?;
        Some((Ok::<_, Infallible>(part), stream))
    });
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// One listener's stream: the events taken from the hub and not yet handed to the connection.
struct Stream {
    sim: Sim,
    listener: Listener,
    pending: VecDeque<Bytes>,
}

impl Stream {
    /// The next bytes to send: each event's shared bytes as they are (no copy per listener), a
    /// keep-alive comment after a quiet while, `None` at shutdown. When nothing is pending it
    /// takes what came since (at most [`MAX_PENDING`] events), waiting for something if nothing
    /// did. The connection asks again as soon as it can send more: a client that stops reading
    /// stops being asked, and costs nothing more.
    async fn next_part(&mut self) -> Option<Bytes> {
        let events = self.sim.events();
        // Asked for more: what was handed before was taken.
        self.listener.handed(events, false);
        while self.pending.is_empty() {
            let mut received = Some(self.listener.next(events, KEEP_ALIVE).await);
            while let Some(next) = received.take() {
                let part = match next {
                    Received::Closed => return None,
                    Received::Quiet => Bytes::from_static(b":\n\n"),
                    Received::Lagged(missed) => frame("lagged", &json!({"missed": missed})),
                    Received::Event(shared) => {
                        match shared.bytes(|event| render(&self.sim, event)) {
                            Some(bytes) => bytes.clone(),
                            None => Bytes::new(),
                        }
                    }
                };
                if !part.is_empty() {
                    self.pending.push_back(part);
                }
                if self.pending.len() < MAX_PENDING {
                    received = self.listener.try_next();
                }
            }
        }
        self.listener.handed(events, true);
        self.pending.pop_front()
    }
}

/// Starts, unless it runs already, the task that closes the connections of stuck listeners; it
/// ends when the last listener has gone. Once most of the listeners it saw have left (all of
/// them, or at least [`RELEASE_AFTER_LEAVING`] and half), it returns the memory their
/// connections held to the system: the allocator would otherwise keep it.
fn watch_for_stuck_listeners(sim: &Sim) {
    if !sim.events().start_watch() {
        return;
    }
    let sim = sim.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let events = sim.events();
            let stuck = sim.config().limits.event_listener_stuck_seconds;
            events.cut_off_stuck(Duration::from_secs(stuck));
            let listeners = events.listeners();
            let left = events.peak_listeners().saturating_sub(listeners);
            let unheard = events.stop_watch_if_unheard();
            if unheard || (left >= RELEASE_AFTER_LEAVING && listeners <= left) {
                release_freed_memory(&sim).await;
            }
            if unheard {
                return;
            }
        }
    });
}

/// How many listeners must have left, while others remain, before their memory is returned.
const RELEASE_AFTER_LEAVING: usize = 64;

/// Returns freed memory to the system off the runtime's workers (the allocator walks its heaps).
async fn release_freed_memory(sim: &Sim) {
    let released = tokio::task::spawn_blocking(smsim_memory::release_freed)
        .await
        .unwrap_or(false);
    sim.events().note_memory_released();
    tracing::debug!(released, "event listeners gone: freed memory returned");
}

/// One server-sent event on the wire.
fn frame(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// An event's bytes: the record as the listings show it (`None` when it is gone, e.g. evicted).
fn render(sim: &Sim, event: &Event) -> Option<Bytes> {
    let (name, data) = match event {
        Event::Message { id, changes } => {
            // Copied out so that the world is not locked while the JSON is written.
            let message = sim
                .state()
                .world
                .messages
                .get(*id)?
                .as_of(*changes)
                .into_owned();
            ("message", super::listings::message_json(sim, &message))
        }
        Event::Callback(id) => ("callback", json!(sim.state().world.callbacks.get(*id)?)),
        Event::Request(id) => ("request", json!(sim.journal().get(*id)?)),
        Event::Clock => ("clock", clock_json(sim)),
        Event::Account { provider, id } => {
            let account = super::accounts::account_json(sim, *provider, id);
            (
                "account",
                json!({"provider": provider, "id": id, "account": account}),
            )
        }
        Event::Cleared => ("cleared", json!({})),
    };
    Some(frame(name, &data))
}
