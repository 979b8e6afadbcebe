//! What happens in the simulation, told to whoever listens (the admin API's event stream).
//! Records that never change after they are written (journal entries, callback attempts) travel
//! as ids and are read when the event is written out; a message travels as a copy of itself at
//! that moment. Nothing is copied or serialised while nobody listens: publishing then costs one
//! atomic load.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::domain::Provider;
use crate::domain::messages::Message;

/// Events one listener may fall behind by before it is told it lagged.
pub const BUFFER: usize = 1024;

/// Something that changed.
#[derive(Debug, Clone)]
pub enum Event {
    /// A message was accepted or changed state: as it was then.
    Message(Arc<Message>),
    /// A callback attempt was made.
    Callback(u64),
    /// A request was journaled.
    Request(u64),
    /// The clock was moved or reset.
    Clock,
    /// An account was created, changed or deleted.
    Account {
        /// Its provider.
        provider: Provider,
        /// Its id (smsoffice key, smsco username, getsms login).
        id: String,
    },
    /// Messages, journal and callbacks were cleared (reset, or every message deleted).
    Cleared,
}

/// The hub: a bounded broadcast, and a count of listeners so publishing is free without them.
#[derive(Debug)]
pub struct Events {
    sender: broadcast::Sender<Event>,
    listeners: Arc<AtomicUsize>,
    closed: CancellationToken,
}

impl Default for Events {
    fn default() -> Events {
        Events {
            sender: broadcast::Sender::new(BUFFER),
            listeners: Arc::new(AtomicUsize::new(0)),
            closed: CancellationToken::new(),
        }
    }
}

impl Events {
    /// True while anyone listens.
    pub fn listening(&self) -> bool {
        self.listeners.load(Ordering::Relaxed) > 0
    }

    /// Tells every listener, if there is any.
    pub fn publish(&self, event: Event) {
        if self.listening() {
            let _ = self.sender.send(event);
        }
    }

    /// A new listener, counted until it is dropped.
    pub fn subscribe(&self) -> Listener {
        self.listeners.fetch_add(1, Ordering::Relaxed);
        Listener {
            receiver: self.sender.subscribe(),
            listeners: self.listeners.clone(),
            closed: self.closed.clone(),
        }
    }

    /// Ends every listener's stream (at shutdown).
    pub fn close(&self) {
        self.closed.cancel();
    }
}

/// One listener's end.
#[derive(Debug)]
pub struct Listener {
    receiver: broadcast::Receiver<Event>,
    listeners: Arc<AtomicUsize>,
    closed: CancellationToken,
}

/// What a listener receives next.
#[derive(Debug, Clone)]
pub enum Received {
    /// The next event.
    Event(Event),
    /// This many events were missed: the listener fell behind by more than [`BUFFER`].
    Lagged(u64),
    /// The simulator is shutting down.
    Closed,
}

impl Listener {
    /// Waits for the next event.
    pub async fn next(&mut self) -> Received {
        tokio::select! {
            // Shutdown first: a listener with a backlog must not hold the connection open.
            biased;
            _ = self.closed.cancelled() => Received::Closed,
            received = self.receiver.recv() => match received {
                Ok(event) => Received::Event(event),
                Err(broadcast::error::RecvError::Lagged(missed)) => Received::Lagged(missed),
                Err(broadcast::error::RecvError::Closed) => Received::Closed,
            },
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.listeners.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_is_sent_without_listeners_and_a_slow_one_is_told_it_lagged() {
        let events = Events::default();
        events.publish(Event::Clock);
        let mut listener = events.subscribe();
        assert!(events.listening());
        events.publish(Event::Clock);
        assert!(matches!(
            listener.next().await,
            Received::Event(Event::Clock)
        ));
        for id in 0..BUFFER as u64 + 5 {
            events.publish(Event::Request(id));
        }
        assert!(matches!(listener.next().await, Received::Lagged(5)));
        assert!(matches!(
            listener.next().await,
            Received::Event(Event::Request(5))
        ));
        events.close();
        assert!(matches!(listener.next().await, Received::Closed));
        drop(listener);
        assert!(!events.listening());
    }
}
