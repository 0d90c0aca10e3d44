//! Records that read fine but that a user should hear about: empty packets,
//! time running backwards, a timestamp far from every packet around it,
//! records longer than the snap length, link types callpath cannot decode.
//! None of them stops a read; each becomes one warning line naming the
//! first byte offset where it happened.

use super::{LinkType, RawPacket, Timestamp};

/// A packet further than this from the time of the packet before it is
/// suspect until the packet after it tells: if that one comes back to the
/// time before, the suspect's timestamp is wrong. One corrupt or
/// hand-edited timestamp (years ahead, or zero) would otherwise move the
/// analysis clock past every flow, ending and splitting them all, and give
/// its own flow a duration of decades. If the next packet does not come
/// back, the capture moved on (a pause, or captures joined end to end, as
/// test suites do) and the suspect keeps its time.
const IMPLAUSIBLE_JUMP_NANOS: u64 = 24 * 3600 * Timestamp::NANOS_PER_SEC as u64;

/// Whether `a` and `b` are more than `IMPLAUSIBLE_JUMP_NANOS` apart.
fn far_apart(a: Timestamp, b: Timestamp) -> bool {
    a.0.abs_diff(b.0) > IMPLAUSIBLE_JUMP_NANOS
}

/// How often one oddity happened, and where it first did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub count: u64,
    /// Byte offset of the first record showing it.
    pub first_offset: u64,
}

impl Anomaly {
    fn bump(slot: &mut Option<Anomaly>, offset: u64) {
        match slot {
            Some(a) => a.count += 1,
            None => {
                *slot = Some(Anomaly {
                    count: 1,
                    first_offset: offset,
                })
            }
        }
    }
}

/// When and with what time a reader hands a packet on. A packet far from
/// the time before it is held back until the next packet says whether the
/// capture paused (the held packet keeps its time) or the timestamp is
/// wrong (it gets the time of the packet before it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timing {
    /// A packet was held: hand it on first, with this time.
    pub held: Option<Timestamp>,
    /// This packet's time; `None` holds it back.
    pub this: Option<Timestamp>,
}

#[derive(Clone, Debug, Default)]
pub struct RecordAnomalies {
    pub empty_packets: Option<Anomaly>,
    pub time_reversals: Option<Anomaly>,
    /// How far back the furthest of them went, in nanoseconds: a capture
    /// of several interfaces or CPUs goes back by microseconds, which is
    /// harmless; seconds or more are worth a look.
    pub furthest_reversal_nanos: u64,
    /// Packets whose time neither the packets before nor the one after
    /// share: timed as the packet before them.
    pub time_outliers: Option<Anomaly>,
    pub over_snaplen: Option<Anomaly>,
    pub unsupported_link: Option<Anomaly>,
    /// The first timed packet's time: whether inputs were given in time order.
    first_ts: Option<Timestamp>,
    /// The latest time read (reversals are counted against it), and the
    /// time of the packet before (jumps are judged against it), but for
    /// held packets; valid once `first_ts` is.
    latest: Timestamp,
    previous: Timestamp,
    /// A packet is on the fast path of `observe` while its time less
    /// `previous`, plus a day, is below this: `NEAR_LIMIT` while packets
    /// come in order, 0 (nothing is below it) before the first packet and
    /// while one is held, so that those cases cost the fast path no test
    /// of their own.
    near_limit: u64,
    /// A packet far from `previous` waiting for the next one to tell
    /// whether its time is wrong: its time and record offset.
    suspect: Option<(Timestamp, u64)>,
    timing: Timing,
}

/// Differences of `-IMPLAUSIBLE_JUMP_NANOS..=IMPLAUSIBLE_JUMP_NANOS`, shifted
/// by a day, lie below this.
const NEAR_LIMIT: u64 = 2 * IMPLAUSIBLE_JUMP_NANOS + 1;

impl RecordAnomalies {
    /// Looks at one packet whose record starts at `offset`: `true` when it
    /// goes on at once with its own time (nearly always), else `timing`
    /// says when and with what time (kept aside so that the common case
    /// returns one flag).
    #[inline]
    pub fn observe(&mut self, pkt: &RawPacket<'_>, offset: u64) -> bool {
        if pkt.data.is_empty() {
            Anomaly::bump(&mut self.empty_packets, offset);
        }
        if matches!(pkt.link, LinkType::Unsupported(_)) {
            Anomaly::bump(&mut self.unsupported_link, offset);
        }
        let ts = pkt.ts;
        // Simple packet blocks carry no time (zero): they say nothing about order.
        if ts == Timestamp::default() {
            return true;
        }
        // One range check on the difference (times beyond ±146 years of
        // each other wrap and may read as near: such a packet is merely
        // not held).
        let shifted =
            (ts.0.wrapping_sub(self.previous.0) as u64).wrapping_add(IMPLAUSIBLE_JUMP_NANOS);
        if shifted >= self.near_limit {
            self.timing = self.judge_far(ts, offset);
            return false;
        }
        self.accept(ts, offset);
        true
    }

    /// When and with what time to hand on the packet `observe` last
    /// answered `false` for.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// A packet handed on with its own time.
    #[inline(always)]
    fn accept(&mut self, ts: Timestamp, offset: u64) {
        if ts < self.latest {
            self.reversed(ts, offset);
        }
        self.latest = self.latest.max(ts);
        self.previous = ts;
    }

    #[cold]
    fn reversed(&mut self, ts: Timestamp, offset: u64) {
        Anomaly::bump(&mut self.time_reversals, offset);
        self.furthest_reversal_nanos = self
            .furthest_reversal_nanos
            .max(self.latest.0.abs_diff(ts.0));
    }

    /// The rare case out of line: the first packet, a packet far from the
    /// time before it, or the one after such a packet.
    #[cold]
    fn judge_far(&mut self, ts: Timestamp, offset: u64) -> Timing {
        if self.first_ts.is_none() {
            self.first_ts = Some(ts);
            self.latest = ts;
            self.previous = ts;
            self.near_limit = NEAR_LIMIT;
            return Timing {
                held: None,
                this: Some(ts),
            };
        }
        let mut held = None;
        if let Some((suspect, at)) = self.suspect.take() {
            if !far_apart(ts, self.previous) && far_apart(ts, suspect) {
                // Back to the time before it: the suspect's time is wrong.
                Anomaly::bump(&mut self.time_outliers, at);
                held = Some(self.previous);
            } else {
                held = Some(suspect);
                self.accept(suspect, at);
            }
        }
        if far_apart(ts, self.previous) {
            self.suspect = Some((ts, offset));
            self.near_limit = 0;
            return Timing { held, this: None };
        }
        self.near_limit = NEAR_LIMIT;
        self.accept(ts, offset);
        Timing {
            held,
            this: Some(ts),
        }
    }

    /// The time of a packet still held at the end of the input: no packet
    /// came back to the time before it, so it keeps its own.
    pub fn release_held(&mut self) -> Option<Timestamp> {
        let (suspect, at) = self.suspect.take()?;
        self.accept(suspect, at);
        self.near_limit = NEAR_LIMIT;
        Some(suspect)
    }

    /// The time of the first packet that has one.
    pub fn first_ts(&self) -> Option<Timestamp> {
        self.first_ts
    }

    pub fn note_over_snaplen(&mut self, offset: u64) {
        Anomaly::bump(&mut self.over_snaplen, offset);
    }

    /// One line per oddity seen (without the input's name); `unsupported`
    /// lists the undecoded link types by code with their packet counts.
    pub fn warnings(&self, unsupported: &[(i32, u64)]) -> Vec<String> {
        let codes = unsupported
            .iter()
            .map(|(code, n)| format!("{code} ({n} packets)"))
            .collect::<Vec<_>>()
            .join(", ");
        let unsupported_line =
            format!("packets skipped: link type {codes} is not decoded by callpath");
        let mut out = Vec::new();
        let mut line = |slot: &Option<Anomaly>, what: &str| {
            if let Some(a) = slot {
                out.push(format!(
                    "{} {what} (first at byte offset {})",
                    a.count, a.first_offset
                ));
            }
        };
        line(
            &self.empty_packets,
            "zero-length packets, skipped (nothing was captured for them)",
        );
        let reversals = format!(
            "packets with a timestamp earlier than a packet before them (by up to {}); flows are timed by the latest time seen",
            reversal_span(self.furthest_reversal_nanos)
        );
        line(&self.time_reversals, &reversals);
        line(
            &self.time_outliers,
            "packets with a timestamp more than a day away from the packets around them, timed as the packet before them",
        );
        line(
            &self.over_snaplen,
            "records longer than the file's snap length, read as written",
        );
        line(&self.unsupported_link, &unsupported_line);
        out
    }
}

/// How far back time went, for a warning, in the unit that suits it:
/// "0.004 ms", "2.5 ms", "3.2 s", "10 min", "3 days".
fn reversal_span(nanos: u64) -> String {
    let secs = nanos as f64 / 1e9;
    match secs {
        s if s < 1e-3 => format!("{:.3} ms", s * 1e3),
        s if s < 1.0 => format!("{:.1} ms", s * 1e3),
        s if s < 60.0 => format!("{s:.1} s"),
        s if s < 7200.0 => format!("{:.0} min", s / 60.0),
        s if s < 172_800.0 => format!("{:.0} h", s / 3600.0),
        s => format!("{:.0} days", s / 86_400.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkt(ts: i64, data: &[u8], link: LinkType) -> RawPacket<'_> {
        RawPacket {
            ts: Timestamp(ts),
            link,
            data,
            orig_len: data.len() as u32,
            frame: 1,
            app: None,
        }
    }

    #[test]
    fn counts_reversals_against_the_latest_time() {
        let mut a = RecordAnomalies::default();
        a.observe(&pkt(10, b"x", LinkType::RawIp), 24);
        a.observe(&pkt(30, b"x", LinkType::RawIp), 41);
        a.observe(&pkt(20, b"x", LinkType::RawIp), 58);
        a.observe(&pkt(25, b"x", LinkType::RawIp), 75);
        a.observe(&pkt(0, b"x", LinkType::RawIp), 92);
        assert_eq!(
            a.time_reversals,
            Some(Anomaly {
                count: 2,
                first_offset: 58
            })
        );
    }

    const DAY: i64 = 24 * 3600 * Timestamp::NANOS_PER_SEC;

    /// The times packets with these times are handed on with, in the
    /// order they are handed on, as a reader holds and releases them.
    fn timed(times: &[i64]) -> (Vec<i64>, RecordAnomalies) {
        let mut a = RecordAnomalies::default();
        let mut out = Vec::new();
        for (i, &t) in times.iter().enumerate() {
            if a.observe(&pkt(t, b"x", LinkType::RawIp), i as u64) {
                out.push(t);
            } else {
                let timing = a.timing();
                out.extend(timing.held.into_iter().chain(timing.this).map(|t| t.0));
            }
        }
        out.extend(a.release_held().map(|t| t.0));
        (out, a)
    }

    #[test]
    fn one_packet_years_ahead_is_timed_as_the_packet_before_it() {
        // As in a capture whose second packet says 2041 among 2017's.
        let t = 1_502_626_540 * Timestamp::NANOS_PER_SEC;
        let far = 2_253_914_584 * Timestamp::NANOS_PER_SEC;
        let (out, a) = timed(&[t, far, t + 1, t + 2]);
        assert_eq!(out, [t, t, t + 1, t + 2]);
        assert_eq!(
            a.time_outliers,
            Some(Anomaly {
                count: 1,
                first_offset: 1
            })
        );
        assert_eq!(a.time_reversals, None, "the packets after it are in order");
        // Far behind (a zeroed seconds field) is the same.
        let (out, a) = timed(&[t, 5, t + 1]);
        assert_eq!(out, [t, t, t + 1]);
        assert_eq!(a.time_outliers.map(|o| o.count), Some(1));
    }

    #[test]
    fn a_long_pause_keeps_its_times() {
        let (out, a) = timed(&[0, 1, 3 * DAY, 3 * DAY + 1, 3 * DAY + 2]);
        // The first packet after the pause waits for the next one, which
        // does not come back: it keeps its time.
        assert_eq!(out, [0, 1, 3 * DAY, 3 * DAY + 1, 3 * DAY + 2]);
        assert_eq!(a.time_outliers, None);
        assert_eq!(a.time_reversals, None);
    }

    #[test]
    fn captures_joined_end_to_end_keep_their_times() {
        // Single packets days apart, as test suites join their captures:
        // no packet comes back, so none is an outlier; a segment earlier
        // than the one before it counts as time going backwards.
        let times = [DAY, 9 * DAY, 30 * DAY, 30 * DAY + 1, 2 * DAY, 50 * DAY];
        let (out, a) = timed(&times);
        assert_eq!(out, times);
        assert_eq!(a.time_outliers, None);
        assert_eq!(
            a.time_reversals,
            Some(Anomaly {
                count: 1,
                first_offset: 4
            })
        );
    }

    #[test]
    fn each_wrong_time_among_right_ones_is_counted() {
        let t = 100 * DAY;
        let (out, a) = timed(&[t, 9 * DAY, t + 1, 400 * DAY, t + 2]);
        assert_eq!(out, [t, t, t + 1, t + 1, t + 2]);
        assert_eq!(
            a.time_outliers,
            Some(Anomaly {
                count: 2,
                first_offset: 1
            })
        );
        let w = a.warnings(&[]);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("2 packets with a timestamp more than a day away"));
    }

    #[test]
    fn the_reversal_warning_says_how_far_back_time_went() {
        let (_, a) = timed(&[1_000_000, 2_000_000, 1_996_000, 3_000_000]);
        assert_eq!(a.furthest_reversal_nanos, 4_000);
        assert_eq!(
            a.warnings(&[]),
            ["1 packets with a timestamp earlier than a packet before them (by up to 0.004 ms); flows are timed by the latest time seen (first at byte offset 2)"]
        );
        for (nanos, text) in [
            (2_500_000, "2.5 ms"),
            (3_200_000_000, "3.2 s"),
            (600_000_000_000, "10 min"),
            (3 * DAY as u64, "3 days"),
        ] {
            assert_eq!(reversal_span(nanos), text);
        }
    }

    #[test]
    fn one_warning_per_oddity_with_its_first_offset() {
        let mut a = RecordAnomalies::default();
        a.observe(&pkt(10, b"", LinkType::Unsupported(147)), 24);
        a.observe(&pkt(11, b"", LinkType::RawIp), 40);
        let w = a.warnings(&[(147, 1)]);
        assert_eq!(w.len(), 2);
        assert!(w[0].starts_with("2 zero-length packets"));
        assert!(w[0].ends_with("(first at byte offset 24)"));
        assert_eq!(
            w[1],
            "1 packets skipped: link type 147 (1 packets) is not decoded by callpath (first at byte offset 24)"
        );
    }
}
