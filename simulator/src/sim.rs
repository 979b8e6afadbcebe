//! One running simulation: the configuration, the clock, and behind one lock the neutral world
//! together with each provider's own state. A cheap-to-clone handle (mini-redis `Db`).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::config::{Config, Configured};
use crate::domain::clock::{Clock, Timestamp};
use crate::domain::journal::Journal;
use crate::domain::messages::{Message, MessageFilter};
use crate::domain::{Bounds, Provider, World};
use crate::events::{Event, Events, Listener};
use crate::providers::{self, Descriptor, with_provider};

/// Declares [`State`], the world beside each provider's own part, from the list of providers,
/// and [`Stateful`] for each provider.
macro_rules! state_types {
    ([] $( $(#[$attr:meta])* $folder:ident :: $ty:ident, )*) => {
        /// Everything that changes while the simulator runs, behind the one world lock.
        #[derive(Debug)]
        pub(crate) struct State {
            /// Messages, schedule, rules, faults, callbacks, the random generator.
            pub world: World,
            $(
                $(#[$attr])*
                #[doc = concat!("`", stringify!($folder), "`'s accounts and counters.")]
                pub $folder: providers::$folder::State,
            )*
        }

        impl State {
            /// The state the configuration starts with, its generator seeded with `seed`.
            pub(crate) fn new(config: &Config, seed: u64) -> State {
                let bounds = Bounds {
                    messages: config.limits.messages,
                    callback_entries: config.limits.callback_entries,
                };
                State {
                    world: World::new(config.rules.clone(), config.fault_set(), bounds, seed),
                    $(
                        $(#[$attr])*
                        $folder: <providers::$folder::$ty as Descriptor>::new_state(&config.$folder),
                    )*
                }
            }
        }

        $(
            $(#[$attr])*
            impl Stateful for providers::$folder::$ty {
                fn part(state: &State) -> &Self::State {
                    &state.$folder
                }
                fn part_mut(state: &mut State) -> &mut Self::State {
                    &mut state.$folder
                }
                fn with_world(state: &mut State) -> (&mut World, &mut Self::State) {
                    (&mut state.world, &mut state.$folder)
                }
            }
        )*
    };
}
providers::for_each_provider!(state_types);

/// A provider's part of the running state, for code written once for every provider.
pub(crate) trait Stateful: Configured {
    /// Its part.
    fn part(state: &State) -> &Self::State;
    /// Its part, to change.
    fn part_mut(state: &mut State) -> &mut Self::State;
    /// The world and its part, both to change.
    fn with_world(state: &mut State) -> (&mut World, &mut Self::State);
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
    state: Mutex<State>,
    /// The journal has its own lock: every request writes it, and it need not wait for the world.
    journal: Mutex<Journal>,
    /// False while no fault is active, so requests skip the fault lookup and its lock.
    faults_active: AtomicBool,
    schedule_changed: Notify,
    events: Events,
}

/// The locked world. When it is released, the messages that changed under it are published as
/// events, each as it is now (recorded only while someone listens).
pub(crate) struct StateGuard<'a> {
    guard: MutexGuard<'a, State>,
    events: &'a Events,
}

impl Deref for StateGuard<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.guard
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.guard
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        let world = &mut self.guard.world;
        world.set_watching(self.events.listening());
        world.publish_changed(|message| {
            self.events
                .publish(Event::Message(Arc::new(message.clone())));
        });
    }
}

impl Sim {
    /// A fresh simulation of `config`. Without a configured seed, one is drawn (see [`Sim::seed`]).
    pub fn new(config: Config) -> Sim {
        let seed = config.seed.unwrap_or_else(rand::random);
        let clock = Clock::new(config.clock, config.clock_start());
        let state = Mutex::new(State::new(&config, seed));
        let faults_active = AtomicBool::new(!config.faults.is_empty());
        let journal = Mutex::new(Journal::new(config.limits.journal_entries));
        Sim {
            inner: Arc::new(Inner {
                config,
                seed,
                clock,
                faults_active,
                journal,
                state,
                schedule_changed: Notify::new(),
                events: Events::default(),
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
    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The current instant on the simulator's clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Locks the world for a short synchronous section. Never hold it across `.await`.
    pub(crate) fn state(&self) -> StateGuard<'_> {
        StateGuard {
            // A panic elsewhere must not take the whole simulator down with a poisoned lock.
            guard: self.inner.state.lock().unwrap_or_else(|e| e.into_inner()),
            events: &self.inner.events,
        }
    }

    /// The event hub.
    pub(crate) fn events(&self) -> &Events {
        &self.inner.events
    }

    /// A new listener to every event; message changes are recorded from now on. `control`
    /// closes its connection should it get stuck.
    pub(crate) fn listen(&self, control: Option<crate::http::ConnControl>) -> Listener {
        let listener = self.inner.events.subscribe(control);
        self.state().world.set_watching(true);
        listener
    }

    /// Locks the request journal.
    pub(crate) fn journal(&self) -> MutexGuard<'_, Journal> {
        self.inner.journal.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// False when no fault can apply (none was ever added since start or the last clear).
    pub(crate) fn faults_may_apply(&self) -> bool {
        self.inner.faults_active.load(Ordering::Acquire)
    }

    /// Records whether any fault is active; call after changing the world's faults.
    pub(crate) fn set_faults_active(&self, active: bool) {
        self.inner.faults_active.store(active, Ordering::Release);
    }

    /// Tells the delivery engine the schedule changed (new messages, a moved clock).
    pub(crate) fn wake_engine(&self) {
        self.inner.schedule_changed.notify_one();
    }

    /// Resolves when [`Sim::wake_engine`] is called.
    pub(crate) async fn schedule_changed(&self) {
        self.inner.schedule_changed.notified().await;
    }

    /// The balance of `provider`'s account `account` (smsoffice key, smsco username, getsms
    /// login), if it exists.
    pub fn balance(&self, provider: Provider, account: &str) -> Option<u64> {
        let state = self.state();
        with_provider!(provider, G => G::accounts(G::part(&state)).get(account).map(G::balance))
    }

    /// A copy of every message held, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.state()
            .world
            .messages
            .filtered(&MessageFilter::default())
            .cloned()
            .collect()
    }

    /// Back to the state at start: accounts, messages, journal, schedule, callbacks, rules,
    /// clock, random generator.
    pub fn reset(&self) {
        *self.state() = State::new(&self.inner.config, self.inner.seed);
        *self.journal() = Journal::new(self.inner.config.limits.journal_entries);
        self.set_faults_active(!self.inner.config.faults.is_empty());
        self.inner.clock.reset();
        self.wake_engine();
        self.inner.events.publish(Event::Cleared);
        self.inner.events.publish(Event::Clock);
    }
}
