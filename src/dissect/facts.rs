//! Facts the dissectors extract from a flow's payloads, kept on the flow
//! for the classifier. Only what a verdict needs is kept: counters, a few
//! addresses, short strings. Larger parts are boxed and created only for
//! flows that carry that protocol, so a DNS query or a web flow stays small.

use std::net::SocketAddr;
use std::num::NonZeroI64;

use super::ice_session::{IceSession, SenderUfrag};
use super::rtp_quality::RtpStreamQuality;
use super::sip_dialogs::SipDialog;
use super::vpn_tunnel::TunnelFacts;
use crate::capture::Timestamp;
use crate::classify::signatures::{AppId, PayloadKind};
use crate::flow::Direction;

/// Most RTP streams (SSRCs) tracked per flow.
pub const MAX_RTP_STREAMS: usize = 8;
/// Most peer/relay addresses remembered per flow.
pub const MAX_ADDRESSES: usize = 8;

/// Per-direction counter pair: index 0 from the originator, 1 back.
pub type PerDirection = [u32; 2];

pub fn bump(counter: &mut PerDirection, dir: Direction) {
    if let Some(c) = counter.get_mut(dir.index()) {
        *c = c.saturating_add(1);
    }
}

pub fn both(counter: &PerDirection) -> u32 {
    counter.iter().fold(0u32, |a, b| a.saturating_add(*b))
}

/// A piece of evidence and the frame it was first seen in.
#[derive(Clone, Debug)]
pub struct Sighting {
    pub frame: u64,
    pub what: Box<str>,
}

/// STUN/TURN as seen on one flow.
#[derive(Clone, Debug, Default)]
pub struct StunFacts {
    pub messages: PerDirection,
    pub requests: PerDirection,
    pub success_responses: PerDirection,
    pub error_responses: PerDirection,
    pub indications: PerDirection,
    pub binding_requests: u32,
    /// Messages of the types Meta's relays take (`stun::whatsapp_stun_type`),
    /// with which WhatsApp and Messenger keep a relay ready.
    pub meta_relay_messages: u32,
    /// Binding requests carrying ICE attributes (PRIORITY, USE-CANDIDATE,
    /// ICE-CONTROLLING/CONTROLLED): connectivity checks between candidates.
    pub ice_checks: PerDirection,
    pub use_candidate: bool,
    pub allocate_requests: u32,
    pub allocate_success: u32,
    /// A Refresh with LIFETIME 0 released the last allocation that
    /// succeeded (RFC 8656 §7.2).
    pub released: bool,
    pub refreshes: u32,
    pub permissions: u32,
    pub channel_binds: u32,
    pub send_indications: u32,
    pub data_indications: u32,
    /// TURN ChannelData frames per direction, and those carrying media
    /// (RTP, SRTP or DTLS) inside.
    pub channel_data: PerDirection,
    pub relayed_media: PerDirection,
    /// ChannelData whose ChannelBind the capture missed (it began
    /// mid-call), each exactly framed around a STUN message or media.
    /// Not part of `is_turn`: every such frame must prove itself.
    pub unbound_channel_data: PerDirection,
    /// Classic RFC 3489 messages (no magic cookie).
    pub classic: u32,
    /// The reflexive address a server reported, and to which direction.
    pub mapped: Option<(SocketAddr, Direction)>,
    /// XOR-RELAYED-ADDRESS from an Allocate success.
    pub relayed: Option<SocketAddr>,
    /// Whether this flow already taught the knowledge a reflection (keyed
    /// by the receiving socket) or a server (keyed by the sender's address),
    /// per direction of the response. Knowledge keeps the earliest fact per
    /// key, so the flow's later keepalives could change nothing.
    pub reflection_taught: [bool; 2],
    pub server_taught: [bool; 2],
    /// Far peers named by XOR-PEER-ADDRESS (CreatePermission, ChannelBind, Send).
    pub peers: Vec<SocketAddr>,
    /// RESPONSE-ORIGIN / OTHER-ADDRESS seen: attributes only servers send.
    pub server_attributes: bool,
    pub username: Option<Box<str>>,
    /// The ICE session (ufrag pair) of the flow's first connectivity check.
    pub ice_session: Option<IceSession>,
    /// Per direction, the ufrag of the agent whose checks travelled that
    /// way (the first one seen): the same on every address of one device.
    pub sender_ufrags: [Option<SenderUfrag>; 2],
    pub realm: Option<Box<str>>,
    pub software: Option<Box<str>>,
    /// First vendor fingerprint (attribute, message type, REALM, SOFTWARE).
    pub vendor: Option<(AppId, Box<str>)>,
    pub first: Option<Sighting>,
}

impl StunFacts {
    /// The side that answered requests: the STUN/TURN server, if one side
    /// only answered and never asked.
    pub fn server_side(&self) -> Option<Direction> {
        let [req_o, req_r] = self.requests;
        let [ok_o, ok_r] = self.success_responses;
        let [err_o, err_r] = self.error_responses;
        let answered_r = ok_r + err_r;
        let answered_o = ok_o + err_o;
        if answered_r > 0 && req_r == 0 && answered_o == 0 {
            Some(Direction::FromResp)
        } else if answered_o > 0 && req_o == 0 && answered_r == 0 {
            Some(Direction::FromOrig)
        } else if req_o > 0 && req_r == 0 && answered_o == 0 && self.ice_checks[0] == 0 {
            // Unanswered requests towards a server (e.g. Allocate retries).
            Some(Direction::FromResp)
        } else {
            None
        }
    }

    /// Whether the flow was a TURN session (allocation, permissions, data).
    pub fn is_turn(&self) -> bool {
        self.allocate_requests
            + self.allocate_success
            + self.refreshes
            + self.permissions
            + self.channel_binds
            + self.send_indications
            + self.data_indications
            + both(&self.channel_data)
            > 0
    }
}

/// One RTP stream (SSRC) of a flow.
#[derive(Clone, Debug)]
pub struct RtpStream {
    pub ssrc: u32,
    pub direction: Direction,
    pub payload_type: u8,
    pub last_sequence: u16,
    /// Packets whose sequence number followed the previous one closely.
    pub in_sequence: u32,
    /// Arrival of its first and latest packet (ns): when it was live.
    pub first_ns: i64,
    pub last_ns: i64,
    pub quality: RtpStreamQuality,
}

/// How framed media was recognised (`MediaFacts::framing`).
pub const IAX2_VOICE_FRAMING: &str = "IAX2 voice frames";
pub const ZOOM_MEDIA_FRAMING: &str = "Zoom media encapsulation";
/// Every framing name, for code that stores them as numbers.
pub const MEDIA_FRAMINGS: [&str; 2] = [IAX2_VOICE_FRAMING, ZOOM_MEDIA_FRAMING];

/// Media packets seen on a flow.
#[derive(Clone, Debug, Default)]
pub struct MediaFacts {
    /// RTP packets that continue a stream (same SSRC, sequence advancing).
    pub rtp: PerDirection,
    pub rtcp: PerDirection,
    /// Media packets inside an app framing (Zoom, Telegram, IAX2 voice...).
    pub framed: PerDirection,
    /// How the framed media was recognised.
    pub framing: Option<&'static str>,
    pub streams: Vec<RtpStream>,
    /// RTP carried inside TURN (ChannelData or Data indications).
    pub inside_turn: u32,
    /// RTP over TCP with RFC 4571 framing.
    pub over_tcp: bool,
    /// The most voices (audio streams) each side sent at once (see
    /// `dissect::voices`).
    pub voices_at_once: PerDirection,
    /// Other flows were told this flow's media went one way only (see
    /// `Knowledge::learn_one_way_media`).
    pub one_way_taught: bool,
    pub first: Option<Sighting>,
}

impl MediaFacts {
    pub fn media_packets(&self) -> u32 {
        both(&self.rtp).saturating_add(both(&self.framed))
    }

    pub fn payload_types(&self) -> Vec<u8> {
        let mut pts: Vec<u8> = self.streams.iter().map(|s| s.payload_type).collect();
        pts.sort_unstable();
        pts.dedup();
        pts
    }
}

/// DTLS as seen on a flow.
#[derive(Clone, Copy, Debug, Default)]
pub struct DtlsFacts {
    pub records: PerDirection,
    pub client_hello: bool,
    /// The ClientHello offered use_srtp: DTLS-SRTP keying for WebRTC media.
    pub use_srtp: bool,
    pub application_data: PerDirection,
}

/// Call signalling protocols seen on a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignallingProtocol {
    Sip,
    /// SIP over WebSocket (RFC 7118): a browser softphone's signalling.
    SipWebSocket,
    Mgcp,
    /// Megaco / H.248: a call agent controlling a media gateway.
    Megaco,
    H225,
    H225Ras,
    H245,
    Iax2,
    Sccp,
    WhatsAppChat,
    MtProto,
    /// SDP offers/answers carried in an app's own HTTP/WebSocket signalling.
    WebRtcSdp,
    /// RTSP: a camera's or media server's stream control, not a call.
    Rtsp,
}

impl SignallingProtocol {
    pub fn name(self) -> &'static str {
        match self {
            SignallingProtocol::Sip => "SIP",
            SignallingProtocol::SipWebSocket => "SIP over WebSocket (RFC 7118)",
            SignallingProtocol::Mgcp => "MGCP",
            SignallingProtocol::Megaco => "Megaco (H.248)",
            SignallingProtocol::H225 => "H.225 (H.323)",
            SignallingProtocol::H225Ras => "H.225 RAS (H.323)",
            SignallingProtocol::H245 => "H.245 call control (H.323)",
            SignallingProtocol::Iax2 => "IAX2",
            SignallingProtocol::Sccp => "Skinny (SCCP)",
            SignallingProtocol::WhatsAppChat => "WhatsApp chat protocol",
            SignallingProtocol::MtProto => "Telegram MTProto",
            SignallingProtocol::WebRtcSdp => "WebRTC signalling (SDP over HTTP/WebSocket)",
            SignallingProtocol::Rtsp => "RTSP stream control",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SignallingFacts {
    pub protocol: SignallingProtocol,
    pub messages: PerDirection,
    /// SIP: which side sent REGISTER, i.e. the registrar is the other side.
    pub register_from: Option<Direction>,
    /// SIP: the sides that announced media at their own address (an SDP
    /// whose media address is its sender's), as a phone does; a proxy
    /// forwards the other party's, or its media gateway's.
    pub own_media_from: [bool; 2],
    /// SIP: the sides whose User-Agent or Server header was read for a
    /// server product (each side's first one: a host keeps its name).
    pub agent_read: [bool; 2],
    pub call_id: Option<Box<str>>,
    pub user_agent: Option<Box<str>>,
    /// Methods or message names seen, for evidence.
    pub seen: Vec<&'static str>,
    /// SIP: the calls (dialogs) the flow carried.
    pub dialogs: Vec<SipDialog>,
    /// SIP over WebSocket: a frame that goes on in later segments.
    pub websocket: Option<Box<super::websocket::PartialFrame>>,
    /// SIP over TCP: the start of a message that goes on in later
    /// segments (an INVITE with its SDP is often longer than one).
    pub cut_message: Option<Box<CutMessage>>,
    pub first: Option<Sighting>,
}

/// App framings recognised on a flow (counters are cheap, so all in one).
#[derive(Clone, Copy, Debug, Default)]
pub struct AppFrames {
    pub zoom_server: PerDirection,
    pub zoom_media: PerDirection,
    /// Zoom datagrams of the bandwidth media type (`zoom::BANDWIDTH_MEDIA_TYPE`).
    pub zoom_bandwidth: PerDirection,
    /// Zoom datagrams carrying RTCP (media types 33-35) at its offset.
    pub zoom_rtcp: PerDirection,
    pub zoom_p2p: PerDirection,
    /// Zoom peer-to-peer media before any hello (a capture begun
    /// mid-call): each side's runs of its two latest RTP streams (audio
    /// and video interleave), until one proves the framing.
    pub zoom_p2p_run: [[ZoomP2pRun; 2]; 2],
    pub discord_discovery: PerDirection,
    pub discord_keepalive: PerDirection,
    pub telegram_reflector: PerDirection,
    pub telegram_special: PerDirection,
    pub iax2_voice: PerDirection,
    /// RTP/RTCP inside Tencent Meeting's uplink header (`tencent`).
    pub tencent_uplink: PerDirection,
    /// The bytes after the first of the latest QUIC short-header packet
    /// towards UDP 443 (`inspect::joined_quic`).
    pub quic_short_dcid: Option<[u8; QUIC_DCID_PREFIX]>,
}

/// Bytes of a QUIC short header's destination connection ID that
/// `inspect::joined_quic` compares: servers choose 8 or more.
pub const QUIC_DCID_PREFIX: usize = 8;

/// One side's RTP stream inside Zoom's peer-to-peer media encapsulation,
/// followed while no hello proved the framing.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZoomP2pRun {
    pub ssrc: u32,
    pub sequence: u16,
    pub packets: u8,
    /// The run proved the framing (its flow had no hello).
    pub proven: bool,
}

/// What a flow without app framing reads: all counters zero.
const NO_FRAMES: AppFrames = AppFrames {
    zoom_server: [0; 2],
    zoom_media: [0; 2],
    zoom_bandwidth: [0; 2],
    zoom_rtcp: [0; 2],
    zoom_p2p: [0; 2],
    zoom_p2p_run: [[ZoomP2pRun {
        ssrc: 0,
        sequence: 0,
        packets: 0,
        proven: false,
    }; 2]; 2],
    discord_discovery: [0; 2],
    discord_keepalive: [0; 2],
    telegram_reflector: [0; 2],
    telegram_special: [0; 2],
    iax2_voice: [0; 2],
    tencent_uplink: [0; 2],
    quic_short_dcid: None,
};

/// A ClientHello split over packets, gathered until its server name can
/// be read.
#[derive(Debug)]
pub enum HelloReassembly {
    /// Client bytes of a TLS stream (capped).
    Tls(Vec<u8>),
    /// CRYPTO frames of QUIC Initial packets.
    Quic(super::quic::QuicInitialAssembler),
    /// Server bytes of a TLS stream whose ClientHello named no server,
    /// until its certificate's name is read (capped).
    ServerCertificate(Vec<u8>),
}

/// The bytes of a SIP message over TCP so far, and the direction index of
/// the segments that carry it.
#[derive(Clone, Debug)]
pub struct CutMessage {
    pub dir: usize,
    pub bytes: Vec<u8>,
    /// The TCP sequence number of the byte that comes next.
    pub next_seq: u32,
}

/// What a segment of the cut message's direction brings to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Continuation {
    /// Its bytes from this offset on come next (0 but for a segment sent
    /// again with some of what came before).
    From(usize),
    /// Nothing new: a segment sent again.
    Repeated,
    /// Bytes after a gap: the segment between was not captured, and the
    /// message cannot be completed.
    AfterGap,
}

impl CutMessage {
    /// Where the segment at `seq`, `len` bytes long, takes up the message.
    pub fn continued_by(&self, seq: u32, len: usize) -> Continuation {
        // Signed distance on the wrapping sequence space (RFC 9293 §3.4).
        let behind = self.next_seq.wrapping_sub(seq) as i32;
        match usize::try_from(behind) {
            Err(_) => Continuation::AfterGap,
            Ok(had) if had >= len => Continuation::Repeated,
            Ok(had) => Continuation::From(had),
        }
    }
}

/// Everything callpath learned from a flow's payloads.
#[derive(Debug, Default)]
pub struct FlowFacts {
    /// Payload-carrying packets looked at, counted only as far as the
    /// early-packet limits need (saturating; a u16 keeps the flow small).
    pub inspected: u16,
    /// Payload packets no dissector recognised, per direction.
    pub unrecognised: PerDirection,
    /// When the flow's last media packet (RTP, RTCP, framed) was seen, as
    /// nanoseconds (`media_last_seen`). Here rather than in `MediaFacts`:
    /// the flow table asks for it on every packet, and this line is the
    /// one the dissectors touch first anyway.
    media_last_nanos: Option<NonZeroI64>,
    pub stun: Option<Box<StunFacts>>,
    pub media: Option<Box<MediaFacts>>,
    /// Boxed, like the other protocol parts: most flows carry no DTLS.
    pub dtls: Option<Box<DtlsFacts>>,
    pub signalling: Option<Box<SignallingFacts>>,
    /// Boxed: only app-framed flows (Zoom, Discord, Telegram, IAX2) count any.
    frames: Option<Box<AppFrames>>,
    /// The server name a TLS or QUIC ClientHello asked for, or else the
    /// name in the server's TLS certificate (boxed once more: a name's
    /// own pointer is two words, and a flow has room for one).
    server: Option<Box<ServerName>>,
    /// The flow's first payload matched an app's byte pattern (boxed: rare).
    pub payload_match: Option<Box<(AppId, PayloadKind, Box<str>)>>,
    /// DNS flow (port 53): answers go to the name cache, the flow itself
    /// is never call traffic.
    pub dns: bool,
    /// QUIC (long-header Initial seen).
    pub quic: bool,
    /// TLS record framing seen at the start of a TCP stream.
    pub tls: bool,
    /// A ClientHello being put together from several packets; dropped once
    /// the name is read or the attempt gives up.
    pub hello: Option<Box<HelloReassembly>>,
    /// The responder's first payload was looked at for an app's server
    /// port (`inspect::learn_app_host`).
    pub answer_port_checked: bool,
    /// A VPN tunnel's packets (boxed: rare; see `vpn_tunnel`).
    pub tunnel: Option<Box<TunnelFacts>>,
}

/// The name a flow's server answers to, and where it was read.
#[derive(Debug)]
struct ServerName {
    name: Box<str>,
    from_certificate: bool,
}

impl FlowFacts {
    /// The server name a ClientHello asked for, or else the server's
    /// certificate's (`server_name_from_certificate`).
    pub fn server_name(&self) -> Option<&str> {
        self.server.as_deref().map(|s| &*s.name)
    }

    pub fn server_name_from_certificate(&self) -> bool {
        self.server.as_deref().is_some_and(|s| s.from_certificate)
    }

    pub fn set_server_name(&mut self, name: String, from_certificate: bool) {
        self.server = Some(Box::new(ServerName {
            name: name.into_boxed_str(),
            from_certificate,
        }));
    }

    pub fn stun_mut(&mut self) -> &mut StunFacts {
        self.stun.get_or_insert_with(Default::default)
    }

    pub fn media_mut(&mut self) -> &mut MediaFacts {
        self.media.get_or_insert_with(Default::default)
    }

    /// The media facts, for a media packet seen at `ts`.
    pub fn media_seen_at(&mut self, ts: Timestamp) -> &mut MediaFacts {
        // A packet at the epoch's very first nanosecond counts as the
        // next one: 0 stands for "no media yet".
        let nanos = NonZeroI64::new(ts.0).or(NonZeroI64::new(1));
        self.media_last_nanos = self.media_last_nanos.max(nanos);
        self.media_mut()
    }

    /// When the flow's last media packet was seen, if it carried any.
    pub fn media_last_seen(&self) -> Option<Timestamp> {
        self.media_last_nanos.map(|n| Timestamp(n.get()))
    }

    pub fn frames(&self) -> &AppFrames {
        self.frames.as_deref().unwrap_or(&NO_FRAMES)
    }

    pub fn frames_mut(&mut self) -> &mut AppFrames {
        self.frames.get_or_insert_with(Default::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_continues_a_cut_message_by_its_sequence_number() {
        // The next byte is at the top of the sequence space: numbers wrap.
        let cut = CutMessage {
            dir: 0,
            bytes: b"INVITE sip:b@example.test SIP/2.0\r\n".to_vec(),
            next_seq: u32::MAX - 9,
        };
        assert_eq!(cut.continued_by(u32::MAX - 9, 100), Continuation::From(0));
        // Sent again from 30 bytes before, with 70 new ones.
        assert_eq!(cut.continued_by(u32::MAX - 39, 100), Continuation::From(30));
        assert_eq!(cut.continued_by(u32::MAX - 99, 90), Continuation::Repeated);
        // A segment lost between: 20 bytes past the wrap.
        assert_eq!(cut.continued_by(20, 100), Continuation::AfterGap);
    }
}
