//! The simulated world, free of HTTP, of the CLI and of any one provider: messages and their
//! states, the schedule, the clock, delivery rules, faults as data, the journal, segments.
//! Providers are known here only by name ([`Provider`], [`Endpoint`]).

pub mod callbacks;
pub mod clock;
pub mod error;
pub mod faults;
pub mod journal;
pub mod matcher;
pub mod messages;
pub mod names;
pub mod numbers;
mod provider;
pub mod ring;
pub mod rules;
pub mod schedule;
pub mod segments;
pub mod transliterate;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use callbacks::CallbackLog;
use clock::Timestamp;
use std::sync::Arc;

pub use messages::Origin;
use messages::{Message, MessageStore, Status, StatusChange};
pub use provider::{Endpoint, Provider};
use rules::Rule;
use schedule::{Event, Schedule};
use segments::SegmentCount;

/// The provider-neutral part of what changes while the simulator runs. It lives under the one
/// world lock together with each provider's own state (accounts, id counters).
#[derive(Debug)]
pub struct World {
    /// Accepted messages.
    pub messages: MessageStore,
    /// Delivery rules, first match wins.
    pub rules: Vec<Rule>,
    /// Due transitions and callback attempts.
    pub schedule: Schedule,
    /// Every callback attempt.
    pub callbacks: CallbackLog,
    /// Active faults.
    pub faults: faults::FaultSet,
    /// Account and sender names, each kept once for the messages that carry it.
    pub names: names::Names,
    /// The one seeded generator: every random choice is drawn under the world lock, so a seed
    /// replays a run exactly.
    pub rng: ChaCha8Rng,
    /// While true (someone watches), the messages accepted or moved are noted in `changed`,
    /// for whoever holds the lock to pass on.
    watching: bool,
    /// Messages accepted or moved since `changed` was last drained: each id, and how many
    /// states it had entered then.
    changed: Vec<(u64, usize)>,
    /// The first and last id accepted since this was last taken (ids are consecutive under one
    /// lock), so a request's journal entry can name the messages it created.
    accepted: Option<(u64, u64)>,
}

/// How many of each kind of record the world keeps before evicting the oldest.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Messages kept.
    pub messages: usize,
    /// Callback attempts kept.
    pub callback_entries: usize,
}

impl World {
    /// An empty world with these rules and faults, its generator seeded with `seed`.
    pub fn new(rules: Vec<Rule>, faults: faults::FaultSet, bounds: Bounds, seed: u64) -> World {
        World {
            messages: MessageStore::new(bounds.messages),
            rules,
            schedule: Schedule::default(),
            callbacks: CallbackLog::new(bounds.callback_entries),
            faults,
            names: names::Names::default(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            watching: false,
            changed: Vec::new(),
            accepted: None,
        }
    }

    /// Stores one message of `origin` to `destination` (`content`, charged `count`), with
    /// `finish` setting what only its provider has (flags, more ids), and schedules its life.
    /// Its id is returned.
    pub fn accept_in(
        &mut self,
        origin: &Origin<'_>,
        destination: String,
        content: &Arc<str>,
        count: SegmentCount,
        finish: impl FnOnce(&mut Message),
    ) -> u64 {
        let id = self.messages.next_id();
        let mut message = Message::accepted(id, origin, destination, content, count);
        finish(&mut message);
        self.accept(message);
        id
    }

    /// Starts noting accepted messages afresh, for the request about to run.
    pub fn begin_request(&mut self) {
        self.accepted = None;
    }

    /// The first and last id of the messages accepted since [`World::begin_request`].
    pub fn take_accepted(&mut self) -> Option<(u64, u64)> {
        self.accepted.take()
    }

    /// Whether changes are noted for listeners.
    pub fn set_watching(&mut self, watching: bool) {
        self.watching = watching;
    }

    /// Each message accepted or moved since the last call (noted only while watching): its id,
    /// and how many states it had entered then (see [`Message::as_of`]).
    pub fn drain_changed(&mut self) -> std::vec::Drain<'_, (u64, usize)> {
        self.changed.drain(..)
    }

    /// Stores an accepted message and schedules its life by the first matching rule: hand-over
    /// (`pending`) at acceptance or at its scheduled time, then the outcome after the rule's
    /// delay. The caller wakes the engine after releasing the lock.
    fn accept(&mut self, message: Message) {
        let plan = schedule::plan(
            &self.rules,
            message.provider,
            &message.destination,
            &mut self.rng,
        );
        let handover = message.scheduled_at.unwrap_or(message.created_at);
        let id = message.id;
        self.schedule.push(
            handover,
            Event::Transition {
                message_id: id,
                status: Status::Pending,
                reason: None,
            },
        );
        if let Some(status) = schedule::final_status(plan.outcome) {
            let reason = if status == Status::Delivered {
                None
            } else {
                plan.reason
            };
            self.schedule.push(
                handover.plus_seconds(plan.delay_seconds),
                Event::Transition {
                    message_id: id,
                    status,
                    reason,
                },
            );
        }
        if self.watching {
            self.changed.push((id, message.history.len()));
        }
        self.messages.insert(message);
        self.accepted = Some((self.accepted.map_or(id, |(first, _)| first), id));
    }

    /// Moves a message to `status` at `at`. Returns the message as it now is and the status it
    /// left, or `None` when it is gone (evicted, deleted) or already final.
    pub fn transition(
        &mut self,
        message_id: u64,
        status: Status,
        reason: Option<String>,
        at: Timestamp,
    ) -> Option<Status> {
        let message = self.messages.get_mut(message_id)?;
        if message.status.is_final() {
            return None;
        }
        let previous = message.status;
        message.status = status;
        message.reason = reason;
        message.history.push(StatusChange { status, at });
        if self.watching {
            self.changed.push((message_id, message.history.len()));
        }
        Some(previous)
    }
}
