//! VPN tunnels: WireGuard (and Tailscale's mesh over it), OpenVPN, IPsec
//! (IKE, ESP in UDP), PPTP's control connection and Cloudflare WARP.
//!
//! A call made inside a tunnel cannot be seen in a capture of the tunnel:
//! its media leave the tunnel at the far end (the VPN provider's server,
//! or another node of a mesh), and that network's operator and laws are
//! the first to reach them. So a tunnel is worth naming even though
//! nothing inside it can be read.
//!
//! Each protocol is told by header fields that random bytes match with a
//! chance of about 2^-32 or less, and, where one packet is not enough,
//! by the same identifier coming back on several packets:
//! - WireGuard (whitepaper §5.4, "Messages"): a 4-byte type word (1..=4
//!   followed by three zero bytes) and fixed lengths: initiation 148 bytes,
//!   response 92 (its receiver index is the initiation's sender index),
//!   cookie reply 64, transport data 32 + a multiple of 16 with the
//!   peer's receiver index.
//! - Tailscale's discovery messages start with the magic `TS💬` (6 bytes,
//!   tailscale `disco/disco.go`) and travel beside its WireGuard packets.
//! - OpenVPN (OpenVPN's `ssl_pkt.h`): opcode (high 5 bits) and key id (low
//!   3) in the first byte, then, on control packets, the sender's 8-byte
//!   session ID; a session begins with a hard-reset opcode. Over TCP each
//!   packet has a 2-byte length before it.
//! - IKE (RFC 7296 §3.1, RFC 2408 §3.1 for IKEv1): a 28-byte header whose
//!   length field is the message's length; on UDP 4500 after a 4-byte zero
//!   "non-ESP marker" (RFC 3948 §2.2), where ESP packets instead start
//!   with their nonzero SPI.
//! - PPTP control (RFC 2637 §2): a message type 1 and the magic cookie
//!   0x1A2B3C4D in every control message.
//! - Cloudflare WARP: by its published ingress addresses and port
//!   (`is_warp_ingress`), its framing being its own.
//! - VPNs whose data channel is DTLS on UDP 443 (Cisco AnyConnect and
//!   OpenConnect, Fortinet, Citrix's gateway): a DTLS ClientHello to port
//!   443 that offers no SRTP keying. WebRTC and every DTLS-SRTP call offer
//!   `use_srtp` (RFC 5764 §4.1.1) in theirs; Zoom's DTLS without it goes
//!   to its own ports (8801-8810). The ClientHello is read in `dtls`.

use std::net::IpAddr;

use crate::flow::{Direction, Endpoint};

/// A tunnel protocol, as flow records name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelProtocol {
    WireGuard,
    Tailscale,
    OpenVpn,
    Ipsec,
    Pptp,
    Gre,
    CloudflareWarp,
    DtlsVpn,
}

impl TunnelProtocol {
    /// The name in records (`tunnel`).
    pub fn name(self) -> &'static str {
        match self {
            TunnelProtocol::WireGuard => "wireguard",
            TunnelProtocol::Tailscale => "tailscale",
            TunnelProtocol::OpenVpn => "openvpn",
            TunnelProtocol::Ipsec => "ipsec",
            TunnelProtocol::Pptp => "pptp",
            TunnelProtocol::Gre => "gre",
            TunnelProtocol::CloudflareWarp => "cloudflare_warp",
            TunnelProtocol::DtlsVpn => "dtls_vpn",
        }
    }
}

/// A tunnel recognised on a flow, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelSighting {
    pub protocol: TunnelProtocol,
    /// What was seen, for the evidence.
    pub why: &'static str,
    /// The frame that settled it.
    pub frame: u64,
}

/// WireGuard's message types (whitepaper §5.4).
const WG_INITIATION: u8 = 1;
const WG_RESPONSE: u8 = 2;
const WG_COOKIE_REPLY: u8 = 3;
const WG_TRANSPORT: u8 = 4;
const WG_INITIATION_LEN: usize = 148;
const WG_RESPONSE_LEN: usize = 92;
const WG_COOKIE_REPLY_LEN: usize = 64;
/// Header (16) and authentication tag (16) of a transport message; the
/// encrypted packet inside is padded to a multiple of 16.
const WG_TRANSPORT_MIN_LEN: usize = 32;

/// Tailscale's discovery magic, "TS" and the speech-balloon emoji in UTF-8.
const TAILSCALE_DISCO_MAGIC: &[u8] = b"TS\xf0\x9f\x92\xac";
/// Magic, the sender's 32-byte disco key and a 24-byte nonce.
const TAILSCALE_DISCO_MIN_LEN: usize = 6 + 32 + 24;

/// OpenVPN opcodes (`ssl_pkt.h`).
mod ovpn {
    pub const HARD_RESET_CLIENT_V1: u8 = 1;
    pub const HARD_RESET_SERVER_V1: u8 = 2;
    pub const SOFT_RESET_V1: u8 = 3;
    pub const CONTROL_V1: u8 = 4;
    pub const ACK_V1: u8 = 5;
    pub const HARD_RESET_CLIENT_V2: u8 = 7;
    pub const HARD_RESET_SERVER_V2: u8 = 8;
    pub const HARD_RESET_CLIENT_V3: u8 = 10;
    pub const CONTROL_WKC_V1: u8 = 11;
}
/// Opcode byte, session ID, and at least an ack count and packet ID.
const OVPN_MIN_CONTROL_LEN: usize = 1 + 8 + 1 + 4;

/// IKE's header length (RFC 7296 §3.1).
const IKE_HEADER_LEN: usize = 28;
/// IPsec NAT traversal's UDP port (RFC 3948).
const NAT_T_PORT: u16 = 4500;
/// IKE's UDP port (RFC 7296 §2).
const IKE_PORT: u16 = 500;
/// SPI and sequence number, then at least an 8-byte IV or payload.
const ESP_MIN_LEN: usize = 16;

/// PPTP's magic cookie (RFC 2637 §2.1).
const PPTP_MAGIC: [u8; 4] = [0x1a, 0x2b, 0x3c, 0x4d];

/// Packets from one side carrying the same identifier that settle a
/// protocol whose single packet says too little (WireGuard's receiver
/// index, ESP's SPI: 4 bytes): twice from each side, or four times from
/// one (a capture that saw one direction).
const REPEATS_ONE_SIDE: u8 = 4;
const REPEATS_BOTH_SIDES: u8 = 2;
/// Control packets repeating an OpenVPN hard reset's session ID (8
/// random-looking bytes) that settle it from one side.
const OVPN_SESSION_REPEATS: u8 = 2;

/// What one side of a flow has shown.
#[derive(Clone, Copy, Debug, Default)]
struct Side {
    /// WireGuard: the receiver index of its transport messages.
    wg_receiver: Repeated,
    /// OpenVPN: the session ID of its first (hard-reset) packet, and
    /// whether that reset was a client's.
    ovpn_session: Option<[u8; 8]>,
    ovpn_client: bool,
    ovpn_repeats: u8,
    /// OpenVPN: its first packet was a control packet other than a reset
    /// (a capture begun after the server's reset).
    ovpn_control: bool,
    /// ESP in UDP: the SPI of its packets.
    esp_spi: Repeated,
}

/// A 4-byte identifier a side sends on every packet, and how many times
/// in a row it came.
#[derive(Clone, Copy, Debug, Default)]
struct Repeated {
    id: Option<u32>,
    times: u8,
}

impl Repeated {
    fn see(&mut self, id: u32) {
        if self.id == Some(id) {
            self.times = self.times.saturating_add(1);
        } else {
            *self = Repeated {
                id: Some(id),
                times: 1,
            };
        }
    }
}

/// What a flow has shown of a tunnel so far; boxed on the flow once a
/// packet looks like one.
#[derive(Clone, Debug, Default)]
pub struct TunnelFacts {
    found: Option<TunnelSighting>,
    sides: [Side; 2],
    /// WireGuard: the sender index of the last handshake initiation.
    wg_initiator: Option<u32>,
}

impl TunnelFacts {
    /// The facts of a flow whose endpoint alone tells its tunnel (Cloudflare
    /// WARP's published ingress, `is_warp_ingress`).
    pub fn warp(frame: u64) -> TunnelFacts {
        TunnelFacts {
            found: Some(TunnelSighting {
                protocol: TunnelProtocol::CloudflareWarp,
                why: "UDP port 2408 of Cloudflare WARP's published ingress addresses (162.159.192.0/22, 2606:4700:d0::/48)",
                frame,
            }),
            ..TunnelFacts::default()
        }
    }

    /// The facts of a flow whose DTLS ClientHello to UDP 443 offers no
    /// SRTP keying: a VPN's data channel, not call media.
    pub fn dtls_vpn(frame: u64) -> TunnelFacts {
        TunnelFacts {
            found: Some(TunnelSighting {
                protocol: TunnelProtocol::DtlsVpn,
                why: "DTLS to UDP port 443 whose ClientHello offers no SRTP keying (use_srtp, RFC 5764): a VPN's data channel (AnyConnect, OpenConnect, Fortinet, Citrix), not call media",
                frame,
            }),
            ..TunnelFacts::default()
        }
    }

    /// Looks at one UDP payload; returns whether it is a tunnel's packet.
    /// `first_of_side`: the first payload its sender sent on the flow;
    /// `peer_spoke`: the other side sent payload before it.
    pub fn observe_udp(
        &mut self,
        dir: Direction,
        ports: (u16, u16),
        payload: &[u8],
        first_of_side: bool,
        peer_spoke: bool,
        frame: u64,
    ) -> bool {
        let i = dir.index();
        if let Some(m) = wireguard_message(payload) {
            self.wireguard(i, m, frame);
            return true;
        }
        if is_tailscale_disco(payload) {
            self.settle(
                TunnelProtocol::Tailscale,
                "Tailscale discovery message (its \"TS💬\" magic), beside WireGuard",
                frame,
            );
            return true;
        }
        if ike_body(ports, payload).is_some_and(is_ike_message) {
            self.settle(
                TunnelProtocol::Ipsec,
                "IKE message (IPsec key exchange; its header's length is the datagram's)",
                frame,
            );
            return true;
        }
        if is_nat_t(ports) {
            if payload == [0xff] {
                // NAT-T keep-alive (RFC 3948 §2.3).
                return true;
            }
            if let Some(spi) = esp_spi(payload) {
                self.repeat(
                    i,
                    |s| &mut s.esp_spi,
                    spi,
                    TunnelProtocol::Ipsec,
                    "ESP in UDP port 4500 (IPsec through NAT; one SPI per direction)",
                    frame,
                );
                return true;
            }
        }
        self.openvpn(i, first_of_side, peer_spoke, payload, frame)
    }

    /// Looks at one TCP segment; returns whether it is a tunnel's.
    pub fn observe_tcp(
        &mut self,
        dir: Direction,
        payload: &[u8],
        first_of_side: bool,
        frame: u64,
    ) -> bool {
        if is_pptp_control(payload) {
            self.settle(
                TunnelProtocol::Pptp,
                "PPTP control message (magic cookie 0x1A2B3C4D): it sets up a PPTP VPN, whose data travel in GRE",
                frame,
            );
            return true;
        }
        // OpenVPN over TCP: a 2-byte length, then the packet.
        let Some(packet) = length_prefixed(payload) else {
            return false;
        };
        // Whether the other side's stream began otherwise cannot be told:
        // its first segment may hold part of a packet (split by the
        // sender, as obfuscating clients do).
        self.openvpn(dir.index(), first_of_side, false, packet, frame)
    }

    pub fn found(&self) -> Option<TunnelSighting> {
        self.found
    }

    fn side_mut(&mut self, i: usize) -> &mut Side {
        let [a, b] = &mut self.sides;
        if i == 0 {
            a
        } else {
            b
        }
    }

    fn settle(&mut self, protocol: TunnelProtocol, why: &'static str, frame: u64) {
        // The first sighting stands; Tailscale names WireGuard more
        // precisely, so it may replace it.
        match self.found {
            Some(f)
                if !(f.protocol == TunnelProtocol::WireGuard
                    && protocol == TunnelProtocol::Tailscale) => {}
            _ => {
                self.found = Some(TunnelSighting {
                    protocol,
                    why,
                    frame,
                })
            }
        }
    }

    /// Counts `id` in the identifier `which` picks of side `i`, and
    /// settles `protocol` once it came back often enough.
    fn repeat(
        &mut self,
        i: usize,
        which: fn(&mut Side) -> &mut Repeated,
        id: u32,
        protocol: TunnelProtocol,
        why: &'static str,
        frame: u64,
    ) {
        which(self.side_mut(i)).see(id);
        let [a, b] = self.sides.map(|mut s| which(&mut s).times);
        if (a >= REPEATS_BOTH_SIDES && b >= REPEATS_BOTH_SIDES)
            || a >= REPEATS_ONE_SIDE
            || b >= REPEATS_ONE_SIDE
        {
            self.settle(protocol, why, frame);
        }
    }

    fn wireguard(&mut self, i: usize, m: WireGuardMessage, frame: u64) {
        match m {
            WireGuardMessage::Initiation { sender } => self.wg_initiator = Some(sender),
            WireGuardMessage::Response { receiver } => {
                if self.wg_initiator == Some(receiver) {
                    self.settle(
                        TunnelProtocol::WireGuard,
                        "WireGuard handshake (a 148-byte initiation answered by a 92-byte response naming it)",
                        frame,
                    );
                }
            }
            WireGuardMessage::CookieReply => {}
            WireGuardMessage::Transport { receiver } => self.repeat(
                i,
                |s| &mut s.wg_receiver,
                receiver,
                TunnelProtocol::WireGuard,
                "WireGuard transport messages (type 4, the same receiver index on every packet of a direction)",
                frame,
            ),
        }
    }

    fn openvpn(
        &mut self,
        i: usize,
        first_of_side: bool,
        peer_spoke: bool,
        packet: &[u8],
        frame: u64,
    ) -> bool {
        let Some((opcode, key_id, session)) = openvpn_control(packet) else {
            return false;
        };
        let side = self.side_mut(i);
        match side.ovpn_session {
            None if first_of_side
                && key_id == 0
                && is_hard_reset(opcode)
                && looks_random(&session) =>
            {
                side.ovpn_session = Some(session);
                side.ovpn_client = is_client_reset(opcode);
            }
            Some(s) if s == session => side.ovpn_repeats = side.ovpn_repeats.saturating_add(1),
            None if first_of_side && key_id == 0 && looks_random(&session) => {
                side.ovpn_control = true;
                return false;
            }
            _ => return false,
        }
        let [a, b] = self.sides;
        let handshake =
            a.ovpn_session.is_some() && b.ovpn_session.is_some() && a.ovpn_client != b.ovpn_client;
        let other = if i == 0 { b } else { a };
        if handshake {
            self.settle(
                TunnelProtocol::OpenVpn,
                "OpenVPN handshake (a client's hard reset answered by a server's)",
                frame,
            );
        } else if peer_spoke && other.ovpn_session.is_none() && !other.ovpn_control {
            // The other side answered, and not with OpenVPN: a protocol
            // whose header reads like a reset (a media server's session
            // header before RTP), not a tunnel.
            return false;
        } else if a.ovpn_repeats >= OVPN_SESSION_REPEATS || b.ovpn_repeats >= OVPN_SESSION_REPEATS {
            self.settle(
                TunnelProtocol::OpenVpn,
                "OpenVPN control packets (a hard reset, then the same 8-byte session ID on the next)",
                frame,
            );
        }
        true
    }
}

/// Whether a flow's UDP payload may begin a tunnel: checked before any
/// state is kept for the flow, so that other flows cost a few comparisons.
/// Most payloads are told apart by their first byte alone.
pub fn may_start_udp(ports: (u16, u16), payload: &[u8], first_of_side: bool) -> bool {
    let by_first_byte = match payload.first() {
        Some(WG_INITIATION..=WG_TRANSPORT) => wireguard_message(payload).is_some(),
        Some(b'T') => is_tailscale_disco(payload),
        // 0x40 is also TURN ChannelData's first channel, 0x10 Zoom's
        // peer-to-peer video type (in a capture begun mid-call: a relayed
        // RTCP's SSRC, a Zoom header, where a session ID would be).
        Some(&b) if first_of_side && b & 0x07 == 0 && is_hard_reset(b >> 3) => {
            is_openvpn_reset(payload)
                && !super::turn_channel::parse(payload).is_some_and(|cd| cd.fills(payload))
                && !is_zoom_p2p_media(payload)
        }
        _ => false,
    };
    by_first_byte || ports.0 == IKE_PORT || ports.1 == IKE_PORT || is_nat_t(ports)
}

/// `may_start_udp` for a TCP segment.
pub fn may_start_tcp(payload: &[u8], first_of_side: bool) -> bool {
    is_pptp_control(payload)
        || (first_of_side && length_prefixed(payload).is_some_and(is_openvpn_reset))
}

/// Zoom peer-to-peer media with an RTP header at its type's offset.
fn is_zoom_p2p_media(payload: &[u8]) -> bool {
    matches!(
        super::zoom::parse_p2p(payload),
        Some(super::zoom::ZoomFrame::P2p { media: Some(_) })
    )
}

fn is_openvpn_reset(packet: &[u8]) -> bool {
    openvpn_control(packet).is_some_and(|(opcode, key_id, session)| {
        key_id == 0 && is_hard_reset(opcode) && looks_random(&session)
    })
}

/// Whether a session ID looks drawn at random, as OpenVPN draws it: at
/// least 6 different byte values among 8 (random bytes fall short about
/// once in 10,000). Protocols with a constant header where OpenVPN has its
/// session ID (FLUTE's, RakNet's offline magic) repeat bytes.
fn looks_random(id: &[u8; 8]) -> bool {
    let mut seen = [false; 256];
    let mut distinct = 0;
    for b in id {
        if let Some(s) = seen.get_mut(usize::from(*b)) {
            if !*s {
                *s = true;
                distinct += 1;
            }
        }
    }
    distinct >= 6
}

fn is_tailscale_disco(payload: &[u8]) -> bool {
    payload.starts_with(TAILSCALE_DISCO_MAGIC) && payload.len() >= TAILSCALE_DISCO_MIN_LEN
}

fn is_nat_t(ports: (u16, u16)) -> bool {
    ports.0 == NAT_T_PORT || ports.1 == NAT_T_PORT
}

/// Where an IKE message would start: after the non-ESP marker on the NAT
/// traversal port, at once on IKE's own.
fn ike_body(ports: (u16, u16), payload: &[u8]) -> Option<&[u8]> {
    if is_nat_t(ports) {
        payload.strip_prefix(&[0, 0, 0, 0][..])
    } else if ports.0 == IKE_PORT || ports.1 == IKE_PORT {
        Some(payload)
    } else {
        None
    }
}

/// Cloudflare WARP's ingress (engage.cloudflareclient.com), as Cloudflare's
/// WARP firewall documentation lists it: 162.159.192.0/22 and
/// 2606:4700:d0::/48, UDP port 2408. WARP's framing there is its own
/// (WireGuard's message types with other type bytes and lengths), so the
/// published address and port tell it.
pub fn is_warp_ingress(e: Endpoint) -> bool {
    const WARP_PORT: u16 = 2408;
    e.port == WARP_PORT
        && match e.ip {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                a == 162 && b == 159 && (192..=195).contains(&c)
            }
            IpAddr::V6(v6) => v6.segments().get(..3) == Some(&[0x2606, 0x4700, 0x00d0][..]),
        }
}

/// One WireGuard message, as far as telling the protocol needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireGuardMessage {
    Initiation { sender: u32 },
    Response { receiver: u32 },
    CookieReply,
    Transport { receiver: u32 },
}

/// `payload` as a WireGuard message: the type word and the type's length.
pub fn wireguard_message(payload: &[u8]) -> Option<WireGuardMessage> {
    let [kind, 0, 0, 0] = *payload.first_chunk::<4>()? else {
        return None;
    };
    let len = payload.len();
    let index_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            payload.get(at..at + 4)?.try_into().ok()?,
        ))
    };
    match kind {
        WG_INITIATION if len == WG_INITIATION_LEN => Some(WireGuardMessage::Initiation {
            sender: index_at(4)?,
        }),
        WG_RESPONSE if len == WG_RESPONSE_LEN => Some(WireGuardMessage::Response {
            receiver: index_at(8)?,
        }),
        WG_COOKIE_REPLY if len == WG_COOKIE_REPLY_LEN => Some(WireGuardMessage::CookieReply),
        WG_TRANSPORT if len >= WG_TRANSPORT_MIN_LEN && (len - 16) % 16 == 0 => {
            Some(WireGuardMessage::Transport {
                receiver: index_at(4)?,
            })
        }
        _ => None,
    }
}

/// Whether `m` is an IKE message: a nonzero initiator SPI, IKEv1 or
/// IKEv2's version byte, a known exchange type and a length field equal
/// to the message's length.
pub fn is_ike_message(m: &[u8]) -> bool {
    let Some(h) = m.first_chunk::<IKE_HEADER_LEN>() else {
        return false;
    };
    let initiator_spi_set = h.get(..8).is_some_and(|s| s.iter().any(|b| *b != 0));
    let version = h.get(17).copied().unwrap_or(0);
    let exchange = h.get(18).copied().unwrap_or(0);
    let length = h
        .get(24..28)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_be_bytes);
    // IKEv1 exchanges (RFC 2408 §3.1, RFC 2409 §5.5: Quick Mode 32, New
    // Group 33); IKEv2 exchanges 34..=37 (RFC 7296), 43 and 44 (RFC 9242,
    // RFC 9370).
    let known_exchange = match version {
        0x10 => matches!(exchange, 1..=5 | 32 | 33),
        0x20 => matches!(exchange, 34..=37 | 43 | 44),
        _ => false,
    };
    initiator_spi_set && known_exchange && length == Some(m.len() as u32)
}

/// The SPI of an ESP packet in UDP (RFC 3948 §2.1): nonzero, which also
/// tells it from IKE's non-ESP marker.
fn esp_spi(payload: &[u8]) -> Option<u32> {
    if payload.len() < ESP_MIN_LEN {
        return None;
    }
    let spi = u32::from_be_bytes(*payload.first_chunk::<4>()?);
    (spi != 0).then_some(spi)
}

/// An OpenVPN control packet's opcode, key id and session ID.
fn openvpn_control(packet: &[u8]) -> Option<(u8, u8, [u8; 8])> {
    if packet.len() < OVPN_MIN_CONTROL_LEN {
        return None;
    }
    let first = *packet.first()?;
    let (opcode, key_id) = (first >> 3, first & 0x07);
    let control = matches!(
        opcode,
        ovpn::HARD_RESET_CLIENT_V1
            | ovpn::HARD_RESET_SERVER_V1
            | ovpn::SOFT_RESET_V1
            | ovpn::CONTROL_V1
            | ovpn::ACK_V1
            | ovpn::HARD_RESET_CLIENT_V2
            | ovpn::HARD_RESET_SERVER_V2
            | ovpn::HARD_RESET_CLIENT_V3
            | ovpn::CONTROL_WKC_V1
    );
    let session: [u8; 8] = packet.get(1..9)?.try_into().ok()?;
    (control && session != [0; 8]).then_some((opcode, key_id, session))
}

fn is_hard_reset(opcode: u8) -> bool {
    is_client_reset(opcode)
        || matches!(
            opcode,
            ovpn::HARD_RESET_SERVER_V1 | ovpn::HARD_RESET_SERVER_V2
        )
}

fn is_client_reset(opcode: u8) -> bool {
    matches!(
        opcode,
        ovpn::HARD_RESET_CLIENT_V1 | ovpn::HARD_RESET_CLIENT_V2 | ovpn::HARD_RESET_CLIENT_V3
    )
}

/// The packet after a 2-byte length, when the segment holds all of it.
fn length_prefixed(segment: &[u8]) -> Option<&[u8]> {
    let (len, rest) = segment.split_first_chunk::<2>()?;
    rest.get(..usize::from(u16::from_be_bytes(*len)))
}

/// A PPTP control message: length, message type 1, the magic cookie.
pub fn is_pptp_control(segment: &[u8]) -> bool {
    segment.get(2..4) == Some(&[0, 1][..]) && segment.get(4..8) == Some(&PPTP_MAGIC[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{hex, payloads, Payload};

    /// Feeds a corpus capture's payloads to one `TunnelFacts` per
    /// flow, and returns what each found.
    fn tunnels_in(file: &str) -> Option<Vec<Option<TunnelProtocol>>> {
        // Per flow: its ports and transport, packets per side, its facts
        // once a packet may start a tunnel.
        type Seen = ((u16, u16, bool), [u32; 2], Option<TunnelFacts>);
        let mut flows: Vec<Seen> = Vec::new();
        for (
            frame,
            Payload {
                tcp,
                src_port,
                dst_port,
                data,
                ..
            },
        ) in payloads(file)?.into_iter().enumerate()
        {
            if data.is_empty() {
                continue;
            }
            let (lo, hi) = (src_port.min(dst_port), src_port.max(dst_port));
            let dir = if src_port == lo && src_port != dst_port {
                Direction::FromOrig
            } else {
                Direction::FromResp
            };
            let at = match flows.iter().position(|(k, _, _)| *k == (lo, hi, tcp)) {
                Some(at) => at,
                None => {
                    flows.push(((lo, hi, tcp), [0; 2], None));
                    flows.len() - 1
                }
            };
            let (_, sent, facts) = flows.get_mut(at)?;
            let first = sent[dir.index()] == 0;
            let peer_spoke = sent[1 - dir.index()] > 0;
            sent[dir.index()] += 1;
            let ports = (src_port, dst_port);
            let may = if tcp {
                may_start_tcp(&data, first)
            } else {
                may_start_udp(ports, &data, first)
            };
            if facts.is_none() && may {
                *facts = Some(TunnelFacts::default());
            }
            if let Some(f) = facts {
                if tcp {
                    f.observe_tcp(dir, &data, first, frame as u64);
                } else {
                    f.observe_udp(dir, ports, &data, first, peer_spoke, frame as u64);
                }
            }
        }
        Some(
            flows
                .iter()
                .map(|(_, _, f)| f.as_ref().and_then(|f| f.found()).map(|s| s.protocol))
                .collect(),
        )
    }

    /// Asserts that every flow of a corpus capture is a `want` tunnel, and
    /// returns how many port pairs it has (`None`: corpus absent).
    fn all_are(file: &str, want: TunnelProtocol) -> Option<usize> {
        let found = tunnels_in(file)?;
        assert!(!found.is_empty(), "{file}");
        assert!(found.iter().all(|f| *f == Some(want)), "{file}: {found:?}");
        Some(found.len())
    }

    #[test]
    fn wireguard_captures_are_wireguard() {
        for file in ["wireguard.pcap", "mullvad_wireguard.pcap"] {
            all_are(file, TunnelProtocol::WireGuard);
        }
    }

    #[test]
    fn tailscale_is_named() {
        let Some(found) = tunnels_in("tailscale.pcap") else {
            return;
        };
        assert_eq!(found, vec![Some(TunnelProtocol::Tailscale)]);
    }

    #[test]
    fn openvpn_over_udp_and_tcp_and_one_sided() {
        // Ten flows on nine port pairs (a client's and a server's half,
        // seen apart, share theirs): UDP and TCP, 1194 and 443, with and
        // without HMAC.
        if let Some(pairs) = all_are("openvpn.pcap", TunnelProtocol::OpenVpn) {
            assert_eq!(pairs, 9);
        }
    }

    #[test]
    fn openvpn_over_tcp_whose_client_splits_its_first_packet() {
        // The client's reset comes in 9-byte segments (obfuscation), so
        // its stream's start reads as nothing; the server's resets and
        // acks, each whole, settle it.
        let Some(found) = tunnels_in("openvpn_obfuscated.pcapng") else {
            return;
        };
        assert!(found.contains(&Some(TunnelProtocol::OpenVpn)), "{found:?}");
    }

    #[test]
    fn ipsec_ike_and_nat_traversal() {
        all_are("ipsec_isakmp_esp.pcap", TunnelProtocol::Ipsec);
    }

    #[test]
    fn pptp_control_connection() {
        let Some(found) = tunnels_in("pptp.pcap") else {
            return;
        };
        assert!(found.contains(&Some(TunnelProtocol::Pptp)), "{found:?}");
    }

    #[test]
    fn call_captures_hold_no_tunnel() {
        // STUN, RTP, DTLS and app framings share none of these headers.
        for file in [
            "skype-conference-call.pcap",
            "zoom.pcap",
            "stun_zoom.pcapng",
            "whatsapp_voice_and_message.pcap",
            "stun_wa_call.pcapng",
            "stun_signal.pcapng",
            "telegram.pcap",
            "discord.pcap",
            "google_meet.pcapng",
            "snapchat_call.pcapng",
            "viber.pcap",
            "line.pcap",
            "sip.pcap",
            "rtp.pcapng",
            "iax.pcap",
            "h323.pcap",
        ] {
            let Some(found) = tunnels_in(file) else {
                continue;
            };
            assert!(found.iter().all(Option::is_none), "{file}: {found:?}");
        }
    }

    #[test]
    fn constant_headers_are_not_openvpn_sessions() {
        // FLUTE (one-way multicast) and RakNet's offline messages put
        // constant bytes where OpenVPN has its session ID.
        for file in ["flute.pcapng", "raknet.pcap"] {
            let Some(found) = tunnels_in(file) else {
                continue;
            };
            assert!(found.iter().all(Option::is_none), "{file}: {found:?}");
        }
    }

    #[test]
    fn wireguard_message_lengths_and_type_word() {
        let mut init = vec![0u8; WG_INITIATION_LEN];
        init[0] = 1;
        init[4..8].copy_from_slice(&7u32.to_le_bytes());
        assert_eq!(
            wireguard_message(&init),
            Some(WireGuardMessage::Initiation { sender: 7 })
        );
        init.push(0);
        assert_eq!(wireguard_message(&init), None);
        let keepalive = hex("04000000d837d0300000000000000000 6f4f080e9f52691bbe948535f7000000");
        assert_eq!(
            wireguard_message(&keepalive),
            Some(WireGuardMessage::Transport {
                receiver: u32::from_le_bytes([0xd8, 0x37, 0xd0, 0x30])
            })
        );
        assert_eq!(wireguard_message(&keepalive[..31]), None);
        let mut reserved = keepalive.clone();
        reserved[2] = 1;
        assert_eq!(wireguard_message(&reserved), None);
    }

    #[test]
    fn garbage_is_no_tunnel() {
        let mut facts = TunnelFacts::default();
        for n in 0..4000u64 {
            let data = crate::dissect::test_corpus::lcg_bytes(n, (n % 700) as usize);
            let dir = if n % 2 == 0 {
                Direction::FromOrig
            } else {
                Direction::FromResp
            };
            facts.observe_udp(dir, (40000, 50000), &data, n < 2, n > 0, n);
            facts.observe_tcp(dir, &data, n < 2, n);
        }
        assert_eq!(facts.found(), None);
    }

    #[test]
    fn a_reset_lookalike_answered_otherwise_is_no_tunnel() {
        // A conferencing client's uplink (a capture of Tencent Meeting):
        // 08 (an OpenVPN client reset's opcode), a random-looking 8 bytes,
        // then RTCP; the server answers in plain RTCP, the client goes on.
        let up = hex(
            "0802000006ea460bf681c8000cd6e6617783abbf8d2de6bc62b8e5a93e0000006e00001238d6e66177",
        );
        let down = hex("81c90007d6e66177d6e66177000000000000000000000000bf8c6db90000bd58");
        let (client, server) = (Direction::FromOrig, Direction::FromResp);
        let ports = (62412, 8000);
        assert!(may_start_udp(ports, &up, true));
        let mut facts = TunnelFacts::default();
        facts.observe_udp(client, ports, &up, true, false, 1);
        facts.observe_udp(server, ports, &down, true, true, 2);
        for frame in 3..10 {
            assert!(!facts.observe_udp(client, ports, &up, false, true, frame));
        }
        assert_eq!(facts.found(), None);
        // The same uplink with no answer yet (a capture of one direction)
        // still reads as OpenVPN's repeated reset.
        let mut one_way = TunnelFacts::default();
        for frame in 1..4 {
            one_way.observe_udp(client, ports, &up, frame == 1, false, frame);
        }
        assert_eq!(
            one_way.found().map(|s| s.protocol),
            Some(TunnelProtocol::OpenVpn)
        );
        // A server whose first packet in the capture is a control packet
        // (its reset came before the capture began) speaks OpenVPN.
        let mut control = hex("20");
        control.extend(hex("5a1f93c4e0b27d68"));
        control.extend([0; 8]);
        let mut late = TunnelFacts::default();
        late.observe_udp(client, ports, &up, true, false, 1);
        late.observe_udp(server, ports, &control, true, true, 2);
        late.observe_udp(client, ports, &up, false, true, 3);
        late.observe_udp(client, ports, &up, false, true, 4);
        assert_eq!(
            late.found().map(|s| s.protocol),
            Some(TunnelProtocol::OpenVpn)
        );
    }
}
