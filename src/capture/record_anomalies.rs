//! Records that read fine but that a user should hear about: empty packets,
//! time running backwards, records longer than the snap length, link types
//! callpath cannot decode. None of them stops a read; each becomes one
//! warning line naming the first byte offset where it happened.

use super::{LinkType, RawPacket, Timestamp};

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

#[derive(Clone, Debug, Default)]
pub struct RecordAnomalies {
    pub empty_packets: Option<Anomaly>,
    pub time_reversals: Option<Anomaly>,
    pub over_snaplen: Option<Anomaly>,
    pub unsupported_link: Option<Anomaly>,
    /// The first timed packet's time: whether inputs were given in time order.
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
}

impl RecordAnomalies {
    /// Looks at one packet whose record starts at `offset`.
    pub fn observe(&mut self, pkt: &RawPacket<'_>, offset: u64) {
        if pkt.data.is_empty() {
            Anomaly::bump(&mut self.empty_packets, offset);
        }
        if matches!(pkt.link, LinkType::Unsupported(_)) {
            Anomaly::bump(&mut self.unsupported_link, offset);
        }
        // Simple packet blocks carry no time (zero): they say nothing about order.
        if pkt.ts != Timestamp::default() {
            match self.last_ts {
                Some(last) => {
                    if pkt.ts < last {
                        Anomaly::bump(&mut self.time_reversals, offset);
                    }
                    self.last_ts = Some(last.max(pkt.ts));
                }
                None => {
                    self.first_ts = Some(pkt.ts);
                    self.last_ts = Some(pkt.ts);
                }
            }
        }
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
        line(
            &self.time_reversals,
            "packets with a timestamp earlier than a packet before them; flows are timed by the latest time seen",
        );
        line(
            &self.over_snaplen,
            "records longer than the file's snap length, read as written",
        );
        line(&self.unsupported_link, &unsupported_line);
        out
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
