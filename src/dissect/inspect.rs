//! Runs the dissectors over one packet of a flow and records what they
//! found as facts on the flow (and, for facts other flows need, in the
//! shared knowledge). Cheap first-byte demultiplexing (RFC 7983/9443)
//! picks the dissector; weak or costly dissectors run only on a flow's
//! first packets or once their protocol has been seen on the flow.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use memchr::memmem::Finder;

use crate::hex_text::HexText;

use super::facts::{
    both, bump, AppFrames, Continuation, CutMessage, FlowFacts, HelloReassembly, MediaFacts,
    RtpStream, Sighting, SignallingFacts, SignallingProtocol, StunFacts, ZoomP2pRun, MAX_ADDRESSES,
    MAX_RTP_STREAMS,
};
use super::ice_session::{IceSession, SenderUfrag};
use super::stun::{StunAttr, StunClass, StunMessage};
use super::websocket;
use super::{
    agora, demux, discord, dns, dtls, h225, iax2, megaco, mgcp, quic, rtp, rtsp, sccp, sdp, sip,
    sip_dialogs, skype, stun, telegram, tencent, tls, turn_channel, voices, vpn_tunnel, whatsapp,
    zoom, Probe,
};
use crate::capture::Timestamp;
use crate::classify::knowledge::{
    AppHost, ConferenceHost, HostSign, Knowledge, OneWayMedia, Reflection, RelayInfo, RelayKind,
    SdpMedia, ServerInfo, ServerRole, SipLeg, SocketApp, SweepNews,
};
use crate::classify::probe_sweep::Probe as SweptProbe;
use crate::classify::signatures::{AppId, L4Kind, Signatures, StunMatch};
use crate::decode::{L4Proto, PacketView};
use crate::flow::{Direction, DirectionStats, Endpoint, Flow};

/// Packets of a flow on which every dissector is tried; after that only
/// the protocols already seen on the flow (and the cheap media demux).
const EARLY_PACKETS: u16 = 32;
/// Most client bytes gathered to read a TLS ClientHello.
const MAX_TLS_BUFFER: usize = 16 * 1024;
/// Longest string (username, realm, user agent) kept as evidence.
const MAX_TEXT: usize = 96;
/// Largest forward jump of an RTP sequence number still counted as the
/// same stream continuing (packet loss), per RFC 3550 A.1's spirit.
const MAX_SEQUENCE_GAP: u16 = 100;

/// What the dissectors may consult and update beyond the flow itself.
pub struct InspectContext<'a> {
    pub signatures: &'a Signatures,
    pub knowledge: &'a Knowledge,
    /// The analysis clock (latest packet time read so far, never going
    /// backwards): what shared knowledge learned from this packet is
    /// stamped with, so that a capture whose timestamps step back cannot
    /// slip a fact in before a verdict that was already given.
    pub clock: Timestamp,
}

/// One packet as the dissectors see it.
struct Packet<'p> {
    dir: Direction,
    src: Endpoint,
    dst: Endpoint,
    /// The packet's own timestamp (RTP arrival times).
    ts: Timestamp,
    /// The analysis clock when the packet was read: packet time that never
    /// goes backwards. Facts for other flows are stamped with it.
    clock: Timestamp,
    frame: u64,
    /// Its TCP sequence number (0 on other transports).
    tcp_seq: u32,
    payload: &'p [u8],
}

fn text(bytes: &[u8]) -> Box<str> {
    // Printable ASCII (the usual case) is its own text: no decoding,
    // character by character, into a growing string.
    let head = bytes.get(..MAX_TEXT).unwrap_or(bytes);
    if head.iter().all(|b| (0x20..0x7f).contains(b)) {
        if let Ok(s) = std::str::from_utf8(head) {
            return Box::from(s);
        }
    }
    let s = String::from_utf8_lossy(bytes);
    let mut out: String = s.chars().take(MAX_TEXT).collect();
    out.retain(|c| !c.is_control());
    out.into_boxed_str()
}

fn sighting(frame: u64, what: impl Into<Box<str>>) -> Option<super::facts::Sighting> {
    Some(Sighting {
        frame,
        what: what.into(),
    })
}

/// Inspects one packet of `flow` travelling in `dir`. Always inlined into
/// the flow worker's packet path: with a second caller (IP fragments, out
/// of that path) the compiler made it a call there (4.047 → 4.078 G
/// instructions on the reference capture, cachegrind).
#[inline(always)]
pub fn inspect(
    flow: &mut Flow,
    dir: Direction,
    view: &PacketView<'_>,
    ts: Timestamp,
    frame: u64,
    ctx: &InspectContext<'_>,
) {
    if view.payload.is_empty() {
        return;
    }
    let (src, dst) = match dir {
        Direction::FromOrig => (flow.orig(), flow.resp()),
        Direction::FromResp => (flow.resp(), flow.orig()),
    };
    let pkt = Packet {
        dir,
        src,
        dst,
        ts,
        clock: ctx.clock,
        frame,
        tcp_seq: view.tcp_seq,
        payload: view.payload,
    };
    let facts = &mut flow.facts;
    facts.inspected = facts.inspected.saturating_add(1);
    // A VPN tunnel's later packets are its encrypted contents.
    if facts.tunnel.as_deref().is_some_and(|t| t.found().is_some()) {
        return;
    }
    // Payload bytes its sender sent on the flow, this packet's included:
    // its length when this is the first.
    let side_bytes = flow.stats.get(dir.index()).map_or(0, |s| s.payload_bytes);
    let sides = &flow.stats;
    match flow.l4 {
        L4Proto::Udp => inspect_udp(&mut flow.facts, &pkt, side_bytes, sides, ctx),
        L4Proto::Tcp => {
            let stream_start = side_bytes == view.payload.len() as u64;
            inspect_tcp(&mut flow.facts, &pkt, stream_start, ctx);
        }
        _ => {}
    }
    if dir == Direction::FromResp && !flow.facts.answer_port_checked {
        flow.facts.answer_port_checked = true;
        learn_app_host(flow.l4, &pkt, ctx);
    }
}

/// Whether an early packet that no other dissector recognised belongs to
/// a VPN tunnel (see `vpn_tunnel`); the flow keeps tunnel facts only once
/// one may begin. `side_start`: the first payload its sender sent;
/// `peer_spoke`: the other side sent a datagram before it (UDP).
fn tunnel_packet(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    side_start: bool,
    peer_spoke: bool,
    tcp: bool,
) -> bool {
    let ports = (pkt.src.port, pkt.dst.port);
    if facts.tunnel.is_none() {
        if !tcp && (vpn_tunnel::is_warp_ingress(pkt.src) || vpn_tunnel::is_warp_ingress(pkt.dst)) {
            facts.tunnel = Some(Box::new(vpn_tunnel::TunnelFacts::warp(pkt.frame)));
            return true;
        }
        let may = if tcp {
            vpn_tunnel::may_start_tcp(pkt.payload, side_start)
        } else {
            vpn_tunnel::may_start_udp(ports, pkt.payload, side_start)
        };
        if !may {
            return false;
        }
    }
    let t = facts.tunnel.get_or_insert_with(Default::default);
    if tcp {
        t.observe_tcp(pkt.dir, pkt.payload, side_start, pkt.frame)
    } else {
        t.observe_udp(
            pkt.dir,
            ports,
            pkt.payload,
            side_start,
            peer_spoke,
            pkt.frame,
        )
    }
}

/// A reply from a port that only one app's servers use makes its host that
/// app's server, which names the app of the host's other connections too
/// (a TCP 443 fallback beside the app's UDP relay port, say).
fn learn_app_host(l4: L4Proto, pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let Some(kind) = L4Kind::of(l4) else { return };
    if let Some(app) = ctx
        .signatures
        .server_port_app(kind, pkt.src.port, pkt.dst.port)
    {
        let host = AppHost {
            app,
            port: pkt.src.port,
            l4,
            frame: pkt.frame,
            sign: HostSign::ServerPort,
        };
        ctx.knowledge.learn_app_host(pkt.src.ip, host, pkt.clock);
    }
}

fn is_dns_port(p: u16) -> bool {
    // DNS, mDNS, LLMNR.
    matches!(p, 53 | 5353 | 5355)
}

/// `side_bytes`: payload bytes the packet's sender sent on the flow, this
/// packet's included; `sides`: the flow's counters by direction.
fn inspect_udp(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    side_bytes: u64,
    sides: &[DirectionStats; 2],
    ctx: &InspectContext<'_>,
) {
    let early = facts.inspected <= EARLY_PACKETS;
    if (facts.dns || (early && (is_dns_port(pkt.src.port) || is_dns_port(pkt.dst.port))))
        && dns::probe(pkt.payload) != Probe::NotForUs
    {
        facts.dns = true;
        learn_dns_answers(pkt.payload, pkt.clock, ctx);
        return;
    }
    // IAX2's full frames set the top bit, as RTP's version does: on IAX2's
    // port they are IAX2's, not RTP streams.
    let iax2_full = (pkt.src.port == iax2::PORT || pkt.dst.port == iax2::PORT)
        && iax2::is_full_frame(pkt.payload);
    if !iax2_full && dissect_demuxed(facts, pkt, pkt.payload, ctx, false) {
        return;
    }
    // Microsoft's multiplexed TURN header (MS-TURN 2.2.3) wraps STUN/media.
    if let Some((_, inner)) = stun::strip_ms_multiplexed_turn(pkt.payload) {
        if dissect_demuxed(facts, pkt, inner, ctx, false) {
            return;
        }
    }
    if let Some(inner) = tencent::uplink_inner(pkt.payload) {
        if tencent::is_control_message(inner) || dissect_demuxed(facts, pkt, inner, ctx, false) {
            let first = facts.frames().tencent_uplink == [0, 0];
            learn_framing_app(
                ctx,
                pkt,
                first,
                "tencent_meeting",
                "Tencent Meeting uplink header",
            );
            bump(&mut facts.frames_mut().tencent_uplink, pkt.dir);
            return;
        }
    }
    if (early || facts.frames_seen() || facts.signalling.is_some() || facts.quic)
        && app_framing(facts, pkt, ctx)
    {
        return;
    }
    if early {
        let side_start = side_bytes == pkt.payload.len() as u64;
        let peer_spoke = sides
            .get(1 - pkt.dir.index())
            .is_some_and(|s| s.payload_bytes > 0);
        if tunnel_packet(facts, pkt, side_start, peer_spoke, false) {
            return;
        }
        note_payload_pattern(facts, pkt, L4Kind::Udp, ctx);
        if facts.inspected == 1 {
            if let Some(s) = skype::may_be_probe(pkt.payload) {
                note_skype_probe(s.id, pkt, ctx);
            }
            note_first_client(pkt, ctx);
        }
    }
    bump(&mut facts.unrecognised, pkt.dir);
}

/// A flow that opens with what may be legacy Skype's probe of a supernode:
/// the sending socket's probes together may confirm its sweep of them
/// (`probe_sweep`), which names the socket's flows and the probed hosts'
/// other connections Skype's.
#[cold]
/// The sender of a flow's first, opaque datagram to a public socket
/// (`Knowledge::other_client`).
#[inline(never)]
fn note_first_client(pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let local = crate::classify::sides::is_site_local;
    if local(pkt.src.ip) && !local(pkt.dst.ip) && !pkt.dst.ip.is_multicast() {
        ctx.knowledge
            .learn_first_client(pkt.dst, pkt.src, pkt.clock);
    }
}

fn note_skype_probe(id: u16, pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let Some(app) = ctx.signatures.app_id("skype_teams") else {
        return;
    };
    let probe = SweptProbe {
        id,
        at: pkt.clock,
        host: pkt.dst.ip,
        port: pkt.dst.port,
        frame: pkt.frame,
    };
    let probed = |p: &SweptProbe| {
        let host = AppHost {
            app,
            port: p.port,
            l4: L4Proto::Udp,
            frame: p.frame,
            sign: HostSign::SkypeProbed,
        };
        ctx.knowledge.learn_app_host(p.host, host, p.at);
    };
    match ctx.knowledge.note_probe(pkt.src, probe) {
        SweepNews::Nothing => {}
        SweepNews::Probed(p) => probed(&p),
        SweepNews::Confirmed(at, probes) => {
            let (lo, hi) = probes
                .iter()
                .fold((u16::MAX, 0), |(lo, hi), p| (lo.min(p.id), hi.max(p.id)));
            let first = probes.iter().map(|p| p.frame).min().unwrap_or(pkt.frame);
            let why = format!(
                "legacy Skype's sweep of supernodes: {} hosts probed in turn from this socket (FUNC 0x02/0x03), message IDs {lo:04x}-{hi:04x} counting up, from frame {first}",
                probes.len()
            );
            let evidence = ctx.knowledge.socket_reason(&why);
            ctx.knowledge
                .learn_socket_app(pkt.src, SocketApp { app, evidence }, at);
            probes.iter().for_each(probed);
        }
    }
}

impl FlowFacts {
    fn frames_seen(&self) -> bool {
        let f: &AppFrames = self.frames();
        [
            f.zoom_server,
            f.zoom_p2p,
            f.discord_discovery,
            f.discord_keepalive,
            f.telegram_reflector,
            f.telegram_special,
            f.iax2_voice,
        ]
        .iter()
        .any(|c| c.iter().any(|n| *n > 0))
    }
}

/// STUN, TURN ChannelData, DTLS and RTP/RTCP, told apart by the first
/// byte. Returns whether the payload was recognised.
fn dissect_demuxed(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    payload: &[u8],
    ctx: &InspectContext<'_>,
    inside_turn: bool,
) -> bool {
    let Some(&first) = payload.first() else {
        return false;
    };
    match demux::classify(first) {
        demux::FirstByteKind::Stun => match stun::parse(payload) {
            Ok(msg) if stun::probe(payload) != Probe::NotForUs => {
                observe_stun(facts, pkt, &msg, ctx);
                true
            }
            _ => false,
        },
        demux::FirstByteKind::TurnChannel => match turn_channel::parse(payload) {
            // ChannelData only exists after a ChannelBind on this flow.
            Some(cd)
                if facts
                    .stun
                    .as_ref()
                    .is_some_and(|s| s.channel_binds > 0 || s.is_turn()) =>
            {
                let carries_media = is_media_payload(cd.data);
                take_channel_data(facts, pkt, cd.data, carries_media, true, ctx);
                true
            }
            Some(cd) => unbound_channel_data(facts, pkt, payload, cd, ctx),
            None => false,
        },
        demux::FirstByteKind::Dtls => {
            if dtls::probe(payload) == Probe::NotForUs {
                return false;
            }
            let d = facts.dtls.get_or_insert_with(Default::default);
            for record in dtls::records(payload) {
                bump(&mut d.records, pkt.dir);
                if record.is_application_data() {
                    bump(&mut d.application_data, pkt.dir);
                }
                if let Some(info) = dtls::client_hello_info(&record) {
                    d.client_hello = true;
                    d.use_srtp |= info.use_srtp;
                    // Not inside TURN: there port 443 is the relay's.
                    let vpn = !info.use_srtp && !inside_turn && pkt.dst.port == DTLS_VPN_PORT;
                    if vpn && facts.tunnel.is_none() {
                        facts.tunnel = Some(Box::new(vpn_tunnel::TunnelFacts::dtls_vpn(pkt.frame)));
                    }
                }
            }
            true
        }
        demux::FirstByteKind::RtpRtcp => observe_rtp_or_rtcp(facts, pkt, payload, inside_turn, ctx),
        _ => false,
    }
}

/// ChannelData on a flow that showed no ChannelBind: a capture that began
/// mid-call missed it, so each frame must fill its datagram (up to
/// padding) and carry STUN or media. (Out of line: the common path of
/// every STUN and RTP packet stays as it was.)
#[inline(never)]
fn unbound_channel_data(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    payload: &[u8],
    cd: turn_channel::ChannelData<'_>,
    ctx: &InspectContext<'_>,
) -> bool {
    if !cd.fills(payload) {
        return false;
    }
    let carries_media = is_media_payload(cd.data);
    if !carries_media && !is_stun(cd.data) {
        return false;
    }
    take_channel_data(facts, pkt, cd.data, carries_media, false, ctx);
    true
}

/// Counts a ChannelData frame, on a channel whose bind was seen (`bound`)
/// or not, and dissects what it carries.
#[inline(always)]
fn take_channel_data(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    data: &[u8],
    carries_media: bool,
    bound: bool,
    ctx: &InspectContext<'_>,
) {
    let stun = facts.stun_mut();
    let frames = if bound {
        &mut stun.channel_data
    } else {
        &mut stun.unbound_channel_data
    };
    bump(frames, pkt.dir);
    if carries_media {
        bump(&mut stun.relayed_media, pkt.dir);
    }
    dissect_demuxed(facts, pkt, data, ctx, true);
}

/// Whether bytes are a STUN message with the magic cookie (an ICE check
/// or consent check relayed through the channel): its header alone, the
/// length field filling the bytes (the full probe stays inlined where
/// every STUN packet meets it).
fn is_stun(data: &[u8]) -> bool {
    let Some(header) = data.first_chunk::<{ stun::HEADER_LEN }>() else {
        return false;
    };
    let [t0, _, l0, l1, c0, c1, c2, c3, ..] = *header;
    t0 & 0xc0 == 0
        && u32::from_be_bytes([c0, c1, c2, c3]) == stun::MAGIC_COOKIE
        && usize::from(u16::from_be_bytes([l0, l1])) + stun::HEADER_LEN == data.len()
}

/// The UDP port of VPNs whose data channel is DTLS (see `vpn_tunnel`).
const DTLS_VPN_PORT: u16 = 443;

/// Whether bytes relayed inside TURN are media (RTP/SRTP/SRTCP or DTLS).
fn is_media_payload(data: &[u8]) -> bool {
    match data.first().map(|b| demux::classify(*b)) {
        // RTCP reports are call control, not media: a path that carried
        // only them (a relay tried while the media went direct) carried
        // none of the call's voice.
        Some(demux::FirstByteKind::RtpRtcp) => {
            data.get(1).is_some_and(|&b| !rtp::is_rtcp_payload_type(b))
                && rtp::parse(data).is_some()
        }
        Some(demux::FirstByteKind::Dtls) => dtls::probe(data) != Probe::NotForUs,
        _ => false,
    }
}

fn observe_rtp_or_rtcp(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    payload: &[u8],
    inside_turn: bool,
    ctx: &InspectContext<'_>,
) -> bool {
    let Some(&pt_byte) = payload.get(1) else {
        return false;
    };
    if rtp::is_rtcp_payload_type(pt_byte) {
        // Encrypted SRTCP only probes "unsure"; accept it where the flow
        // already shows a call (RTP, STUN, DTLS), not on a flow of its own.
        let call_context = facts.media.as_ref().is_some_and(|m| !m.streams.is_empty())
            || facts.stun.is_some()
            || facts.dtls.is_some()
            || inside_turn;
        match super::rtcp::probe(payload) {
            Probe::Certain => {}
            Probe::Unsure if call_context => {}
            _ => return false,
        }
        bump(&mut facts.media_seen_at(pkt.ts).rtcp, pkt.dir);
        return true;
    }
    let Some(h) = rtp::parse(payload) else {
        return false;
    };
    let ice_checked = facts.stun.as_ref().is_some_and(|s| both(&s.ice_checks) > 0);
    let media = facts.media_seen_at(pkt.ts);
    if inside_turn {
        media.inside_turn = media.inside_turn.saturating_add(1);
    }
    if observe_rtp_header(media, pkt, &h).is_some_and(voices::recount_at) {
        count_voices(media, pkt, ctx);
        if ice_checked && !inside_turn {
            note_one_way_media(media, pkt, ctx);
        }
    }
    true
}

/// The first time a stream of the packet's sender is long while nothing
/// came back but control packets, on a flow ICE checked, other flows
/// learn it: a server that takes a device's media on one such flow and
/// sends it media on another is an SFU's pair of transports (`role`).
#[cold]
fn note_one_way_media(media: &mut MediaFacts, pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let back = media
        .rtp
        .get(pkt.dir.reverse().index())
        .copied()
        .unwrap_or(0);
    if media.one_way_taught || back > 0 {
        return;
    }
    media.one_way_taught = true;
    ctx.knowledge.learn_one_way_media(
        OneWayMedia {
            sender: pkt.src,
            receiver: pkt.dst,
            seen: pkt.ts,
        },
        pkt.clock,
    );
}

/// Counts the voices the packet's sender sends at once; the first time it
/// is several, its address is a conference server's for the other flows.
#[cold]
fn count_voices(media: &mut MediaFacts, pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let voices = u32::try_from(voices::at_once(&media.streams, pkt.dir)).unwrap_or(u32::MAX);
    let Some(most) = media.voices_at_once.get_mut(pkt.dir.index()) else {
        return;
    };
    if voices <= *most {
        return;
    }
    let first_time = *most < 2 && voices >= 2;
    *most = voices;
    if first_time {
        ctx.knowledge.learn_conference(
            ConferenceHost {
                sender: pkt.src,
                voices,
            },
            pkt.clock,
        );
    }
}

/// Counts an RTP packet as media only when it continues a stream: same
/// SSRC, same direction, sequence number a little ahead. Random bytes that
/// happen to look like an RTP header do not do that twice.
///
/// Returns the stream's in-sequence packets when the packet continued one.
fn observe_rtp_header(media: &mut MediaFacts, pkt: &Packet<'_>, h: &rtp::RtpHeader) -> Option<u32> {
    let arrival = pkt.ts.0;
    if let Some(s) = media
        .streams
        .iter_mut()
        .find(|s| s.ssrc == h.ssrc && s.direction == pkt.dir)
    {
        let gap = h.sequence.wrapping_sub(s.last_sequence);
        if (1..=MAX_SEQUENCE_GAP).contains(&gap) {
            s.in_sequence = s.in_sequence.saturating_add(1);
            bump(&mut media.rtp, pkt.dir);
            if media.first.is_none() {
                let mut what = String::from("RTP payload type ");
                what.push_str(itoa::Buffer::new().format(h.payload_type));
                what.push_str(" SSRC ");
                what.push_str(HexText::new(u64::from(h.ssrc), 10).as_str());
                media.first = sighting(pkt.frame, what);
            }
        }
        let continued = (1..=MAX_SEQUENCE_GAP).contains(&gap);
        s.last_sequence = h.sequence;
        s.payload_type = h.payload_type;
        s.last_ns = arrival;
        s.quality.update(h.sequence, h.timestamp, arrival);
        return continued.then_some(s.in_sequence);
    } else if media.streams.len() < MAX_RTP_STREAMS {
        let mut quality = super::rtp_quality::RtpStreamQuality::new(
            h.ssrc,
            h.sequence,
            rtp::clock_rate(h.payload_type),
        );
        quality.update(h.sequence, h.timestamp, arrival);
        // One stream at a time: most flows carry one or two, and the list
        // lives as long as the flow.
        media.streams.reserve_exact(1);
        media.streams.push(RtpStream {
            ssrc: h.ssrc,
            direction: pkt.dir,
            payload_type: h.payload_type,
            last_sequence: h.sequence,
            in_sequence: 0,
            first_ns: arrival,
            last_ns: arrival,
            quality,
        });
    }
    None
}

fn observe_stun(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    msg: &StunMessage<'_>,
    ctx: &InspectContext<'_>,
) {
    let sigs = ctx.signatures;
    // Once a vendor's (not a protocol family's) fingerprint is on the flow,
    // nothing later replaces it: skip matching and its evidence text.
    let settled = facts
        .stun
        .as_ref()
        .and_then(|s| s.vendor.as_ref())
        .is_some_and(|(app, _)| !sigs.app(*app).generic);
    let mut vendor: Option<(AppId, StunClue<'_>)> = None;
    let mut consider = |found: Option<_>| {
        let Some((app, why)) = found else { return };
        let replace = match &vendor {
            None => true,
            Some((old, _)) => sigs.app(*old).generic && !sigs.app(app).generic,
        };
        if replace {
            vendor = Some((app, why));
        }
    };
    if !settled {
        consider(
            sigs.match_stun_message_type(msg.msg_type)
                .map(|a| (a, StunClue::MessageType(msg.msg_type))),
        );
    }
    let s: &mut StunFacts = facts.stun_mut();
    bump(&mut s.messages, pkt.dir);
    if !msg.magic_cookie {
        s.classic = s.classic.saturating_add(1);
    }
    match msg.class {
        StunClass::Request => bump(&mut s.requests, pkt.dir),
        StunClass::SuccessResponse => bump(&mut s.success_responses, pkt.dir),
        StunClass::ErrorResponse => bump(&mut s.error_responses, pkt.dir),
        StunClass::Indication => bump(&mut s.indications, pkt.dir),
    }
    let request = msg.class == StunClass::Request;
    let success = msg.class == StunClass::SuccessResponse;
    let meta_relay = msg.magic_cookie && msg.is_whatsapp_type();
    match msg.method {
        stun::BINDING if request => s.binding_requests = s.binding_requests.saturating_add(1),
        stun::ALLOCATE if request => s.allocate_requests = s.allocate_requests.saturating_add(1),
        stun::ALLOCATE if success => {
            s.allocate_success = s.allocate_success.saturating_add(1);
            s.released = false;
        }
        stun::REFRESH if request => s.refreshes = s.refreshes.saturating_add(1),
        stun::CREATE_PERMISSION if request => s.permissions = s.permissions.saturating_add(1),
        stun::CHANNEL_BIND if request => s.channel_binds = s.channel_binds.saturating_add(1),
        stun::SEND => s.send_indications = s.send_indications.saturating_add(1),
        stun::DATA => s.data_indications = s.data_indications.saturating_add(1),
        _ if meta_relay => {
            s.meta_relay_messages = s.meta_relay_messages.saturating_add(1);
        }
        _ => {}
    }
    if s.first.is_none() {
        let method = if meta_relay {
            "Meta relay"
        } else {
            method_name(msg.method)
        };
        s.first = sighting(pkt.frame, ["STUN ", method, " ", msg.class.name()].concat());
    }
    let mut ice_check = false;
    let mut relayed_media = false;
    let mut username: Option<&[u8]> = None;
    for attr in msg.attributes() {
        match attr {
            // An Allocate answer's plain MAPPED-ADDRESS is the address the
            // server allocated, as in the TURN drafts MS-TURN follows
            // (MS-TURN 2.2.2.1); the device's own is its XOR-MAPPED one.
            StunAttr::MappedAddress(a) if success && msg.method == stun::ALLOCATE => {
                s.relayed.get_or_insert(a);
            }
            StunAttr::XorMappedAddress(a) | StunAttr::MappedAddress(a) if success => {
                if s.mapped.is_none() {
                    s.mapped = Some((a, pkt.dir.reverse()));
                }
                if (msg.method == stun::BINDING || msg.method == stun::ALLOCATE)
                    && first_teaching(&mut s.reflection_taught, pkt.dir)
                {
                    ctx.knowledge.learn_reflection(
                        pkt.dst,
                        Reflection {
                            public: a.into(),
                            reflector: pkt.src,
                        },
                        pkt.clock,
                    );
                    // Answers to requests without ICE attributes are
                    // address discovery, from a server.
                    if s.ice_checks.get(pkt.dir.reverse().index()) == Some(&0) {
                        ctx.knowledge.learn_server_reflection(a.ip(), pkt.clock);
                    }
                }
            }
            StunAttr::XorRelayedAddress(a) if success => {
                s.relayed.get_or_insert(a);
            }
            StunAttr::XorPeerAddress(a)
            | StunAttr::MsRemoteAddress(a)
            | StunAttr::MsDestinationAddress(a) => {
                if s.peers.len() < MAX_ADDRESSES && !s.peers.contains(&a) {
                    s.peers.push(a);
                }
            }
            StunAttr::ResponseOrigin(_) | StunAttr::OtherAddress(_) => s.server_attributes = true,
            StunAttr::Priority(_)
            | StunAttr::UseCandidate
            | StunAttr::IceControlling(_)
            | StunAttr::IceControlled(_) => {
                if request {
                    ice_check = true;
                }
                if matches!(attr, StunAttr::UseCandidate) {
                    s.use_candidate = true;
                }
            }
            StunAttr::Username(u) => {
                s.username.get_or_insert_with(|| text(u));
                username = Some(u);
            }
            // A Binding request signed with a key the two ends agreed on
            // (MESSAGE-INTEGRITY): a check between peers (WhatsApp's carry
            // nothing else), not address discovery, which is never signed.
            StunAttr::MessageIntegrity if request => ice_check = true,
            StunAttr::Realm(r) => {
                if s.realm.is_none() {
                    s.realm = Some(text(r));
                }
                if !settled {
                    consider(
                        sigs.match_stun_realm(r)
                            .map(|m| (m.app, StunClue::Pattern(m))),
                    );
                }
            }
            StunAttr::Software(sw) => {
                if s.software.is_none() {
                    s.software = Some(text(sw));
                }
                if !settled {
                    consider(
                        sigs.match_stun_software(sw)
                            .map(|m| (m.app, StunClue::Pattern(m))),
                    );
                }
            }
            StunAttr::Data(inner) => relayed_media |= is_media_payload(inner),
            StunAttr::Lifetime(0) if request && msg.method == stun::REFRESH => s.released = true,
            other => {
                if !settled {
                    let t = other.attr_type();
                    consider(
                        sigs.match_stun_attribute(t)
                            .map(|a| (a, StunClue::Attribute(t))),
                    );
                }
            }
        }
    }
    if ice_check && msg.method == stun::BINDING {
        bump(&mut s.ice_checks, pkt.dir);
        if s.ice_session.is_none() {
            s.ice_session = username.and_then(IceSession::from_username);
        }
        if let Some(slot @ None) = s.sender_ufrags.get_mut(pkt.dir.index()) {
            *slot = username.and_then(SenderUfrag::from_username);
            // An agent that checks from inside a site is a device there:
            // its checks from a global address (IPv6) say which end of
            // that flow is the device (`sides`).
            if let Some(ufrag) = *slot {
                if crate::classify::sides::is_site_local(pkt.src.ip) {
                    ctx.knowledge.learn_site_agent(ufrag, pkt.clock);
                }
            }
        }
    }
    if relayed_media {
        bump(&mut s.relayed_media, pkt.dir);
    }
    // The app's other flows learn it from here (`learn_socket_app`).
    let mut teach: Option<(AppId, String)> = None;
    if let Some((app, clue)) = vendor {
        // A vendor's fingerprint replaces a protocol family's (libwebrtc
        // attributes appear in Signal's and Meet's STUN alike).
        let replace = match &s.vendor {
            None => true,
            Some((old, _)) => sigs.app(*old).generic && !sigs.app(app).generic,
        };
        let vendor_app = !sigs.app(app).generic;
        if replace || vendor_app {
            let why = clue.evidence(sigs);
            if replace {
                s.vendor = Some((app, why.clone().into_boxed_str()));
            }
            if vendor_app {
                teach = Some((app, why));
            }
        }
    }
    let app = s.vendor.as_ref().map(|(a, _)| *a);
    // Facts other flows need: relays, servers, the sockets of this app.
    if success && msg.method == stun::ALLOCATE {
        if let Some(relayed) = s.relayed {
            ctx.knowledge.learn_relay(
                relayed,
                RelayInfo {
                    server: pkt.src,
                    relayed: relayed.into(),
                    app,
                    kind: RelayKind::Turn,
                },
                pkt.clock,
            );
        }
        if first_teaching(&mut s.server_taught, pkt.dir) {
            ctx.knowledge.learn_server(
                ServerInfo {
                    role: ServerRole::Turn,
                    app,
                    endpoint: pkt.src,
                    evidence: None,
                },
                pkt.clock,
            );
        }
    } else if success
        && msg.method == stun::BINDING
        && s.ice_checks.get(pkt.dir.reverse().index()) > Some(&0)
        && !crate::classify::sides::is_site_local(pkt.src.ip)
        && app.is_some()
        && first_teaching(&mut s.server_taught, pkt.dir)
    {
        // A public host that answered the call's ICE checks holds the
        // call's media end: its TCP connections (a conference server's
        // HTTPS API beside its media port) are the app's too.
        if let Some(app) = app {
            let host = AppHost {
                app,
                port: pkt.src.port,
                l4: L4Proto::Udp,
                frame: pkt.frame,
                sign: HostSign::IceAnswers,
            };
            ctx.knowledge.learn_app_host(pkt.src.ip, host, pkt.clock);
        }
    } else if success
        && msg.method == stun::BINDING
        && s.ice_checks == [0, 0]
        && s.requests.get(pkt.dir.index()) == Some(&0)
        && first_teaching(&mut s.server_taught, pkt.dir)
    {
        // Answered Binding requests and never asked any itself: a STUN
        // server, not an ICE peer (peers check in both directions).
        ctx.knowledge.learn_server(
            ServerInfo {
                role: ServerRole::Stun,
                app,
                endpoint: pkt.src,
                evidence: None,
            },
            pkt.clock,
        );
    }
    if let Some((app, why)) = teach {
        learn_socket_app(ctx, pkt, app, &why);
    }
}

/// What tied a STUN message to an app, put into words only when the flow
/// keeps it.
enum StunClue<'a> {
    MessageType(u16),
    Attribute(u16),
    Pattern(StunMatch<'a>),
}

impl StunClue<'_> {
    fn evidence(&self, sigs: &Signatures) -> String {
        match self {
            StunClue::MessageType(t) => hex_evidence("STUN message type ", *t),
            StunClue::Attribute(t) => hex_evidence("STUN attribute ", *t),
            StunClue::Pattern(m) => m.evidence(sigs),
        }
    }
}

/// "STUN attribute 0x8022": `what` and a 16-bit number.
fn hex_evidence(what: &str, number: u16) -> String {
    let mut text = String::with_capacity(what.len() + 6);
    text.push_str(what);
    text.push_str(HexText::new(u64::from(number), 6).as_str());
    text
}

/// Marks what a flow teaches in direction `dir`; true the first time only.
fn first_teaching(taught: &mut [bool; 2], dir: Direction) -> bool {
    match taught.get_mut(dir.index()) {
        Some(done) => !std::mem::replace(done, true),
        None => true,
    }
}

/// Ties both sockets of a flow to a vendor's app, so the app's other flows
/// from the same socket (ICE checks, probes to peers) are recognised. A
/// protocol family (generic WebRTC) says nothing about the app and is not
/// passed on.
fn learn_socket_app(ctx: &InspectContext<'_>, pkt: &Packet<'_>, app: AppId, why: &str) {
    if ctx.signatures.app(app).generic {
        return;
    }
    let why = ctx.knowledge.socket_reason(why);
    for end in [pkt.src, pkt.dst] {
        ctx.knowledge.learn_socket_app(
            end,
            SocketApp {
                app,
                evidence: why.clone(),
            },
            pkt.clock,
        );
    }
}

/// Ties the flow's sockets to the app a framing belongs to, the first time
/// the framing is seen on the flow.
fn learn_framing_app(ctx: &InspectContext<'_>, pkt: &Packet<'_>, first: bool, id: &str, why: &str) {
    if !first {
        return;
    }
    if let Some(app) = ctx.signatures.app_id(id) {
        learn_socket_app(ctx, pkt, app, why);
    }
}

fn method_name(m: u16) -> &'static str {
    match m {
        stun::BINDING => "Binding",
        stun::ALLOCATE => "Allocate",
        stun::REFRESH => "Refresh",
        stun::SEND => "Send",
        stun::DATA => "Data",
        stun::CREATE_PERMISSION => "CreatePermission",
        stun::CHANNEL_BIND => "ChannelBind",
        _ => "message",
    }
}

/// Zoom, Discord, Telegram, IAX2, MGCP, SIP, H.225 RAS and QUIC names on
/// UDP. Returns whether the payload was recognised.
fn app_framing(facts: &mut FlowFacts, pkt: &Packet<'_>, ctx: &InspectContext<'_>) -> bool {
    // Past its first packets a flow proven QUIC carries nothing else this
    // looks for: its packets skip the other framings' parsers.
    if facts.quic && facts.inspected > EARLY_PACKETS {
        return true;
    }
    let p = pkt.payload;
    let (sport, dport) = (pkt.src.port, pkt.dst.port);
    if zoom::is_server_port(sport) || zoom::is_server_port(dport) {
        if let Some(zoom::ZoomFrame::Sfu { media, .. }) = zoom::parse_server(p) {
            let first = facts.frames().zoom_server == [0, 0];
            learn_framing_app(ctx, pkt, first, "zoom", "Zoom server encapsulation");
            bump(&mut facts.frames_mut().zoom_server, pkt.dir);
            if let Some(m) = media {
                note_zoom_media(facts, pkt, &m);
            }
            return true;
        }
    }
    // Zoom's peer-to-peer datagrams: the hello proves the framing, and
    // media encapsulations count only on a flow that began with it (a type
    // byte and an RTP version at an offset are too weak alone).
    let p2p_started = facts.frames().zoom_p2p != [0, 0];
    let may_be_hello = p.first() == Some(&zoom::P2P_HELLO_TYPE);
    if p2p_started || (may_be_hello && facts.inspected <= EARLY_PACKETS) {
        match zoom::parse_p2p(p) {
            Some(zoom::ZoomFrame::P2p { media: None }) => {
                learn_framing_app(ctx, pkt, !p2p_started, "zoom", "Zoom peer-to-peer hello");
                bump(&mut facts.frames_mut().zoom_p2p, pkt.dir);
                return true;
            }
            Some(zoom::ZoomFrame::P2p { media: Some(m) }) if p2p_started => {
                bump(&mut facts.frames_mut().zoom_p2p, pkt.dir);
                note_zoom_media(facts, pkt, &m);
                return true;
            }
            _ => {}
        }
    }
    // A capture begun mid-call missed the hello: media encapsulations then
    // prove the framing once one side's RTP, at its type's offset, keeps
    // one SSRC with consecutive sequence numbers.
    if !p2p_started
        && facts.inspected <= EARLY_PACKETS
        && p.first().is_some_and(|t| zoom::carries_rtp(*t))
    {
        if let Some(zoom::ZoomFrame::P2p { media: Some(m) }) = zoom::parse_p2p(p) {
            if let Some(h) = rtp::parse(m.inner) {
                if zoom_p2p_run_proves(facts.frames_mut(), pkt.dir, &h) {
                    learn_framing_app(ctx, pkt, true, "zoom", "Zoom peer-to-peer media framing");
                    bump(&mut facts.frames_mut().zoom_p2p, pkt.dir);
                    note_zoom_media(facts, pkt, &m);
                    return true;
                }
            }
        }
    }
    // An Agora SDK edge handshake names its server, like a TLS SNI.
    if facts.server_name().is_none() && facts.inspected <= EARLY_PACKETS {
        if let Some(name) = agora::edge_server_name(p) {
            note_server_name(facts, pkt, name.to_string(), ctx);
            return true;
        }
    }
    if let Some(d) = discord::parse(p) {
        let first = facts.frames().discord_discovery == [0, 0]
            && facts.frames().discord_keepalive == [0, 0];
        learn_framing_app(ctx, pkt, first, "discord", "Discord voice packets");
        match d {
            discord::DiscordVoice::KeepAlive => {
                bump(&mut facts.frames_mut().discord_keepalive, pkt.dir)
            }
            _ => bump(&mut facts.frames_mut().discord_discovery, pkt.dir),
        }
        return true;
    }
    if let Some(t) = telegram::parse(p) {
        match t {
            telegram::TelegramVoip::ReflectorSpecial { kind, .. } => {
                let first = facts.frames().telegram_special == [0, 0];
                learn_framing_app(ctx, pkt, first, "telegram", "Telegram reflector packets");
                bump(&mut facts.frames_mut().telegram_special, pkt.dir);
                if let telegram::ReflectorSpecialKind::SelfInfo {
                    addr: Some(public), ..
                } = kind
                {
                    ctx.knowledge.learn_reflection(
                        pkt.dst,
                        Reflection {
                            public: public.into(),
                            reflector: pkt.src,
                        },
                        pkt.clock,
                    );
                    ctx.knowledge
                        .learn_server_reflection(public.ip(), pkt.clock);
                }
                return true;
            }
            // Plain reflector data: a peer tag then encrypted voice. Only
            // counted once a special packet proved the framing on this flow.
            telegram::TelegramVoip::Reflector { .. }
                if facts.frames().telegram_special.iter().any(|n| *n > 0) =>
            {
                bump(&mut facts.frames_mut().telegram_reflector, pkt.dir);
                return true;
            }
            _ => {}
        }
    }
    if sport == 4569 || dport == 4569 {
        if let Some(frame) = iax2::parse(p) {
            let voice = match frame {
                iax2::Iax2Frame::Full { frame_type, .. } => frame_type == 2,
                iax2::Iax2Frame::Mini { .. } => true,
                iax2::Iax2Frame::Meta { .. } => false,
            };
            if voice {
                bump(&mut facts.frames_mut().iax2_voice, pkt.dir);
                let media = facts.media_seen_at(pkt.ts);
                bump(&mut media.framed, pkt.dir);
                media.framing = Some(super::facts::IAX2_VOICE_FRAMING);
            }
            note_signalling(facts, pkt, SignallingProtocol::Iax2, "IAX2 frame");
            return true;
        }
    }
    // A command line (what `mgcp::probe` calls certain); a bare response
    // line is too generic to claim a flow.
    if mgcp::parse(p).is_some_and(|m| m.code.is_none()) {
        note_signalling(facts, pkt, SignallingProtocol::Mgcp, "MGCP message");
        return true;
    }
    if megaco::is_text_message(p) {
        note_signalling(facts, pkt, SignallingProtocol::Megaco, "Megaco message");
        // The gateway's own media ports: calls whose media goes there go
        // through the gateway.
        for sdp in megaco::local_descriptors(p) {
            let Ok(session) = sdp::parse(sdp) else {
                continue;
            };
            for endpoint in session.media_endpoints() {
                ctx.knowledge.learn_relay(
                    endpoint,
                    RelayInfo {
                        server: pkt.src,
                        relayed: endpoint.into(),
                        app: ctx.signatures.app_id("other_voip"),
                        kind: RelayKind::MediaGateway,
                    },
                    pkt.clock,
                );
            }
        }
        return true;
    }
    if (sport == 1719 || dport == 1719) && h225::probe_ras(p) == Probe::Certain {
        note_signalling(facts, pkt, SignallingProtocol::H225Ras, "H.225 RAS message");
        return true;
    }
    if sip::probe(p) == Probe::Certain {
        observe_sip(facts, pkt, p, ctx);
        return true;
    }
    if facts.inspected <= EARLY_PACKETS && quic::probe(p) == Probe::Certain {
        facts.quic = true;
        if facts.server_name().is_none() && pkt.dir == Direction::FromOrig {
            let hello = facts.hello.get_or_insert_with(|| {
                Box::new(HelloReassembly::Quic(quic::QuicInitialAssembler::new()))
            });
            let name = match &mut **hello {
                HelloReassembly::Quic(asm) => asm.push(p),
                HelloReassembly::Tls(_) | HelloReassembly::ServerCertificate(_) => None,
            };
            if let Some(name) = name {
                note_server_name(facts, pkt, name, ctx);
                facts.hello = None;
            }
        }
        return true;
    }
    if facts.quic {
        return true;
    }
    if facts.inspected <= EARLY_PACKETS && joined_quic(facts, pkt) {
        facts.quic = true;
        return true;
    }
    false
}

/// UDP port of QUIC's web servers (HTTP/3).
const QUIC_PORT: u16 = 443;

/// A QUIC connection the capture joined after its handshake (begun
/// before the capture, or moved to a new address, as a browser moves its
/// connection to meet.google.com): short-header packets to UDP 443, first
/// byte 0x40-0x7f, whose next bytes, the connection ID the server chose,
/// repeat from one packet to the next. No call framing does that: RTP
/// begins 0x80-0xbf, STUN 0x00-0x03, DTLS 0x14-0x3f, and TURN ChannelData
/// (0x40-0x4f), which was read before this, puts a length there and then
/// its payload's changing sequence number. True from the second such
/// packet on.
fn joined_quic(facts: &mut FlowFacts, pkt: &Packet<'_>) -> bool {
    use crate::dissect::facts::QUIC_DCID_PREFIX;
    if pkt.dst.port != QUIC_PORT {
        return false;
    }
    let Some((&first, rest)) = pkt.payload.split_first() else {
        return false;
    };
    let Some(dcid) = rest.first_chunk::<QUIC_DCID_PREFIX>() else {
        return false;
    };
    if first & 0xc0 != 0x40 {
        return false;
    }
    let frames = facts.frames_mut();
    let repeated = frames.quic_short_dcid == Some(*dcid);
    frames.quic_short_dcid = Some(*dcid);
    repeated
}

/// Consecutive packets of one stream that prove Zoom's peer-to-peer
/// framing without its hello (random bytes keep no SSRC and sequence).
const ZOOM_P2P_PROOF: u8 = 8;

/// Follows one side's streams inside candidate Zoom peer-to-peer media;
/// true when one reaches [`ZOOM_P2P_PROOF`] packets, each 1 to 3 sequence
/// numbers after the last (a lost packet or two; random bytes manage that
/// once in 20,000). A packet of a third stream takes the place of the
/// shorter run.
fn zoom_p2p_run_proves(frames: &mut AppFrames, dir: Direction, h: &rtp::RtpHeader) -> bool {
    let Some(runs) = frames.zoom_p2p_run.get_mut(dir.index()) else {
        return false;
    };
    let Some(run) = (match runs.iter().position(|r| r.packets > 0 && r.ssrc == h.ssrc) {
        Some(i) => runs.get_mut(i),
        None => runs.iter_mut().min_by_key(|r| r.packets),
    }) else {
        return false;
    };
    if run.packets == 0 || run.ssrc != h.ssrc {
        *run = ZoomP2pRun {
            ssrc: h.ssrc,
            sequence: h.sequence,
            packets: 1,
            proven: false,
        };
        return false;
    }
    // A packet off the run (Zoom numbers a stream's layers apart under
    // one SSRC) is passed over.
    if (1..=3).contains(&h.sequence.wrapping_sub(run.sequence)) {
        run.sequence = h.sequence;
        run.packets = run.packets.saturating_add(1);
        run.proven = run.packets >= ZOOM_P2P_PROOF;
    }
    run.proven
}

/// Counts a Zoom media encapsulation as media only with its RTP header
/// at its type's offset: a screen-share type (13) also opens each of the
/// meeting's connections with its binding messages (text such as
/// "data_bind_replace_flag", no RTP), in meetings where nobody shares.
fn note_zoom_media(facts: &mut FlowFacts, pkt: &Packet<'_>, m: &zoom::ZoomMedia<'_>) {
    use zoom::ZoomMediaKind as K;
    if m.media_type == zoom::BANDWIDTH_MEDIA_TYPE {
        bump(&mut facts.frames_mut().zoom_bandwidth, pkt.dir);
        return;
    }
    if m.kind == K::Rtcp && !m.inner.is_empty() {
        bump(&mut facts.frames_mut().zoom_rtcp, pkt.dir);
        return;
    }
    if matches!(m.kind, K::Audio | K::Video | K::ScreenShare) {
        let Some(h) = rtp::parse(m.inner) else {
            return;
        };
        bump(&mut facts.frames_mut().zoom_media, pkt.dir);
        let media = facts.media_seen_at(pkt.ts);
        bump(&mut media.framed, pkt.dir);
        media.framing = Some(super::facts::ZOOM_MEDIA_FRAMING);
        observe_rtp_header(media, pkt, &h);
    }
}

fn note_signalling<'f>(
    facts: &'f mut FlowFacts,
    pkt: &Packet<'_>,
    protocol: SignallingProtocol,
    what: &'static str,
) -> &'f mut SignallingFacts {
    let s = signalling_of(facts, pkt, protocol, what);
    bump(&mut s.messages, pkt.dir);
    note_seen(s, what);
    s
}

/// Adds a method or message name to those the flow's evidence lists.
fn note_seen(s: &mut SignallingFacts, what: &'static str) {
    if s.seen.len() < 8 && !s.seen.contains(&what) {
        s.seen.push(what);
    }
}

/// The flow's signalling facts, begun with this packet's message `what`
/// when there are none yet.
fn signalling_of<'f>(
    facts: &'f mut FlowFacts,
    pkt: &Packet<'_>,
    protocol: SignallingProtocol,
    what: &'static str,
) -> &'f mut SignallingFacts {
    facts.signalling.get_or_insert_with(|| {
        Box::new(SignallingFacts {
            protocol,
            messages: [0, 0],
            register_from: None,
            own_media_from: [false, false],
            agent_read: [false, false],
            call_id: None,
            user_agent: None,
            seen: Vec::new(),
            dialogs: Vec::new(),
            websocket: None,
            cut_message: None,
            first: sighting(pkt.frame, what),
        })
    })
}

fn sip_method_name(method: &str) -> &'static str {
    const KNOWN: [&str; 14] = [
        "REGISTER",
        "INVITE",
        "ACK",
        "BYE",
        "CANCEL",
        "OPTIONS",
        "SUBSCRIBE",
        "NOTIFY",
        "PUBLISH",
        "INFO",
        "REFER",
        "MESSAGE",
        "UPDATE",
        "PRACK",
    ];
    KNOWN
        .iter()
        .find(|m| m.eq_ignore_ascii_case(method))
        .copied()
        .unwrap_or("SIP request")
}

/// The SIP messages in `segment`; returns where the last whole one ends.
fn observe_sip(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    segment: &[u8],
    ctx: &InspectContext<'_>,
) -> usize {
    let mut whole = 0;
    for (msg, end) in sip::framed_messages(segment) {
        whole = end;
        let what = match msg.start {
            sip::SipStart::Request { method, .. } => sip_method_name(method),
            sip::SipStart::Response { .. } => "SIP response",
        };
        let s = note_signalling(facts, pkt, SignallingProtocol::Sip, what);
        if what == "REGISTER" && s.register_from.is_none() {
            s.register_from = Some(pkt.dir);
            learn_sip_server(ctx, pkt, pkt.dst, || {
                format!("it took REGISTER from {}: a registrar", pkt.src.ip)
            });
        }
        let agent = msg.user_agent.or(msg.server);
        if let (Some(agent), Some(read)) = (agent, s.agent_read.get_mut(pkt.dir.index())) {
            if !*read {
                *read = true;
                if ctx.signatures.is_server_agent(agent) {
                    learn_sip_server(ctx, pkt, pkt.src, || {
                        format!(
                            "it names itself {:?}, a server product",
                            text(agent.as_bytes())
                        )
                    });
                }
            }
        }
        // (The leg a SIP server passes the call on to is another device's
        // flow: it is found through the knowledge.)
        if let Some(news) = sip_dialogs::note(&mut s.dialogs, &msg, pkt.ts, pkt.dir.index()) {
            let leg = sip_leg(
                news.parties,
                news.call_id,
                news.invited_at,
                !news.answered,
                pkt,
            );
            ctx.knowledge
                .learn_sip_invite(leg, news.answered, pkt.clock);
        }
        if s.call_id.is_none() {
            s.call_id = msg.call_id.map(|c| text(c.as_bytes()));
        }
        if s.user_agent.is_none() {
            s.user_agent = msg.user_agent.or(msg.server).map(|u| text(u.as_bytes()));
        }
        let is_sdp = msg.content_type.is_some_and(|c| {
            c.as_bytes()
                .windows(3)
                .any(|w| w.eq_ignore_ascii_case(b"sdp"))
        });
        if !is_sdp {
            continue;
        }
        let Ok(session) = sdp::parse(msg.body) else {
            continue;
        };
        let call_id: Arc<str> = msg.call_id.unwrap_or("").into();
        let leg = sip_dialogs::of_call(&s.dialogs, msg.call_id).and_then(|d| {
            let sent_by_inviter = usize::from(d.invited_from) == pkt.dir.index();
            Some(sip_leg(
                d.parties?,
                d.call_id(),
                d.start,
                sent_by_inviter,
                pkt,
            ))
        });
        let endpoints = learn_sdp(&session, ("sip_rtp", leg), &call_id, pkt, ctx);
        if endpoints.iter().any(|e| e.ip() == pkt.src.ip) {
            if let Some(own) = s.own_media_from.get_mut(pkt.dir.index()) {
                *own = true;
            }
        } else if let Some(other) = media_for_another_host(&session, &endpoints, pkt) {
            learn_sip_server(ctx, pkt, pkt.src, || {
                format!("its SDP put the media at another host, {other}: it signals for others")
            });
        }
        sip_dialogs::note_media(&mut s.dialogs, msg.call_id, pkt.dir.index(), &endpoints);
    }
    whole
}

/// The INVITE of a SIP call, in a message `pkt` carried: sent by the
/// inviter (`sent_by_inviter`) or by the invitee.
fn sip_leg(
    parties: u64,
    call_id: u64,
    invited_at: Timestamp,
    sent_by_inviter: bool,
    pkt: &Packet<'_>,
) -> SipLeg {
    let (inviter, invitee) = if sent_by_inviter {
        (pkt.src, pkt.dst)
    } else {
        (pkt.dst, pkt.src)
    };
    SipLeg {
        parties,
        call_id,
        inviter,
        invitee,
        invited_at,
    }
}

/// The longest SIP message over TCP put together from segments: RFC 3261
/// sets no limit, and an INVITE with a large SDP runs to a few kilobytes.
const MAX_CUT_MESSAGE: usize = 64 * 1024;

/// The whole SIP messages in `bytes` (a segment, or a message's earlier
/// segments and this one), keeping a message cut at the end for the next
/// segments of its direction.
fn observe_sip_over_tcp(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    bytes: &[u8],
    ctx: &InspectContext<'_>,
) {
    let whole = observe_sip(facts, pkt, bytes, ctx);
    let rest = bytes.get(whole..).unwrap_or_default();
    // (What follows whole messages and does not begin as one is no SIP
    // message to wait for.)
    let Some(name) = sip::message_name(rest).filter(|_| rest.len() <= MAX_CUT_MESSAGE) else {
        return;
    };
    let what = sip_method_name(name);
    let s = signalling_of(facts, pkt, SignallingProtocol::Sip, what);
    // (Counted among the messages once whole.)
    note_seen(s, what);
    let sent = u32::try_from(pkt.payload.len()).unwrap_or(u32::MAX);
    s.cut_message = Some(Box::new(CutMessage {
        dir: pkt.dir.index(),
        bytes: rest.to_vec(),
        next_seq: pkt.tcp_seq.wrapping_add(sent),
    }));
}

fn sip_over_websocket(facts: &FlowFacts) -> bool {
    facts
        .signalling
        .as_ref()
        .is_some_and(|s| s.protocol == SignallingProtocol::SipWebSocket)
}

/// The SIP messages in the WebSocket frames of a SIP-over-WebSocket
/// connection (one message a frame, RFC 7118 §5), frames cut across
/// segments put back together (segments taken in capture order).
fn observe_sip_websocket(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    segment: &[u8],
    ctx: &InspectContext<'_>,
) {
    let dir = pkt.dir.index();
    let mut rest = segment;
    let partial = facts
        .signalling
        .as_mut()
        .and_then(|s| s.websocket.take_if(|f| f.dir == dir));
    if let Some(mut partial) = partial {
        rest = partial.take_from(rest);
        if partial.missing > 0 {
            if let Some(s) = facts.signalling.as_mut() {
                s.websocket = Some(partial);
            }
            return;
        }
        observe_sip_message(facts, pkt, &partial.payload, ctx);
    }
    let mut message = Vec::new();
    for frame in websocket::frames(rest) {
        if !matches!(frame.opcode, 1 | 2) {
            continue;
        }
        message.clear();
        websocket::unmask_into(frame.payload, frame.mask, 0, &mut message);
        if frame.missing == 0 {
            observe_sip_message(facts, pkt, &message, ctx);
        } else if message.len() + frame.missing <= websocket::MAX_FRAME {
            if let Some(s) = facts.signalling.as_mut() {
                s.websocket = Some(Box::new(websocket::PartialFrame {
                    dir,
                    mask: frame.mask,
                    payload: std::mem::take(&mut message),
                    missing: frame.missing,
                }));
            }
        }
    }
}

fn observe_sip_message(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    message: &[u8],
    ctx: &InspectContext<'_>,
) {
    if sip::probe(message) == Probe::Certain {
        observe_sip(facts, pkt, message, ctx);
    }
}

/// A SIP server (registrar, proxy, B2BUA, gateway): media its host takes
/// goes through the server, not to the other phone.
fn learn_sip_server(
    ctx: &InspectContext<'_>,
    pkt: &Packet<'_>,
    server: Endpoint,
    why: impl FnOnce() -> String,
) {
    // (Learnt whatever the host showed before: the knowledge keeps each
    // host's earliest role, whichever thread learns first.)
    ctx.knowledge.learn_server(
        ServerInfo {
            role: ServerRole::Sip,
            app: ctx.signatures.app_id("sip_rtp"),
            endpoint: server,
            evidence: Some(why().into()),
        },
        pkt.clock,
    );
}

/// The media address an SDP without ICE gave for a host other than its
/// sender, in the sender's own scope (both inside one site or both
/// public, one address family): a proxy passing on the other party's
/// offer, or a B2BUA moving the media off itself. A phone behind a NAT
/// announces its inside address from outside (another scope), and a
/// WebRTC agent its TURN relay (with candidates): neither signals for
/// others.
fn media_for_another_host(
    session: &sdp::SdpSession,
    endpoints: &[SocketAddr],
    pkt: &Packet<'_>,
) -> Option<std::net::IpAddr> {
    let has_ice =
        !session.candidates.is_empty() || session.media.iter().any(|m| !m.candidates.is_empty());
    if has_ice {
        return None;
    }
    let local = crate::classify::sides::is_site_local;
    endpoints.iter().map(SocketAddr::ip).find(|ip| {
        *ip != pkt.src.ip && ip.is_ipv4() == pkt.src.ip.is_ipv4() && local(*ip) == local(pkt.src.ip)
    })
}

/// What an SDP offer or answer tells other flows: its media addresses and
/// ICE candidates are sockets of this call (their STUN checks and TURN
/// allocations belong to it), and relay candidates are TURN relays.
/// Returns the media endpoints (c=/m= lines). `leg`: the SIP call's
/// INVITE, when one opened it.
fn learn_sdp(
    session: &sdp::SdpSession,
    (app_id, leg): (&str, Option<SipLeg>),
    call_id: &Arc<str>,
    pkt: &Packet<'_>,
    ctx: &InspectContext<'_>,
) -> Vec<SocketAddr> {
    let Some(app) = ctx.signatures.app_id(app_id) else {
        return Vec::new();
    };
    let endpoints = session.media_endpoints();
    let evidence: Arc<str> = format!("address announced in SDP (call {call_id})").into();
    let candidates = session
        .candidates
        .iter()
        .chain(session.media.iter().flat_map(|m| m.candidates.iter()));
    learn_candidates(candidates, app, &evidence, pkt, ctx);
    for &endpoint in &endpoints {
        ctx.knowledge.learn_socket_app(
            endpoint,
            SocketApp {
                app,
                evidence: evidence.clone(),
            },
            pkt.clock,
        );
        ctx.knowledge.learn_sdp_media(
            endpoint,
            SdpMedia {
                signalled_by: pkt.src.ip,
                call_id: call_id.clone(),
                leg,
            },
            pkt.clock,
        );
    }
    endpoints
}

/// ICE candidates are sockets of the call; relay candidates are TURN relays.
fn learn_candidates<'c>(
    candidates: impl Iterator<Item = &'c sdp::IceCandidate>,
    app: AppId,
    evidence: &Arc<str>,
    pkt: &Packet<'_>,
    ctx: &InspectContext<'_>,
) {
    for c in candidates {
        ctx.knowledge.learn_socket_app(
            c.addr,
            SocketApp {
                app,
                evidence: evidence.clone(),
            },
            pkt.clock,
        );
        if c.kind == sdp::CandidateKind::Relay {
            ctx.knowledge.learn_relay(
                c.addr,
                RelayInfo {
                    server: c.addr.into(),
                    relayed: c.addr.into(),
                    app: Some(app),
                    kind: RelayKind::TurnCandidate,
                },
                pkt.clock,
            );
        }
    }
}

/// Candidates a WebRTC app trickles outside SDP (`"candidate":
/// "candidate:1 1 udp ... typ relay ..."` in its signalling messages).
fn trickled_candidates(payload: &[u8]) -> Vec<sdp::IceCandidate> {
    const MARK: &[u8] = b"candidate:";
    static FIND_MARK: Needle = Needle::new(MARK);
    let mut out = Vec::new();
    let mut rest = payload;
    while let Some(at) = find(rest, &FIND_MARK) {
        let Some(after) = rest.get(at + MARK.len()..) else {
            break;
        };
        let end = after
            .iter()
            .position(|b| matches!(b, b'"' | b'\\' | b'\r' | b'\n'))
            .unwrap_or(after.len());
        if let Some(c) = after
            .get(..end)
            .and_then(|t| std::str::from_utf8(t).ok())
            .and_then(sdp::parse_candidate)
        {
            out.push(c);
        }
        rest = after;
        if out.len() >= MAX_ADDRESSES {
            break;
        }
    }
    out
}

/// WebRTC apps exchange SDP over their own HTTP or WebSocket signalling,
/// often as a JSON string; when that is readable (not TLS), find it.
fn embedded_sdp(payload: &[u8]) -> Option<sdp::SdpSession> {
    static VERSION: Needle = Needle::new(b"v=0");
    static AUDIO: Needle = Needle::new(b"m=audio");
    static VIDEO: Needle = Needle::new(b"m=video");
    static CANDIDATE: Needle = Needle::new(b"a=candidate");
    let start = find(payload, &VERSION)?;
    let rest = payload.get(start..)?;
    if find(rest, &AUDIO).is_none()
        && find(rest, &VIDEO).is_none()
        && find(rest, &CANDIDATE).is_none()
    {
        return None;
    }
    // Undo JSON string escapes of line ends; stop at the string's end quote.
    let mut text = Vec::with_capacity(rest.len());
    let mut i = 0;
    while let Some(&b) = rest.get(i) {
        match (b, rest.get(i + 1)) {
            (b'\\', Some(b'r')) => {
                text.push(b'\r');
                i += 2;
            }
            (b'\\', Some(b'n')) => {
                text.push(b'\n');
                i += 2;
            }
            (b'\\', Some(&other)) => {
                text.push(other);
                i += 2;
            }
            (b'"', _) => break,
            _ => {
                text.push(b);
                i += 1;
            }
        }
    }
    let session = sdp::parse(&text).ok()?;
    (!session.media.is_empty()).then_some(session)
}

/// A fixed byte string looked for in payloads, with memchr's vectorised
/// searcher for it built once: a window compared at every byte was 2.4 %
/// of all instructions on the reference capture (early TCP packets), and
/// `memmem::find`, which builds a searcher on every call, spent two thirds
/// of what was left doing so.
struct Needle {
    bytes: &'static [u8],
    finder: OnceLock<Finder<'static>>,
}

impl Needle {
    const fn new(bytes: &'static [u8]) -> Needle {
        Needle {
            bytes,
            finder: OnceLock::new(),
        }
    }
}

/// First place of `needle` in `hay`.
fn find(hay: &[u8], needle: &Needle) -> Option<usize> {
    needle
        .finder
        .get_or_init(|| Finder::new(needle.bytes))
        .find(hay)
}

/// The name the client asked its server by (`pkt` from the client), or
/// the one the server's certificate gave (`pkt` from the server). Only
/// the first is what the device called the host: it is learned for the
/// host's other flows, as a DNS answer would be.
fn note_server_name(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    name: String,
    ctx: &InspectContext<'_>,
) {
    let from_certificate = matches!(
        facts.hello.as_deref(),
        Some(HelloReassembly::ServerCertificate(_))
    );
    let name = name.to_ascii_lowercase();
    if !from_certificate {
        let known = ctx.signatures.knows_domain(&name);
        learn_name(pkt.dst.ip, Arc::from(name.as_str()), known, pkt.clock, ctx);
    }
    facts.set_server_name(name, from_certificate);
}

fn note_payload_pattern(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    l4: L4Kind,
    ctx: &InspectContext<'_>,
) {
    if facts.payload_match.is_some() {
        return;
    }
    if let Some(m) = ctx
        .signatures
        .match_payload(l4, pkt.src.port, pkt.dst.port, pkt.payload)
    {
        facts.payload_match = Some(Box::new((m.app, m.kind, m.evidence.into_boxed_str())));
    }
}

fn learn_dns_answers(payload: &[u8], ts: Timestamp, ctx: &InspectContext<'_>) {
    let Ok(answers) = dns::response_addresses(payload) else {
        return;
    };
    if answers.is_empty() {
        return;
    }
    // The name the device asked for is what a person recognises; the A
    // record's own name is often a CDN alias.
    let asked: Arc<str> = match dns::question_name(payload) {
        Some(q) => q.into(),
        None => return,
    };
    let known = ctx.signatures.knows_domain(&asked);
    for ip in answers {
        learn_name(ip, asked.clone(), known, ts, ctx);
    }
}

/// Learns that the device reached `ip` by `name`, which an app signature
/// may know.
fn learn_name(ip: IpAddr, name: Arc<str>, known: bool, at: Timestamp, ctx: &InspectContext<'_>) {
    if known {
        ctx.knowledge.learn_vendor_name(ip, name, at);
    } else {
        ctx.knowledge.learn_name(ip, name, at);
    }
}

fn inspect_tcp(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    stream_start: bool,
    ctx: &InspectContext<'_>,
) {
    let p = pkt.payload;
    let early = facts.inspected <= EARLY_PACKETS;
    if facts.dns || (early && (pkt.src.port == 53 || pkt.dst.port == 53)) {
        if let Some(msg) = dns::tcp_message(p) {
            if dns::probe(msg) != Probe::NotForUs {
                facts.dns = true;
                learn_dns_answers(msg, pkt.clock, ctx);
                return;
            }
        }
    }
    // A TLS ClientHello, possibly over several segments.
    if matches!(facts.hello.as_deref(), Some(HelloReassembly::Tls(_)))
        || (stream_start && pkt.dir == Direction::FromOrig && tls::is_tls_record_start(p))
    {
        facts.tls = true;
        if pkt.dir == Direction::FromOrig {
            gather_client_hello(facts, pkt, ctx);
        }
        return;
    }
    if facts.tls {
        if pkt.dir == Direction::FromResp {
            gather_server_certificate(facts, pkt, ctx);
        }
        return;
    }
    // STUN/TURN and RTP over TCP (RFC 4571 framing, or bare STUN back to back).
    if facts.stun.is_some() || early {
        let mut any = false;
        for m in stun::tcp_messages(p) {
            any |= dissect_demuxed(facts, pkt, m, ctx, false);
        }
        if any {
            return;
        }
    }
    if (facts.media.as_ref().is_some_and(|m| m.over_tcp) || early) && rfc4571_rtp(facts, pkt, ctx) {
        return;
    }
    if facts.signalling.is_some() || early {
        if sip_over_websocket(facts) {
            observe_sip_websocket(facts, pkt, p, ctx);
            return;
        }
        let cut = facts
            .signalling
            .as_mut()
            .and_then(|s| s.cut_message.take_if(|m| m.dir == pkt.dir.index()));
        if let Some(cut) = cut {
            match cut.continued_by(pkt.tcp_seq, p.len()) {
                Continuation::From(offset) => {
                    let mut bytes = cut.bytes;
                    bytes.extend_from_slice(p.get(offset..).unwrap_or_default());
                    observe_sip_over_tcp(facts, pkt, &bytes, ctx);
                    return;
                }
                Continuation::Repeated => {
                    if let Some(s) = facts.signalling.as_mut() {
                        s.cut_message = Some(cut);
                    }
                    return;
                }
                // (The segment is read as it comes.)
                Continuation::AfterGap => {}
            }
        }
        if sip::probe(p) == Probe::Certain {
            observe_sip_over_tcp(facts, pkt, p, ctx);
            return;
        }
        if stream_start && pkt.dir == Direction::FromOrig && websocket::is_sip_upgrade(p) {
            note_signalling(
                facts,
                pkt,
                SignallingProtocol::SipWebSocket,
                "WebSocket upgrade for SIP",
            );
            learn_sip_server(ctx, pkt, pkt.dst, || {
                format!(
                    "{} asked it for SIP over WebSocket: a SIP server (RFC 7118)",
                    pkt.src.ip
                )
            });
            return;
        }
        if let Some(message) = rtsp::parse(p) {
            observe_rtsp(facts, pkt, &message, ctx);
            return;
        }
        if stream_start
            && pkt.dir == Direction::FromOrig
            && whatsapp::probe_tcp_stream_start(p) == Probe::Certain
        {
            note_signalling(
                facts,
                pkt,
                SignallingProtocol::WhatsAppChat,
                "WhatsApp chat stream",
            );
            return;
        }
        if h225::probe(p) == Probe::Certain {
            note_signalling(
                facts,
                pkt,
                SignallingProtocol::H225,
                "H.225 call signalling",
            );
            // The gatekeeper/peer end (port 1720) will also carry H.245.
            let server = if pkt.dst.port == 1720 {
                pkt.dst
            } else {
                pkt.src
            };
            ctx.knowledge.learn_server(
                ServerInfo {
                    role: ServerRole::Signalling,
                    app: ctx.signatures.app_id("other_voip"),
                    endpoint: server,
                    evidence: None,
                },
                pkt.clock,
            );
            return;
        }
        // H.245 runs on a port negotiated in H.225, in TPKT framing, between
        // hosts that just spoke H.225.
        if is_tpkt(p)
            && [pkt.src.ip, pkt.dst.ip].iter().any(|ip| {
                ctx.knowledge
                    .server(*ip, ctx.knowledge.as_of(pkt.clock, pkt.clock))
                    .is_some_and(|s| s.role == ServerRole::Signalling && s.endpoint.port == 1720)
            })
        {
            note_signalling(facts, pkt, SignallingProtocol::H245, "H.245 call control");
            return;
        }
        if (pkt.src.port == 2000 || pkt.dst.port == 2000) && sccp::probe(p) == Probe::Certain {
            note_signalling(facts, pkt, SignallingProtocol::Sccp, "Skinny message");
            learn_skinny_media(p, pkt, ctx);
            return;
        }
    }
    // A camera's stream control carries SDP too (DESCRIBE answers, often in
    // a segment of their own): not a call's offer.
    let stream_control = facts
        .signalling
        .as_ref()
        .is_some_and(|s| s.protocol == SignallingProtocol::Rtsp);
    // A WebRTC app's signalling connection lasts the whole call and carries
    // later offers too (a conference's subscriptions, renegotiations):
    // read past its first packets.
    let webrtc_signalling = facts
        .signalling
        .as_ref()
        .is_some_and(|s| s.protocol == SignallingProtocol::WebRtcSdp);
    if (early || webrtc_signalling) && !stream_control {
        let trickled = trickled_candidates(p);
        if !trickled.is_empty() {
            if let Some(app) = ctx.signatures.app_id("webrtc_generic") {
                let evidence: Arc<str> = "ICE candidate trickled in WebRTC signalling".into();
                learn_candidates(trickled.iter(), app, &evidence, pkt, ctx);
            }
        }
        if let Some(session) = embedded_sdp(p) {
            let call_id: Arc<str> = "WebRTC offer/answer".into();
            learn_sdp(&session, ("webrtc_generic", None), &call_id, pkt, ctx);
            note_signalling(
                facts,
                pkt,
                SignallingProtocol::WebRtcSdp,
                "SDP offer/answer",
            );
            // The host that relayed the SDP is the app's signalling server.
            let server = if sides_server_is_dst(pkt) {
                pkt.dst
            } else {
                pkt.src
            };
            ctx.knowledge.learn_server(
                ServerInfo {
                    role: ServerRole::Signalling,
                    app: ctx.signatures.app_id("webrtc_generic"),
                    endpoint: server,
                    evidence: None,
                },
                pkt.clock,
            );
            return;
        }
    }
    if early && tunnel_packet(facts, pkt, stream_start, false, true) {
        return;
    }
    if early && stream_start {
        note_payload_pattern(facts, pkt, L4Kind::Tcp, ctx);
    }
    bump(&mut facts.unrecognised, pkt.dir);
}

/// The RTP addresses a Skinny call manager and its phones exchange are
/// sockets of a Skinny call (other VoIP): the RTP there is told by them.
fn learn_skinny_media(segment: &[u8], pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let Some(app) = ctx.signatures.app_id("other_voip") else {
        return;
    };
    let mut rest = segment;
    for m in sccp::parse_all(segment) {
        if let Some(endpoint) = sccp::media_address(rest) {
            ctx.knowledge.learn_socket_app(
                endpoint,
                SocketApp {
                    app,
                    evidence: ctx
                        .knowledge
                        .socket_reason("RTP address in Skinny call set-up"),
                },
                pkt.clock,
            );
        }
        rest = rest.get(m.wire_len()..).unwrap_or_default();
    }
}

/// An RTSP message: the flow is a stream's control, and the UDP sockets
/// its SETUPs name carry that stream, not a call.
fn observe_rtsp(
    facts: &mut FlowFacts,
    pkt: &Packet<'_>,
    message: &rtsp::RtspMessage<'_>,
    ctx: &InspectContext<'_>,
) {
    note_signalling(
        facts,
        pkt,
        SignallingProtocol::Rtsp,
        message.method.unwrap_or("RTSP response"),
    );
    let transports = message.transports();
    let Some(app) = ctx.signatures.app_id("media_streaming") else {
        return;
    };
    if transports.is_empty() {
        return;
    }
    // Requests go from the RTSP client to the server, answers back.
    let (client, server) = if message.method.is_some() {
        (pkt.src.ip, pkt.dst.ip)
    } else {
        (pkt.dst.ip, pkt.src.ip)
    };
    let evidence: Arc<str> = "stream set up by RTSP (a camera or media server)".into();
    for t in transports {
        let ends = [
            (t.destination.unwrap_or(client), t.client_ports),
            (t.source.unwrap_or(server), t.server_ports),
        ];
        for (ip, ports) in ends {
            let Some((rtp, rtcp)) = ports else {
                continue;
            };
            for port in [rtp, rtcp] {
                ctx.knowledge.learn_socket_app(
                    SocketAddr::new(ip, port),
                    SocketApp {
                        app,
                        evidence: evidence.clone(),
                    },
                    pkt.clock,
                );
            }
        }
    }
}

/// Whether the packet goes to the server end: the lower port listens.
fn sides_server_is_dst(pkt: &Packet<'_>) -> bool {
    pkt.dst.port < pkt.src.port
}

/// A TPKT header (RFC 1006: version 3, reserved 0, length) that fits.
fn is_tpkt(p: &[u8]) -> bool {
    match p {
        [3, 0, hi, lo, ..] => {
            let len = usize::from(u16::from_be_bytes([*hi, *lo]));
            len >= 7 && len <= p.len()
        }
        _ => false,
    }
}

/// RTP or RTCP over TCP with the RFC 4571 2-byte length prefix.
fn rfc4571_rtp(facts: &mut FlowFacts, pkt: &Packet<'_>, ctx: &InspectContext<'_>) -> bool {
    let Some((len, rest)) = pkt.payload.split_first_chunk::<2>() else {
        return false;
    };
    let len = usize::from(u16::from_be_bytes(*len));
    let Some(frame) = rest.get(..len) else {
        return false;
    };
    if len < rtp::FIXED_HEADER_LEN || frame.first().is_none_or(|b| b >> 6 != 2) {
        return false;
    }
    if observe_rtp_or_rtcp(facts, pkt, frame, false, ctx) {
        facts.media_mut().over_tcp = true;
        return true;
    }
    false
}

fn gather_client_hello(facts: &mut FlowFacts, pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let hello = facts
        .hello
        .get_or_insert_with(|| Box::new(HelloReassembly::Tls(Vec::new())));
    let HelloReassembly::Tls(buffer) = &mut **hello else {
        return;
    };
    append_capped(buffer, pkt.payload);
    let mut scratch = Vec::new();
    match tls::scan_client_hello_with(buffer, &mut scratch) {
        tls::ClientHelloScan::Hello(h) => match h.sni.map(str::to_string) {
            Some(name) => {
                facts.hello = None;
                note_server_name(facts, pkt, name, ctx);
            }
            // No name asked: the server's certificate may give one.
            None => {
                facts.hello = Some(Box::new(HelloReassembly::ServerCertificate(Vec::new())));
            }
        },
        tls::ClientHelloScan::NeedMore { .. } if buffer.len() < MAX_TLS_BUFFER => {}
        _ => facts.hello = None,
    }
}

/// `payload` added to a reassembly buffer, as far as `MAX_TLS_BUFFER`.
fn append_capped(buffer: &mut Vec<u8>, payload: &[u8]) {
    let room = MAX_TLS_BUFFER.saturating_sub(buffer.len());
    buffer.extend_from_slice(payload.get(..room.min(payload.len())).unwrap_or(&[]));
}

/// The server's first handshake bytes, gathered until its certificate's
/// name can be read or it is clear that it cannot (`tls::scan_server_certificate`).
fn gather_server_certificate(facts: &mut FlowFacts, pkt: &Packet<'_>, ctx: &InspectContext<'_>) {
    let Some(HelloReassembly::ServerCertificate(buffer)) = facts.hello.as_deref_mut() else {
        return;
    };
    append_capped(buffer, pkt.payload);
    match tls::scan_server_certificate(buffer) {
        tls::ServerCertificateScan::Name(name) => {
            note_server_name(facts, pkt, name, ctx);
            facts.hello = None;
        }
        tls::ServerCertificateScan::NeedMore if buffer.len() < MAX_TLS_BUFFER => {}
        _ => facts.hello = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::lcg_bytes;

    /// `text` as it reads without its ASCII shortcut.
    fn text_by_characters(bytes: &[u8]) -> Box<str> {
        let s = String::from_utf8_lossy(bytes);
        let mut out: String = s.chars().take(MAX_TEXT).collect();
        out.retain(|c| !c.is_control());
        out.into_boxed_str()
    }

    #[test]
    fn text_shortcut_gives_the_same_text() {
        let long = "x".repeat(MAX_TEXT + 5);
        let mut cases: Vec<Vec<u8>> = [
            "",
            "alice:bob",
            "tab\there",
            "line\r\n",
            "del\u{7f}",
            "é ü",
            "\u{85}next line",
            long.as_str(),
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        cases.push(vec![0xff, b'a', 0xc3]);
        cases.extend((0..500u64).map(|seed| {
            lcg_bytes(seed, (seed % 120) as usize)
                .into_iter()
                .map(|b| if seed % 2 == 0 { b % 0x80 } else { b })
                .collect()
        }));
        for bytes in &cases {
            assert_eq!(text(bytes), text_by_characters(bytes), "{bytes:02x?}");
        }
    }
}
