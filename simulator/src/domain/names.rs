//! Names that messages carry (account keys and logins, sender titles): each kept once and
//! shared by every message that names it, so storing a message copies none of them.

use std::collections::HashSet;
use std::sync::Arc;

/// Most names kept. Past it a name is copied for each message that carries it, so a client
/// sending from ever-new sender titles cannot grow the set without bound.
const MOST_NAMES: usize = 4096;

/// The names kept so far.
#[derive(Debug, Default)]
pub struct Names {
    kept: HashSet<Arc<str>, foldhash::fast::RandomState>,
}

impl Names {
    /// `name` as a shared string: the one kept if it was seen before (a look-up where a copy
    /// costs an allocation), otherwise a new one, kept while there is room.
    pub fn shared(&mut self, name: &str) -> Arc<str> {
        if let Some(kept) = self.kept.get(name) {
            return Arc::clone(kept);
        }
        let new: Arc<str> = Arc::from(name);
        if self.kept.len() < MOST_NAMES {
            self.kept.insert(Arc::clone(&new));
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_seen_before_is_shared_and_names_past_the_bound_are_still_right() {
        let mut names = Names::default();
        let first = names.shared("SMSOFFICE");
        let again = names.shared("SMSOFFICE");
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(
            &*names.shared("smsoffice"),
            "smsoffice",
            "names differ by case"
        );
        assert!(!Arc::ptr_eq(&first, &names.shared("smsoffice")));

        for i in 0..MOST_NAMES + 10 {
            assert_eq!(
                &*names.shared(&format!("sender-{i}")),
                format!("sender-{i}")
            );
        }
        assert_eq!(names.kept.len(), MOST_NAMES);
        let past = format!("sender-{}", MOST_NAMES + 5);
        assert_eq!(&*names.shared(&past), past);
        assert!(Arc::ptr_eq(&first, &names.shared("SMSOFFICE")));
    }
}
