//! What happens in the simulation, told to whoever listens (the admin API's event stream).
//!
//! The cost is per event, not per event and listener. Publishing puts one shared frame in a
//! bounded ring (no copy per listener, no wake-up of listeners that are busy), and its bytes are
//! written once, by the first listener that sends it, for every listener. A listener wakes at most
//! once per [`GATHER`] and sends everything that came meanwhile. One that cannot take
//! more (its client does not read) simply stops being polled: it costs nothing while the ring
//! moves on, is told how many events it missed (`lagged`) if it reads again, and is cut off once it
//! has been stuck for `limits.event_listener_stuck_seconds`. Nothing is copied while nobody listens: publishing then
//! costs one atomic load.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use std::collections::VecDeque;

use bytes::Bytes;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::domain::Provider;
use crate::http::{ConnControl, Kill};

/// Events one listener may fall behind by before it is told it lagged.
pub const BUFFER: usize = 1024;
/// The shortest time between two wake-ups of one listener: events that come faster are sent
/// together.
pub const GATHER: Duration = Duration::from_millis(20);
/// The kernel send buffer of a listener's connection: with the client's own receive buffer, what
/// a client that stops reading can absorb before it costs nothing more.
pub const SEND_BUFFER: usize = 32 * 1024;

/// Something that changed.
#[derive(Debug, Clone)]
pub enum Event {
    /// A message was accepted or changed state. It is sent as it was then (see
    /// [`crate::domain::messages::Message::as_of`]), read from the store when the first listener sends it: nothing is
    /// copied for the event, and an event whose message has been evicted meanwhile is skipped.
    Message {
        /// Its id.
        id: u64,
        /// How many states it had entered.
        changes: usize,
    },
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

/// One published event and, once a listener has needed them, its bytes on the wire, shared by
/// every listener.
#[derive(Debug)]
pub struct Frame {
    /// The event.
    pub event: Event,
    bytes: OnceLock<Option<Bytes>>,
}

impl Frame {
    /// The event's bytes, written by `render` the first time any listener asks (`None`: nothing
    /// to send, e.g. a record evicted meanwhile).
    pub fn bytes(&self, render: impl FnOnce(&Event) -> Option<Bytes>) -> Option<&Bytes> {
        self.bytes.get_or_init(|| render(&self.event)).as_ref()
    }
}

/// The hub: a bounded ring of shared frames, a count of listeners so publishing is free without
/// them, and the listeners' watch (stuck ones are cut off).
#[derive(Debug)]
pub struct Events {
    ring: Arc<Mutex<Ring>>,
    listeners: Arc<AtomicUsize>,
    published: Notify,
    closed: CancellationToken,
    /// The same as `closed`, read on every event without the token's lock.
    closed_flag: Arc<AtomicBool>,
    watch: Mutex<Vec<Arc<Watched>>>,
    watching: AtomicBool,
    started: Instant,
    memory_releases: AtomicU64,
    /// The most listeners there were at once since the last memory release.
    peak: AtomicUsize,
}

impl Default for Events {
    fn default() -> Events {
        Events {
            ring: Arc::new(Mutex::new(Ring::default())),
            listeners: Arc::new(AtomicUsize::new(0)),
            published: Notify::new(),
            closed: CancellationToken::new(),
            closed_flag: Arc::new(AtomicBool::new(false)),
            watch: Mutex::new(Vec::new()),
            watching: AtomicBool::new(false),
            started: Instant::now(),
            memory_releases: AtomicU64::new(0),
            peak: AtomicUsize::new(0),
        }
    }
}

/// The last [`BUFFER`] frames, each numbered: a listener keeps the number of the next one it
/// wants, so publishing touches no listener.
#[derive(Debug, Default)]
struct Ring {
    frames: VecDeque<Arc<Frame>>,
    /// The number of `frames[0]`.
    first: u64,
}

impl Ring {
    fn push(&mut self, frame: Arc<Frame>) {
        if self.frames.len() == BUFFER {
            self.frames.pop_front();
            self.first += 1;
        }
        self.frames.push_back(frame);
    }

    /// The number the next frame will have.
    fn end(&self) -> u64 {
        self.first + self.frames.len() as u64
    }
}

/// What the watch knows of one listener: since when its last chunk waits to be taken (0: it is
/// not waiting), and how to close its connection.
#[derive(Debug)]
struct Watched {
    handed_at_ms: AtomicU64,
    control: Option<ConnControl>,
}

impl Events {
    /// True while anyone listens.
    pub fn listening(&self) -> bool {
        self.listeners.load(Ordering::Relaxed) > 0
    }

    /// How many listen.
    pub fn listeners(&self) -> usize {
        self.listeners.load(Ordering::Relaxed)
    }

    /// Tells every listener, if there is any: one frame in the ring, and a wake-up for those
    /// waiting (each waits at most once per [`GATHER`]).
    pub fn publish(&self, event: Event) {
        self.publish_all(std::iter::once(event));
    }

    /// [`Events::publish`] for several events at once: the ring locked once, listeners woken
    /// once. Nobody listening, `events` is dropped unread.
    pub fn publish_all(&self, events: impl Iterator<Item = Event>) {
        if !self.listening() {
            return;
        }
        let mut published = false;
        {
            let mut ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
            for event in events {
                ring.push(Arc::new(Frame {
                    event,
                    bytes: OnceLock::new(),
                }));
                published = true;
            }
        }
        if published {
            self.published.notify_waiters();
        }
    }

    /// A new listener, counted until it is dropped; `control` closes its connection if it gets
    /// stuck.
    pub fn subscribe(&self, control: Option<ConnControl>) -> Listener {
        let listening = self.listeners.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak.fetch_max(listening, Ordering::Relaxed);
        let watched = Arc::new(Watched {
            handed_at_ms: AtomicU64::new(0),
            control,
        });
        self.lock_watch().push(watched.clone());
        let next = self.ring.lock().unwrap_or_else(|e| e.into_inner()).end();
        Listener {
            ring: self.ring.clone(),
            next,
            listeners: self.listeners.clone(),
            closed: self.closed.clone(),
            closed_flag: self.closed_flag.clone(),
            watched,
            last_wake: None,
        }
    }

    fn lock_watch(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Watched>>> {
        self.watch.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_ms(&self) -> u64 {
        // Never 0, which means "not waiting".
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX) + 1
    }

    /// Closes the connection of every listener whose last chunk has waited longer than `limit`,
    /// and forgets listeners that are gone. Cheap: it reads one number per listener; the server
    /// calls it periodically while anyone listens.
    pub fn cut_off_stuck(&self, limit: Duration) -> usize {
        self.cut_off_stuck_at(self.now_ms(), limit)
    }

    /// [`Events::cut_off_stuck`] with the hub's clock at `now` (milliseconds).
    fn cut_off_stuck_at(&self, now: u64, limit: Duration) -> usize {
        let limit = u64::try_from(limit.as_millis()).unwrap_or(u64::MAX);
        let mut cut = 0;
        self.lock_watch().retain(|watched| {
            let handed = watched.handed_at_ms.load(Ordering::Relaxed);
            let stuck = handed != 0 && now.saturating_sub(handed) > limit;
            if stuck {
                if let Some(control) = &watched.control {
                    control.kill(Kill::Close);
                }
                cut += 1;
            }
            // The listener holds the other reference while it lives.
            !stuck && Arc::strong_count(watched) > 1
        });
        cut
    }

    /// True when the caller is to run the watch over stuck listeners (none runs yet).
    pub fn start_watch(&self) -> bool {
        !self.watching.swap(true, Ordering::AcqRel)
    }

    /// True when the watch is to end: nobody listens (a listener that came meanwhile starts a
    /// new one).
    pub fn stop_watch_if_unheard(&self) -> bool {
        if self.listening() {
            return false;
        }
        self.watching.store(false, Ordering::Release);
        // Someone subscribed between the look and the store, and saw the watch running.
        !(self.listening() && self.start_watch())
    }

    /// How many times the memory of listeners that left was returned to the system.
    pub fn memory_releases(&self) -> u64 {
        self.memory_releases.load(Ordering::Relaxed)
    }

    /// Counts one return of the memory of listeners that left; the peak starts again from the
    /// listeners there are now.
    pub(crate) fn note_memory_released(&self) {
        self.memory_releases.fetch_add(1, Ordering::Relaxed);
        self.peak.store(self.listeners(), Ordering::Relaxed);
    }

    /// The most listeners there were at once since memory was last returned.
    pub(crate) fn peak_listeners(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Resolves when the simulator shuts down.
    pub fn shut_down(&self) -> tokio_util::sync::WaitForCancellationFuture<'_> {
        self.closed.cancelled()
    }

    /// Ends every listener's stream (at shutdown).
    pub fn close(&self) {
        self.closed_flag.store(true, Ordering::Release);
        self.closed.cancel();
        self.published.notify_waiters();
    }
}

/// One listener's end.
#[derive(Debug)]
pub struct Listener {
    ring: Arc<Mutex<Ring>>,
    /// The number of the next frame it wants.
    next: u64,
    listeners: Arc<AtomicUsize>,
    closed: CancellationToken,
    closed_flag: Arc<AtomicBool>,
    watched: Arc<Watched>,
    last_wake: Option<tokio::time::Instant>,
}

/// What a listener receives next.
#[derive(Debug, Clone)]
pub enum Received {
    /// The next event.
    Event(Arc<Frame>),
    /// This many events were missed: the listener fell behind by more than [`BUFFER`].
    Lagged(u64),
    /// Nothing for a while: time for a keep-alive.
    Quiet,
    /// The simulator is shutting down.
    Closed,
}

impl Listener {
    /// The next event, if one is already there (never waits).
    pub fn try_next(&mut self) -> Option<Received> {
        if self.closed_flag.load(Ordering::Acquire) {
            return Some(Received::Closed);
        }
        let ring = self.ring.lock().unwrap_or_else(|e| e.into_inner());
        if self.next < ring.first {
            let missed = ring.first - self.next;
            self.next = ring.first;
            return Some(Received::Lagged(missed));
        }
        let frame = ring
            .frames
            .get(usize::try_from(self.next - ring.first).ok()?)?;
        self.next += 1;
        Some(Received::Event(frame.clone()))
    }

    /// Waits for the next event (at most `quiet`, then [`Received::Quiet`]). A listener woken
    /// less than [`GATHER`] ago first lets more events come, so a fast stream of events wakes it
    /// once per [`GATHER`], not once per event.
    pub async fn next(&mut self, events: &Events, quiet: Duration) -> Received {
        loop {
            let published = events.published.notified();
            tokio::pin!(published);
            published.as_mut().enable();
            if let Some(received) = self.try_next() {
                return received;
            }
            tokio::select! {
                biased;
                _ = self.closed.cancelled() => return Received::Closed,
                _ = &mut published => {}
                _ = tokio::time::sleep(quiet) => return Received::Quiet,
            }
            let now = tokio::time::Instant::now();
            if let Some(last) = self.last_wake
                && now < last + GATHER
            {
                tokio::time::sleep_until(last + GATHER).await;
            }
            self.last_wake = Some(tokio::time::Instant::now());
        }
    }

    /// Notes that a chunk was handed over to be sent (the watch starts counting until the
    /// listener is asked for more) or that it was asked for more.
    pub fn handed(&self, events: &Events, handed: bool) {
        let at = if handed { events.now_ms() } else { 0 };
        self.watched.handed_at_ms.store(at, Ordering::Relaxed);
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

    fn is_request(received: Option<Received>, id: u64) -> bool {
        matches!(received, Some(Received::Event(f)) if matches!(f.event, Event::Request(i) if i == id))
    }

    #[tokio::test]
    async fn nothing_is_sent_without_listeners_and_a_slow_one_is_told_it_lagged() {
        let events = Events::default();
        events.publish(Event::Clock);
        let mut listener = events.subscribe(None);
        assert!(events.listening());
        assert!(
            listener.try_next().is_none(),
            "published before it listened"
        );
        events.publish(Event::Clock);
        assert!(matches!(
            listener.next(&events, Duration::from_secs(1)).await,
            Received::Event(f) if matches!(f.event, Event::Clock)
        ));
        for id in 0..BUFFER as u64 + 5 {
            events.publish(Event::Request(id));
        }
        assert!(matches!(listener.try_next(), Some(Received::Lagged(5))));
        assert!(is_request(listener.try_next(), 5));
        events.close();
        assert!(matches!(listener.try_next(), Some(Received::Closed)));
        drop(listener);
        assert!(!events.listening());
    }

    #[tokio::test]
    async fn a_frame_is_written_once_for_every_listener() {
        let events = Events::default();
        let mut listeners: Vec<Listener> = (0..3).map(|_| events.subscribe(None)).collect();
        events.publish(Event::Request(7));
        let renders = std::sync::atomic::AtomicUsize::new(0);
        for listener in &mut listeners {
            let Some(Received::Event(frame)) = listener.try_next() else {
                panic!("no event");
            };
            let bytes = frame.bytes(|_| {
                renders.fetch_add(1, Ordering::Relaxed);
                Some(Bytes::from_static(b"event: request\n\n"))
            });
            assert_eq!(bytes.unwrap().as_ref(), b"event: request\n\n");
        }
        assert_eq!(renders.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_listener_stuck_past_the_limit_has_its_connection_closed() {
        let events = Events::default();
        let (control, killed) = ConnControl::new(std::sync::Weak::new());
        let stuck = events.subscribe(Some(control));
        let (reading_control, mut reading_killed) = ConnControl::new(std::sync::Weak::new());
        let reading = events.subscribe(Some(reading_control));
        stuck.handed(&events, true);
        reading.handed(&events, true);
        reading.handed(&events, false);
        let handed = stuck.watched.handed_at_ms.load(Ordering::Relaxed);
        let stuck_for = Duration::from_secs(10);
        let limit = 10_000;
        assert_eq!(
            events.cut_off_stuck_at(handed + limit, stuck_for),
            0,
            "not stuck yet"
        );
        assert_eq!(events.cut_off_stuck_at(handed + limit + 1, stuck_for), 1);
        assert_eq!(killed.await, Ok(Kill::Close));
        assert!(
            reading_killed.try_recv().is_err(),
            "a listener that reads is left alone"
        );
        drop(reading);
        assert_eq!(events.cut_off_stuck_at(handed + limit + 1, stuck_for), 0);
        assert!(
            events.lock_watch().is_empty(),
            "gone listeners are forgotten"
        );
        drop(stuck);
    }
}
