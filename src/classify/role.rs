//! The role of a flow in a call: direct P2P media, relayed media, a lookup
//! (signalling, directory, STUN discovery) or none of these. Each verdict
//! lists the facts it stands on, strongest first.

use std::net::IpAddr;

use super::app::{has_call_protocol, AppGuess, AppStrength};
use super::knowledge::{AsOf, Knowledge, RelayInfo, RelayKind, ServerRole};
use super::media::media_evidence;
use super::network::{data_centre_reason, in_access_network};
use super::sides::{is_site_local, Sides};
use super::signatures::{DomainKind, L4Kind, PayloadKind, PortKind, Signatures, TrafficKind};
use super::tunnel::{tunnel_evidence, tunnel_of};
use super::verdict::{FlowVerdict, Role};
use crate::capture::Timestamp;
use crate::decode::L4Proto;
use crate::dissect::facts::both;
use crate::dissect::sip_dialogs::SipDialog;
use crate::flow::{Direction, Endpoint, Flow};
use crate::geo::{FarEnd, GeoResolver, SpecialRange};

pub struct RoleInputs<'a> {
    pub sigs: &'a Signatures,
    pub knowledge: &'a Knowledge,
    pub geo: &'a GeoResolver,
    pub far: &'a FarEnd,
    pub sides: &'a Sides,
    pub as_of: AsOf,
    /// Median gap between packets per direction, ms (`FinishedFlow`).
    pub median_gap_ms: [Option<f64>; 2],
}

fn other(evidence: impl Into<String>) -> FlowVerdict {
    FlowVerdict {
        app: None,
        role: Role::Other,
        confidence: 0.9,
        evidence: vec![evidence.into()],
    }
}

/// The verdict on a flow that cannot be call traffic whatever app it
/// belongs to (a third of the reference capture's flows): known without
/// identifying the app, which asks the shared knowledge half a dozen times.
pub fn not_call_traffic(flow: &Flow) -> Option<FlowVerdict> {
    if let Some(t) = tunnel_of(flow) {
        return Some(other(tunnel_evidence(&t)));
    }
    if !matches!(flow.l4, L4Proto::Udp | L4Proto::Tcp) {
        return Some(other("not UDP or TCP (ICMP and others carry no call)"));
    }
    if flow.facts.dns {
        return Some(other(
            "DNS: name lookups are not call traffic (their answers name other flows' far ends)",
        ));
    }
    // A group address never sends: a flow with packets from one is not
    // group traffic, whatever its addresses say.
    let sent_to_group = [
        (flow.orig().ip, Direction::FromOrig),
        (flow.resp().ip, Direction::FromResp),
    ]
    .into_iter()
    .any(|(ip, from)| is_group_address(ip) && flow.dir(from).packets == 0);
    if sent_to_group {
        return Some(other(
            "sent to a multicast or broadcast group: one-to-many traffic on the local network (discovery, IPTV, paging), not a call between parties",
        ));
    }
    None
}

/// A multicast group or the limited broadcast address: many receivers,
/// none of them a party that answers.
fn is_group_address(ip: IpAddr) -> bool {
    matches!(
        SpecialRange::of(ip),
        Some(SpecialRange::Multicast | SpecialRange::Broadcast)
    )
}

/// Decides the role of a finished flow that may be call traffic (see
/// `not_call_traffic`).
pub fn decide(flow: &Flow, app: Option<&AppGuess>, x: &RoleInputs<'_>) -> FlowVerdict {
    let f = &flow.facts;
    let Some(app) = app else {
        return other("no call protocol or call app seen");
    };
    let signature = x.sigs.app(app.app);
    if !signature.carries_calls {
        return FlowVerdict {
            app: Some(app.app),
            role: Role::Other,
            confidence: 0.8,
            evidence: vec![format!(
                "{}; {}: {}",
                app.evidence, signature.display_name, signature.routing_why
            )],
        };
    }
    if app.domain_kind == Some(DomainKind::None) && !has_call_protocol(f) {
        return other(format!(
            "{}: the vendor's content, telemetry or web name, not call traffic",
            app.evidence
        ));
    }
    // Media callpath cannot parse counts by its shape on UDP to a vendor's
    // address, and on TCP only to the vendor's media relays by their
    // published ranges or names: a call forced onto TCP 443 (a firewall
    // that drops UDP) runs TURN inside TLS there, while a vendor's other
    // TCP connections (chat, file transfer) can look as steady.
    let media_relay =
        app.prefix_kind == Some(TrafficKind::Media) || app.domain_kind == Some(DomainKind::Media);
    let opaque_media_ok = app.strength >= AppStrength::Prefix
        && (flow.l4 == L4Proto::Udp || (flow.l4 == L4Proto::Tcp && media_relay));
    if let Some(why_media) = media_evidence(flow, x.median_gap_ms, opaque_media_ok) {
        let mut evidence = vec![why_media];
        if let Some((role, conf, why)) = relay_evidence(flow, app, x) {
            // A reason from the app's own range or name quotes its evidence.
            let quoted = quotes(&why, &app.evidence);
            evidence.insert(0, why);
            if !quoted {
                evidence.push(app.evidence.clone());
            }
            return FlowVerdict {
                app: Some(app.app),
                role,
                confidence: conf,
                evidence,
            };
        }
        let (conf, why) = direct_evidence(flow, x);
        evidence.insert(0, why);
        evidence.push(app.evidence.clone());
        return FlowVerdict {
            app: Some(app.app),
            role: Role::P2p,
            confidence: conf,
            evidence,
        };
    }
    if let Some(why) = lookup_evidence(flow, app, x) {
        // Most lookup reasons quote the app's evidence already.
        let evidence = if quotes(&why, &app.evidence) {
            vec![why]
        } else {
            vec![why, app.evidence.clone()]
        };
        return FlowVerdict {
            app: Some(app.app),
            role: Role::Lookup,
            confidence: if has_call_protocol(f) { 0.85 } else { 0.7 },
            evidence,
        };
    }
    FlowVerdict {
        app: None,
        role: Role::Other,
        confidence: 0.6,
        evidence: vec![format!(
            "{}, but nothing on the flow is part of a call",
            app.evidence
        )],
    }
}

/// Whether a reason already quotes the app's evidence, at its start or
/// end, where reasons put it (a substring search cost ~1,000 instructions
/// a flow).
fn quotes(why: &str, app_evidence: &str) -> bool {
    why.ends_with(app_evidence) || why.starts_with(app_evidence)
}

/// Why the media on this flow goes through a server, if it does.
fn relay_evidence(flow: &Flow, app: &AppGuess, x: &RoleInputs<'_>) -> Option<(Role, f64, String)> {
    let f = &flow.facts;
    let far = x.sides.far;
    let relay = |conf: f64, why: String| Some((Role::Relay, conf, why));
    if let Some(s) = &f.stun {
        if both(&s.relayed_media) > 0 || (s.is_turn() && s.relayed.is_some()) {
            let peers: Vec<String> = s.peers.iter().map(|p| p.to_string()).collect();
            let peer = if peers.is_empty() {
                String::new()
            } else {
                format!(" for peer {}", peers.join(", "))
            };
            let relayed = s
                .relayed
                .map(|r| format!(", relayed address {r}"))
                .unwrap_or_default();
            let unseen_bind = if s.is_turn() {
                ""
            } else {
                " (ChannelData on a channel bound before the capture began)"
            };
            return relay(
                0.95,
                format!("media through TURN server {far}{relayed}{peer}{unseen_bind}"),
            );
        }
    }
    if let Some(r) = x.knowledge.relay(far, x.as_of) {
        let why = match r.kind {
            _ if r.relayed != far => format!(
                "far end {far} is on the relay host of the relayed address {} ({})",
                r.relayed,
                relay_source(&r)
            ),
            RelayKind::MediaGateway => format!(
                "far end {far} is a media gateway's port ({})",
                relay_source(&r)
            ),
            RelayKind::Turn | RelayKind::TurnCandidate => {
                format!(
                    "far end {far} is a TURN relayed address ({})",
                    relay_source(&r)
                )
            }
        };
        return relay(0.9, why);
    }
    let sig = x.sigs.app(app.app);
    if sig.always_server_routed {
        return relay(
            0.9,
            format!(
                "{} routes all call media through its servers ({})",
                sig.display_name, sig.routing_why
            ),
        );
    }
    if both(&f.frames().zoom_server) > 0 {
        return relay(
            0.9,
            "Zoom server (SFU/multimedia router) encapsulation on UDP 8801-8810".into(),
        );
    }
    let tencent = f.frames().tencent_uplink;
    let (out, back) = (
        x.sides.local_sends.index(),
        x.sides.local_sends.reverse().index(),
    );
    if tencent.get(out).is_some_and(|n| *n > 0) && tencent.get(back) == Some(&0) {
        return relay(
            0.85,
            "the device put Tencent Meeting's uplink header before its RTP/RTCP and the far end's packets came back without it: a header addressed to a media server, which strips it (two peers would frame their packets alike)".into(),
        );
    }
    if app.prefix_kind.is_some() || x.sigs.match_ip(far.ip).is_some() {
        if let Some(m) = x.sigs.match_ip(far.ip) {
            return relay(0.9, format!("far end {}", m.evidence));
        }
    }
    if app.domain_kind == Some(DomainKind::Media) {
        return relay(0.85, format!("{} (a media relay name)", app.evidence));
    }
    // Several voices at once from one far end: a conference server, on
    // any network (see `dissect::voices`).
    let voices = f
        .media
        .as_ref()
        .and_then(|m| {
            m.voices_at_once
                .get(x.sides.local_sends.reverse().index())
                .copied()
        })
        .unwrap_or(0);
    if voices >= 2 {
        return relay(
            0.8,
            format!("the far end sent {voices} audio streams (SSRCs) at the same time: a peer sends its one voice, a conference server forwards every speaker's"),
        );
    }
    if let Some(c) = x.knowledge.conference(far.ip, x.as_of) {
        return relay(
            0.8,
            format!(
                "far end {} sent {} audio streams (SSRCs) at the same time on another flow: a conference server, which takes each participant's media",
                c.sender, c.voices
            ),
        );
    }
    if let Some(why) = split_transports(flow, x) {
        return relay(0.8, why);
    }
    let public = !is_site_local(far.ip);
    let far_checked_back = f.stun.as_ref().is_some_and(|s| {
        s.requests
            .get(x.sides.local_sends.reverse().index())
            .is_some_and(|n| *n > 0)
    });
    if let Some(server) = x.knowledge.server(far.ip, x.as_of) {
        // A PBX, B2BUA or gateway takes the media it announced at its own
        // address, on a site's network as on the internet.
        if server.role == ServerRole::Sip && !far_checked_back {
            return relay(
                0.8,
                format!(
                    "far end {} is a SIP server ({}): media sent to it passes through the server (a PBX, B2BUA or gateway), not straight to the other phone",
                    far.ip,
                    server.evidence.as_deref().unwrap_or("SIP server")
                ),
            );
        }
        // A host that sent STUN requests on this very flow is an ICE peer,
        // whatever it answered elsewhere.
        if public && !far_checked_back {
            return relay(
                0.85,
                format!(
                    "far end {} answered as a {} earlier",
                    server.endpoint,
                    server.role.name()
                ),
            );
        }
    }
    if let Some(s) = &f.stun {
        let far_answered = s.server_side() == Some(x.sides.local_sends.reverse());
        // Only Meta's relays answer its relay messages; some sit inside
        // ISPs' networks.
        if public && s.meta_relay_messages > 0 && far_answered {
            return relay(
                0.85,
                format!("far end {far} answered Meta's relay messages (STUN types 0x0800-0x0805): a Meta relay, wherever it is hosted"),
            );
        }
        // In an ISP's network a far end that only answered is likelier a
        // peer whose own checks went uncaptured (a capture begun mid-call)
        // than an ICE-lite server; an app's relay hosted there is still
        // told by the relay messages above, or its port or name below.
        let answered_only = far_answered && !in_access_network(x.far);
        if public && (answered_only || s.server_attributes) {
            return relay(
                0.85,
                format!("far end {far} only answered STUN checks (a server, ICE-lite), it never checked back"),
            );
        }
    }
    if let Some(sdp) = x.knowledge.sdp_media(far, x.as_of) {
        if public && x.geo.same_network(far.ip, sdp.signalled_by) {
            return relay(
                0.8,
                format!(
                    "far media address {far} was announced in SDP by SIP server {} and sits in its network: a media gateway, not the other phone",
                    sdp.signalled_by
                ),
            );
        }
        // A proxy on the device's private network (an operator's voice
        // network behind its box, a PBX with a trunk) that hands out a
        // public media address hands out its operator's media gateway or
        // session border controller: no phone's own address. (A peer
        // whose ICE checked back on this flow is a peer, wherever its
        // address was announced.)
        // (Unless the address is the one STUN answers gave this network:
        // a phone behind the same NAT announced its own public address.)
        let local = x.sides.local.ip;
        if public
            && !far_checked_back
            && is_site_local(local)
            && is_site_local(sdp.signalled_by)
            && sdp.signalled_by != local
            && !x.knowledge.is_reflected_address(far.ip, x.as_of)
        {
            return relay(
                0.75,
                format!(
                    "far media address {far} was announced in SDP by {}, a SIP server inside the device's private network: a public address handed out from inside is the operator's or trunk provider's media gateway, not the other phone",
                    sdp.signalled_by
                ),
            );
        }
    }
    if let Some(sdp) = x.knowledge.sdp_host(far.ip, x.as_of) {
        if public && x.geo.same_network(far.ip, sdp.signalled_by) {
            return relay(
                0.8,
                format!(
                    "far host {} was announced as a media address in SDP by SIP server {} and sits in its network: a media gateway, whose every port carries others' media",
                    far.ip, sdp.signalled_by
                ),
            );
        }
    }
    if public {
        if let Some(why) = named_far_end(x) {
            return relay(0.75, why);
        }
        if let Some(why) = data_centre_reason(x.far) {
            return relay(0.75, why);
        }
        let l4 = match flow.l4 {
            L4Proto::Tcp => L4Kind::Tcp,
            _ => L4Kind::Udp,
        };
        let on_server_port = x.sigs.match_port(l4, far.port).any(|(a, kind)| {
            a == app.app && !matches!(kind, PortKind::Signalling | PortKind::Client)
        });
        let local_port = x.sides.local.port;
        if on_server_port && !(far.port >= 49152 && local_port < 49152) {
            return relay(
                0.7,
                format!(
                    "far end listens on {}'s server port {}",
                    sig.display_name, far.port
                ),
            );
        }
        // A capture begun mid-call may hold no allocation and no vendor
        // fingerprint: the port still says a relay (TURN or an app's own,
        // as WhatsApp's on the ISP networks that host them).
        if !far_checked_back && is_relay_port(far.port) && local_port != far.port {
            return relay(
                0.7,
                format!(
                    "far end listens on port {}, where STUN/TURN servers listen (RFC 8489, RFC 8656): media sent there goes through a relay, while a peer's comes from the port its ICE candidate gave",
                    far.port
                ),
            );
        }
        if !far_checked_back && flow.l4 == L4Proto::Udp {
            if let Some(other) = x.knowledge.other_client(far, x.sides.local, x.as_of) {
                return relay(
                    0.7,
                    format!(
                        "far end {far} also took datagrams from the device's socket {other} on another flow: a server's socket takes many, a peer's answers the one socket its ICE checked"
                    ),
                );
            }
        }
    }
    None
}

/// The ports STUN and TURN servers listen on: 3478 (RFC 8489 §9, RFC
/// 8656 §4, plain and over TCP) and 5349 (over TLS or DTLS). Peers' ICE
/// candidates carry the ports their sockets were given, ephemeral or the
/// app's own.
fn is_relay_port(port: u16) -> bool {
    matches!(port, 3478 | 5349)
}

/// A far end the device reached by name (a DNS answer, or the server name
/// it sent on another connection) is a server: a peer's device is reached
/// at the addresses its ICE candidates or SDP give, which no name the
/// device looked up resolves to. mDNS names (`.local`), which WebRTC uses
/// to hide a peer's address on the same network, are no server's.
fn named_far_end(x: &RoleInputs<'_>) -> Option<String> {
    let name = x.knowledge.name(x.sides.far.ip, x.as_of)?;
    let lower = name.trim_end_matches('.').to_ascii_lowercase();
    if lower.ends_with(".local") || lower.ends_with(".arpa") {
        return None;
    }
    Some(format!(
        "far end {} is the address of {name}, a name the device looked up or connected to: a server, where a peer's device is reached at the addresses its ICE candidates give",
        x.sides.far
    ))
}

/// An SFU's pair of transports: on this ICE-checked flow media went one
/// way only, and the same far host carried media the other way, also one
/// way only, on another flow. A server that forwards calls (Janus,
/// mediasoup, LiveKit) takes what a device publishes on one connection and
/// sends it the others' media on another; a peer, whose ICE makes its
/// media symmetric, sends and receives on one.
fn split_transports(flow: &Flow, x: &RoleInputs<'_>) -> Option<String> {
    let f = &flow.facts;
    if f.stun.as_ref().is_none_or(|s| both(&s.ice_checks) == 0) {
        return None;
    }
    let media = f.media.as_ref()?;
    let sent = |d: Direction| media.rtp.get(d.index()).copied().unwrap_or(0);
    let (local, far) = (x.sides.local, x.sides.far);
    let (out, back) = (
        sent(x.sides.local_sends),
        sent(x.sides.local_sends.reverse()),
    );
    let other = match (out > 0, back > 0) {
        (true, false) => x
            .knowledge
            .one_way_media(far.ip, local.ip, x.as_of)
            .filter(|m| m.sender != far || m.receiver != local),
        (false, true) => x
            .knowledge
            .one_way_media(local.ip, far.ip, x.as_of)
            .filter(|m| m.sender != local || m.receiver != far),
        _ => None,
    }
    // The two connections carried the call at the same time.
    .filter(|m| {
        let slack = 30 * Timestamp::NANOS_PER_SEC;
        m.seen.0 >= flow.first_seen.0.saturating_sub(slack)
            && m.seen.0 <= flow.last_seen.0.saturating_add(slack)
    })?;
    let (this_way, other_way) = if out > 0 {
        (
            "the device's media went to it",
            "it sent media to the device",
        )
    } else {
        (
            "it sent media to the device",
            "the device's media went to it",
        )
    };
    Some(format!(
        "{this_way} one way only on this connection, and {other_way} one way only on another ({} to {}): a forwarding server's separate publish and subscribe transports (SFU); a peer sends and receives on one",
        other.sender, other.receiver
    ))
}

/// Where callpath learned a relay's address.
fn relay_source(r: &RelayInfo) -> String {
    match r.kind {
        RelayKind::Turn => format!(
            "XOR-RELAYED-ADDRESS in an Allocate answer from {}",
            r.server
        ),
        RelayKind::TurnCandidate => "a relay candidate in the call's SDP".into(),
        RelayKind::MediaGateway => {
            format!("its Local descriptor in Megaco/H.248 from {}", r.server)
        }
    }
}

fn direct_evidence(flow: &Flow, x: &RoleInputs<'_>) -> (f64, String) {
    let far = x.sides.far;
    let ice = flow
        .facts
        .stun
        .as_ref()
        .is_some_and(|s| both(&s.ice_checks) > 0);
    let ice_note = if ice {
        ", after ICE connectivity checks on this 5-tuple"
    } else {
        ""
    };
    if is_site_local(far.ip) {
        return (
            0.9,
            format!("media straight to {far}, a device on a local or carrier network{ice_note}"),
        );
    }
    // (A device behind a NAT: a device with a public address of its own
    // is told that very address.)
    if is_site_local(x.sides.local.ip) && x.knowledge.is_server_reflected_address(far.ip, x.as_of) {
        return (
            0.8,
            format!("media straight to {far}, the public address a STUN server gave this capture's own network: a peer behind the same NAT, reached through it{ice_note}"),
        );
    }
    let network = match (x.far.asn, &x.far.org) {
        (Some(asn), Some(org)) => format!(" in AS{asn} {org}, not a data-centre network"),
        _ => String::new(),
    };
    (
        if ice { 0.85 } else { 0.7 },
        format!("media straight to {far}{network}; no relay, TURN allocation or vendor server seen for it{ice_note}"),
    )
}

/// Whether a flow is connectivity checks with another party's candidate
/// address rather than traffic with a server: packets to an address a STUN
/// answer gave a requester as its public one (the device's own, for a
/// party behind the same NAT, or a peer's), or ICE checks sent or answered
/// with no TURN allocation, no attribute only servers send, and a far end
/// no flow has shown to be a server or a relay (other than a relay
/// candidate itself).
pub fn checks_a_candidate(flow: &Flow, knowledge: &Knowledge, sides: &Sides, as_of: AsOf) -> bool {
    let far = sides.far;
    // A conference server is a server, whatever its ICE peers told it.
    if knowledge.conference(far.ip, as_of).is_some() {
        return false;
    }
    // (A TCP connection that carries no STUN is to a server on that host,
    // such as an SFU's API, not to a candidate.)
    let stun = flow.facts.stun.as_ref();
    // Plain STUN discovery that the far end answered (no ICE attribute on
    // either side) is with a STUN server, even on a host where another
    // port is a peer's relayed address (a TURN server's).
    let far_dir = sides.local_sends.reverse();
    if stun.is_some_and(|s| both(&s.ice_checks) == 0 && s.server_side() == Some(far_dir)) {
        return false;
    }
    if knowledge.is_reflected_address(far.ip, as_of) && (flow.l4 != L4Proto::Tcp || stun.is_some())
    {
        return true;
    }
    let Some(s) = stun else {
        return false;
    };
    if s.allocate_requests + s.allocate_success > 0 || s.server_attributes {
        return false;
    }
    let answered = s
        .mapped
        .is_some_and(|(_, requester_sends)| requester_sends != sides.local_sends);
    // A relay candidate the signalling announced is a candidate like the
    // others: checks to it test the other party's path through its relay.
    let relay_server = knowledge
        .relay(far, as_of)
        .is_some_and(|r| !(r.kind == RelayKind::TurnCandidate && r.relayed == far));
    (both(&s.ice_checks) > 0 || answered)
        && knowledge.server(far.ip, as_of).is_none()
        && !relay_server
}

/// Why a non-media flow is part of a call's control plane, if it is.
/// What a signalling flow's SIP dialogs came to: calls its INVITEs began
/// (one per Call-ID: an INVITE sent again with credentials is the same
/// call) and how many a 2xx answered. A capture whose calls were refused
/// or not picked up has no media to show; this says why.
fn dialogs_evidence(dialogs: &[SipDialog]) -> String {
    let mut calls: Vec<SipDialog> = Vec::new();
    for d in dialogs {
        match calls.iter_mut().find(|c| c.same_call(d)) {
            Some(c) => c.answered |= d.answered,
            None => calls.push(*d),
        }
    }
    let answered = calls.iter().filter(|c| c.answered).count();
    match (calls.len(), answered) {
        (0, _) => String::new(),
        (1, 1) => "; 1 call begun by INVITE, answered".into(),
        (1, _) => "; 1 call begun by INVITE, not answered".into(),
        (n, 0) => format!("; {n} calls begun by INVITE, none answered"),
        (n, a) => format!("; {n} calls begun by INVITE, {a} answered"),
    }
}

fn lookup_evidence(flow: &Flow, app: &AppGuess, x: &RoleInputs<'_>) -> Option<String> {
    let f = &flow.facts;
    if let Some(s) = &f.stun {
        let what = if s.allocate_requests + s.allocate_success > 0 {
            "TURN allocation without media"
        } else if both(&s.ice_checks) > 0 {
            "ICE connectivity checks without media"
        } else if s.meta_relay_messages > 0 && s.binding_requests == 0 {
            "Meta relay messages (STUN types 0x0800-0x0805, with which WhatsApp and Messenger keep a relay ready) without media"
        } else {
            "STUN binding (address discovery / keep-alive)"
        };
        // "{what} with {far}; it told the device its public address {a}",
        // or the other way round when the device answered the far end's
        // requests (ICE checks from a peer): then the address is the peer's.
        let mut line = String::with_capacity(128);
        line.push_str(what);
        line.push_str(" with ");
        x.sides.far.push_text(&mut line);
        if let Some((a, requester_sends)) = s.mapped {
            line.push_str(if requester_sends == x.sides.local_sends {
                "; it told the device its public address "
            } else {
                "; the device answered its requests, telling it that its public address is "
            });
            // As `SocketAddr` writes it: a STUN address has no IPv6 scope.
            Endpoint::from(a).push_text(&mut line);
        }
        return Some(line);
    }
    if let Some(sg) = &f.signalling {
        let mut line = format!("{} ({})", sg.protocol.name(), sg.seen.join(", "));
        line.push_str(&dialogs_evidence(&sg.dialogs));
        return Some(line);
    }
    if f.dtls.as_ref().is_some_and(|d| d.use_srtp) {
        return Some("DTLS handshake offering SRTP keys, no media followed".into());
    }
    if both(&f.frames().discord_discovery) + both(&f.frames().discord_keepalive) > 0 {
        return Some("Discord voice IP discovery / latency probe, no media".into());
    }
    if both(&f.frames().telegram_special) + both(&f.frames().telegram_reflector) > 0 {
        return Some("Telegram reflector pings, no media".into());
    }
    if both(&f.frames().zoom_server) > 0 {
        let mut carried = Vec::new();
        let bandwidth = both(&f.frames().zoom_bandwidth);
        if bandwidth > 0 {
            carried.push(format!(
                "{bandwidth} bandwidth feedback and probe datagrams (Zoom media type 21, no RTP inside)"
            ));
        }
        let rtcp = both(&f.frames().zoom_rtcp);
        if rtcp > 0 {
            carried.push(format!("{rtcp} RTCP reports (Zoom media types 33-35)"));
        }
        if carried.is_empty() {
            return Some("Zoom server handshake and keep-alives, no media".into());
        }
        return Some(format!(
            "Zoom server encapsulation: {} and keep-alives; no audio, video or screen share",
            carried.join(", ")
        ));
    }
    if both(&f.frames().zoom_p2p) > 0 {
        return Some("Zoom peer-to-peer hellos (connection attempts), no media".into());
    }
    if both(&f.frames().tencent_uplink) > 0 {
        return Some(
            "Tencent Meeting's channel to its media edge: RTCP reports and control messages in its uplink header, no media".into(),
        );
    }
    if let Some(m) = &f.media {
        if both(&m.rtcp) > 0 {
            return Some("RTCP only: call control reports, no media packets".into());
        }
    }
    if let Some(kind) = app.payload_kind {
        if matches!(
            kind,
            PayloadKind::Signalling | PayloadKind::Discovery | PayloadKind::Keepalive
        ) {
            return Some(format!("{} ({})", app.evidence, payload_kind_name(kind)));
        }
    }
    match app.strength {
        AppStrength::ServerName | AppStrength::ResolvedName
            if app.domain_kind != Some(DomainKind::None) =>
        {
            return Some(format!("connection to the app's service: {}", app.evidence));
        }
        AppStrength::Socket if flow.l4 == L4Proto::Udp => {
            return Some(format!(
                "from a call socket of the app, no media: {}",
                app.evidence
            ));
        }
        // A call socket's TCP connection to one of the vendor's servers
        // (a relay's TCP candidate beside its UDP one).
        AppStrength::Socket if vendor_server(app, x) => {
            return Some(format!(
                "from a call socket of the app to its servers, no media: {}",
                app.evidence
            ));
        }
        AppStrength::Port if flow.is_bidirectional() || flow.l4 == L4Proto::Tcp => {
            return Some(format!("connection to the app's servers: {}", app.evidence));
        }
        AppStrength::Prefix if vendor_server(app, x) => {
            return Some(format!("connection to the app's servers: {}", app.evidence));
        }
        _ => {}
    }
    // A connection to a host that acted as this app's call server.
    if let Some(server) = x.knowledge.server(x.sides.far.ip, x.as_of) {
        if server.app == Some(app.app) || server.role != ServerRole::Stun {
            return Some(format!(
                "connection to {} which acted as a {}",
                server.endpoint,
                server.role.name()
            ));
        }
    }
    None
}

/// Whether the far end is in a prefix the vendor publishes for the app's
/// servers. A prefix covering a vendor network shared with its other
/// services (Apple's 17/8) says the host is the vendor's, not that it
/// serves calls; a list of single servers (WhatsApp's chat hosts) does.
fn vendor_server(app: &AppGuess, x: &RoleInputs<'_>) -> bool {
    match app.prefix_kind {
        None => false,
        Some(TrafficKind::Any) => app.prefix_names_hosts || !x.sigs.app(app.app).operator_shared,
        Some(_) => true,
    }
}

fn payload_kind_name(k: PayloadKind) -> &'static str {
    match k {
        PayloadKind::Media => "media",
        PayloadKind::Signalling => "signalling",
        PayloadKind::Discovery => "address discovery",
        PayloadKind::Keepalive => "keep-alive",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::{sip, sip_dialogs};

    fn dialogs(messages: &[(&str, &str, &str)]) -> Vec<SipDialog> {
        let mut d = Vec::new();
        for (at, (start, call_id, cseq)) in messages.iter().enumerate() {
            let text = format!(
                "{start}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
            );
            let msg = sip::parse(text.as_bytes()).unwrap();
            sip_dialogs::note(&mut d, &msg, Timestamp(at as i64), 0);
        }
        d
    }

    const INVITE: &str = "INVITE sip:b@example.test SIP/2.0";

    #[test]
    fn sip_evidence_counts_calls_by_call_id_and_their_answers() {
        assert_eq!(dialogs_evidence(&[]), "");
        // Challenged for credentials, sent again, then refused: one call.
        let refused = dialogs(&[
            (INVITE, "a", "1 INVITE"),
            ("SIP/2.0 407 Proxy Authentication Required", "a", "1 INVITE"),
            (INVITE, "a", "2 INVITE"),
            ("SIP/2.0 403 Forbidden", "a", "2 INVITE"),
        ]);
        assert_eq!(
            dialogs_evidence(&refused),
            "; 1 call begun by INVITE, not answered"
        );
        let two = dialogs(&[
            (INVITE, "a", "1 INVITE"),
            ("SIP/2.0 486 Busy Here", "a", "1 INVITE"),
            (INVITE, "b", "1 INVITE"),
            ("SIP/2.0 200 OK", "b", "1 INVITE"),
        ]);
        assert_eq!(
            dialogs_evidence(&two),
            "; 2 calls begun by INVITE, 1 answered"
        );
    }
}
