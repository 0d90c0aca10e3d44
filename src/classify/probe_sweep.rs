//! Legacy (peer-to-peer era) Skype's sweep of its host cache: one UDP
//! socket sends a probe (FUNC 0x02/0x03, see `dissect::skype`) to one
//! supernode after another, a few a second, each datagram's 2-byte message
//! ID the previous one's plus a small step (9b90, 9b92, 9b94 … in
//! nfstream's skype.pcap, to Microsoft-hosted supernodes on ports
//! 40001-40033). One probe is weak evidence (its framing has no
//! redundancy); the same socket's probes to several hosts with IDs that
//! count up together are not chance: random IDs fall within one narrow
//! span with odds below 1 in 10^12 for `CONFIRMING` hosts.
//!
//! The sweep is judged on the set of probes, not their order, so two
//! workers that see its flows interleaved differently agree; the time it is
//! known from is the earliest packet time at which the set held.

use std::net::IpAddr;

use crate::capture::Timestamp;

/// Distinct hosts whose probes confirm a sweep.
pub const CONFIRMING: usize = 6;
/// The widest span of message IDs those probes may have (the counter
/// steps by 1-2 per datagram; other datagrams of the socket come between).
const ID_SPAN: u16 = 256;
/// Probes kept per socket until it is confirmed.
const KEPT: usize = 24;

/// One probe: its message ID, when it was sent, to which host and port,
/// in which frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Probe {
    pub id: u16,
    pub at: Timestamp,
    pub host: IpAddr,
    pub port: u16,
    pub frame: u64,
}

/// The probes one socket has sent to distinct hosts, until they confirm
/// a sweep.
#[derive(Clone, Debug, Default)]
pub struct ProbeSweep {
    probes: Vec<Probe>,
    /// When the sweep held (the earliest time), once it has.
    confirmed: Option<Timestamp>,
}

impl ProbeSweep {
    /// Adds a probe (one per host, up to `KEPT` hosts). Returns when the
    /// sweep held, when that is first known or found to be earlier (a
    /// probe sent earlier but seen later, by another worker).
    pub fn add(&mut self, probe: Probe) -> Option<Timestamp> {
        if self.probes.len() >= KEPT || self.probes.iter().any(|p| p.host == probe.host) {
            return None;
        }
        self.probes.push(probe);
        let held = earliest_holding(&self.probes)?;
        if self.confirmed.is_some_and(|c| c <= held) {
            return None;
        }
        self.confirmed = Some(held);
        self.confirmed
    }

    pub fn confirmed(&self) -> Option<Timestamp> {
        self.confirmed
    }

    /// The hosts probed before the sweep was confirmed, with their probes.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// The last time a probe was added.
    pub fn last(&self) -> Option<Timestamp> {
        self.probes.iter().map(|p| p.at).max()
    }
}

/// The earliest time by which `CONFIRMING` of the probes, to distinct
/// hosts, had IDs within `ID_SPAN` of each other.
fn earliest_holding(probes: &[Probe]) -> Option<Timestamp> {
    if probes.len() < CONFIRMING {
        return None;
    }
    let mut by_time: Vec<Probe> = probes.to_vec();
    by_time.sort_by_key(|p| (p.at, p.id));
    (CONFIRMING..=by_time.len()).find_map(|n| {
        let sent = by_time.get(..n)?;
        holds(sent).then(|| sent.last().map(|p| p.at)).flatten()
    })
}

/// Whether `CONFIRMING` different IDs lie within `ID_SPAN` (a counter
/// that wrapped past 0xffff is not followed: a sweep outlives it). Equal
/// IDs are no count: a protocol whose first bytes are fixed (RTP's version
/// and payload type) repeats them to every host.
fn holds(probes: &[Probe]) -> bool {
    let mut ids: Vec<u16> = probes.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids.windows(CONFIRMING)
        .any(|w| match (w.first(), w.last()) {
            (Some(lo), Some(hi)) => hi - lo < ID_SPAN,
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(id: u16, secs: i64, host: u8) -> Probe {
        Probe {
            id,
            at: Timestamp(secs * Timestamp::NANOS_PER_SEC),
            host: IpAddr::from([157, 55, 130, host]),
            port: 40000 + u16::from(host),
            frame: u64::from(host),
        }
    }

    #[test]
    fn ids_counting_up_to_distinct_hosts_confirm_a_sweep() {
        // nfstream skype.pcap, 192.168.1.34:13021's first probes.
        let ids = [0x9b90, 0x9b92, 0x9b94, 0x9b96, 0x9b98, 0x9b9a, 0x9b9c];
        let mut sweep = ProbeSweep::default();
        let mut held = None;
        for (i, id) in ids.iter().enumerate() {
            let at = sweep.add(probe(*id, 12 + i as i64, i as u8));
            if at.is_some() {
                held = at;
                break;
            }
        }
        assert_eq!(held, Some(Timestamp(17 * Timestamp::NANOS_PER_SEC)));
        assert_eq!(sweep.confirmed(), held);
        assert_eq!(sweep.probes().len(), CONFIRMING);
        // Later probes neither repeat nor move it.
        assert_eq!(sweep.add(probe(0x9b9c, 18, 40)), None);
    }

    #[test]
    fn random_ids_or_one_host_confirm_nothing() {
        let mut sweep = ProbeSweep::default();
        for (i, id) in [
            0x1234, 0xd31b, 0x0042, 0x9e10, 0x5a5a, 0xfff0, 0x7c01, 0x3300,
        ]
        .into_iter()
        .enumerate()
        {
            assert_eq!(sweep.add(probe(id, i as i64, i as u8)), None);
        }
        // RTP's fixed first bytes to many hosts: one ID, no count.
        let mut fixed = ProbeSweep::default();
        for i in 0..10u8 {
            assert_eq!(fixed.add(probe(0x8000, i64::from(i), i)), None);
        }
        let mut one_host = ProbeSweep::default();
        for i in 0..10u16 {
            assert_eq!(one_host.add(probe(0x9b90 + 2 * i, i64::from(i), 1)), None);
        }
        assert_eq!(one_host.probes().len(), 1);
    }

    #[test]
    fn the_order_the_probes_arrive_in_does_not_change_when_it_held() {
        let probes: Vec<Probe> = (0..8u16)
            .map(|i| probe(0x9b90 + 2 * i, 100 + i64::from(i), i as u8))
            .collect();
        let mut forward = ProbeSweep::default();
        let mut backward = ProbeSweep::default();
        let told_forward: Vec<Timestamp> = probes.iter().filter_map(|p| forward.add(*p)).collect();
        let told_backward: Vec<Timestamp> = probes
            .iter()
            .rev()
            .filter_map(|p| backward.add(*p))
            .collect();
        let sixth = Timestamp(105 * Timestamp::NANOS_PER_SEC);
        assert_eq!(told_forward, [sixth]);
        // Seen backwards, the set holds first from the sixth latest probe
        // on, then earlier as the earlier probes come.
        assert_eq!(told_backward.last(), Some(&sixth));
        assert_eq!(forward.confirmed(), backward.confirmed());
    }
}
