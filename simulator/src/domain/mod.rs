//! The simulated world, free of HTTP: accounts, messages, the clock, the journal, delivery rules.

pub mod accounts;
pub mod allow_list;
pub mod clock;
pub mod error;
pub mod journal;
pub mod matcher;
pub mod messages;
pub mod numbers;
pub mod rules;
pub mod segments;
pub mod transliterate;

use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use accounts::{GetsmsAccount, SmscoAccount, SmsofficeAccount};
use clock::{Clock, Timestamp};
use journal::Journal;
use messages::MessageStore;

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
    /// Request journal.
    pub journal: Journal,
    /// Who may call getsms.
    pub getsms_allow_list: Vec<allow_list::IpRange>,
    /// Whether getsms reads the caller from `X-Forwarded-For`.
    pub getsms_trust_forwarded_for: bool,
    /// Provider-side id counters.
    pub ids: IdCounters,
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
    /// The world as the configuration starts it.
    pub fn from_config(config: &Config) -> World {
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
            journal: Journal::new(config.limits.journal_entries),
            getsms_allow_list: config.getsms.allow_list.clone(),
            getsms_trust_forwarded_for: config.getsms.trust_forwarded_for,
            ids: IdCounters::default(),
        }
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
    rng: Mutex<ChaCha8Rng>,
}

impl Sim {
    /// A fresh simulation of `config`. Without a configured seed, one is drawn (see [`Sim::seed`]).
    pub fn new(config: Config) -> Sim {
        let seed = config.seed.unwrap_or_else(rand::random);
        let clock = Clock::new(config.clock, config.clock_start());
        let world = Mutex::new(World::from_config(&config));
        let rng = Mutex::new(ChaCha8Rng::seed_from_u64(seed));
        Sim {
            inner: Arc::new(Inner {
                config,
                seed,
                clock,
                world,
                rng,
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

    /// Locks the seeded random generator. When both are needed, lock the world first.
    pub fn rng(&self) -> MutexGuard<'_, ChaCha8Rng> {
        self.inner.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Back to the state at start: accounts, messages, journal, clock, random generator.
    pub fn reset(&self) {
        *self.world() = World::from_config(&self.inner.config);
        self.inner.clock.reset();
        *self.rng() = ChaCha8Rng::seed_from_u64(self.inner.seed);
    }
}
