//! Per-SSRC RTP reception statistics: RFC 3550 appendix A.1 (sequence
//! tracking with wrap-around, dropout and misorder limits, expected vs
//! received) and A.8 (interarrival jitter). Fixed size, no heap.
//!
//! Differences from A.1, on purpose: there is no probation period (the
//! flow layer has already decided this is RTP before creating the state),
//! and the caller feeds every packet, the first one included, to
//! [`RtpStreamQuality::update`].
//!
//! Jitter needs the RTP clock rate. When it is not known (dynamic payload
//! types without SDP), it is inferred once at least [`INFER_MIN_SPAN_NS`]
//! of in-order packets (and [`INFER_MIN_PACKETS`]) have been seen: the RTP timestamp advance divided by
//! the arrival-time span, snapped to the nearest common rate (8, 16, 24,
//! 32, 44.1, 48 or 90 kHz) if within 10 %. Jitter then starts from that
//! packet; if no rate fits, `jitter_ms` stays `None`.

/// Largest forward jump still taken as loss (RFC 3550 A.1).
pub const MAX_DROPOUT: u16 = 3000;
/// Largest backward step still taken as reordering (RFC 3550 A.1).
pub const MAX_MISORDER: u16 = 100;
/// Minimum arrival span before inferring a clock rate (0.5 s).
pub const INFER_MIN_SPAN_NS: i64 = 500_000_000;
/// Packets before inferring a clock rate: a video stream that stalls after
/// its first frame (a key frame sent, then half a second of nothing) would
/// otherwise measure its clock over two timestamps and read 90 kHz as 8.
pub const INFER_MIN_PACKETS: u64 = 10;
/// Largest change of transit time (arrival minus RTP timestamp) taken as
/// network jitter, in seconds. Beyond it the sender's RTP timestamps
/// jumped (a PBX bridging another source into the stream, a restarted
/// sender): no network delays a packet by seconds more than its
/// predecessor and still delivers the call, and one such step alone
/// would read as hours of jitter.
pub const MAX_TRANSIT_STEP_SECS: f64 = 3.0;
/// Clock rates an inferred rate is snapped to.
const COMMON_RATES: [u32; 7] = [8_000, 16_000, 24_000, 32_000, 44_100, 48_000, 90_000];
const SEQ_MOD: u64 = 1 << 16;

/// Reception quality of one RTP stream (one SSRC).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RtpStreamQuality {
    ssrc: u32,
    base_seq: u16,
    max_seq: u16,
    /// Shifted count of sequence-number wraps (multiples of 65536).
    cycles: u64,
    /// Sequence number that would confirm a large jump (A.1 `bad_seq`).
    bad_seq: Option<u16>,
    received: u64,
    seq_errors: u64,
    clock_rate: Option<u32>,
    rate_inferred: bool,
    /// Previous packet's (arrival ns, RTP timestamp) for jitter.
    prev: Option<(i64, u32)>,
    jitter: f64,
    max_jitter: f64,
    jitter_sum: f64,
    jitter_samples: u64,
    /// Steps of the RTP timestamp left out of the jitter
    /// (`MAX_TRANSIT_STEP_SECS`).
    timestamp_jumps: u64,
    /// First in-order packet's arrival and the unwrapped RTP timestamp
    /// advance since then, for clock-rate inference.
    infer_start_ns: Option<i64>,
    infer_last: (i64, u32),
    infer_ts_advance: i64,
}

impl RtpStreamQuality {
    /// State for a stream whose first packet has sequence `first_seq`.
    /// `clock_rate` comes from [`crate::dissect::rtp::clock_rate`] or SDP.
    pub fn new(ssrc: u32, first_seq: u16, clock_rate: Option<u32>) -> Self {
        RtpStreamQuality {
            ssrc,
            base_seq: first_seq,
            max_seq: first_seq.wrapping_sub(1),
            cycles: 0,
            bad_seq: None,
            received: 0,
            seq_errors: 0,
            clock_rate: clock_rate.filter(|&r| r > 0),
            rate_inferred: false,
            prev: None,
            jitter: 0.0,
            max_jitter: 0.0,
            jitter_sum: 0.0,
            jitter_samples: 0,
            timestamp_jumps: 0,
            infer_start_ns: None,
            infer_last: (0, 0),
            infer_ts_advance: 0,
        }
    }

    /// Accounts one packet (RFC 3550 A.1 `update_seq`, then A.8 jitter).
    pub fn update(&mut self, seq: u16, rtp_ts: u32, arrival_ns: i64) {
        let expected_next = self.max_seq.wrapping_add(1);
        if self.received > 0 && seq != expected_next {
            self.seq_errors += 1;
        }
        let udelta = seq.wrapping_sub(self.max_seq);
        let in_order;
        if udelta < MAX_DROPOUT {
            // In order, possibly with a gap. The first packet only sets
            // the start: a stream starting at 0 has not wrapped.
            if seq < self.max_seq && self.received > 0 {
                self.cycles += SEQ_MOD;
            }
            self.max_seq = seq;
            in_order = true;
        } else if udelta <= u16::MAX - MAX_MISORDER + 1 {
            // A very large jump: accept only if the next packet confirms
            // it (the sender restarted), then resynchronise.
            if self.bad_seq == Some(seq) {
                self.restart(seq);
                in_order = true;
            } else {
                self.bad_seq = Some(seq.wrapping_add(1));
                return;
            }
        } else {
            // Duplicate or reordered within MAX_MISORDER.
            in_order = false;
        }
        self.received += 1;
        self.track_jitter(rtp_ts, arrival_ns, in_order);
    }

    /// A.1 `init_seq` after a confirmed jump: statistics start over.
    fn restart(&mut self, seq: u16) {
        self.base_seq = seq;
        self.max_seq = seq;
        self.cycles = 0;
        self.bad_seq = None;
        self.received = 0;
        self.prev = None;
        self.infer_start_ns = None;
    }

    fn track_jitter(&mut self, rtp_ts: u32, arrival_ns: i64, in_order: bool) {
        if self.clock_rate.is_none() && in_order {
            self.infer_rate(rtp_ts, arrival_ns);
        }
        let Some(rate) = self.clock_rate else {
            return;
        };
        if let Some((prev_ns, prev_ts)) = self.prev {
            // A.8: D(i-1,i) = (Rj - Ri) - (Sj - Si) in timestamp units.
            let arrival_units = (arrival_ns.saturating_sub(prev_ns)) as f64 * f64::from(rate) / 1e9;
            let ts_units = f64::from(rtp_ts.wrapping_sub(prev_ts) as i32);
            let d = (arrival_units - ts_units).abs();
            if d > f64::from(rate) * MAX_TRANSIT_STEP_SECS {
                // The sender's timeline restarted (a B2BUA switching
                // sources, a re-INVITE): start again from this packet.
                self.timestamp_jumps += 1;
                self.prev = Some((arrival_ns, rtp_ts));
                return;
            }
            self.jitter += (d - self.jitter) / 16.0;
            self.max_jitter = self.max_jitter.max(self.jitter);
            self.jitter_sum += self.jitter;
            self.jitter_samples += 1;
        }
        self.prev = Some((arrival_ns, rtp_ts));
    }

    fn infer_rate(&mut self, rtp_ts: u32, arrival_ns: i64) {
        let Some(start) = self.infer_start_ns else {
            self.infer_start_ns = Some(arrival_ns);
            self.infer_last = (arrival_ns, rtp_ts);
            self.infer_ts_advance = 0;
            return;
        };
        let step = i64::from(rtp_ts.wrapping_sub(self.infer_last.1) as i32);
        self.infer_ts_advance = self.infer_ts_advance.saturating_add(step);
        self.infer_last = (arrival_ns, rtp_ts);
        let span = arrival_ns.saturating_sub(start);
        if span < INFER_MIN_SPAN_NS
            || self.received < INFER_MIN_PACKETS
            || self.infer_ts_advance <= 0
        {
            return;
        }
        let measured = self.infer_ts_advance as f64 * 1e9 / span as f64;
        let best = COMMON_RATES.iter().copied().min_by(|a, b| {
            let da = (f64::from(*a) - measured).abs();
            let db = (f64::from(*b) - measured).abs();
            da.total_cmp(&db)
        });
        if let Some(rate) = best {
            if (f64::from(rate) - measured).abs() <= 0.1 * f64::from(rate) {
                self.clock_rate = Some(rate);
                self.rate_inferred = true;
            }
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Packets counted (duplicates included, as in A.1).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Extended highest sequence number (cycles + max_seq).
    pub fn extended_max_seq(&self) -> u64 {
        self.cycles + u64::from(self.max_seq)
    }

    /// Expected packets: extended highest − base + 1 (0 before any packet).
    pub fn expected(&self) -> u64 {
        if self.received == 0 {
            return 0;
        }
        (self.extended_max_seq() + 1).saturating_sub(u64::from(self.base_seq))
    }

    /// Expected − received; negative when duplicates arrived.
    pub fn lost(&self) -> i64 {
        (self.expected() as i64).saturating_sub(self.received as i64)
    }

    /// Packets whose sequence number was not the next expected one (gaps,
    /// reorders, duplicates, unconfirmed jumps), as Wireshark counts them.
    pub fn sequence_errors(&self) -> u64 {
        self.seq_errors
    }

    /// The clock rate in use (given or inferred).
    pub fn clock_rate(&self) -> Option<u32> {
        self.clock_rate
    }

    /// Whether [`Self::clock_rate`] was inferred from the packets.
    pub fn clock_rate_inferred(&self) -> bool {
        self.rate_inferred
    }

    /// Steps of the RTP timestamp too large to be network jitter, left out
    /// of it (see [`MAX_TRANSIT_STEP_SECS`]).
    pub fn timestamp_jumps(&self) -> u64 {
        self.timestamp_jumps
    }

    /// Current interarrival jitter (A.8) in milliseconds.
    pub fn jitter_ms(&self) -> Option<f64> {
        let rate = self.clock_rate?;
        Some(self.jitter * 1000.0 / f64::from(rate))
    }

    /// Highest jitter seen, in milliseconds.
    pub fn max_jitter_ms(&self) -> Option<f64> {
        let rate = self.clock_rate?;
        Some(self.max_jitter * 1000.0 / f64::from(rate))
    }

    /// Mean of the jitter estimates after each packet (from the second
    /// on), in milliseconds. Wireshark's "mean jitter" differs slightly: it
    /// averages the estimate before each update over all packets.
    pub fn mean_jitter_ms(&self) -> Option<f64> {
        let rate = self.clock_rate?;
        if self.jitter_samples == 0 {
            return Some(0.0);
        }
        Some(self.jitter_sum / self.jitter_samples as f64 * 1000.0 / f64::from(rate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    #[test]
    fn in_order_no_loss() {
        let mut q = RtpStreamQuality::new(1, 100, Some(8000));
        for i in 0..50u16 {
            q.update(100 + i, 160 * u32::from(i), i64::from(i) * 20 * MS);
        }
        assert_eq!((q.received(), q.expected(), q.lost()), (50, 50, 0));
        assert_eq!(q.sequence_errors(), 0);
        assert_eq!(q.jitter_ms(), Some(0.0));
    }

    #[test]
    fn loss_and_reorder() {
        let mut q = RtpStreamQuality::new(1, 10, Some(8000));
        // 10 11 13 12 15 (14 lost), then a duplicate 15.
        for s in [10u16, 11, 13, 12, 15, 15] {
            q.update(s, 0, 0);
        }
        assert_eq!(q.expected(), 6); // 10..=15
        assert_eq!(q.received(), 6);
        assert_eq!(q.lost(), 0); // the duplicate hides the loss, as in A.1
                                 // 13 (gap), 12 (reorder), 15 (gap), 15 (duplicate).
        assert_eq!(q.sequence_errors(), 4);
        q.update(16, 0, 0);
        q.update(18, 0, 0);
        assert_eq!((q.expected(), q.received(), q.lost()), (9, 8, 1));
    }

    #[test]
    fn wrap_around() {
        let mut q = RtpStreamQuality::new(1, 65530, None);
        for i in 0..12u16 {
            q.update(65530u16.wrapping_add(i), 0, 0);
        }
        assert_eq!(q.extended_max_seq(), 65536 + 5);
        assert_eq!((q.expected(), q.received(), q.lost()), (12, 12, 0));
        assert_eq!(q.sequence_errors(), 0);
        // A late packet from before the wrap does not add a cycle.
        q.update(65534, 0, 0);
        assert_eq!(q.extended_max_seq(), 65536 + 5);
        assert_eq!(q.sequence_errors(), 1);
    }

    /// A stream whose first sequence number is 0 (IP cameras, IPTV
    /// heads and test tools start there) lost nothing (it was read as a
    /// wrap: 99 % loss).
    #[test]
    fn stream_starting_at_zero() {
        let mut q = RtpStreamQuality::new(1, 0, Some(8000));
        for s in 0..500u16 {
            q.update(s, u32::from(s) * 160, i64::from(s) * 20_000_000);
        }
        assert_eq!((q.expected(), q.received(), q.lost()), (500, 500, 0));
        assert_eq!(q.extended_max_seq(), 499);
    }

    #[test]
    fn large_jump_needs_confirmation() {
        let mut q = RtpStreamQuality::new(1, 1000, None);
        q.update(1000, 0, 0);
        q.update(1001, 0, 0);
        // Stray packet far ahead: ignored.
        q.update(30000, 0, 0);
        assert_eq!(q.received(), 2);
        q.update(1002, 0, 0);
        assert_eq!((q.expected(), q.received()), (3, 3));
        // Sender restart: two consecutive packets at the new place.
        q.update(40000, 0, 0);
        q.update(40001, 0, 0);
        assert_eq!((q.expected(), q.received(), q.lost()), (1, 1, 0));
        q.update(40002, 0, 0);
        assert_eq!((q.expected(), q.received()), (2, 2));
    }

    /// As an Asterisk bridge sent it: four packets stamped 0, then the
    /// far phone's own timeline from 1,052,800,647 on, one SSRC
    /// throughout.
    #[test]
    fn timestamp_jump_is_no_jitter() {
        let mut q = RtpStreamQuality::new(7, 8029, Some(8000));
        for i in 0..4u16 {
            q.update(8029 + i, 0, i64::from(i) * MS / 2);
        }
        for i in 0..50u16 {
            let ts = 1_052_800_647u32.wrapping_add(160 * u32::from(i));
            q.update(8033 + i, ts, 140 * MS + i64::from(i) * 20 * MS);
        }
        assert_eq!(q.timestamp_jumps(), 1);
        assert!(q.max_jitter_ms().unwrap() < 20.0, "{:?}", q.max_jitter_ms());
        assert_eq!(q.lost(), 0);
    }

    #[test]
    fn jitter_hand_worked() {
        // 8 kHz, 20 ms packets (160 units). Arrivals 0, 20, 45, 60 ms.
        // D: |160-160|=0 -> J=0; |200-160|=40 -> J=2.5;
        //    |120-160|=40 -> J=2.5+(40-2.5)/16=4.84375 units = 0.60546875 ms.
        let mut q = RtpStreamQuality::new(7, 0, Some(8000));
        q.update(0, 0, 0);
        q.update(1, 160, 20 * MS);
        q.update(2, 320, 45 * MS);
        assert!((q.jitter_ms().unwrap() - 2.5 / 8.0).abs() < 1e-9);
        q.update(3, 480, 60 * MS);
        assert!((q.jitter_ms().unwrap() - 4.84375 / 8.0).abs() < 1e-9);
        assert!((q.max_jitter_ms().unwrap() - 4.84375 / 8.0).abs() < 1e-9);
        // Timestamp wrap does not disturb the difference.
        let mut w = RtpStreamQuality::new(7, 0, Some(8000));
        w.update(0, u32::MAX - 79, 0);
        w.update(1, 80, 20 * MS);
        assert_eq!(w.jitter_ms(), Some(0.0));
    }

    #[test]
    fn clock_rate_inference() {
        let mut q = RtpStreamQuality::new(9, 0, None);
        assert_eq!(q.jitter_ms(), None);
        // 48 kHz Opus, 20 ms frames with a little arrival noise.
        for i in 0..40u16 {
            let noise = if i % 3 == 0 { 2 * MS } else { 0 };
            q.update(i, 960 * u32::from(i), i64::from(i) * 20 * MS + noise);
        }
        assert_eq!(q.clock_rate(), Some(48_000));
        assert!(q.clock_rate_inferred());
        assert!(q.jitter_ms().unwrap() > 0.0);
        // Timestamps that advance at no common rate stay unknown.
        let mut r = RtpStreamQuality::new(9, 0, None);
        for i in 0..40u16 {
            r.update(i, 3000 * u32::from(i), i64::from(i) * 20 * MS);
        }
        assert_eq!(r.jitter_ms(), None);
    }

    /// A video stream that stalled after its key frame (arrival times and
    /// 90 kHz timestamps of a headless Chromium's VP8 under load, in the
    /// lab): measured over its first packets it read as an 8 kHz clock and
    /// hundreds of milliseconds of jitter.
    #[test]
    fn a_stalled_video_start_still_reads_90_khz() {
        let packets: [(i64, u32); 16] = [
            (0, 0),
            (11, 0),
            (16, 0),
            (543, 4680),
            (611, 9360),
            (673, 13770),
            (709, 13770),
            (752, 17910),
            (802, 45000),
            (861, 62910),
            (861, 62910),
            (940, 80910),
            (990, 90000),
            (1039, 94500),
            (1092, 99000),
            (1140, 103410),
        ];
        let mut q = RtpStreamQuality::new(9, 100, None);
        for (i, (ms, ts)) in packets.into_iter().enumerate() {
            q.update(100 + i as u16, ts, ms * MS);
        }
        assert_eq!(q.clock_rate(), Some(90_000));
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut x: u64 = 3;
        for rate in [None, Some(8000), Some(90_000)] {
            let mut q = RtpStreamQuality::new(1, 0, rate);
            for _ in 0..20_000 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let arrival = match x % 7 {
                    0 => i64::MIN,
                    1 => i64::MAX,
                    _ => (x >> 20) as i64,
                };
                q.update((x >> 16) as u16, (x >> 32) as u32, arrival);
                let _ = (q.lost(), q.expected(), q.jitter_ms(), q.mean_jitter_ms());
            }
            assert!(q.received() > 0);
        }
    }

    /// rtp.pcapng, SSRC 0x00001646 (H.263, PT 34, 90 kHz), 10.204.220.71
    /// → 10.204.220.171:6000: (arrival µs since 1332741131 s, seq, ts)
    /// from `tshark -o rtp.heuristic_rtp:TRUE -T fields`. `tshark -z
    /// rtp,streams` reports 15 packets, 0 lost, max jitter 1.431 ms, mean
    /// jitter 0.692 ms.
    #[test]
    fn real_stream_matches_tshark() {
        let pkts: [(i64, u16, u32); 15] = [
            (936_370, 272, 649_350),
            (938_296, 273, 649_350),
            (999_309, 274, 655_020),
            (1_001_295, 275, 655_020),
            (1_066_361, 276, 661_140),
            (1_068_271, 277, 661_140),
            (1_070_277, 278, 661_140),
            (1_137_441, 279, 667_440),
            (1_139_343, 280, 667_440),
            (1_141_345, 281, 667_440),
            (1_143_335, 282, 667_440),
            (1_194_373, 283, 672_660),
            (1_196_312, 284, 672_660),
            (1_273_373, 285, 679_680),
            (1_275_341, 286, 679_680),
        ];
        let mut q = RtpStreamQuality::new(0x1646, 272, crate::dissect::rtp::clock_rate(34));
        for (us, seq, ts) in pkts {
            q.update(seq, ts, 1_332_741_131 * 1_000_000_000 + us * 1000);
        }
        assert_eq!((q.received(), q.expected(), q.lost()), (15, 15, 0));
        assert_eq!(q.sequence_errors(), 0);
        let max = q.max_jitter_ms().unwrap();
        let mean = q.mean_jitter_ms().unwrap();
        assert!((max - 1.431).abs() < 0.0005, "max {max}");
        // tshark's "mean jitter" sums the estimate *before* each update
        // over all 15 packets, i.e. ours without the last one, over 15.
        let last = q.jitter_ms().unwrap();
        assert!((last - 1.431).abs() < 0.0005);
        let tshark_mean = (mean * 14.0 - last) / 15.0;
        assert!((tshark_mean - 0.692).abs() < 0.0005, "mean {tshark_mean}");
    }
}
