//! What the decoder extracts from one frame.

use std::net::IpAddr;

/// Transport protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum L4Proto {
    Udp,
    Tcp,
    Icmp,
    Icmpv6,
    Other(u8),
}

/// Written as its name (`udp`, `tcp`...), in text and in records.
impl std::fmt::Display for L4Proto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl serde::Serialize for L4Proto {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl L4Proto {
    pub fn name(self) -> &'static str {
        match self {
            L4Proto::Udp => "udp",
            L4Proto::Tcp => "tcp",
            L4Proto::Icmp => "icmp",
            L4Proto::Icmpv6 => "icmpv6",
            L4Proto::Other(_) => "ip",
        }
    }

    pub fn number(self) -> u8 {
        match self {
            L4Proto::Udp => 17,
            L4Proto::Tcp => 6,
            L4Proto::Icmp => 1,
            L4Proto::Icmpv6 => 58,
            L4Proto::Other(n) => n,
        }
    }

    pub fn from_number(n: u8) -> L4Proto {
        match n {
            17 => L4Proto::Udp,
            6 => L4Proto::Tcp,
            1 => L4Proto::Icmp,
            58 => L4Proto::Icmpv6,
            other => L4Proto::Other(other),
        }
    }

    pub fn has_ports(self) -> bool {
        matches!(self, L4Proto::Udp | L4Proto::Tcp)
    }
}

/// The TCP flags callpath acts on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

impl TcpFlags {
    /// From byte 13 of a TCP header (RFC 9293 3.1).
    pub fn from_header_byte(flags: u8) -> TcpFlags {
        TcpFlags {
            fin: flags & 0x01 != 0,
            syn: flags & 0x02 != 0,
            rst: flags & 0x04 != 0,
            ack: flags & 0x10 != 0,
        }
    }
}

/// Where an IP fragment sits in its datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// Not fragmented.
    Whole,
    /// The first fragment: carries the transport header, so it is
    /// attributed to its flow.
    First { id: u32 },
    /// A later fragment: no transport header; the flow table attributes it
    /// through the first fragment's id when it has seen it. `offset`: where
    /// its bytes start in the datagram's IP payload, in 8-byte units; `more`:
    /// the more-fragments flag (clear on the last). A UDP fragment's bytes
    /// are its view's payload (for reassembly); a TCP one's are not read.
    Later { id: u32, offset: u16, more: bool },
}

/// One decoded IP packet, borrowing the frame's bytes.
#[derive(Clone, Copy, Debug)]
pub struct PacketView<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// Ports are 0 for protocols without them (and for later fragments).
    pub src_port: u16,
    pub dst_port: u16,
    pub l4: L4Proto,
    /// Transport payload as captured (may be cut short by the snap length).
    pub payload: &'a [u8],
    pub tcp: Option<TcpFlags>,
    /// TCP sequence number of the first payload byte (0 for UDP).
    pub tcp_seq: u32,
    pub fragment: Fragment,
    /// What tells a copy of this packet (a mirror port's second copy, or
    /// the same packet captured on both sides of a router) from the next
    /// packet of its flow; zero where not read.
    pub marks: DuplicateMarks,
    /// The MAC addresses its link header gave: which device sent or
    /// received it, whatever IP address it used.
    pub macs: LinkAddresses<'a>,
}

/// The MAC addresses in a packet's link header, where they are kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinkAddresses<'a> {
    #[default]
    None,
    /// An Ethernet header's destination, then source.
    Ethernet(&'a [u8; 12]),
    /// A Linux cooked capture's packet the capturing host sent (`true`)
    /// or received: the header names no receiver, but says whether the
    /// packet was the host's own, on whichever interface.
    CapturingHost { sent: bool },
}

/// The address that stands for the capturing host in a Linux cooked
/// capture: a locally administered unicast MAC, so that it ties the
/// host's addresses as a network card's MAC does.
pub const CAPTURING_HOST: [u8; 6] = [0x06, 0x63, 0x70, 0x68, 0x6f, 0x73];

impl LinkAddresses<'_> {
    /// The sender's and the receiver's addresses; one the header does not
    /// give is all zeros.
    pub fn sender_receiver(self) -> Option<[[u8; 6]; 2]> {
        match self {
            LinkAddresses::None => None,
            LinkAddresses::Ethernet(m) => {
                let (dst, src) = m.split_first_chunk::<6>()?;
                Some([*src.first_chunk::<6>()?, *dst])
            }
            LinkAddresses::CapturingHost { sent: true } => Some([CAPTURING_HOST, [0; 6]]),
            LinkAddresses::CapturingHost { sent: false } => Some([[0; 6], CAPTURING_HOST]),
        }
    }
}

/// A packet's IPv4 identification (0 for IPv6) and its UDP or TCP
/// checksum, which covers the payload (0: none sent, or not read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DuplicateMarks {
    pub ipv4_id: u16,
    pub checksum: u16,
}

impl<'a> PacketView<'a> {
    /// A packet between two addresses, before its transport header is read:
    /// no ports, flags or sequence number yet.
    pub fn between(
        src: IpAddr,
        dst: IpAddr,
        l4: L4Proto,
        payload: &'a [u8],
        fragment: Fragment,
    ) -> PacketView<'a> {
        PacketView {
            src,
            dst,
            src_port: 0,
            dst_port: 0,
            l4,
            payload,
            tcp: None,
            tcp_seq: 0,
            fragment,
            marks: DuplicateMarks::default(),
            macs: LinkAddresses::None,
        }
    }
}

/// Why a frame was not turned into a [`PacketView`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// The capture's link type is not one callpath decodes.
    UnsupportedLinkType,
    /// ARP, LLDP, STP and other frames that carry no IP.
    NotIp,
    /// The frame ends before a complete IP header.
    Truncated,
    /// Headers that contradict themselves.
    Malformed,
    /// 802.11 frames whose body is still encrypted (WEP, WPA).
    Encrypted,
    /// 802.11 A-MSDUs: several packets in one frame, not split.
    Aggregated,
    /// Frames the radio received with a bad checksum (radiotap's flag).
    BadFcs,
    /// Packets `--filter` does not match.
    FilteredOut,
    /// Later IP fragments whose first fragment (with the ports) was not
    /// seen: no flow to count them in.
    FragmentWithoutFirst,
    /// Copies of the packet right before them on their flow
    /// (`flow::duplicates`).
    Duplicate,
}

impl SkipReason {
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::UnsupportedLinkType => "unsupported_link_type",
            SkipReason::NotIp => "not_ip",
            SkipReason::Truncated => "truncated",
            SkipReason::Malformed => "malformed",
            SkipReason::Encrypted => "encrypted_wifi",
            SkipReason::Aggregated => "aggregated_wifi",
            SkipReason::BadFcs => "bad_fcs",
            SkipReason::FilteredOut => "filtered_out",
            SkipReason::FragmentWithoutFirst => "fragment_without_first",
            SkipReason::Duplicate => "duplicate",
        }
    }

    pub const ALL: [SkipReason; 10] = [
        SkipReason::UnsupportedLinkType,
        SkipReason::NotIp,
        SkipReason::Truncated,
        SkipReason::Malformed,
        SkipReason::Encrypted,
        SkipReason::Aggregated,
        SkipReason::BadFcs,
        SkipReason::FilteredOut,
        SkipReason::FragmentWithoutFirst,
        SkipReason::Duplicate,
    ];

    /// What the reason means, for people (`name` is the machine's word).
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::UnsupportedLinkType => "a link type callpath does not decode",
            SkipReason::NotIp => {
                "no IP inside (ARP, LLDP, spanning tree, Wi-Fi management and control frames and the like)"
            }
            SkipReason::Truncated => "cut before a whole IP header",
            SkipReason::Malformed => "headers that contradict themselves",
            SkipReason::Encrypted => {
                "encrypted Wi-Fi frames: decrypt the capture first (Wireshark with the network's key, or airdecap-ng)"
            }
            SkipReason::Aggregated => "Wi-Fi A-MSDU frames (several packets in one frame), not split",
            SkipReason::BadFcs => "Wi-Fi frames the radio received with a bad checksum",
            SkipReason::FilteredOut => "not matched by --filter",
            SkipReason::FragmentWithoutFirst => {
                "later IP fragments whose first fragment (with the ports) was not captured"
            }
            SkipReason::Duplicate => {
                "copies of the packet just before them on their flow (the same payload, checksum and IPv4 id, under 1 ms later: a mirror port copying both directions, a capture on every interface (-i any) seeing it cross a bridge, or one packet captured on both sides of a router), counted once; --keep-duplicates counts them"
            }
        }
    }

    /// The reason `name` names, as the summary counts them.
    pub fn named(name: &str) -> Option<SkipReason> {
        SkipReason::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// The decoder's answer for one frame.
#[derive(Clone, Copy, Debug)]
pub enum Decoded<'a> {
    Packet(PacketView<'a>),
    Skipped(SkipReason),
}
