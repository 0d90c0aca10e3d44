//! Link-layer types callpath decodes (tcpdump.org/linktypes.html numbers).

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    Null,
    /// OpenBSD loopback: 4-byte address family in network byte order.
    Loop,
    Ethernet,
    /// PPP with an optional FF 03 address/control prefix.
    Ppp,
    /// Cisco HDLC: address, control, EtherType.
    CiscoHdlc,
    /// FDDI: a 13-byte MAC header, then LLC/SNAP (old campus backbones).
    Fddi,
    /// Raw IP (v4 or v6 told by the version nibble).
    RawIp,
    RawIpv4,
    RawIpv6,
    /// Linux cooked capture v1 (16-byte header).
    LinuxSll,
    /// Linux cooked capture v2 (20-byte header).
    LinuxSll2,
    /// Apple's PKTAP (macOS `tcpdump -i pktap`, iPhones through `rvictl`):
    /// a header naming the packet's own link type, then the packet.
    Pktap,
    /// IEEE 802.11 frames (decrypted captures, e.g. airdecap-ng's output).
    Ieee80211,
    /// 802.11 frames behind a radiotap header (monitor mode).
    Radiotap,
    /// Per-Packet Information header naming the link type that follows.
    Ppi,
    /// Linux NFLOG: packets an iptables/nftables rule logged.
    Nflog,
    Unsupported(i32),
}

impl LinkType {
    pub fn from_code(code: i32) -> LinkType {
        match code {
            0 => LinkType::Null,
            108 => LinkType::Loop,
            1 => LinkType::Ethernet,
            9 | 50 => LinkType::Ppp,
            104 => LinkType::CiscoHdlc,
            10 => LinkType::Fddi,
            // 12 and 14 are DLT_RAW on some BSDs; 101 is LINKTYPE_RAW.
            12 | 14 | 101 => LinkType::RawIp,
            228 => LinkType::RawIpv4,
            229 => LinkType::RawIpv6,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            // LINKTYPE_PKTAP; 149 is DLT_PKTAP on Darwin (DLT_USER2
            // elsewhere: its header is checked before it is trusted).
            258 | 149 => LinkType::Pktap,
            105 => LinkType::Ieee80211,
            127 => LinkType::Radiotap,
            192 => LinkType::Ppi,
            239 => LinkType::Nflog,
            other => LinkType::Unsupported(other),
        }
    }

    pub fn code(self) -> i32 {
        match self {
            LinkType::Null => 0,
            LinkType::Loop => 108,
            LinkType::Ethernet => 1,
            LinkType::Ppp => 9,
            LinkType::CiscoHdlc => 104,
            LinkType::Fddi => 10,
            LinkType::RawIp => 101,
            LinkType::RawIpv4 => 228,
            LinkType::RawIpv6 => 229,
            LinkType::LinuxSll => 113,
            LinkType::LinuxSll2 => 276,
            LinkType::Pktap => 258,
            LinkType::Ieee80211 => 105,
            LinkType::Radiotap => 127,
            LinkType::Ppi => 192,
            LinkType::Nflog => 239,
            LinkType::Unsupported(c) => c,
        }
    }
}
