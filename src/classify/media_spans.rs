//! When any device's media flowed, as a few merged spans of packet time:
//! a SIP dialog with media near it is a call whose media the capture holds
//! (perhaps in another device's session: both phones in one capture), not
//! one whose media it missed. A signalling flow lives for hours (its
//! registrations keep it open) and reaches the call tracker long after the
//! call, so the spans are kept for the whole run: media close together
//! merge into one span, and a day of calls makes a few hundred at most.

use crate::capture::Timestamp;

/// Media this close to a dialog counts as near it; spans closer than twice
/// this merge.
pub const MARGIN_NANOS: i64 = 120 * 1_000_000_000;

#[derive(Debug, Default)]
pub struct MediaSpans {
    /// Disjoint, in time order, each more than two margins from the next.
    spans: Vec<(Timestamp, Timestamp)>,
}

impl MediaSpans {
    /// Notes media from `start` to `end`.
    pub fn add(&mut self, start: Timestamp, end: Timestamp) {
        let (mut start, mut end) = (start, end.max(start));
        let reach = |t: Timestamp, by: i64| Timestamp(t.0.saturating_add(by));
        // The spans that touch [start, end] widened by two margins merge
        // with it: they lie in one run of the sorted list.
        let first = self
            .spans
            .partition_point(|s| reach(s.1, 2 * MARGIN_NANOS) < start);
        let last = self
            .spans
            .partition_point(|s| s.0 <= reach(end, 2 * MARGIN_NANOS));
        if let Some(merged) = self.spans.get(first..last) {
            for s in merged {
                start = start.min(s.0);
                end = end.max(s.1);
            }
        }
        if first <= last && last <= self.spans.len() {
            self.spans.splice(first..last, [(start, end)]);
        }
    }

    /// Whether media flowed within a margin of `start`..`end`.
    pub fn near(&self, start: Timestamp, end: Timestamp) -> bool {
        let i = self
            .spans
            .partition_point(|s| Timestamp(s.1 .0.saturating_add(MARGIN_NANOS)) < start);
        self.spans
            .get(i)
            .is_some_and(|s| s.0 .0 <= end.0.saturating_add(MARGIN_NANOS))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.spans.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp(secs * Timestamp::NANOS_PER_SEC)
    }

    #[test]
    fn close_media_merge_and_far_media_stays_apart() {
        let mut m = MediaSpans::default();
        m.add(t(1000), t(1100));
        m.add(t(1300), t(1400)); // 200 s after: within two margins
        m.add(t(5000), t(5100));
        m.add(t(100), t(200)); // earlier, ended later in the run
        assert_eq!(m.len(), 3);
        assert!(m.near(t(1150), t(1160)));
        assert!(m.near(t(1510), t(1600))); // 110 s after the merged span
        assert!(!m.near(t(1600), t(4800)));
        assert!(!m.near(t(2000), t(2100)));
        assert!(m.near(t(4900), t(4950)));
        assert!(!m.near(t(400), t(700)));
        // A span bridging the gap joins its neighbours.
        m.add(t(1400), t(5000));
        assert_eq!(m.len(), 2);
        assert!(m.near(t(3000), t(3001)));
    }
}
