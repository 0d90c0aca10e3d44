//! One bidirectional flow and everything callpath learns about it.

use super::{Direction, DirectionStats, Endpoint, FlowHistograms, FlowKey};
use crate::capture::Timestamp;
use crate::decode::{L4Proto, TcpFlags};
use crate::dissect::facts::FlowFacts;
use crate::dissect::session_start::SessionStart;

/// Why a flow was written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// No packet for longer than the idle timeout (packet time).
    Idle,
    /// TCP closed with FIN from both sides or a RST.
    TcpClosed,
    /// Pushed out because the table reached its cap.
    Evicted,
    /// Still open when the capture ended.
    CaptureEnd,
    /// A packet opened a new session on its endpoint pair (UDP: the next
    /// call on a reused socket); that packet begins the next flow.
    NewSession,
}

impl EndReason {
    pub const ALL: [EndReason; 5] = [
        EndReason::Idle,
        EndReason::TcpClosed,
        EndReason::Evicted,
        EndReason::CaptureEnd,
        EndReason::NewSession,
    ];

    pub fn name(self) -> &'static str {
        match self {
            EndReason::Idle => "idle",
            EndReason::TcpClosed => "tcp_closed",
            EndReason::Evicted => "evicted",
            EndReason::CaptureEnd => "capture_end",
            EndReason::NewSession => "new_session",
        }
    }
}

#[derive(Debug)]
pub struct Flow {
    pub key: FlowKey,
    pub l4: L4Proto,
    /// Whether the endpoint that sent the first packet callpath saw (the
    /// originator) is the key's lower endpoint; the endpoints themselves
    /// live in the key only.
    orig_is_lo: bool,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Index 0: orig → resp; index 1: resp → orig.
    pub stats: [DirectionStats; 2],
    pub histograms: Option<Box<FlowHistograms>>,
    /// Frame number (in its capture file) of the flow's first packet.
    pub first_frame: u64,
    /// Which input file (0-based, in command-line order) the flow began in.
    pub file_index: u32,
    /// FIN from the originator, FIN from the responder, RST (`TCP_*`
    /// bits).
    tcp_ends: u8,
    /// The flow began with a packet that opened a new session on the
    /// endpoint pair of an earlier flow (`EndReason::NewSession`).
    pub new_session: Option<SessionStart>,
    pub end_reason: Option<EndReason>,
    /// Packet time at which the flow ended: its idle deadline, close linger,
    /// eviction or the capture's end. Flows are written in this order, which
    /// does not depend on how the work was spread over threads.
    pub end_time: Timestamp,
    /// The analysis clock at the flow's last packet (see `FlowTable`).
    pub last_clock: Timestamp,
    /// The MAC addresses of the originator and the responder, from the
    /// first packet's link header; zeros where it gave none (no Option:
    /// its flag would cost the flow 16 bytes).
    pub macs: [[u8; 6]; 2],
    pub facts: FlowFacts,
}

const TCP_FIN_FROM_ORIG: u8 = 1;
const TCP_FIN_FROM_RESP: u8 = 2;
const TCP_RST: u8 = 4;

impl Flow {
    pub fn new(key: FlowKey, l4: L4Proto, src: Endpoint, ts: Timestamp) -> Flow {
        Flow {
            key,
            l4,
            // A later fragment whose flow ended meanwhile starts a flow
            // without ports: its source address still tells the side.
            orig_is_lo: if src == key.lo || src == key.hi {
                src == key.lo
            } else {
                src.ip == key.lo.ip
            },
            first_seen: ts,
            last_seen: ts,
            stats: [DirectionStats::default(); 2],
            histograms: None,
            first_frame: 0,
            file_index: 0,
            tcp_ends: 0,
            new_session: None,
            end_reason: None,
            end_time: Timestamp(i64::MAX),
            last_clock: ts,
            macs: [[0; 6]; 2],
            facts: FlowFacts::default(),
        }
    }

    /// The MAC address of the end that sends in direction `dir`, if it is
    /// one host's: not a group's (multicast, broadcast), nor the zeros
    /// of a link that has none (loopback written as Ethernet).
    pub fn host_mac(&self, dir: Direction) -> Option<[u8; 6]> {
        let mac = *self.macs.get(dir.index())?;
        (mac[0] & 1 == 0 && mac != [0; 6]).then_some(mac)
    }

    /// The endpoint that sent the first packet callpath saw.
    pub fn orig(&self) -> Endpoint {
        if self.orig_is_lo {
            self.key.lo
        } else {
            self.key.hi
        }
    }

    /// The endpoint that answered (or was sent to).
    pub fn resp(&self) -> Endpoint {
        if self.orig_is_lo {
            self.key.hi
        } else {
            self.key.lo
        }
    }

    pub fn direction_of(&self, src: &Endpoint) -> Direction {
        if *src == self.orig() {
            Direction::FromOrig
        } else {
            Direction::FromResp
        }
    }

    /// `direction_of` a packet of this flow's key, from whether its source
    /// is the key's lower endpoint (`FlowKey::new`): the same answer
    /// without comparing addresses.
    pub fn direction_from_side(&self, src_is_lo: bool) -> Direction {
        if src_is_lo == self.orig_is_lo {
            Direction::FromOrig
        } else {
            Direction::FromResp
        }
    }

    pub fn packets(&self) -> u64 {
        self.stats.iter().map(|s| s.packets).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.stats.iter().map(|s| s.bytes).sum()
    }

    pub fn dir(&self, d: Direction) -> &DirectionStats {
        match d {
            Direction::FromOrig => &self.stats[0],
            Direction::FromResp => &self.stats[1],
        }
    }

    pub fn duration_secs(&self) -> f64 {
        self.last_seen.nanos_since(self.first_seen).max(0) as f64 / 1e9
    }

    /// Whether both directions carried packets.
    pub fn is_bidirectional(&self) -> bool {
        self.stats.iter().all(|s| s.packets > 0)
    }

    /// Records TCP flags; true once the connection is closed (both FINs or
    /// a RST).
    pub(crate) fn note_tcp(&mut self, dir: Direction, flags: TcpFlags) -> bool {
        if flags.rst {
            self.tcp_ends |= TCP_RST;
        }
        if flags.fin {
            self.tcp_ends |= match dir {
                Direction::FromOrig => TCP_FIN_FROM_ORIG,
                Direction::FromResp => TCP_FIN_FROM_RESP,
            };
        }
        self.is_tcp_closed()
    }

    pub fn is_tcp_closed(&self) -> bool {
        let both_fins = TCP_FIN_FROM_ORIG | TCP_FIN_FROM_RESP;
        self.tcp_ends & TCP_RST != 0 || self.tcp_ends & both_fins == both_fins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every active flow costs this much (plus its index entry); the memory
    /// budget is about 1 KB per active flow. Protocol facts are boxed and
    /// allocated only for flows that carry them.
    #[test]
    fn direction_from_side_is_direction_of() {
        let ep = |ip: &str, port| Endpoint {
            ip: ip.parse().unwrap(),
            port,
        };
        let ends = [
            ep("10.0.0.1", 5000),
            ep("10.0.0.1", 5001),
            ep("10.0.0.2", 80),
            ep("2001:db8::1", 443),
        ];
        for &first_src in &ends {
            for &first_dst in &ends {
                let (key, _) = FlowKey::new(L4Proto::Udp, first_src, first_dst);
                let flow = Flow::new(key, L4Proto::Udp, first_src, Timestamp(0));
                for (src, dst) in [(first_src, first_dst), (first_dst, first_src)] {
                    let (again, src_is_lo) = FlowKey::new(L4Proto::Udp, src, dst);
                    assert_eq!(again, key);
                    assert_eq!(
                        flow.direction_from_side(src_is_lo),
                        flow.direction_of(&src),
                        "{first_src} → {first_dst}, packet {src} → {dst}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_flow_stays_small() {
        assert!(
            std::mem::size_of::<Flow>() <= 256,
            "{}",
            std::mem::size_of::<Flow>()
        );
    }
}
