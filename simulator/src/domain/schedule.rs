//! Due events in time order: status transitions and callback attempts. The engine pops them as
//! the clock reaches them; equal times keep the order they were scheduled in.

use std::collections::BTreeMap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::Provider;
use super::clock::Timestamp;
use super::messages::Status;
use super::rules::{Delay, Fate, Outcome, Rule};

/// One callback to send (or send again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackJob {
    /// The message it reports on.
    pub message_id: u64,
    /// The full URL, query included.
    pub url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// A fault already applied to this attempt (a delay), noted on its record.
    pub fault: Option<String>,
}

/// Something that happens at a moment on the simulator's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A message enters a new state.
    Transition {
        /// Simulator message id.
        message_id: u64,
        /// The state entered.
        status: Status,
        /// Failure reason, for final non-delivered states.
        reason: Option<String>,
    },
    /// A callback attempt is due.
    Callback(CallbackJob),
}

/// Events by due time: one bucket per moment, each in the order its events were scheduled. A
/// burst of sends shares a few moments, so most pushes only append to an existing bucket.
#[derive(Debug, Default)]
pub struct Schedule {
    buckets: BTreeMap<Timestamp, Vec<Event>>,
    len: usize,
    /// Emptied buckets kept for reuse, so a steady load does not allocate and free a growing
    /// vector for every moment.
    spare: Vec<Vec<Event>>,
}

/// Most emptied buckets kept for reuse.
const SPARE_BUCKETS: usize = 64;

impl Schedule {
    /// Adds `event` due at `at`.
    pub fn push(&mut self, at: Timestamp, event: Event) {
        self.len += 1;
        // Most events fall due with others at the earliest or the latest moment waiting (sends
        // in one millisecond share their hand-over and their outcome's time): reached along the
        // tree's edge, without a search.
        if let Some(mut last) = self.buckets.last_entry() {
            if *last.key() == at {
                return last.get_mut().push(event);
            }
            if let Some(mut first) = self.buckets.first_entry()
                && *first.key() == at
            {
                return first.get_mut().push(event);
            }
        }
        let spare = &mut self.spare;
        self.buckets
            .entry(at)
            .or_insert_with(|| spare.pop().unwrap_or_default())
            .push(event);
    }

    /// Gives back a bucket [`Schedule::pop_due`] returned, once its events are taken, for reuse.
    pub fn recycle(&mut self, mut bucket: Vec<Event>) {
        if self.spare.len() < SPARE_BUCKETS {
            bucket.clear();
            self.spare.push(bucket);
        }
    }

    /// The earliest due time.
    pub fn next_due(&self) -> Option<Timestamp> {
        self.buckets.keys().next().copied()
    }

    /// Removes and returns every event due at the earliest time, if that is at or before
    /// `until`, in the order they were scheduled. Hand the emptied vector to
    /// [`Schedule::recycle`].
    pub fn pop_due(&mut self, until: Timestamp) -> Option<(Timestamp, Vec<Event>)> {
        let entry = self.buckets.first_entry().filter(|e| *e.key() <= until)?;
        let (due, batch) = entry.remove_entry();
        self.len -= batch.len();
        Some((due, batch))
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Callback attempts waiting (retries and delayed attempts).
    pub fn callbacks(&self) -> usize {
        self.buckets
            .values()
            .flatten()
            .filter(|e| matches!(e, Event::Callback(_)))
            .count()
    }
}

/// What the rules decided for one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The final outcome, or `Pending` forever.
    pub outcome: Outcome,
    /// Failure reason.
    pub reason: Option<String>,
    /// Seconds from hand-over to the outcome.
    pub delay_seconds: f64,
}

/// Applies the first rule matching `provider` and `destination`, drawing random choices from
/// `rng`. Without a matching rule a message is delivered at once.
pub fn plan(rules: &[Rule], provider: Provider, destination: &str, rng: &mut ChaCha8Rng) -> Plan {
    let Some(rule) = rules
        .iter()
        .find(|r| r.provider.is_none_or(|p| p == provider) && r.destination.matches(destination))
    else {
        return Plan {
            outcome: Outcome::Delivered,
            reason: None,
            delay_seconds: 0.0,
        };
    };
    let (outcome, reason) = match &rule.fate {
        Fate::Fixed { outcome, reason } => (*outcome, reason.clone()),
        Fate::Random(choices) => {
            let total: f64 = choices.iter().map(|c| c.weight).sum();
            let mut pick = rng.random::<f64>() * total;
            let chosen = choices
                .iter()
                .find(|c| {
                    pick -= c.weight;
                    pick < 0.0
                })
                .unwrap_or(&choices[choices.len() - 1]);
            (chosen.outcome, chosen.reason.clone())
        }
    };
    let delay_seconds = match rule.delay {
        Delay::Fixed(s) => s,
        Delay::Range([lo, hi]) if hi > lo => rng.random_range(lo..=hi),
        Delay::Range([lo, _]) => lo,
    };
    Plan {
        outcome,
        reason,
        delay_seconds,
    }
}

/// The neutral status an outcome ends in, if it ends.
pub fn final_status(outcome: Outcome) -> Option<Status> {
    match outcome {
        Outcome::Delivered => Some(Status::Delivered),
        Outcome::Undelivered => Some(Status::Undelivered),
        Outcome::Expired => Some(Status::Expired),
        Outcome::Rejected => Some(Status::Rejected),
        Outcome::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rules(json: &str) -> Vec<Rule> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn events_pop_in_time_order_batched_by_equal_times() {
        let mut s = Schedule::default();
        let ev = |id| Event::Transition {
            message_id: id,
            status: Status::Delivered,
            reason: None,
        };
        s.push(Timestamp(20), ev(3));
        s.push(Timestamp(10), ev(1));
        s.push(Timestamp(10), ev(2));
        assert!(s.pop_due(Timestamp(9)).is_none());
        assert_eq!(
            s.pop_due(Timestamp(100)),
            Some((Timestamp(10), vec![ev(1), ev(2)]))
        );
        assert_eq!(
            s.pop_due(Timestamp(100)),
            Some((Timestamp(20), vec![ev(3)]))
        );
        assert_eq!(s.len(), 0);
    }

    proptest::proptest! {
        /// Pushes at the earliest, the latest and any moment between, popped as they come: each
        /// moment's events in the order scheduled, moments in time order, as a plain sorted
        /// model has them.
        #[test]
        fn pops_follow_time_then_scheduling_order(
            steps in proptest::collection::vec((0i64..12, proptest::bool::weighted(0.2)), 1..200)
        ) {
            let mut schedule = Schedule::default();
            let mut model: BTreeMap<Timestamp, Vec<u64>> = BTreeMap::new();
            let ev = |id| Event::Transition { message_id: id, status: Status::Pending, reason: None };
            let (mut now, mut popped, mut expected) = (0i64, Vec::new(), Vec::new());
            for (id, (ahead, pop)) in steps.into_iter().enumerate() {
                if pop {
                    now += 3;
                    while let Some((due, batch)) = schedule.pop_due(Timestamp(now)) {
                        popped.extend(batch.iter().map(|e| (due, e.clone())));
                        schedule.recycle(batch);
                    }
                    while let Some(entry) = model.first_entry().filter(|e| e.key().0 <= now) {
                        let (due, ids) = entry.remove_entry();
                        expected.extend(ids.into_iter().map(|id| (due, ev(id))));
                    }
                }
                let at = Timestamp(now + ahead);
                schedule.push(at, ev(id as u64));
                model.entry(at).or_default().push(id as u64);
                proptest::prop_assert_eq!(schedule.len(), model.values().map(Vec::len).sum::<usize>());
            }
            proptest::prop_assert_eq!(popped, expected);
        }
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let r = rules(
            r#"[{"provider":"smsco","destination":{"suffix":"1"},"outcome":"rejected","delay_seconds":1},
                {"destination":{"suffix":"1"},"outcome":"undelivered","reason":"Absent","delay_seconds":2},
                {"destination":{"regex":".*"},"outcome":"delivered","delay_seconds":[3,3]}]"#,
        );
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(
            plan(&r, Provider::Smsco, "991", &mut rng).outcome,
            Outcome::Rejected
        );
        let p = plan(&r, Provider::Smsoffice, "991", &mut rng);
        assert_eq!(
            (p.outcome, p.reason.as_deref(), p.delay_seconds),
            (Outcome::Undelivered, Some("Absent"), 2.0)
        );
        assert_eq!(
            plan(&r, Provider::Getsms, "992", &mut rng).delay_seconds,
            3.0
        );
        assert_eq!(
            plan(&[], Provider::Getsms, "992", &mut rng).outcome,
            Outcome::Delivered
        );
    }

    #[test]
    fn random_choices_follow_the_seed_and_the_weights() {
        let r = rules(
            r#"[{"destination":{"regex":".*"},"delay_seconds":[1,9],
                 "random":[{"weight":3,"outcome":"delivered"},{"weight":1,"outcome":"undelivered","reason":"x"}]}]"#,
        );
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..1000)
                .map(|_| plan(&r, Provider::Getsms, "1", &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let delivered = draw(7)
            .iter()
            .filter(|p| p.outcome == Outcome::Delivered)
            .count();
        assert!((700..800).contains(&delivered), "{delivered}");
        assert!(
            draw(7)
                .iter()
                .all(|p| (1.0..=9.0).contains(&p.delay_seconds))
        );
    }
}
