//! The request journal: what every request was, and how it was answered. Bounded.

use std::collections::VecDeque;

use serde::Serialize;

use super::Provider;
use super::clock::Timestamp;

/// One request and its answer.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Increasing id.
    pub id: u64,
    /// When it arrived, on the simulator's clock.
    pub at: Timestamp,
    /// HTTP method.
    pub method: String,
    /// The request target exactly as received (origin or absolute form).
    pub target: String,
    /// The provider whose endpoint answered, if any.
    pub provider: Option<Provider>,
    /// The endpoint's name (`send`, `balance`, `status`), if any.
    pub endpoint: Option<String>,
    /// HTTP status answered.
    pub status: u16,
    /// The client's address as seen by the provider.
    pub client: Option<String>,
    /// Things accepted but risky against the real service.
    pub lints: Vec<String>,
    /// The fault injected into this exchange, if any.
    pub fault: Option<String>,
}

/// The journal, oldest first; when full, the oldest entry is evicted and counted.
#[derive(Debug)]
pub struct Journal {
    entries: VecDeque<JournalEntry>,
    capacity: usize,
    next_id: u64,
    evicted: u64,
}

impl Journal {
    /// An empty journal keeping at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> Journal {
        Journal {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_id: 1,
            evicted: 0,
        }
    }

    /// Appends an entry, giving it the next id.
    pub fn record(&mut self, mut entry: JournalEntry) {
        entry.id = self.next_id;
        self.next_id += 1;
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
            self.evicted += 1;
        }
        self.entries.push_back(entry);
    }

    /// Entries held, oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &JournalEntry> {
        self.entries.iter()
    }

    /// How many entries were evicted.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_is_bounded_and_counts_evictions() {
        let mut j = Journal::new(3);
        for _ in 0..5 {
            j.record(JournalEntry {
                id: 0,
                at: Timestamp(0),
                method: "GET".into(),
                target: "/".into(),
                provider: None,
                endpoint: None,
                status: 404,
                client: None,
                lints: vec![],
                fault: None,
            });
        }
        let ids: Vec<u64> = j.entries().map(|e| e.id).collect();
        assert_eq!(ids, [3, 4, 5]);
        assert_eq!(j.evicted(), 2);
    }
}
