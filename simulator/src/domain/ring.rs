//! A bounded log: numbered entries, oldest evicted first and counted, so memory stays flat under
//! any load.

use std::collections::VecDeque;

/// At most `capacity` entries, each given the next id when recorded.
#[derive(Debug)]
pub struct NumberedLog<T> {
    entries: VecDeque<T>,
    capacity: usize,
    next_id: u64,
    evicted: u64,
}

impl<T> NumberedLog<T> {
    /// An empty log of at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> NumberedLog<T> {
        NumberedLog {
            entries: VecDeque::new(),
            capacity: capacity.max(1),
            next_id: 1,
            evicted: 0,
        }
    }

    /// Appends the entry `make` builds from the next id, evicting the oldest when full; returns
    /// the id.
    pub fn record(&mut self, make: impl FnOnce(u64) -> T) -> u64 {
        let id = self.next_id;
        let entry = make(id);
        self.next_id += 1;
        if self.entries.len() >= self.capacity {
            self.entries.pop_front();
            self.evicted += 1;
        }
        self.entries.push_back(entry);
        id
    }

    /// The entry with id `id`, if it is still held (ids are consecutive, so this is a lookup by
    /// position).
    pub fn get(&self, id: u64) -> Option<&T> {
        let oldest = self.next_id - self.entries.len() as u64;
        let index = id.checked_sub(oldest)?;
        self.entries.get(usize::try_from(index).ok()?)
    }

    /// Entries held, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> {
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
    fn keeps_the_newest_and_counts_evictions() {
        let mut log = NumberedLog::new(3);
        for _ in 0..5 {
            log.record(|id| id);
        }
        assert_eq!(log.iter().copied().collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(log.evicted(), 2);
        assert_eq!(
            [log.get(2), log.get(3), log.get(5), log.get(6)],
            [None, Some(&3), Some(&5), None]
        );
    }
}
