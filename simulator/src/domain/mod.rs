//! The simulated world, free of HTTP: accounts, messages, the clock, the journal, delivery rules.

pub mod accounts;
pub mod allow_list;
pub mod callbacks;
pub mod clock;
pub mod error;
pub mod faults;
pub mod journal;
pub mod matcher;
pub mod messages;
pub mod numbers;
pub mod ring;
pub mod rules;
pub mod schedule;
pub mod segments;
pub mod transliterate;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use indexmap::IndexMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use accounts::{GetsmsAccount, SmscoAccount, SmsofficeAccount};
use callbacks::CallbackLog;
use clock::{Clock, Timestamp};
use journal::Journal;
use messages::{Message, MessageStore, Status, StatusChange};
use rules::Rule;
use schedule::{Event, Schedule};

/// The three simulated gateways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// smsoffice.ge
    Smsoffice,
    /// smsco.ge
    Smsco,
    /// getsms.uz
    Getsms,
}

impl Provider {
    /// Every provider, in a fixed order.
    pub const ALL: [Provider; 3] = [Provider::Smsoffice, Provider::Smsco, Provider::Getsms];

    /// The lowercase name used in URLs, config and the admin API.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Smsoffice => "smsoffice",
            Provider::Smsco => "smsco",
            Provider::Getsms => "getsms",
        }
    }

    /// Parses a lowercase name.
    pub fn parse(name: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// Everything that changes while the simulator runs, behind one lock. Accounts keep the
/// configuration's order.
#[derive(Debug)]
pub struct World {
    /// smsoffice accounts by key.
    pub smsoffice: IndexMap<String, SmsofficeAccount>,
    /// smsco accounts by username.
    pub smsco: IndexMap<String, SmscoAccount>,
    /// getsms accounts by login.
    pub getsms: IndexMap<String, GetsmsAccount>,
    /// Accepted messages.
    pub messages: MessageStore,
    /// Who may call getsms.
    pub getsms_allow_list: Vec<allow_list::IpRange>,
    /// Whether getsms reads the caller from `X-Forwarded-For`.
    pub getsms_trust_forwarded_for: bool,
    /// Provider-side id counters.
    pub ids: IdCounters,
    /// Delivery rules, first match wins.
    pub rules: Vec<Rule>,
    /// Due transitions and callback attempts.
    pub schedule: Schedule,
    /// Every callback attempt.
    pub callbacks: CallbackLog,
    /// Active faults.
    pub faults: faults::FaultSet,
    /// The one seeded generator: every random choice is drawn under the world lock, so a seed
    /// replays a run exactly.
    pub rng: ChaCha8Rng,
}

/// The providers' own ids: each increases, so replies and status lookups stay consistent.
#[derive(Debug, Clone)]
pub struct IdCounters {
    /// The next smsco `mes_id`.
    pub smsco_mes_id: u64,
    /// The next getsms `message_id`.
    pub getsms_message_id: u64,
    /// The last getsms `request_id` handed out.
    pub getsms_request_id: u64,
}

impl Default for IdCounters {
    fn default() -> IdCounters {
        IdCounters {
            smsco_mes_id: 100_001,
            getsms_message_id: 10_000_001,
            getsms_request_id: 10_000_000,
        }
    }
}

impl IdCounters {
    /// A fresh getsms `request_id`: 8 digits, random-looking, never repeated in one run. Each
    /// one is the previous plus a random step, drawn from the seeded generator.
    pub fn next_getsms_request_id(&mut self, rng: &mut impl rand::Rng) -> u64 {
        self.getsms_request_id += rng.random_range(1..=97);
        self.getsms_request_id
    }
}

impl World {
    /// The world as the configuration starts it, its generator seeded with `seed`.
    pub fn from_config(config: &Config, seed: u64) -> World {
        World {
            smsoffice: config
                .smsoffice
                .accounts
                .iter()
                .map(|a| (a.key.clone(), a.clone()))
                .collect(),
            smsco: config
                .smsco
                .accounts
                .iter()
                .map(|a| (a.username.clone(), a.clone()))
                .collect(),
            getsms: config
                .getsms
                .accounts
                .iter()
                .map(|a| (a.login.clone(), a.clone()))
                .collect(),
            messages: MessageStore::new(config.limits.messages),

            getsms_allow_list: config.getsms.allow_list.clone(),
            getsms_trust_forwarded_for: config.getsms.trust_forwarded_for,
            ids: IdCounters::default(),
            rules: config.rules.clone(),
            schedule: Schedule::default(),
            callbacks: CallbackLog::new(config.limits.callback_entries),
            faults: config.fault_set(),
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Stores an accepted message and schedules its life by the first matching rule: hand-over
    /// (`pending`) at acceptance or at its scheduled time, then the outcome after the rule's
    /// delay. Call [`Sim::wake_engine`] after releasing the lock.
    pub fn accept(&mut self, message: Message) {
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
        self.messages.insert(message);
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
        Some(previous)
    }
}

/// A cheap-to-clone handle on one running simulation.
#[derive(Debug, Clone)]
pub struct Sim {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    seed: u64,
    clock: Clock,
    world: Mutex<World>,
    /// The journal has its own lock: every request writes it, and it need not wait for the world.
    journal: Mutex<Journal>,
    /// False while no fault is active, so requests skip the fault lookup and its lock.
    faults_active: AtomicBool,
    schedule_changed: Notify,
}

impl Sim {
    /// A fresh simulation of `config`. Without a configured seed, one is drawn (see [`Sim::seed`]).
    pub fn new(config: Config) -> Sim {
        let seed = config.seed.unwrap_or_else(rand::random);
        let clock = Clock::new(config.clock, config.clock_start());
        let world = Mutex::new(World::from_config(&config, seed));
        let faults_active = AtomicBool::new(!config.faults.is_empty());
        let journal = Mutex::new(Journal::new(config.limits.journal_entries));
        Sim {
            inner: Arc::new(Inner {
                config,
                seed,
                clock,
                faults_active,
                journal,
                world,
                schedule_changed: Notify::new(),
            }),
        }
    }

    /// The configuration it was started with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The seed of the random generator, to replay this run with `--seed`.
    pub fn seed(&self) -> u64 {
        self.inner.seed
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The current instant on the simulator's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Locks the world for a short synchronous section. Never hold it across `.await`.
    pub fn world(&self) -> MutexGuard<'_, World> {
        // A panic elsewhere must not take the whole simulator down with a poisoned lock.
        self.inner.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the request journal.
    pub fn journal(&self) -> MutexGuard<'_, Journal> {
        self.inner.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// False when no fault can apply (none was ever added since start or the last clear).
    pub fn faults_may_apply(&self) -> bool {
        self.inner.faults_active.load(Ordering::Acquire)
    }

    /// Records whether any fault is active; call after changing `World::faults`.
    pub fn set_faults_active(&self, active: bool) {
        self.inner.faults_active.store(active, Ordering::Release);
    }

    /// Tells the delivery engine the schedule changed (new messages, a moved clock).
    pub fn wake_engine(&self) {
        self.inner.schedule_changed.notify_one();
    }

    /// Resolves when [`Sim::wake_engine`] is called.
    pub async fn schedule_changed(&self) {
        self.inner.schedule_changed.notified().await;
    }

    /// Back to the state at start: accounts, messages, journal, schedule, callbacks, rules,
    /// clock, random generator.
    pub fn reset(&self) {
        *self.world() = World::from_config(&self.inner.config, self.inner.seed);
        *self.journal() = Journal::new(self.inner.config.limits.journal_entries);
        self.set_faults_active(!self.inner.config.faults.is_empty());
        self.inner.clock.reset();
        self.wake_engine();
    }
}
