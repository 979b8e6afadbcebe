//! `GET /__admin/events`: a server-sent-events stream of what happens. Each event's data is the
//! record as its listing shows it, read when the event is written out; a listener that falls
//! behind is told how many events it missed (`lagged`) and can re-read the listings.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::{Value, json};

use super::clock_json;
use crate::events::{Event, Listener, Received};
use crate::sim::Sim;

/// The stream; it ends when the simulator shuts down.
pub(super) async fn stream(
    State(sim): State<Sim>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let listener = sim.listen();
    let hello = SseEvent::default()
        .event("hello")
        .data(json!({"clock": clock_json(&sim)}).to_string());
    let events = futures_util::stream::unfold(
        (sim, listener, Some(hello)),
        |(sim, mut listener, first): (Sim, Listener, Option<SseEvent>)| async move {
            if let Some(first) = first {
                return Some((Ok(first), (sim, listener, None)));
            }
            loop {
                let event = match listener.next().await {
                    Received::Closed => return None,
                    Received::Lagged(missed) => SseEvent::default()
                        .event("lagged")
                        .data(json!({"missed": missed}).to_string()),
                    Received::Event(event) => match render(&sim, event) {
                        Some((name, data)) => {
                            SseEvent::default().event(name).data(data.to_string())
                        }
                        // Gone before it could be written (evicted): nothing to show.
                        None => continue,
                    },
                };
                return Some((Ok(event), (sim, listener, None)));
            }
        },
    );
    Sse::new(events).keep_alive(KeepAlive::default())
}

/// An event's name and data: the record as the listings show it.
fn render(sim: &Sim, event: Event) -> Option<(&'static str, Value)> {
    Some(match event {
        Event::Message(message) => ("message", json!(message)),
        Event::Callback(id) => ("callback", json!(sim.state().world.callbacks.get(id)?)),
        Event::Request(id) => ("request", json!(sim.journal().get(id)?)),
        Event::Clock => ("clock", clock_json(sim)),
        Event::Account { provider, id } => {
            let account = super::accounts::account_json(sim, provider, &id);
            (
                "account",
                json!({"provider": provider, "id": id, "account": account}),
            )
        }
        Event::Cleared => ("cleared", json!({})),
    })
}
