//! One running simulation: the configuration, the clock, and behind one lock the neutral world
//! together with each provider's own state. A cheap-to-clone handle (mini-redis `Db`).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

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
    /// Finds a message's one-time code (`inbox.code_pattern`).
    code_pattern: regex::Regex,
    /// Requests waiting for a message (`/__admin/messages/latest?wait=`), by the destination
    /// they wait for, so an accepted message wakes only those that may want it.
    waiters: Mutex<Waiters>,
    /// How many requests wait: while none does, an accepted message costs nothing here.
    waiting: AtomicUsize,
}

/// The requests waiting for a message.
#[derive(Debug, Default)]
struct Waiters {
    /// Those waiting for a message to one destination.
    by_destination: foldhash::HashMap<String, Vec<Arc<Notify>>>,
    /// Those waiting for any destination.
    any: Vec<Arc<Notify>>,
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
        self.events.publish_all(
            world
                .drain_changed()
                .map(|(id, changes)| Event::Message { id, changes }),
        );
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
        // Validated with the configuration; a pattern that matches nothing stands in otherwise.
        let code_pattern = config
            .inbox
            .code_regex()
            .unwrap_or_else(|_| regex::Regex::new("[^\\s\\S]").expect("a valid pattern"));
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
                code_pattern,
                waiters: Mutex::new(Waiters::default()),
                waiting: AtomicUsize::new(0),
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

    /// How many clients listen to `/__admin/events` now.
    pub fn event_listeners(&self) -> usize {
        self.inner.events.listeners()
    }

    /// How many times the memory of event listeners that left was returned to the system (once
    /// the last one leaves, or most of many).
    pub fn listener_memory_releases(&self) -> u64 {
        self.inner.events.memory_releases()
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

    /// The one-time code in `text`, as `inbox.code_pattern` finds it: its first group, or the
    /// whole match.
    pub fn code_in(&self, text: &str) -> Option<String> {
        let captures = self.inner.code_pattern.captures(text)?;
        let found = captures.get(1).or_else(|| captures.get(0))?;
        Some(found.as_str().to_owned())
    }

    /// Wakes the requests waiting for the messages with ids `first..=last`, just accepted: those
    /// waiting for their destinations and those waiting for any. Nothing while nobody waits.
    pub(crate) fn messages_accepted(&self, (first, last): (u64, u64)) {
        if self.inner.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        // The world, then the waiters: nothing takes them the other way round.
        let state = self.state();
        let waiters = self.lock_waiters();
        for notify in &waiters.any {
            notify.notify_one();
        }
        if waiters.by_destination.is_empty() {
            return;
        }
        for message in (first..=last).filter_map(|id| state.world.messages.get(id)) {
            for notify in waiters
                .by_destination
                .get(&message.destination)
                .into_iter()
                .flatten()
            {
                notify.notify_one();
            }
        }
    }

    /// Registers a request waiting for a message (to `destination`, or to any); it is woken by
    /// the returned handle until the guard is dropped.
    pub(crate) fn wait_for_messages(&self, destination: Option<&str>) -> WaiterGuard<'_> {
        let notify = Arc::new(Notify::new());
        let mut waiters = self.lock_waiters();
        match destination {
            Some(d) => waiters
                .by_destination
                .entry(d.to_owned())
                .or_default()
                .push(notify.clone()),
            None => waiters.any.push(notify.clone()),
        }
        self.inner.waiting.fetch_add(1, Ordering::AcqRel);
        WaiterGuard {
            sim: self,
            destination: destination.map(str::to_owned),
            notify,
        }
    }

    /// The newest message `wanted` accepts. With `wait`, held until one is accepted or the time
    /// runs out; `destination`, when every wanted message goes to it, wakes the wait only for
    /// those. Each look covers only the messages that came since the last one.
    pub(crate) async fn newest_message<F>(
        &self,
        destination: Option<&str>,
        wait: Option<Duration>,
        wanted: F,
    ) -> Result<Message, NoMessage>
    where
        F: Fn(&Message) -> bool,
    {
        let deadline = wait.map(|wait| {
            let now = tokio::time::Instant::now();
            // A wait past what the clock can count (`Duration::MAX`, "for ever") ends at shutdown.
            now.checked_add(wait).unwrap_or(now + FOREVER)
        });
        // Registered before the first look, so a message accepted meanwhile still wakes it.
        let waiter = wait.map(|_| self.wait_for_messages(destination));
        let mut looked_up_to = 0;
        loop {
            let (found, newest) = self.newest_since(&wanted, looked_up_to);
            if let Some(message) = found {
                return Ok(message);
            }
            looked_up_to = newest;
            let (Some(deadline), Some(waiter)) = (deadline, &waiter) else {
                return Err(NoMessage::NoneMatches);
            };
            tokio::select! {
                _ = waiter.accepted() => {}
                _ = tokio::time::sleep_until(deadline) => return Err(NoMessage::TimedOut),
                _ = self.events().shut_down() => return Err(NoMessage::ShuttingDown),
            }
        }
    }

    /// The newest message `wanted` accepts among those with an id above `newer_than`, and the
    /// newest id looked at.
    fn newest_since(
        &self,
        wanted: impl Fn(&Message) -> bool,
        newer_than: u64,
    ) -> (Option<Message>, u64) {
        let state = self.state();
        let all = MessageFilter::default();
        let newest = state
            .world
            .messages
            .filtered(&all)
            .next_back()
            .map_or(newer_than, |m| m.id);
        let found = state
            .world
            .messages
            .filtered(&all)
            .rev()
            .take_while(|m| m.id > newer_than)
            .find(|m| wanted(m))
            .cloned();
        (found, newest)
    }

    /// The newest message to `destination` with an id above `since`, waiting up to `wait` for one
    /// to be accepted; `None` when none came in time. `since` is the id of the last message the
    /// test saw ([`Sim::last_message_id`] before the app sends), so a test never reads an earlier
    /// test's message. What `GET /__admin/messages/latest?destination=…&since=…&wait=…` answers,
    /// for tests that run smsim as a library, unbounded by `limits.max_wait_seconds`; the code it
    /// holds is [`Sim::code_in`] of its `content`.
    pub async fn wait_for_message(
        &self,
        destination: &str,
        since: u64,
        wait: Duration,
    ) -> Option<Message> {
        self.newest_message(Some(destination), Some(wait), |m| {
            m.id > since && m.destination == destination
        })
        .await
        .ok()
    }

    /// The id of the newest message held, 0 when there is none.
    pub fn last_message_id(&self) -> u64 {
        let state = self.state();
        let all = MessageFilter::default();
        let newest = state.world.messages.filtered(&all).next_back();
        newest.map_or(0, |m| m.id)
    }

    fn lock_waiters(&self) -> MutexGuard<'_, Waiters> {
        self.inner.waiters.lock().unwrap_or_else(|e| e.into_inner())
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

/// A wait longer than any test: what a wait too long for the clock to count is cut to.
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Why [`Sim::newest_message`] found no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoMessage {
    /// None matches, and no wait was asked for.
    NoneMatches,
    /// None was accepted within the wait.
    TimedOut,
    /// The simulator is shutting down.
    ShuttingDown,
}

/// One request waiting for a message; dropping it unregisters it.
pub(crate) struct WaiterGuard<'a> {
    sim: &'a Sim,
    destination: Option<String>,
    notify: Arc<Notify>,
}

impl WaiterGuard<'_> {
    /// Resolves when a message it may want was accepted since the last call (a wake-up that
    /// came meanwhile is kept).
    pub(crate) async fn accepted(&self) {
        self.notify.notified().await;
    }
}

impl Drop for WaiterGuard<'_> {
    fn drop(&mut self) {
        let mut waiters = self.sim.lock_waiters();
        let list = match &self.destination {
            Some(d) => waiters.by_destination.get_mut(d),
            None => Some(&mut waiters.any),
        };
        if let Some(list) = list {
            list.retain(|n| !Arc::ptr_eq(n, &self.notify));
        }
        if let Some(d) = &self.destination
            && waiters.by_destination.get(d).is_some_and(Vec::is_empty)
        {
            waiters.by_destination.remove(d);
        }
        self.sim.inner.waiting.fetch_sub(1, Ordering::AcqRel);
    }
}
