//! Which flow the later fragments of an IP datagram belong to. Only the
//! first fragment carries the ports; the others are matched to it by
//! (source, destination, protocol, IP id). A datagram's fragments travel
//! together, so only recent datagrams need remembering: two generations of
//! at most `GENERATION` datagrams each, the older dropped whole when the
//! newer fills. Memory stays bounded (both maps keep their capacity) and
//! the latest `GENERATION` datagrams are always remembered. (One map
//! cleared at 4,096 entries forgot even a datagram just begun, and its
//! 4,096-entry table was 2 MB, the largest single allocation of a flow
//! table after its flows.)

use std::mem;
use std::net::IpAddr;

use rustc_hash::FxHashMap;

use super::FlowKey;

/// A datagram: (src, dst, protocol, IP id).
pub type DatagramId = (IpAddr, IpAddr, u8, u32);

/// Datagrams per generation.
const GENERATION: usize = 1024;

/// `V`: what a datagram belongs to (a flow's key in the flow table; a
/// record when frames are found again, `analysis::FlowFrames`).
pub struct FragmentMemory<V = FlowKey> {
    newer: FxHashMap<DatagramId, V>,
    older: FxHashMap<DatagramId, V>,
}

impl<V> Default for FragmentMemory<V> {
    fn default() -> Self {
        FragmentMemory {
            newer: FxHashMap::default(),
            older: FxHashMap::default(),
        }
    }
}

impl<V: Copy> FragmentMemory<V> {
    /// Remembers the flow of a datagram whose first fragment was seen.
    pub fn remember(&mut self, id: DatagramId, key: V) {
        if self.newer.len() >= GENERATION && !self.newer.contains_key(&id) {
            mem::swap(&mut self.newer, &mut self.older);
            self.newer.clear();
        }
        self.newer.insert(id, key);
    }

    /// The flow of a datagram's later fragment, if its first was seen.
    pub fn flow_of(&self, id: &DatagramId) -> Option<V> {
        self.newer.get(id).or_else(|| self.older.get(id)).copied()
    }

    pub fn clear(&mut self) {
        self.newer.clear();
        self.older.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::L4Proto;
    use crate::flow::Endpoint;

    fn datagram(n: u32) -> (DatagramId, FlowKey) {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let key = FlowKey::new(
            L4Proto::Udp,
            Endpoint { ip: a, port: 5000 },
            Endpoint {
                ip: b,
                port: (n % 60_000) as u16,
            },
        )
        .0;
        ((a, b, 17, n), key)
    }

    #[test]
    fn the_latest_generation_of_datagrams_is_always_remembered() {
        let mut m = FragmentMemory::default();
        let total = 5 * GENERATION as u32 + 17;
        for n in 0..total {
            let (id, key) = datagram(n);
            m.remember(id, key);
            // Every datagram of the last GENERATION is still known.
            let oldest_kept = (n + 1).saturating_sub(GENERATION as u32);
            for back in [oldest_kept, (oldest_kept + n) / 2, n] {
                let (id, key) = datagram(back);
                assert_eq!(m.flow_of(&id), Some(key), "datagram {back} after {n}");
            }
        }
        // Never more than two generations.
        assert!(m.newer.len() + m.older.len() <= 2 * GENERATION);
        assert_eq!(m.flow_of(&datagram(0).0), None);
    }

    #[test]
    fn a_datagram_seen_again_stays_in_its_generation() {
        let mut m = FragmentMemory::default();
        for n in 0..GENERATION as u32 {
            let (id, key) = datagram(n);
            m.remember(id, key);
        }
        // A repeated first fragment when the generation is full does not
        // start a new one.
        let (id, key) = datagram(3);
        m.remember(id, key);
        assert!(m.older.is_empty());
        assert_eq!(m.flow_of(&id), Some(key));
    }
}
