//! The other leg of a call a SIP server passed on. A PBX or B2BUA takes
//! the caller's INVITE and opens a call of its own to the callee, under
//! another Call-ID but with the same caller and callee named. A capture
//! taken at the server (or on a network both phones use) holds both legs:
//! each is a call of its device, and each says where the other went.

use super::calls::CallFlow;
use super::knowledge::{AsOf, Knowledge, SipLeg};
use crate::capture::Timestamp;
use crate::flow::Endpoint;
use crate::geo::GeoResolver;
use crate::report::remote::Remote;
use crate::report::CallParty;

/// How long after taking a call a SIP server may take to pass it on
/// (it may first ask a database, or ring a phone that answers late).
const PASSED_ON_WITHIN_NANOS: i64 = 10 * Timestamp::NANOS_PER_SEC;

/// The longest an INVITE may come before its call's media: a proxy gives
/// up on an INVITE no one answered after Timer C, a little over three
/// minutes (RFC 3261 §16.8).
const RINGS_AT_MOST_NANOS: i64 = 180 * Timestamp::NANOS_PER_SEC;

/// The legs joined to a call's own.
#[derive(Debug, Default)]
pub struct OtherLegs {
    /// The far end of each other leg: the host the call was passed on to,
    /// or came from.
    pub parties: Vec<CallParty>,
    /// What the verdict adds about them.
    pub sentence: String,
    /// Evidence lines: which INVITE joined which leg.
    pub evidence: Vec<String>,
    /// The SIP servers that signalled the call, when its signalling flow
    /// is not among its members (see `other_legs`): read from the INVITE
    /// the SDP of its media came in.
    pub signalling: Vec<CallParty>,
}

/// One leg found: who passed the call between the legs, and how.
struct Leg {
    /// The host in the middle, and whether it is the device itself.
    server: Endpoint,
    server_is_device: bool,
    /// The other leg's far end.
    other: Endpoint,
    /// Whether the call went on to `other` (else it came from there).
    onward: bool,
    /// Packet time between the two INVITEs.
    apart: u64,
    /// The other INVITE had this leg's Call-ID: a proxy passed the same
    /// INVITE on, rather than a PBX opening a call of its own.
    proxied: bool,
}

/// The other legs of the calls of `members`' SIP dialogs within
/// `[start, end]`: an INVITE naming the same caller and callee, taken by
/// the host that sent this leg's INVITE shortly before, or sent by the
/// host this leg's INVITE went to shortly after. A call whose signalling
/// flow is not among its members (still open when the call closed: a
/// phone's registration kept for hours) has its INVITE read from the SDP
/// that announced its media.
pub fn other_legs(
    members: &[&CallFlow],
    (start, end): (Timestamp, Timestamp),
    knowledge: &Knowledge,
    geo: &GeoResolver,
) -> OtherLegs {
    let mut invites: Vec<(SipLeg, Endpoint, AsOf)> = Vec::new();
    for f in members {
        let device_side = u8::from(!f.local_is_src);
        let dialogs = f
            .marks
            .dialogs
            .iter()
            .filter(|d| d.start <= end && start <= d.end);
        for d in dialogs {
            let Some(parties) = d.parties else { continue };
            let (inviter, invitee) = if d.invited_from == device_side {
                (f.local(), f.far())
            } else {
                (f.far(), f.local())
            };
            let leg = SipLeg {
                parties,
                call_id: d.call_id(),
                inviter,
                invitee,
                invited_at: d.start,
            };
            invites.push((leg, f.local(), f.as_of));
        }
    }
    let signalled = members.iter().any(|f| !f.marks.dialogs.is_empty());
    let mut signalling: Vec<Endpoint> = Vec::new();
    if !signalled {
        for f in members.iter().filter(|f| f.role.is_media()) {
            for media in [f.local(), f.far()] {
                let Some(leg) = knowledge.sdp_media(media, f.as_of).and_then(|m| m.leg) else {
                    continue;
                };
                // (Knowledge keeps the first SDP per socket a while: a
                // phone that takes its media on the same port every call
                // finds an earlier call's INVITE.)
                let this_call = leg.invited_at <= end
                    && start.nanos_since(leg.invited_at) <= RINGS_AT_MOST_NANOS;
                let known = invites.iter().any(|(l, ..)| *l == leg);
                if !known && this_call {
                    invites.push((leg, f.local(), f.as_of));
                    let device = f.local().ip;
                    let server = match (leg.inviter.ip == device, leg.invitee.ip == device) {
                        (true, false) => Some(leg.invitee),
                        (false, true) => Some(leg.inviter),
                        _ => None,
                    };
                    if let Some(server) = server.filter(|s| !signalling.contains(s)) {
                        signalling.push(server);
                    }
                }
            }
        }
    }
    let mut legs: Vec<Leg> = Vec::new();
    for (leg, device, as_of) in invites {
        let SipLeg {
            parties,
            call_id,
            inviter,
            invitee,
            invited_at,
        } = leg;
        let within = PASSED_ON_WITHIN_NANOS;
        // The inviter took the call from someone else just before; the
        // invitee passed it on to someone else just after.
        let ways = [
            (inviter, invitee, false, invited_at.0.saturating_sub(within)),
            (invitee, inviter, true, invited_at.0.saturating_add(within)),
        ];
        for (server, this_leg, onward, bound) in ways {
            let span = if onward {
                (invited_at, Timestamp(bound))
            } else {
                (Timestamp(bound), invited_at)
            };
            let found =
                knowledge.sip_invite((server.ip, onward), parties, span, this_leg.ip, as_of);
            if let Some(i) = found {
                legs.push(Leg {
                    server,
                    server_is_device: server.ip == device.ip,
                    other: i.other,
                    onward,
                    apart: i.ts.0.abs_diff(invited_at.0),
                    proxied: i.call_id == call_id,
                });
            }
        }
    }
    let mut out = OtherLegs::default();
    for server in signalling {
        out.evidence.push(format!(
            "SIP server {server} signalled this call: its INVITE carried the SDP of the call's media (the signalling flow ran on after the call)"
        ));
        let remote = Remote::new(geo.resolve(server.ip));
        out.signalling.push(CallParty {
            endpoint: server.to_string(),
            summary: remote.summary().to_string(),
            remote: Some(remote),
            service_operator: None,
        });
    }
    let mut said: Vec<String> = Vec::new();
    let mut listed: Vec<Endpoint> = Vec::new();
    // Legs whose far end is no party to this call's media: calls of
    // other devices (a proxy's other leg may be this call's own peer).
    let mut own_calls = 0;
    let media_peers: Vec<_> = members
        .iter()
        .filter(|f| f.role.is_media())
        .map(|f| f.far().ip)
        .collect();
    for leg in &legs {
        if listed.contains(&leg.other) {
            continue;
        }
        listed.push(leg.other);
        let remote = Remote::new(geo.resolve(leg.other.ip));
        let summary = remote.summary().to_string();
        let server = if leg.proxied { "proxy" } else { "server" };
        let through = if leg.server_is_device {
            format!(
                "your device, {}, is itself a SIP {server} in this call:",
                leg.server.ip
            )
        } else {
            format!("through the SIP {server} {},", leg.server)
        };
        let (way, when) = if leg.onward {
            ("went on to", "later")
        } else {
            ("came from", "earlier")
        };
        let apart = leg.apart as f64 / 1e9;
        if !media_peers.contains(&leg.other.ip) {
            own_calls += 1;
        }
        let how = if leg.proxied {
            format!("the same INVITE, passed on {apart:.3} s {when}")
        } else {
            format!("an INVITE naming the same caller and callee {apart:.3} s {when}")
        };
        said.push(format!(
            "{through} the call {way} {} ({summary}; {how})",
            leg.other
        ));
        let (from, to) = if leg.onward {
            (leg.server, leg.other)
        } else {
            (leg.other, leg.server)
        };
        out.evidence.push(format!(
            "INVITE {from} → {to}, {apart:.3} s {when}, {}: the other leg of this call",
            if leg.proxied {
                "the same INVITE (same Call-ID) passed on by a proxy"
            } else {
                "under another Call-ID, naming the same caller and callee"
            }
        ));
        out.parties.push(CallParty {
            endpoint: leg.other.to_string(),
            summary,
            remote: Some(remote),
            service_operator: None,
        });
    }
    if !said.is_empty() {
        let first = said.join("; ");
        let mut sentence = String::with_capacity(first.len() + 80);
        // "Through the SIP server …" / "Your device, …"
        let mut chars = first.chars();
        if let Some(c) = chars.next() {
            sentence.extend(c.to_uppercase());
            sentence.push_str(chars.as_str());
        }
        sentence.push('.');
        sentence.push_str(match own_calls {
            0 => "",
            1 => " When the capture holds that leg's media too, it is listed as a call of its own: the legs are one call.",
            _ => " When the capture holds those legs' media too, each is listed as a call of its own: the legs are one call.",
        });
        out.sentence = sentence;
    }
    out
}
