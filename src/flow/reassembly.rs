//! UDP datagrams that IP fragmentation split, put back together for the
//! dissectors. A SIP INVITE whose SDP takes it past the link's MTU, or a
//! large DNS answer, arrives as a first fragment (with the ports) and later
//! ones: dissected apart, the SIP message's body is cut short of its
//! Content-Length and the SDP that names the media ports is lost. The
//! flow table still counts every fragment as a packet; the dissectors see
//! the first fragment as it comes, and the whole datagram once complete.
//!
//! Only fragments that follow their first one are joined (the flow table
//! attributes later fragments through it). Memory is bounded: at most
//! `MAX_PENDING` datagrams wait at once, the oldest dropped for a new one,
//! and a datagram may not exceed UDP's 65,527 bytes of payload; a
//! datagram that never completes is dropped unseen by the dissectors.

use std::collections::VecDeque;

use super::fragments::DatagramId;

/// Datagrams waiting for fragments at once (per flow table).
const MAX_PENDING: usize = 64;
/// Largest UDP payload: 65,535 bytes of IPv4 total length, less the
/// 20-byte IP and 8-byte UDP headers.
const MAX_PAYLOAD: usize = 65_507;
/// The UDP header, which only the first fragment carries.
const UDP_HEADER: usize = 8;

struct Pending {
    id: DatagramId,
    /// The first fragment's frame number: the datagram's in evidence.
    frame: u64,
    /// Parts as (start in the UDP payload, bytes), in arrival order.
    parts: Vec<(usize, Vec<u8>)>,
    /// The payload's length, once the last fragment is seen.
    total: Option<usize>,
}

/// A datagram whose fragments all arrived.
pub struct Reassembled {
    pub frame: u64,
    pub payload: Vec<u8>,
}

#[derive(Default)]
pub struct Reassembly {
    pending: VecDeque<Pending>,
}

impl Reassembly {
    /// A first fragment, with the UDP payload it holds.
    pub fn first(&mut self, id: DatagramId, frame: u64, payload: &[u8]) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(Pending {
            id,
            frame,
            parts: vec![(0, payload.to_vec())],
            total: None,
        });
    }

    /// A later fragment: `offset` in 8-byte units of the IP payload,
    /// `more` its more-fragments flag. Returns the datagram when this
    /// fragment completes it.
    pub fn later(
        &mut self,
        id: &DatagramId,
        offset: u16,
        more: bool,
        bytes: &[u8],
    ) -> Option<Reassembled> {
        // The newest datagram with the id (an id comes round again).
        let at = self.pending.iter().rposition(|p| p.id == *id)?;
        let start = (usize::from(offset) * 8).checked_sub(UDP_HEADER);
        let pending = self.pending.get_mut(at)?;
        let end = start.map(|s| s + bytes.len());
        let fits = end.is_some_and(|e| e <= MAX_PAYLOAD)
            && (more || pending.total.is_none())
            && pending.total.is_none_or(|t| end.is_some_and(|e| e <= t));
        let (Some(start), Some(end), true) = (start, end, fits) else {
            // Before the UDP header's end, too long, or a second last
            // fragment: not a datagram to dissect.
            self.pending.remove(at);
            return None;
        };
        if !more {
            pending.total = Some(end);
        }
        pending.parts.push((start, bytes.to_vec()));
        let total = pending.total?;
        if !covers(&pending.parts, total) {
            return None;
        }
        let done = self.pending.remove(at)?;
        let mut payload = vec![0; total];
        for (start, bytes) in &done.parts {
            if let Some(dest) = payload.get_mut(*start..start + bytes.len()) {
                dest.copy_from_slice(bytes);
            }
        }
        Some(Reassembled {
            frame: done.frame,
            payload,
        })
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }
}

/// Whether the parts leave no gap in `0..total`.
fn covers(parts: &[(usize, Vec<u8>)], total: usize) -> bool {
    let mut spans: Vec<(usize, usize)> = parts.iter().map(|(s, b)| (*s, s + b.len())).collect();
    spans.sort_unstable();
    let mut reached = 0;
    for (start, end) in spans {
        if start > reached {
            return false;
        }
        reached = reached.max(end);
    }
    reached >= total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> DatagramId {
        let a = "10.0.0.1".parse().unwrap();
        let b = "10.0.0.2".parse().unwrap();
        (a, b, 17, n)
    }

    /// A later fragment's offset (8-byte units), more flag and bytes.
    type Later = (u16, bool, Vec<u8>);

    /// A payload cut as IP fragments of `per` bytes of IP payload (a
    /// multiple of 8): the first's UDP payload, then the later fragments.
    fn fragments(payload: &[u8], per: usize) -> (Vec<u8>, Vec<Later>) {
        let first_len = per - UDP_HEADER;
        let first = payload[..first_len].to_vec();
        let mut later = Vec::new();
        let mut at = first_len;
        while at < payload.len() {
            let end = (at + per).min(payload.len());
            let offset = ((at + UDP_HEADER) / 8) as u16;
            later.push((offset, end < payload.len(), payload[at..end].to_vec()));
            at = end;
        }
        (first, later)
    }

    #[test]
    fn fragments_in_order_or_not_give_the_datagram_once() {
        let payload: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
        let (first, later) = fragments(&payload, 1480);
        assert_eq!(later.len(), 2);
        let mut r = Reassembly::default();
        r.first(id(1), 7, &first);
        assert!(r
            .later(&id(1), later[0].0, later[0].1, &later[0].2)
            .is_none());
        let done = r
            .later(&id(1), later[1].0, later[1].1, &later[1].2)
            .unwrap();
        assert_eq!((done.frame, done.payload), (7, payload.clone()));
        assert!(r.pending.is_empty());
        // The last fragment before the middle one.
        r.first(id(2), 9, &first);
        assert!(r
            .later(&id(2), later[1].0, later[1].1, &later[1].2)
            .is_none());
        let done = r
            .later(&id(2), later[0].0, later[0].1, &later[0].2)
            .unwrap();
        assert_eq!(done.payload, payload);
    }

    #[test]
    fn unknown_lost_or_bad_fragments_give_nothing() {
        let payload = vec![5u8; 2000];
        let (first, later) = fragments(&payload, 1000);
        let mut r = Reassembly::default();
        // No first fragment seen.
        assert!(r
            .later(&id(3), later[0].0, later[0].1, &later[0].2)
            .is_none());
        // A middle fragment lost: the last one does not complete it.
        let (first3, later3) = fragments(&vec![1u8; 2500], 808);
        r.first(id(4), 1, &first3);
        let last = later3.last().unwrap();
        assert!(r.later(&id(4), last.0, last.1, &last.2).is_none());
        // A fragment inside the UDP header drops the datagram.
        r.first(id(5), 1, &first);
        assert!(r.later(&id(5), 0, false, &[1, 2]).is_none());
        assert!(r
            .later(&id(5), later[0].0, later[0].1, &later[0].2)
            .is_none());
        // Beyond UDP's largest payload.
        r.first(id(6), 1, &first);
        assert!(r.later(&id(6), 8191, false, &[0; 100]).is_none());
    }

    #[test]
    fn waiting_datagrams_are_bounded() {
        let (first, later) = fragments(&[3u8; 1600], 1000);
        let mut r = Reassembly::default();
        for n in 0..(MAX_PENDING as u32 + 10) {
            r.first(id(n), u64::from(n), &first);
        }
        assert_eq!(r.pending.len(), MAX_PENDING);
        // The oldest were dropped; the newest completes.
        assert!(r
            .later(&id(0), later[0].0, later[0].1, &later[0].2)
            .is_none());
        let newest = MAX_PENDING as u32 + 9;
        assert!(r
            .later(&id(newest), later[0].0, later[0].1, &later[0].2)
            .is_some());
    }
}
