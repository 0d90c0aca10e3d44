//! Link-layer demultiplexing, chosen by the capture's link type, then IP
//! and transport slicing with etherparse.

use std::net::IpAddr;

use etherparse::{
    EtherType, IpNumber, Ipv6ExtensionSlice, Ipv6ExtensionsSlice, LaxNetSlice, LaxSlicedPacket,
    TransportSlice,
};

use super::llc::{self, Llc};
use super::packet::{
    Decoded, DuplicateMarks, Fragment, L4Proto, LinkAddresses, PacketView, SkipReason, TcpFlags,
};
use super::tunnel::{self, Inner};
use super::wifi::{self, WifiPayload};
use super::{bridge_tags, nflog};
use crate::capture::{pktap_process, LinkType};

/// How many tunnel layers callpath unwraps (IP in IP: 4in4, 6in4, 4in6,
/// 6in6; and those of `tunnel`).
const MAX_TUNNEL_DEPTH: u8 = 2;

/// FDDI's MAC header: frame control and two 6-byte addresses (ANSI X3.139).
const FDDI_HEADER: usize = 13;

/// Decodes one captured frame of the given link type.
pub fn decode(link: LinkType, data: &[u8]) -> Decoded<'_> {
    // Where each link header keeps its EtherType, and where its payload starts.
    let (type_at, payload_at) = match link {
        LinkType::Ethernet => return from_ethernet(data),
        LinkType::LinuxSll => (14, 16),
        LinkType::LinuxSll2 => (0, 20),
        LinkType::CiscoHdlc => (2, 4),
        LinkType::RawIp | LinkType::RawIpv4 | LinkType::RawIpv6 => return from_ip(data, 0),
        // The 4-byte address family says v4 or v6; the version nibble of the
        // IP header says the same thing in a byte-order-independent way.
        LinkType::Null | LinkType::Loop => return from_ip(data.get(4..).unwrap_or(&[]), 0),
        LinkType::Ppp => return from_ppp(data, 0),
        LinkType::Fddi => return from_fddi(data),
        LinkType::Pktap => return from_pktap(data),
        LinkType::Ieee80211 => return from_wifi(wifi::ieee80211(data)),
        LinkType::Radiotap => return from_wifi(wifi::radiotap(data)),
        LinkType::Ppi => return from_ppi(data),
        LinkType::Nflog => {
            return match nflog::payload(data) {
                Some(ip) => from_ip(ip, 0),
                None if data.len() < 4 => Decoded::Skipped(SkipReason::Truncated),
                None => Decoded::Skipped(SkipReason::NotIp),
            }
        }
        LinkType::Unsupported(_) => return Decoded::Skipped(SkipReason::UnsupportedLinkType),
    };
    match (data.get(type_at..type_at + 2), data.get(payload_at..)) {
        (Some(&[hi, lo]), Some(rest)) => {
            let mut decoded = from_ether_type(u16::from_be_bytes([hi, lo]), rest, 0);
            if let Decoded::Packet(ref mut view) = decoded {
                view.macs = cooked_capturing_host(link, data);
            }
            decoded
        }
        _ => Decoded::Skipped(SkipReason::Truncated),
    }
}

/// An Ethernet frame, with its MAC addresses.
#[inline(always)]
fn from_ethernet(data: &[u8]) -> Decoded<'_> {
    let (Some(macs), Some(&[hi, lo]), Some(rest)) =
        (data.first_chunk(), data.get(12..14), data.get(14..))
    else {
        return Decoded::Skipped(SkipReason::Truncated);
    };
    let mut decoded = from_ether_type(u16::from_be_bytes([hi, lo]), rest, 0);
    if let Decoded::Packet(ref mut view) = decoded {
        view.macs = LinkAddresses::Ethernet(macs);
    }
    decoded
}

/// Whether a Linux cooked capture's packet was one the capturing host
/// sent or received (packet types PACKET_OUTGOING and PACKET_HOST), on
/// any interface but loopback. The header gives the sender's MAC only,
/// and an "any" capture spans interfaces: the host itself is what ties
/// its addresses (Wi-Fi, mobile data, a tunnel's inner address).
fn cooked_capturing_host(link: LinkType, data: &[u8]) -> LinkAddresses<'static> {
    // Where the header keeps the packet type and the interface's link
    // type (an ARPHRD_ number); SLL2 puts the protocol and the interface
    // index first, and its packet type in one byte.
    let (packet_type, arphrd) = match link {
        LinkType::LinuxSll => (data.first_chunk().map(|t| u16::from_be_bytes(*t)), 2),
        LinkType::LinuxSll2 => (data.get(10).map(|&t| u16::from(t)), 8),
        _ => return LinkAddresses::None,
    };
    const ARPHRD_LOOPBACK: [u8; 2] = 772u16.to_be_bytes();
    if data.get(arphrd..arphrd + 2) == Some(&ARPHRD_LOOPBACK) {
        return LinkAddresses::None;
    }
    match packet_type {
        Some(0) => LinkAddresses::CapturingHost { sent: false },
        Some(4) => LinkAddresses::CapturingHost { sent: true },
        _ => LinkAddresses::None,
    }
}

/// FDDI: frame control, destination and source, then LLC/SNAP.
#[inline(never)]
fn from_fddi(data: &[u8]) -> Decoded<'_> {
    match llc::snap(data.get(FDDI_HEADER..).unwrap_or(&[])) {
        Llc::EtherType(ether_type, rest) => from_ether_type(ether_type, rest, 0),
        Llc::Other if data.len() > FDDI_HEADER => Decoded::Skipped(SkipReason::NotIp),
        Llc::Other | Llc::Truncated => Decoded::Skipped(SkipReason::Truncated),
    }
}

/// Apple's PKTAP header (little-endian: its length, at least 108 bytes;
/// the record type, 1 for a packet; the packet's own link type), then the
/// packet (tcpdump's print-pktap.c, Wireshark's packet-pktap.c).
///
/// Out of line, as are the other rarer link types' decoders: inlined into
/// `decode`, their calls made it save and restore registers on every
/// Ethernet packet (~15 instructions a packet, cachegrind on the reference
/// capture).
#[inline(never)]
fn from_pktap(data: &[u8]) -> Decoded<'_> {
    let Some(header) = data.first_chunk::<12>() else {
        return Decoded::Skipped(SkipReason::Truncated);
    };
    let field = |at: usize| {
        header
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    };
    let (length, record, dlt) = (field(0) as usize, field(4), field(8));
    let link = i32::try_from(dlt).map_or(LinkType::Unsupported(-1), LinkType::from_code);
    match data.get(length..) {
        Some(packet) if length >= pktap_process::MIN_HEADER && record == 1 && !is_wrapper(link) => {
            decode(link, packet)
        }
        _ => Decoded::Skipped(SkipReason::UnsupportedLinkType),
    }
}

/// Decodes what a Wi-Fi data frame carries as an Ethernet frame's payload.
fn from_wifi(payload: WifiPayload<'_>) -> Decoded<'_> {
    match payload {
        WifiPayload::EtherType(ether_type, rest) => from_ether_type(ether_type, rest, 0),
        WifiPayload::NotIp => Decoded::Skipped(SkipReason::NotIp),
        WifiPayload::Encrypted => Decoded::Skipped(SkipReason::Encrypted),
        WifiPayload::Aggregated => Decoded::Skipped(SkipReason::Aggregated),
        WifiPayload::BadFcs => Decoded::Skipped(SkipReason::BadFcs),
        WifiPayload::Truncated => Decoded::Skipped(SkipReason::Truncated),
    }
}

/// Link headers that name the link type of what follows: one never wraps
/// another (a frame of them nested could recurse as deep as it is long).
fn is_wrapper(link: LinkType) -> bool {
    matches!(link, LinkType::Pktap | LinkType::Ppi)
}

/// A PPI header, then a packet of the link type it names (802.11 in
/// practice).
#[inline(never)]
fn from_ppi(data: &[u8]) -> Decoded<'_> {
    match wifi::ppi(data) {
        Some((code, packet)) => match LinkType::from_code(code) {
            link if is_wrapper(link) => Decoded::Skipped(SkipReason::Malformed),
            link => decode(link, packet),
        },
        None if data.len() < 8 => Decoded::Skipped(SkipReason::Truncated),
        None => Decoded::Skipped(SkipReason::Malformed),
    }
}

/// Decodes what a tunnel carries, `depth` tunnels down.
fn from_inner(inner: Inner<'_>, depth: u8) -> Decoded<'_> {
    match inner {
        Inner::Ip(ip) => from_ip(ip, depth),
        Inner::Ppp(ppp) => from_ppp(ppp, depth),
        Inner::Ethernet(frame) => match (frame.get(12..14), frame.get(14..)) {
            (Some(&[hi, lo]), Some(rest)) => {
                from_ether_type(u16::from_be_bytes([hi, lo]), rest, depth)
            }
            _ => Decoded::Skipped(SkipReason::Truncated),
        },
    }
}

/// MPLS unicast and multicast EtherTypes (RFC 3032).
const MPLS: [u16; 2] = [0x8847, 0x8848];
/// Most MPLS labels callpath pops before giving up.
const MAX_MPLS_LABELS: usize = 8;
/// Largest value of an 802.3 length field; larger ones are EtherTypes.
const MAX_8023_LENGTH: u16 = 1500;
/// Most layers of VLAN tags, bridge tags and LLC/SNAP headers unwrapped
/// before an EtherType callpath reads (each takes bytes, but a frame of
/// them must not make the decoder loop long).
const MAX_LINK_WRAPPERS: usize = 4;

/// Decodes what follows an EtherType: the common case (IP behind at most
/// two VLAN tags) in place; then MPLS label stacks, PPPoE, 802.3 frames
/// with LLC/SNAP, and bridge tags (which etherparse does not know), behind
/// VLAN tags too; the rest through etherparse.
fn from_ether_type(ether_type: u16, rest: &[u8], depth: u8) -> Decoded<'_> {
    if let Some(view) = plain_ether(ether_type, rest) {
        return Decoded::Packet(view);
    }
    let (mut ether_type, mut rest) = (ether_type, rest);
    for _ in 0..MAX_LINK_WRAPPERS {
        let Some((inner_type, body)) = after_vlan_tags(ether_type, rest) else {
            break;
        };
        let unwrapped = match inner_type {
            PPPOE_SESSION => return from_pppoe(body, depth),
            t if MPLS.contains(&t) => return from_mpls(body, depth),
            // An 802.3 length: the frame's body, then Ethernet padding.
            length if length <= MAX_8023_LENGTH => {
                match llc::snap(body.get(..usize::from(length)).unwrap_or(body)) {
                    Llc::EtherType(t, after) => Some((t, after)),
                    Llc::Other => return Decoded::Skipped(SkipReason::NotIp),
                    Llc::Truncated => return Decoded::Skipped(SkipReason::Truncated),
                }
            }
            tagged => bridge_tags::unwrap(tagged, body),
        };
        let Some((t, body)) = unwrapped else { break };
        (ether_type, rest) = (t, body);
    }
    from_sliced(
        &LaxSlicedPacket::from_ether_type(EtherType(ether_type), rest),
        depth,
    )
}

/// An MPLS label stack (RFC 3032) down to the label with bottom-of-stack
/// set, then IP told by its version nibble, or a pseudowire's control word
/// (first nibble 0, RFC 4385) and the Ethernet frame it carries (RFC 4448).
fn from_mpls(mut body: &[u8], depth: u8) -> Decoded<'_> {
    for _ in 0..MAX_MPLS_LABELS {
        let Some((label, after)) = body.split_first_chunk::<4>() else {
            return Decoded::Skipped(SkipReason::Truncated);
        };
        body = after;
        if label[2] & 0x01 == 0 {
            continue;
        }
        return match body.first().map(|b| b >> 4) {
            Some(0) if depth < MAX_TUNNEL_DEPTH => match body.get(4..) {
                Some(frame) => from_inner(Inner::Ethernet(frame), depth + 1),
                None => Decoded::Skipped(SkipReason::Truncated),
            },
            _ => from_ip(body, depth),
        };
    }
    Decoded::Skipped(SkipReason::Malformed)
}

/// PPPoE session stage (RFC 2516 §4): DSL subscribers' traffic as an
/// access network or its uplink carries it.
const PPPOE_SESSION: u16 = 0x8864;

/// The EtherType and body after at most `MAX_VLAN_TAGS` VLAN tags, for
/// the slow path (None when a tag is cut). `plain_ether` walks the tags itself, asking for IP
/// first: built on this, the packet path took ~19 instructions more a
/// packet (cachegrind on the reference capture, 3.996 → 4.035 G).
fn after_vlan_tags(mut ether_type: u16, mut rest: &[u8]) -> Option<(u16, &[u8])> {
    for _ in 0..MAX_VLAN_TAGS {
        if !VLAN.contains(&ether_type) {
            break;
        }
        let (tag, inner) = rest.split_first_chunk::<4>()?;
        ether_type = u16::from_be_bytes([tag[2], tag[3]]);
        rest = inner;
    }
    Some((ether_type, rest))
}

/// A PPPoE session packet: version and type 1 (0x11), code 0, session id,
/// the PPP frame's length, then the frame (RFC 2516 §4).
fn from_pppoe(data: &[u8], depth: u8) -> Decoded<'_> {
    let Some((header, rest)) = data.split_first_chunk::<6>() else {
        return Decoded::Skipped(SkipReason::Truncated);
    };
    if header[0] != 0x11 || header[1] != 0 {
        return Decoded::Skipped(SkipReason::Malformed);
    }
    let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    // Ethernet padding may follow the frame.
    from_ppp(rest.get(..len).unwrap_or(rest), depth)
}

/// VLAN tags (802.1Q, and 802.1ad outer tags) before IP: a tag costs no
/// more than reading past it.
const VLAN: [u16; 2] = [0x8100, 0x88a8];
/// Most VLAN tags read in place (an outer and an inner one).
const MAX_VLAN_TAGS: usize = 2;

/// An IPv4 or IPv6 datagram of UDP or TCP read in place, behind at most
/// two VLAN tags; anything else is left to etherparse.
#[inline(always)]
fn plain_ether(mut ether_type: u16, mut rest: &[u8]) -> Option<PacketView<'_>> {
    for _ in 0..=MAX_VLAN_TAGS {
        match ether_type {
            0x0800 => return plain_ipv4(rest),
            0x86dd => return plain_ipv6(rest),
            t if VLAN.contains(&t) => {
                let (tag, inner) = rest.split_first_chunk::<4>()?;
                ether_type = u16::from_be_bytes([tag[2], tag[3]]);
                rest = inner;
            }
            _ => return None,
        }
    }
    None
}

/// The common case read in place: an IPv4 datagram (or fragment) of UDP or
/// TCP that fits its frame (bytes after it are padding). Anything else —
/// a cut datagram, other protocols, tunnels — returns `None`
/// and goes through etherparse. For the packets it takes, the answer is the
/// one etherparse gives (a test checks this on every corpus packet); it
/// exists because slicing the full `LaxSlicedPacket` per packet was the
/// largest part of decoding. Inlined with `plain_ether` and
/// `plain_transport`: as calls, each handed its view back by copy.
#[inline(always)]
fn plain_ipv4(ip: &[u8]) -> Option<PacketView<'_>> {
    let header: &[u8; 20] = ip.first_chunk()?;
    let ihl = usize::from(header[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let flags_offset = u16::from_be_bytes([header[6], header[7]]);
    if header[0] >> 4 != 4 || ihl < 20 || total < ihl || total > ip.len() {
        return None;
    }
    let payload = ip.get(ihl..total)?;
    let src = IpAddr::V4(std::net::Ipv4Addr::new(
        header[12], header[13], header[14], header[15],
    ));
    let dst = IpAddr::V4(std::net::Ipv4Addr::new(
        header[16], header[17], header[18], header[19],
    ));
    // Fragments (more-fragments flag or an offset) of UDP and TCP: the
    // first one shows the ports, later ones only the datagram's id.
    if flags_offset & 0x3fff != 0 {
        let l4 = match header[9] {
            17 => L4Proto::Udp,
            6 => L4Proto::Tcp,
            _ => return None,
        };
        let id = u32::from(u16::from_be_bytes([header[4], header[5]]));
        let offset = flags_offset & 0x1fff;
        if offset == 0 {
            let mut view = PacketView::between(src, dst, l4, &[], Fragment::First { id });
            first_fragment_ports(&mut view, payload);
            return Some(view);
        }
        let more = flags_offset & 0x2000 != 0;
        let bytes = if l4 == L4Proto::Udp { payload } else { &[] };
        let later = Fragment::Later { id, offset, more };
        return Some(PacketView::between(src, dst, l4, bytes, later));
    }
    let ipv4_id = u16::from_be_bytes([header[4], header[5]]);
    plain_transport(src, dst, header[9], payload, ipv4_id)
}

/// An IPv6 datagram whose next header is UDP or TCP (no extension headers)
/// and whose payload fits the frame (bytes after it are padding, as for
/// etherparse), read in place like `plain_ipv4`.
fn plain_ipv6(ip: &[u8]) -> Option<PacketView<'_>> {
    let header: &[u8; 40] = ip.first_chunk()?;
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    // Zero: a jumbogram or a stray header; etherparse decides.
    if header[0] >> 4 != 6 || payload_len == 0 {
        return None;
    }
    let payload = ip.get(40..40 + payload_len)?;
    let address = |at: usize| -> Option<IpAddr> {
        let octets: [u8; 16] = header.get(at..at + 16)?.try_into().ok()?;
        Some(IpAddr::V6(std::net::Ipv6Addr::from(octets)))
    };
    plain_transport(address(8)?, address(24)?, header[6], payload, 0)
}

/// A whole (unfragmented) UDP or TCP segment in `payload`, as `plain_ipv4`
/// and `plain_ipv6` take them.
#[inline(always)]
fn plain_transport<'a>(
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    payload: &'a [u8],
    ipv4_id: u16,
) -> Option<PacketView<'a>> {
    let port = |at: usize| -> Option<u16> {
        Some(u16::from_be_bytes([
            *payload.get(at)?,
            *payload.get(at + 1)?,
        ]))
    };
    let mut view = PacketView {
        src,
        dst,
        src_port: port(0)?,
        dst_port: port(2)?,
        l4: L4Proto::Udp,
        payload: &[],
        tcp: None,
        tcp_seq: 0,
        fragment: Fragment::Whole,
        marks: DuplicateMarks {
            ipv4_id,
            checksum: 0,
        },
        macs: LinkAddresses::None,
    };
    match protocol {
        17 => {
            // UDP whose length field matches the datagram exactly, and not
            // a tunnel's.
            if usize::from(port(4)?) != payload.len()
                || tunnel::is_udp_tunnel_port(view.src_port)
                || tunnel::is_udp_tunnel_port(view.dst_port)
            {
                return None;
            }
            view.payload = payload.get(8..)?;
            view.marks.checksum = port(6)?;
        }
        6 => {
            let tcp: &[u8; 20] = payload.first_chunk()?;
            let data_offset = usize::from(tcp[12] >> 4) * 4;
            if data_offset < 20 {
                return None;
            }
            view.l4 = L4Proto::Tcp;
            view.payload = payload.get(data_offset..)?;
            view.tcp_seq = u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]);
            view.tcp = Some(TcpFlags::from_header_byte(tcp[13]));
            view.marks.checksum = u16::from_be_bytes([tcp[16], tcp[17]]);
        }
        _ => return None,
    }
    Some(view)
}

/// PPP (RFC 1661): optional FF 03 address/control, then the protocol: 2
/// bytes, or 1 when compressed (an odd first byte; PPTP links negotiate it).
fn from_ppp(data: &[u8], depth: u8) -> Decoded<'_> {
    let body = match data {
        [0xff, 0x03, rest @ ..] => rest,
        other => other,
    };
    match body {
        [0x00, 0x21, ip @ ..] | [0x00, 0x57, ip @ ..] | [0x21, ip @ ..] | [0x57, ip @ ..] => {
            from_ip(ip, depth)
        }
        [] | [_] => Decoded::Skipped(SkipReason::Truncated),
        _ => Decoded::Skipped(SkipReason::NotIp),
    }
}

fn from_ip(data: &[u8], depth: u8) -> Decoded<'_> {
    let plain = match data.first().map(|b| b >> 4) {
        Some(4) => plain_ipv4(data),
        Some(6) => plain_ipv6(data),
        _ => None,
    };
    if let Some(view) = plain {
        return Decoded::Packet(view);
    }
    match LaxSlicedPacket::from_ip(data) {
        Ok(p) => from_sliced(&p, depth),
        Err(_) if data.len() < 20 => Decoded::Skipped(SkipReason::Truncated),
        Err(_) => Decoded::Skipped(SkipReason::Malformed),
    }
}

fn from_sliced<'a>(p: &LaxSlicedPacket<'a>, depth: u8) -> Decoded<'a> {
    let mut ipv4_id = 0;
    let (src, dst, payload, fragment) = match &p.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            ipv4_id = h.identification();
            let offset = h.fragments_offset().value();
            let fragment = if !v4.is_payload_fragmented() {
                Fragment::Whole
            } else if offset == 0 {
                Fragment::First {
                    id: u32::from(h.identification()),
                }
            } else {
                Fragment::Later {
                    id: u32::from(h.identification()),
                    offset,
                    more: h.more_fragments(),
                }
            };
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                v4.payload().clone(),
                fragment,
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            let fragment = if v6.is_payload_fragmented() {
                ipv6_fragment(v6.extensions())
            } else {
                Fragment::Whole
            };
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                v6.payload().clone(),
                fragment,
            )
        }
        Some(LaxNetSlice::Arp(_)) => return Decoded::Skipped(SkipReason::NotIp),
        None => {
            return Decoded::Skipped(match p.stop_err {
                Some(_) => SkipReason::Truncated,
                None => SkipReason::NotIp,
            })
        }
    };
    let proto = payload.ip_number;
    // IP-in-IP and GRE tunnels: analyse the inner packet, as the flows live
    // there (the outer one stays when the inner one does not decode).
    if fragment == Fragment::Whole && depth < MAX_TUNNEL_DEPTH {
        let inner = match proto {
            IpNumber::IPV4 | IpNumber::IPV6 => Some(Inner::Ip(payload.payload)),
            IpNumber::GRE => tunnel::inside_gre(payload.payload),
            _ => None,
        };
        if let Some(Decoded::Packet(inner)) = inner.map(|i| from_inner(i, depth + 1)) {
            return Decoded::Packet(inner);
        }
    }
    let l4 = L4Proto::from_number(proto.0);
    let mut view = PacketView::between(src, dst, l4, payload.payload, fragment);
    if fragment == Fragment::Whole {
        view.marks.ipv4_id = ipv4_id;
    }
    match (&p.transport, fragment) {
        (Some(TransportSlice::Udp(udp)), _) => {
            view.src_port = udp.source_port();
            view.dst_port = udp.destination_port();
            view.payload = udp.payload();
            view.marks.checksum = udp.checksum();
            // Mobile cores (GTP-U), cloud mirrors (VXLAN, Geneve), Teredo.
            if depth < MAX_TUNNEL_DEPTH
                && (tunnel::is_udp_tunnel_port(view.src_port)
                    || tunnel::is_udp_tunnel_port(view.dst_port))
            {
                let inner = tunnel::inside_udp(view.src_port, view.dst_port, view.payload);
                if let Some(Decoded::Packet(p)) = inner.map(|i| from_inner(i, depth + 1)) {
                    return Decoded::Packet(p);
                }
            }
        }
        (Some(TransportSlice::Tcp(tcp)), _) => {
            view.src_port = tcp.source_port();
            view.dst_port = tcp.destination_port();
            view.payload = tcp.payload();
            view.tcp_seq = tcp.sequence_number();
            view.marks.checksum = tcp.checksum();
            view.tcp = Some(TcpFlags {
                syn: tcp.syn(),
                ack: tcp.ack(),
                fin: tcp.fin(),
                rst: tcp.rst(),
            });
        }
        (_, Fragment::First { .. }) => first_fragment_ports(&mut view, payload.payload),
        // A UDP fragment's bytes are kept for reassembly.
        (_, Fragment::Later { .. }) if l4 == L4Proto::Udp => {}
        (_, Fragment::Later { .. }) => view.payload = &[],
        _ => {
            if l4.has_ports() {
                // A transport header that did not slice: keep what the
                // frame shows of the ports, if anything.
                first_fragment_ports(&mut view, payload.payload);
            }
        }
    }
    Decoded::Packet(view)
}

/// Where an IPv6 fragment sits, from its Fragment extension header (RFC
/// 8200 §4.5): offset and M flag as IPv4's, a 32-bit identification.
fn ipv6_fragment(extensions: &Ipv6ExtensionsSlice<'_>) -> Fragment {
    let header = extensions.clone().into_iter().find_map(|ext| match ext {
        Ipv6ExtensionSlice::Fragment(f) => Some(f),
        _ => None,
    });
    match header {
        Some(f) if f.fragment_offset().value() == 0 => Fragment::First {
            id: f.identification(),
        },
        Some(f) => Fragment::Later {
            id: f.identification(),
            offset: f.fragment_offset().value(),
            more: f.more_fragments(),
        },
        // Fragmented, says etherparse, yet no header to read: counted
        // as a fragment that no flow claims.
        None => Fragment::Later {
            id: 0,
            offset: 0,
            more: false,
        },
    }
}

/// Reads ports (and for TCP flags) straight from the first fragment, which
/// etherparse leaves unsliced because the datagram is incomplete.
fn first_fragment_ports<'a>(view: &mut PacketView<'a>, ip_payload: &'a [u8]) {
    if let Some(&[a, b, c, d]) = ip_payload.get(0..4) {
        view.src_port = u16::from_be_bytes([a, b]);
        view.dst_port = u16::from_be_bytes([c, d]);
    }
    view.payload = match view.l4 {
        L4Proto::Udp => ip_payload.get(8..).unwrap_or(&[]),
        L4Proto::Tcp => {
            let header_len = ip_payload
                .get(12)
                .map_or(20, |b| usize::from(b >> 4) * 4)
                .max(20);
            if let Some(&flags) = ip_payload.get(13) {
                view.tcp = Some(TcpFlags::from_header_byte(flags));
            }
            ip_payload.get(header_len..).unwrap_or(&[])
        }
        _ => ip_payload,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    /// Every packet of the corpus that the in-place reader takes (IPv4 or
    /// IPv6, behind VLAN tags or not) gets the same view as from etherparse.
    #[test]
    fn plain_ip_agrees_with_etherparse_on_the_corpus() {
        let dir = crate::dissect::test_corpus::ndpi_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("skipping: corpus not found at {}", dir.display());
            return;
        };
        let (mut taken, mut compared) = (0u64, 0u64);
        for entry in entries.flatten() {
            let Ok(capture) = crate::capture::CaptureFile::open(&entry.path()) else {
                continue;
            };
            capture.read(|pkt, _| {
                let (fast, general) = match (pkt.link, pkt.data.get(12..14), pkt.data.get(14..)) {
                    (LinkType::Ethernet, Some(&[hi, lo]), Some(rest)) => {
                        let ether_type = u16::from_be_bytes([hi, lo]);
                        if ether_type != 0x0800
                            && ether_type != 0x86dd
                            && !VLAN.contains(&ether_type)
                        {
                            return;
                        }
                        (
                            plain_ether(ether_type, rest),
                            LaxSlicedPacket::from_ether_type(EtherType(ether_type), rest),
                        )
                    }
                    (LinkType::RawIp | LinkType::RawIpv4 | LinkType::RawIpv6, _, _) => {
                        let fast = match pkt.data.first().map(|b| b >> 4) {
                            Some(4) => plain_ipv4(pkt.data),
                            Some(6) => plain_ipv6(pkt.data),
                            _ => None,
                        };
                        match LaxSlicedPacket::from_ip(pkt.data) {
                            Ok(p) => (fast, p),
                            Err(_) => {
                                assert!(
                                    fast.is_none(),
                                    "{}: etherparse rejects what was taken",
                                    entry.path().display()
                                );
                                return;
                            }
                        }
                    }
                    _ => return,
                };
                compared += 1;
                if let Some(fast) = fast {
                    taken += 1;
                    let general = from_sliced(&general, 0);
                    assert_eq!(
                        format!("{:?}", Decoded::Packet(fast)),
                        format!("{general:?}"),
                        "{} frame {}",
                        entry.path().display(),
                        pkt.frame
                    );
                }
            });
        }
        eprintln!("{taken} of {compared} IP packets read in place");
        assert!(
            compared == 0 || taken > compared / 2,
            "{taken} of {compared}"
        );
    }

    /// An IPv4/UDP packet 10.0.0.1:5060 → 10.0.0.2:5062 carrying "hello".
    fn ipv4_udp() -> Vec<u8> {
        let mut out = Vec::new();
        PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
            .udp(5060, 5062)
            .write(&mut out, b"hello")
            .unwrap();
        out
    }

    /// Frames built behind zero, one and two VLAN tags, over IPv4 and IPv6,
    /// UDP and TCP: read in place, and as etherparse reads them.
    #[test]
    fn vlan_and_ipv6_read_in_place_as_etherparse_reads_them() {
        let (mac_a, mac_b) = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
        let v6 = |s: &str| s.parse::<std::net::Ipv6Addr>().unwrap().octets();
        let mut frames = Vec::new();
        for tags in 0..3 {
            for v4 in [true, false] {
                for udp in [true, false] {
                    let eth = PacketBuilder::ethernet2(mac_a, mac_b);
                    let mut out = Vec::new();
                    macro_rules! finish {
                        ($b:expr) => {{
                            let b = if v4 {
                                $b.ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                            } else {
                                $b.ipv6(v6("2001:db8::1"), v6("2001:db8::2"), 64)
                            };
                            if udp {
                                b.udp(3478, 50000).write(&mut out, b"stun?").unwrap();
                            } else {
                                b.tcp(443, 50000, 7, 1000)
                                    .ack(1)
                                    .write(&mut out, b"tls")
                                    .unwrap();
                            }
                        }};
                    }
                    match tags {
                        0 => finish!(eth),
                        1 => finish!(eth.single_vlan(0x123.try_into().unwrap())),
                        _ => {
                            finish!(eth
                                .double_vlan(0x123.try_into().unwrap(), 0x234.try_into().unwrap()))
                        }
                    }
                    frames.push(out);
                }
            }
        }
        for frame in &frames {
            let ether_type = u16::from_be_bytes([frame[12], frame[13]]);
            let fast = plain_ether(ether_type, &frame[14..]).expect("read in place");
            let general = from_sliced(&LaxSlicedPacket::from_ethernet(frame).unwrap(), 0);
            assert_eq!(
                format!("{:?}", Decoded::Packet(fast)),
                format!("{general:?}"),
                "{frame:02x?}"
            );
            assert_eq!(
                fast.payload.len(),
                if fast.l4 == L4Proto::Udp { 5 } else { 3 }
            );
        }
    }

    fn ipv6_tcp() -> Vec<u8> {
        let mut out = Vec::new();
        let src = "2001:db8::1"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets();
        let dst = "2001:db8::2"
            .parse::<std::net::Ipv6Addr>()
            .unwrap()
            .octets();
        PacketBuilder::ipv6(src, dst, 64)
            .tcp(443, 50000, 7, 1000)
            .syn()
            .write(&mut out, b"")
            .unwrap();
        out
    }

    fn expect_udp(d: Decoded<'_>) {
        match d {
            Decoded::Packet(p) => {
                assert_eq!(p.src.to_string(), "10.0.0.1");
                assert_eq!(p.dst.to_string(), "10.0.0.2");
                assert_eq!((p.src_port, p.dst_port), (5060, 5062));
                assert_eq!(p.l4, L4Proto::Udp);
                assert_eq!(p.payload, b"hello");
            }
            other => panic!("not decoded: {other:?}"),
        }
    }

    fn ethernet(ether_type: u16, rest: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&ether_type.to_be_bytes());
        f.extend_from_slice(rest);
        f
    }

    #[test]
    fn ethernet_plain_and_with_vlan_tags() {
        let ip = ipv4_udp();
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x0800, &ip)));
        // 802.1Q: TCI then the inner EtherType.
        let mut q = vec![0x00, 0x64, 0x08, 0x00];
        q.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x8100, &q)));
        // 802.1ad (QinQ): outer S-tag, inner C-tag.
        let mut qq = vec![0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00];
        qq.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x88a8, &qq)));
        // PPPoE session (RFC 2516) behind two VLAN tags, as an ISP's
        // access network carries DSL traffic (discord_mid_flow.pcap):
        // version/type 0x11, code 0, session id, length, PPP IPv4 (0x0021),
        // then Ethernet padding.
        let mut pppoe = vec![0x02, 0xf5, 0x81, 0x00, 0x00, 0x01, 0x88, 0x64];
        pppoe.extend_from_slice(&[0x11, 0x00, 0x3d, 0x6d]);
        pppoe.extend_from_slice(&(ip.len() as u16 + 2).to_be_bytes());
        pppoe.extend_from_slice(&[0x00, 0x21]);
        pppoe.extend_from_slice(&ip);
        pppoe.extend_from_slice(&[0; 6]);
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x8100, &pppoe)));
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x8864, &pppoe[8..])));
        // A discovery-stage or malformed header is not read as data.
        let mut bad = pppoe[8..].to_vec();
        bad[1] = 0x09;
        assert!(matches!(
            decode(LinkType::Ethernet, &ethernet(0x8864, &bad)),
            Decoded::Skipped(SkipReason::Malformed)
        ));
        assert!(matches!(
            decode(LinkType::Ethernet, &ethernet(0x8864, &pppoe[8..12])),
            Decoded::Skipped(SkipReason::Truncated)
        ));
    }

    #[test]
    fn linux_cooked_v1_and_v2() {
        let ip = ipv4_udp();
        let mut sll = vec![0u8; 14];
        sll.extend_from_slice(&0x0800u16.to_be_bytes());
        sll.extend_from_slice(&ip);
        expect_udp(decode(LinkType::LinuxSll, &sll));
        let mut sll2 = 0x0800u16.to_be_bytes().to_vec();
        sll2.extend_from_slice(&[0u8; 18]);
        sll2.extend_from_slice(&ip);
        expect_udp(decode(LinkType::LinuxSll2, &sll2));
    }

    /// The MAC addresses a link header gives: an Ethernet frame's both;
    /// in a Linux cooked capture, the capturing host as the sender or the
    /// receiver of its own packets, on any interface but loopback.
    #[test]
    fn mac_addresses_of_ethernet_and_linux_cooked_frames() {
        let macs = |d: Decoded<'_>| match d {
            Decoded::Packet(p) => p.macs.sender_receiver(),
            other => panic!("not decoded: {other:?}"),
        };
        let (to, from) = ([2, 0, 0, 0, 0, 2], [2, 0, 0, 0, 0, 1]);
        let mut frame = ethernet(0x0800, &ipv4_udp());
        frame[..6].copy_from_slice(&to);
        frame[6..12].copy_from_slice(&from);
        assert_eq!(macs(decode(LinkType::Ethernet, &frame)), Some([from, to]));

        // SLL: packet type 4 (sent by this host), ARPHRD_ETHER, 6 bytes.
        let host = crate::decode::packet::CAPTURING_HOST;
        let mut sll = vec![0, 4, 0, 1, 0, 6];
        sll.extend_from_slice(&from);
        sll.extend_from_slice(&[0, 0, 0x08, 0x00]);
        sll.extend_from_slice(&ipv4_udp());
        assert_eq!(macs(decode(LinkType::LinuxSll, &sll)), Some([host, [0; 6]]));
        // Type 0: sent to this host, here on a raw-IP mobile interface
        // (ARPHRD_RAWIP, 519) with no address.
        sll[..6].copy_from_slice(&[0, 0, 0x02, 0x07, 0, 0]);
        assert_eq!(macs(decode(LinkType::LinuxSll, &sll)), Some([[0; 6], host]));
        // Type 3: another host's, seen in promiscuous mode.
        sll[1] = 3;
        assert_eq!(macs(decode(LinkType::LinuxSll, &sll)), None);
        let mut sll2 = vec![0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6];
        sll2.extend_from_slice(&from);
        sll2.extend_from_slice(&[0, 0]);
        sll2.extend_from_slice(&ipv4_udp());
        assert_eq!(
            macs(decode(LinkType::LinuxSll2, &sll2)),
            Some([host, [0; 6]])
        );
        // The loopback interface (ARPHRD_LOOPBACK, 772) stands for none.
        sll[..4].copy_from_slice(&[0, 4, 0x03, 0x04]);
        assert_eq!(macs(decode(LinkType::LinuxSll, &sll)), None);
        // Nor has raw IP.
        assert_eq!(macs(decode(LinkType::RawIp, &ipv4_udp())), None);
    }

    #[test]
    fn raw_ip_both_versions() {
        expect_udp(decode(LinkType::RawIp, &ipv4_udp()));
        expect_udp(decode(LinkType::RawIpv4, &ipv4_udp()));
        match decode(LinkType::RawIpv6, &ipv6_tcp()) {
            Decoded::Packet(p) => {
                assert_eq!(p.l4, L4Proto::Tcp);
                assert_eq!(p.src_port, 443);
                assert!(p.tcp.is_some_and(|f| f.syn && !f.ack));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bsd_null_and_loop_in_either_byte_order() {
        let ip = ipv4_udp();
        for family in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = family.to_vec();
            f.extend_from_slice(&ip);
            expect_udp(decode(LinkType::Null, &f));
            expect_udp(decode(LinkType::Loop, &f));
        }
    }

    #[test]
    fn ppp_and_cisco_hdlc_and_mpls() {
        let ip = ipv4_udp();
        let mut ppp = vec![0xff, 0x03, 0x00, 0x21];
        ppp.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Ppp, &ppp));
        let mut hdlc = vec![0x0f, 0x00, 0x08, 0x00];
        hdlc.extend_from_slice(&ip);
        expect_udp(decode(LinkType::CiscoHdlc, &hdlc));
        // Two MPLS labels, the second with bottom-of-stack set.
        let mut mpls = vec![0x00, 0x01, 0x20, 0x40, 0x00, 0x02, 0x21, 0x40];
        mpls.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x8847, &mpls)));
    }

    /// An IPv6 fragment of UDP: the fixed header (next header 44), the
    /// Fragment header (offset in 8-byte units, M flag, id 0x01020304),
    /// then `body`.
    fn ipv6_udp_fragment(offset: u16, more: bool, body: &[u8]) -> Vec<u8> {
        let mut ip = vec![0x60, 0, 0, 0];
        ip.extend_from_slice(&((8 + body.len()) as u16).to_be_bytes());
        ip.extend_from_slice(&[44, 64]);
        ip.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        ip.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        ip.extend_from_slice(&[17, 0]);
        ip.extend_from_slice(&((offset << 3) | u16::from(more)).to_be_bytes());
        ip.extend_from_slice(&[1, 2, 3, 4]);
        ip.extend_from_slice(body);
        ip
    }

    #[test]
    fn ipv6_fragments_say_where_they_sit() {
        // First: the UDP header (ports 5060 → 5062, length 1208) and data.
        let mut first = vec![0x13, 0xc4, 0x13, 0xc6, 0x04, 0xb8, 0, 0];
        first.extend_from_slice(&[b'x'; 1000]);
        match decode(LinkType::RawIp, &ipv6_udp_fragment(0, true, &first)) {
            Decoded::Packet(p) => {
                assert_eq!(p.fragment, Fragment::First { id: 0x0102_0304 });
                assert_eq!(
                    (p.src_port, p.dst_port, p.payload.len()),
                    (5060, 5062, 1000)
                );
            }
            other => panic!("{other:?}"),
        }
        // Later: its bytes, where they go, and that none follow.
        match decode(
            LinkType::RawIp,
            &ipv6_udp_fragment(126, false, &[b'y'; 200]),
        ) {
            Decoded::Packet(p) => {
                let later = Fragment::Later {
                    id: 0x0102_0304,
                    offset: 126,
                    more: false,
                };
                assert_eq!(p.fragment, later);
                assert_eq!((p.l4, p.payload.len()), (L4Proto::Udp, 200));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mpls_llc_and_bridge_tags_behind_vlan_tags() {
        let ip = ipv4_udp();
        let vlan = |inner_type: u16| [0x00, 0x64, (inner_type >> 8) as u8, inner_type as u8];
        // VLAN, then MPLS (one label, bottom of stack).
        let mut f = vlan(0x8847).to_vec();
        f.extend_from_slice(&[0x00, 0x01, 0x21, 0x40]);
        f.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x8100, &f)));
        // VLAN, VN-Tag, VLAN, IP.
        let mut f = vlan(0x8926).to_vec();
        f.extend_from_slice(&[0x80, 0x01, 0x00, 0x02, 0x81, 0x00]);
        f.extend_from_slice(&vlan(0x0800));
        f.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Ethernet, &ethernet(0x8100, &f)));
        // 802.3 with LLC/SNAP, and Ethernet padding after the body.
        let mut f = vec![0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00];
        f.extend_from_slice(&ip);
        let length = f.len() as u16;
        f.extend_from_slice(&[0; 6]);
        expect_udp(decode(LinkType::Ethernet, &ethernet(length, &f)));
        // 802.3 with spanning tree's LLC; a cut SNAP header.
        let stp = ethernet(38, &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]);
        assert!(matches!(
            decode(LinkType::Ethernet, &stp),
            Decoded::Skipped(SkipReason::NotIp)
        ));
        assert!(matches!(
            decode(LinkType::Ethernet, &ethernet(8, &[0xaa, 0xaa, 0x03])),
            Decoded::Skipped(SkipReason::Truncated)
        ));
        // FDDI: frame control, two addresses, LLC/SNAP.
        let mut fddi = vec![0x50; 13];
        fddi.extend_from_slice(&[0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00]);
        fddi.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Fddi, &fddi));
        // Tags nested deeper than callpath unwraps: skipped, not looped on.
        let mut deep = Vec::new();
        for _ in 0..8 {
            deep.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x89, 0x26]);
        }
        deep.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x08, 0x00]);
        deep.extend_from_slice(&ip);
        assert!(matches!(
            decode(LinkType::Ethernet, &ethernet(0x8926, &deep)),
            Decoded::Skipped(_)
        ));
    }

    #[test]
    fn ip_in_ip_and_gtp_u_are_unwrapped() {
        let inner = ipv4_udp();
        let mut outer = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .udp(2152, 2152)
            .write(&mut outer, &{
                let mut g = vec![0x30, 0xff];
                g.extend_from_slice(&(inner.len() as u16).to_be_bytes());
                g.extend_from_slice(&[0, 0, 0, 1]);
                g.extend_from_slice(&inner);
                g
            })
            .unwrap();
        expect_udp(decode(LinkType::RawIp, &outer));
        let mut ipip = Vec::new();
        PacketBuilder::ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .write(&mut ipip, IpNumber::IPV4, &inner)
            .unwrap();
        expect_udp(decode(LinkType::RawIp, &ipip));
    }

    #[test]
    fn pktap_names_the_link_type_of_the_packet_behind_it() {
        let header = |length: u32, record: u32, dlt: u32| {
            let mut h = vec![0u8; 108];
            h[0..4].copy_from_slice(&length.to_le_bytes());
            h[4..8].copy_from_slice(&record.to_le_bytes());
            h[8..12].copy_from_slice(&dlt.to_le_bytes());
            h
        };
        let mut raw_ip = header(108, 1, 12);
        raw_ip.extend_from_slice(&ipv4_udp());
        expect_udp(decode(LinkType::Pktap, &raw_ip));
        let mut over_ethernet = header(108, 1, 1);
        over_ethernet.extend_from_slice(&ethernet(0x0800, &ipv4_udp()));
        expect_udp(decode(LinkType::Pktap, &over_ethernet));
        // No packet, a header claiming too little or too much, PKTAP in
        // PKTAP, a cut header: skipped.
        for (length, record, dlt) in [(108, 0, 1), (20, 1, 1), (4000, 1, 1), (108, 1, 258)] {
            let mut frame = header(length, record, dlt);
            frame.extend_from_slice(&ethernet(0x0800, &ipv4_udp()));
            assert!(matches!(
                decode(LinkType::Pktap, &frame),
                Decoded::Skipped(_)
            ));
        }
        assert!(matches!(
            decode(LinkType::Pktap, &[108, 0, 0]),
            Decoded::Skipped(SkipReason::Truncated)
        ));
    }

    #[test]
    fn wifi_frames_in_monitor_mode_and_decrypted_captures_and_nflog() {
        // A QoS data frame from a station (ToDS), LLC/SNAP, IPv4.
        let wifi = |flags: u8| {
            let mut f = vec![0x88, 0x01 | flags, 0, 0];
            f.extend_from_slice(&[0x02; 20]);
            f.extend_from_slice(&[0, 0]);
            f.extend_from_slice(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
            f.extend_from_slice(&ipv4_udp());
            f
        };
        expect_udp(decode(LinkType::Ieee80211, &wifi(0)));
        // Radiotap with only a Flags field saying the FCS follows the frame.
        let mut tapped = vec![0, 0, 10, 0, 0x02, 0, 0, 0, 0x10, 0];
        tapped.extend_from_slice(&wifi(0));
        tapped.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
        expect_udp(decode(LinkType::Radiotap, &tapped));
        // PPI naming 802.11 inside.
        let mut ppi = vec![0, 0, 8, 0, 105, 0, 0, 0];
        ppi.extend_from_slice(&wifi(0));
        expect_udp(decode(LinkType::Ppi, &ppi));
        assert!(matches!(
            decode(LinkType::Ieee80211, &wifi(0x40)),
            Decoded::Skipped(SkipReason::Encrypted)
        ));
        // PPI inside PPI, or PKTAP inside PPI: not followed.
        let mut nested = vec![0, 0, 8, 0, 192, 0, 0, 0];
        nested.extend_from_slice(&ppi);
        assert!(matches!(
            decode(LinkType::Ppi, &nested),
            Decoded::Skipped(SkipReason::Malformed)
        ));
        // NFLOG: header, then the payload attribute (type 9) holding IP.
        let mut nflog = vec![2, 0, 0, 1];
        let ip = ipv4_udp();
        nflog.extend_from_slice(&((4 + ip.len()) as u16).to_le_bytes());
        nflog.extend_from_slice(&9u16.to_le_bytes());
        nflog.extend_from_slice(&ip);
        expect_udp(decode(LinkType::Nflog, &nflog));
        assert_eq!(LinkType::from_code(239), LinkType::Nflog);
        assert_eq!(LinkType::from_code(127), LinkType::Radiotap);
        assert_eq!(LinkType::Radiotap.code(), 127);
    }

    #[test]
    fn other_link_types_and_non_ip_are_skipped_not_fatal() {
        assert!(matches!(
            decode(LinkType::Unsupported(147), &[1, 2, 3]),
            Decoded::Skipped(SkipReason::UnsupportedLinkType)
        ));
        // ARP.
        let arp = ethernet(0x0806, &[0u8; 28]);
        assert!(matches!(
            decode(LinkType::Ethernet, &arp),
            Decoded::Skipped(_)
        ));
        assert!(matches!(
            decode(LinkType::Ethernet, &[0u8; 5]),
            Decoded::Skipped(SkipReason::Truncated)
        ));
    }

    #[test]
    fn a_truncated_packet_still_yields_its_ports() {
        let ip = ipv4_udp();
        // Cut inside the payload: the headers are intact.
        match decode(LinkType::RawIp, &ip[..ip.len() - 2]) {
            Decoded::Packet(p) => assert_eq!((p.src_port, p.dst_port), (5060, 5062)),
            other => panic!("{other:?}"),
        }
    }
}
