//! The simulated world, free of HTTP: accounts, messages, the clock, the journal, delivery rules.

pub mod accounts;
pub mod clock;
pub mod error;
pub mod journal;
pub mod matcher;
pub mod messages;
pub mod numbers;
pub mod rules;
pub mod segments;

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

    /// Locks the seeded random generator.
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
