//! Texts that recur over many records and facts, each distinct text
//! stored once while something holds it: the reasons written in flow
//! records, the reasons that tie sockets to an app, the names in network
//! descriptions. A busy device repeats the same few reasons over thousands
//! of flows ("Discord voice IP-discovery packet", "STUN attribute
//! 0x4000"), and call-related records wait for their call with them: on
//! the reference capture 18,581 of the 87,905 reasons of call-related
//! flows are distinct, and 33 of the 29,589 descriptions of evidence
//! frames.

use std::collections::HashSet;
use std::sync::Arc;

use foldhash::fast::RandomState;

/// Texts kept before the first look for ones no record uses any more.
const FIRST_PRUNE: usize = 1024;

#[derive(Debug, Default)]
pub struct SharedTexts {
    texts: HashSet<Arc<str>, RandomState>,
    /// Size at which texts no record holds are dropped: half as much
    /// again as what was still in use at the last look, so stale texts
    /// never take more than a third of the set, and each look is paid
    /// for by as many new texts as half of those it keeps. (Twice as much
    /// let the reasons' texts reach 2.7 MB at the bench capture's heap
    /// peak, against 1.4 MB now, for the same instructions.)
    prune_at: usize,
}

impl SharedTexts {
    /// The shared copy of `text` (a `String` or an `Arc<str>`).
    pub fn share<T: AsRef<str> + Into<Arc<str>>>(&mut self, text: T) -> Arc<str> {
        if let Some(shared) = self.texts.get(text.as_ref()) {
            return Arc::clone(shared);
        }
        if self.texts.len() >= self.prune_at.max(FIRST_PRUNE) {
            // Only this set holds them: their records have been written.
            self.texts.retain(|t| Arc::strong_count(t) > 1);
            self.prune_at = self.texts.len() + self.texts.len() / 2;
        }
        let shared: Arc<str> = text.into();
        self.texts.insert(Arc::clone(&shared));
        shared
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.texts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_copy_per_distinct_text() {
        let mut t = SharedTexts::default();
        let a = t.share("STUN attribute 0x4000".to_string());
        let b = t.share("STUN attribute 0x4000".to_string());
        let c = t.share("Telegram reflector pings, no media".to_string());
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(&*c, "Telegram reflector pings, no media");
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn texts_no_record_holds_are_dropped() {
        let mut t = SharedTexts::default();
        let kept = t.share("kept".to_string());
        for i in 0..10 * FIRST_PRUNE {
            drop(t.share(format!("reason {i}")));
        }
        // Bounded by what is in use, not by every text ever seen.
        assert!(t.len() <= FIRST_PRUNE + 1, "{}", t.len());
        assert!(Arc::ptr_eq(&kept, &t.share("kept".to_string())));
    }
}
