//! Which app a flow belongs to, from the strongest evidence available:
//! vendor protocol fingerprints on the flow, then the app's other flows on
//! the same local socket, then names, published prefixes, the operator's
//! network, and last the bare protocol (SIP/RTP, WebRTC, other VoIP).

use super::knowledge::{AsOf, HostSign, Knowledge, RelayKind};
use super::sides::Sides;
use super::signatures::{AppId, DomainKind, L4Kind, PayloadKind, Signatures, TrafficKind};
use crate::decode::L4Proto;
use crate::dissect::facts::{both, FlowFacts, SignallingProtocol, IAX2_VOICE_FRAMING};
use crate::flow::Flow;
use crate::geo::FarEnd;

/// How strong the app evidence is; a stronger kind wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AppStrength {
    /// Only the far end's port is one the app's servers use.
    Port,
    /// Only the protocol family (SIP, STUN, RTP) says which kind of call app.
    Protocol,
    /// The far end is in the operator's network.
    Operator,
    /// The far end is in a prefix the vendor publishes.
    Prefix,
    /// The device looked the far end up by a vendor name (DNS).
    ResolvedName,
    /// A call signalling protocol of a protocol family on the flow (SIP,
    /// H.323, MGCP, IAX2, Skinny): it names the family whatever the
    /// address.
    Signalling,
    /// Another flow of the same local socket showed the app.
    Socket,
    /// The flow asked for a vendor name (TLS/QUIC SNI).
    ServerName,
    /// A vendor fingerprint on the flow itself.
    Fingerprint,
}

#[derive(Clone, Debug)]
pub struct AppGuess {
    pub app: AppId,
    pub strength: AppStrength,
    pub evidence: String,
    /// What the vendor says the matched name or prefix is used for.
    pub domain_kind: Option<DomainKind>,
    pub prefix_kind: Option<TrafficKind>,
    /// The far end's published prefix names a few hosts, not a network
    /// (see `PrefixMatch::names_hosts`).
    pub prefix_names_hosts: bool,
    pub payload_kind: Option<PayloadKind>,
}

impl AppGuess {
    fn new(app: AppId, strength: AppStrength, evidence: impl Into<String>) -> AppGuess {
        AppGuess {
            app,
            strength,
            evidence: evidence.into(),
            domain_kind: None,
            prefix_kind: None,
            prefix_names_hosts: false,
            payload_kind: None,
        }
    }
}

/// Whether the flow carries any call protocol at all (as opposed to only
/// being addressed to a vendor).
pub fn has_call_protocol(f: &FlowFacts) -> bool {
    f.stun.is_some()
        || f.media.is_some()
        || f.dtls.as_ref().is_some_and(|d| d.use_srtp)
        || f.signalling.is_some()
        || app_framing(f).is_some()
}

/// An app framing recognised on the flow, by app id.
fn app_framing(f: &FlowFacts) -> Option<(&'static str, &'static str)> {
    let fr = f.frames();
    if both(&fr.zoom_server) > 0 {
        Some(("zoom", "Zoom server encapsulation on UDP 8801-8810"))
    } else if both(&fr.zoom_p2p) > 0 {
        if fr.zoom_p2p_run.iter().flatten().any(|r| r.proven) {
            Some((
                "zoom",
                "Zoom peer-to-peer media framing (an RTP stream at each media type's offset; the hello came before the capture)",
            ))
        } else {
            Some(("zoom", "Zoom peer-to-peer framing (hello 1F 02 01)"))
        }
    } else if both(&fr.discord_discovery) > 0 {
        Some(("discord", "Discord voice IP-discovery packet"))
    } else if both(&fr.discord_keepalive) > 0 {
        Some(("discord", "Discord voice keep-alive 0x1337CAFE"))
    } else if both(&fr.tencent_uplink) > 0 {
        Some((
            "tencent_meeting",
            "Tencent Meeting uplink header (08 02 00 00 and a session ID) before RTP/RTCP",
        ))
    } else if both(&fr.telegram_special) > 0 {
        Some((
            "telegram",
            "Telegram reflector packets (peer tag + 0xFF marker)",
        ))
    } else if f
        .signalling
        .as_ref()
        .is_some_and(|s| s.protocol == SignallingProtocol::WhatsAppChat)
    {
        Some(("whatsapp", "WhatsApp chat stream header"))
    } else {
        None
    }
}

/// Protocol-family app for flows with no vendor evidence.
fn protocol_family(f: &FlowFacts, sigs: &Signatures) -> Option<AppGuess> {
    let guess = |id: &str, why: &str| {
        sigs.app_id(id)
            .map(|a| AppGuess::new(a, AppStrength::Protocol, why))
    };
    if let Some(s) = &f.signalling {
        let named = match s.protocol {
            SignallingProtocol::Sip => guess("sip_rtp", "SIP signalling"),
            SignallingProtocol::SipWebSocket => guess("sip_rtp", "SIP over WebSocket (RFC 7118)"),
            SignallingProtocol::WhatsAppChat => guess("whatsapp", "WhatsApp chat stream header"),
            SignallingProtocol::MtProto => guess("telegram", "Telegram MTProto"),
            SignallingProtocol::WebRtcSdp => guess("webrtc_generic", "WebRTC SDP offer/answer"),
            SignallingProtocol::Rtsp => guess("media_streaming", "RTSP stream control"),
            other => guess("other_voip", other.name()),
        };
        return named.map(|mut g| {
            g.strength = AppStrength::Signalling;
            g
        });
    }
    if let Some(m) = &f.media {
        if m.framing == Some(IAX2_VOICE_FRAMING) {
            return guess("other_voip", IAX2_VOICE_FRAMING);
        }
        let pts = m.payload_types();
        if m.media_packets() > 0 && !pts.is_empty() {
            // Static payload types (RFC 3551) belong to classic telephony.
            if pts.iter().all(|pt| *pt < 96) {
                return guess(
                    "sip_rtp",
                    "RTP with static payload types (classic telephony codecs)",
                );
            }
            if f.stun.is_none() && f.dtls.is_none() {
                return guess(
                    "other_voip",
                    "RTP with dynamic payload types, no signalling seen",
                );
            }
        }
    }
    if f.stun.is_some() || f.dtls.as_ref().is_some_and(|d| d.use_srtp) {
        return guess(
            "webrtc_generic",
            "STUN/TURN/ICE or DTLS-SRTP with no vendor fingerprint",
        );
    }
    if let Some(m) = &f.media {
        if m.media_packets() > 0 || both(&m.rtcp) > 0 {
            return guess("sip_rtp", "RTP/RTCP");
        }
    }
    None
}

/// The app whose servers alone listen on the far end's port, when the
/// local end is an ordinary client port. Weakest evidence: a port says
/// little, so it only ever makes a lookup, never media.
fn port_guess(flow: &Flow, x: &AppInputs<'_>) -> Option<AppGuess> {
    let (far, local) = (x.sides.far.port, x.sides.local.port);
    let app = x.sigs.server_port_app(L4Kind::of(flow.l4)?, far, local)?;
    Some(AppGuess::new(
        app,
        AppStrength::Port,
        format!(
            "far end port {far} is a {} server port",
            x.sigs.app(app).display_name
        ),
    ))
}

/// SIP over TLS: TLS to port 5061, which RFC 3261 (§26.2, "sips") gives
/// it. Its messages are sealed, so only the port and the TLS framing say
/// it; SIP's own port is shared by many vendors' servers, so it names the
/// protocol family, weakly (`port_guess` declines shared ports).
fn sip_over_tls(flow: &Flow, x: &AppInputs<'_>) -> Option<AppGuess> {
    const SIPS_PORT: u16 = 5061;
    if flow.l4 != L4Proto::Tcp
        || !flow.facts.tls
        || x.sides.far.port != SIPS_PORT
        || x.sides.local.port == SIPS_PORT
    {
        return None;
    }
    Some(AppGuess::new(
        x.sigs.app_id("sip_rtp")?,
        AppStrength::Port,
        format!("TLS to port {SIPS_PORT}, SIP over TLS (RFC 3261 sips)"),
    ))
}

/// The app whose server the far end's host showed itself to be on another
/// of its ports, answering from the app's server port (see
/// `Knowledge::learn_app_host`): e.g. a TCP 443 connection beside the
/// app's UDP relay port. As weak as the port itself.
fn host_guess(l4: L4Proto, x: &AppInputs<'_>) -> Option<AppGuess> {
    // (A host's ICE answers name its TCP connections only, such as a
    // conference server's API: its other UDP ports may be anyone's.)
    let host = x
        .knowledge
        .app_host(x.sides.far.ip, x.as_of)
        .filter(|h| h.sign != HostSign::IceAnswers || l4 == L4Proto::Tcp)?;
    let name = &x.sigs.app(host.app).display_name;
    let answered = match host.sign {
        HostSign::ServerPort => format!("answered from {name} server port"),
        HostSign::IceAnswers => format!("answered the ICE checks of a {name} call on port"),
        HostSign::SkypeProbed => format!(
            "was probed by the device's {name} socket (legacy Skype's sweep of supernodes) on port"
        ),
    };
    Some(AppGuess::new(
        host.app,
        AppStrength::Port,
        format!(
            "host {} {answered} {}/{} (frame {})",
            x.sides.far.ip,
            host.port,
            host.l4.name(),
            host.frame
        ),
    ))
}

/// TURN over TCP or TLS (the fallback of a network that drops UDP): a
/// connection to a host holding TURN relayed addresses of an app's calls,
/// answered to an Allocate on another flow or announced as relay
/// candidates in SDP. Its records are opaque; as with a vendor's published
/// media relays, their pace tells whether they carried media (`role`).
fn turn_host_guess(x: &AppInputs<'_>, best: &mut Option<AppGuess>) {
    let far = x.sides.far;
    let Some(relay) = x
        .knowledge
        .relay(far, x.as_of)
        .filter(|r| matches!(r.kind, RelayKind::Turn | RelayKind::TurnCandidate))
    else {
        return;
    };
    let Some(app) = relay.app else {
        return;
    };
    // The call's own signalling named the host: as strong as a socket of
    // the call (a vendor's range may host other apps' relays).
    let strength = if relay.kind == RelayKind::TurnCandidate {
        AppStrength::Socket
    } else {
        AppStrength::Prefix
    };
    let guess = offer(x.sigs, best, app, strength, || {
        format!(
            "host {} holds the TURN relayed address {} of {} calls",
            far.ip,
            relay.relayed,
            x.sigs.app(app).display_name
        )
    });
    if let Some(g) = guess {
        g.prefix_kind = Some(TrafficKind::Media);
    }
}

/// A TURN server no vendor list names, by the name its operator gave it
/// (`turn.example.org`, `turn2.…`, `turns-eu.…`: coturn's documentation
/// and most self-hosted deployments name it so): a media relay of WebRTC
/// calls, so that TURN inside TLS to it counts as relayed media by its pace.
fn turn_name_guess(name: Option<&str>, own: bool, sigs: &Signatures) -> Option<AppGuess> {
    let name = name.filter(|n| is_turn_server_name(n))?;
    let app = sigs.app_id("webrtc_generic")?;
    let (strength, how) = if own {
        (AppStrength::ServerName, "server name")
    } else {
        (AppStrength::ResolvedName, "far end resolved by DNS as")
    };
    let mut g = AppGuess::new(app, strength, format!("{how} {name}, a TURN server's name"));
    g.domain_kind = Some(DomainKind::Media);
    Some(g)
}

/// A host name whose first label is `turn` or `turns`, alone or followed by
/// a number or a dash (`turn1`, `turn-eu`), under a domain: not `turner.`
/// or `turnkey.`.
fn is_turn_server_name(name: &str) -> bool {
    let Some((first, domain)) = name.split_once('.') else {
        return false;
    };
    if domain.is_empty() {
        return false;
    }
    let first = first.to_ascii_lowercase();
    let Some(rest) = first.strip_prefix("turn") else {
        return false;
    };
    let rest = rest.strip_prefix('s').unwrap_or(rest);
    rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '_')
}

/// Whether a guess of `app` at `strength` beats `best`; between equals, a
/// vendor app beats a generic protocol family.
fn beats(sigs: &Signatures, best: Option<&AppGuess>, app: AppId, strength: AppStrength) -> bool {
    // A protocol family's own fingerprints (SIP request lines, libwebrtc
    // attributes) only say which family: protocol strength.
    let key = |app: AppId, strength: AppStrength| {
        let generic = sigs.app(app).generic;
        let strength = if generic && strength == AppStrength::Fingerprint {
            AppStrength::Protocol
        } else {
            strength
        };
        (strength, !generic)
    };
    best.is_none_or(|b| key(app, strength) > key(b.app, b.strength))
}

/// Makes `app` the best guess if it beats the current one; its evidence
/// text is only built then. Returns the new best guess, to add kinds to.
fn offer<'a>(
    sigs: &Signatures,
    best: &'a mut Option<AppGuess>,
    app: AppId,
    strength: AppStrength,
    evidence: impl FnOnce() -> String,
) -> Option<&'a mut AppGuess> {
    if !beats(sigs, best.as_ref(), app, strength) {
        return None;
    }
    Some(best.insert(AppGuess::new(app, strength, evidence())))
}

/// Keeps the stronger of two guesses (see `beats`).
fn stronger(sigs: &Signatures, a: Option<AppGuess>, b: AppGuess) -> Option<AppGuess> {
    if beats(sigs, a.as_ref(), b.app, b.strength) {
        Some(b)
    } else {
        a
    }
}

pub struct AppInputs<'a> {
    pub sigs: &'a Signatures,
    pub knowledge: &'a Knowledge,
    pub far: &'a FarEnd,
    pub sides: &'a Sides,
    pub as_of: AsOf,
}

/// The best app guess for a finished flow, or `None`.
pub fn identify(flow: &Flow, x: &AppInputs<'_>) -> Option<AppGuess> {
    let f = &flow.facts;
    let sigs = x.sigs;
    let mut best: Option<AppGuess> = None;
    let protocol = has_call_protocol(f);

    if let Some(stun) = &f.stun {
        if let Some((app, why)) = &stun.vendor {
            offer(sigs, &mut best, *app, AppStrength::Fingerprint, || {
                why.to_string()
            });
        }
    }
    if let Some((app, kind, why)) = f.payload_match.as_deref() {
        if let Some(g) = offer(sigs, &mut best, *app, AppStrength::Fingerprint, || {
            why.to_string()
        }) {
            g.payload_kind = Some(*kind);
        }
    }
    if let Some((id, why)) = app_framing(f) {
        if let Some(app) = sigs.app_id(id) {
            offer(sigs, &mut best, app, AppStrength::Fingerprint, || {
                why.to_string()
            });
        }
    }
    // The name the device resolved the far end by, when the flow's own
    // name is none or only its certificate's (a CDN's certificate may
    // cover many services; the device asked for one).
    let from_certificate = f.server_name_from_certificate();
    let resolved = if f.server_name().is_none() || from_certificate {
        x.knowledge.name(x.sides.far.ip, x.as_of)
    } else {
        None
    };
    let own_name = f
        .server_name()
        .filter(|_| !(from_certificate && resolved.is_some()));
    if let Some(name) = own_name {
        if let Some(m) = sigs.match_domain(name) {
            if let Some(g) = offer(sigs, &mut best, m.app, AppStrength::ServerName, || {
                if from_certificate {
                    format!("server certificate name {}", m.evidence)
                } else {
                    format!("server name {}", m.evidence)
                }
            }) {
                g.domain_kind = Some(m.kind);
            }
        }
    }
    // The local socket as the internet sees it (what STUN reflected), which
    // is how SDP announces it as a server-reflexive candidate.
    let reflected = x
        .knowledge
        .reflection(x.sides.local, x.as_of)
        .map(|r| r.public);
    // The TURN relayed address allocated on this flow, as the call's
    // signalling announces it (a relay candidate).
    let relayed = f
        .stun
        .as_ref()
        .and_then(|s| s.relayed)
        .map(crate::flow::Endpoint::from);
    for end in [Some(x.sides.local), reflected, relayed, Some(x.sides.far)]
        .into_iter()
        .flatten()
    {
        if let Some(s) = x.knowledge.socket_app(end, x.as_of) {
            offer(sigs, &mut best, s.app, AppStrength::Socket, || {
                format!(
                    "socket {end} also carried {} ({})",
                    sigs.app(s.app).id,
                    s.evidence
                )
            });
        }
    }
    // A host that carried this app's signalling (SDP, H.225, SIP) on this
    // port: what else reaches that socket is the app's too, such as the
    // STUN keep-alives a SIP phone sends on its SIP flow (RFC 5626 §4.4.2).
    if let Some(server) = x.knowledge.server(x.sides.far.ip, x.as_of) {
        use super::knowledge::ServerRole;
        let same_port = server.endpoint.port == x.sides.far.port;
        // (A flow that carried SIP itself is named by its own messages.)
        let signalling = match server.role {
            ServerRole::Signalling => true,
            ServerRole::Sip => f.signalling.is_none(),
            _ => false,
        };
        if let (Some(app), true, true) = (server.app, same_port, signalling) {
            offer(sigs, &mut best, app, AppStrength::Socket, || {
                format!(
                    "{} carried {} signalling",
                    server.endpoint,
                    sigs.app(app).display_name
                )
            });
        }
    }
    if own_name.is_none() {
        if let Some(name) = &resolved {
            if let Some(m) = sigs.match_domain(name) {
                if let Some(g) = offer(sigs, &mut best, m.app, AppStrength::ResolvedName, || {
                    format!("far end resolved by DNS as {}", m.evidence)
                }) {
                    g.domain_kind = Some(m.kind);
                }
            }
        }
    }
    if let Some(m) = sigs.match_ip(x.sides.far.ip) {
        match &mut best {
            // Stronger evidence named the same app: what the vendor says
            // the address is for still holds.
            Some(b) if b.app == m.app => {
                b.prefix_kind = Some(m.kind);
                b.prefix_names_hosts = m.names_hosts;
            }
            _ => {
                let mut g = AppGuess::new(m.app, AppStrength::Prefix, m.evidence);
                g.prefix_kind = Some(m.kind);
                g.prefix_names_hosts = m.names_hosts;
                best = stronger(sigs, best, g);
            }
        }
    }
    if flow.l4 == L4Proto::Tcp {
        turn_host_guess(x, &mut best);
    }
    if best.is_none() {
        best = turn_name_guess(own_name.or(resolved.as_deref()), own_name.is_some(), sigs);
    }
    if best.is_none() {
        best = port_guess(flow, x).or_else(|| host_guess(flow.l4, x));
    }
    if best.is_none() {
        best = sip_over_tls(flow, x);
    }
    if protocol {
        // (A cloud customer's machine in the operator's network is not its
        // service: Signal's relays on Google Cloud are no Google Meet.)
        if let Some(asn) = x.far.asn.filter(|_| !sigs.rented_out(x.sides.far.ip)) {
            if let Some(app) = sigs.match_asn(asn) {
                let sig = sigs.app(app);
                let operator = x.far.operator.as_deref().unwrap_or("its operator");
                let g = if sig.operator_shared {
                    sigs.app_id("other_voip").map(|other| {
                        AppGuess::new(
                            other,
                            AppStrength::Operator,
                            format!(
                                "call protocol to AS{asn} ({operator}), whose network carries several calling apps ({} among them)",
                                sig.display_name
                            ),
                        )
                    })
                } else {
                    Some(AppGuess::new(
                        app,
                        AppStrength::Operator,
                        format!(
                            "call protocol to AS{asn} ({operator}), {}'s network",
                            sig.display_name
                        ),
                    ))
                };
                if let Some(g) = g {
                    best = stronger(sigs, best, g);
                }
            }
        }
        if let Some(g) = protocol_family(f, sigs) {
            best = stronger(sigs, best, g);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::is_turn_server_name;

    #[test]
    fn turn_server_names_are_told_from_words_that_begin_alike() {
        for name in [
            "turn.example.org",
            "TURN.matrix.org",
            "turns.example.org",
            "turn1.meet.example.net",
            "turn-eu.example.com",
            "turns-2.example.com",
            "turn_a.example.com",
        ] {
            assert!(is_turn_server_name(name), "{name}");
        }
        for name in [
            "turner.facebook",
            "turnitin.com",
            "turnkey.example.org",
            "img.inturn.co",
            "turn",
            "turn.",
            "stun.example.org",
            "return.example.org",
        ] {
            assert!(!is_turn_server_name(name), "{name}");
        }
    }
}
