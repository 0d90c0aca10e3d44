//! The other leg of a call a SIP server passed on. A PBX or B2BUA takes
//! the caller's INVITE and opens a call of its own to the callee, under
//! another Call-ID but with the same caller and callee named. A capture
//! taken at the server (or on a network both phones use) holds both legs:
//! each is a call of its device, and each says where the other went.

use super::calls::CallFlow;
use super::knowledge::Knowledge;
use crate::capture::Timestamp;
use crate::flow::Endpoint;
use crate::geo::GeoResolver;
use crate::report::remote::Remote;
use crate::report::CallParty;

/// How long after taking a call a SIP server may take to pass it on
/// (it may first ask a database, or ring a phone that answers late).
const PASSED_ON_WITHIN_NANOS: i64 = 10 * Timestamp::NANOS_PER_SEC;

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
    apart: i64,
}

/// The other legs of the calls of `members`' SIP dialogs within
/// `[start, end]`: an INVITE naming the same caller and callee, taken by
/// the host that sent this leg's INVITE shortly before, or sent by the
/// host this leg's INVITE went to shortly after.
pub fn other_legs(
    members: &[&CallFlow],
    (start, end): (Timestamp, Timestamp),
    knowledge: &Knowledge,
    geo: &GeoResolver,
) -> OtherLegs {
    let mut legs: Vec<Leg> = Vec::new();
    for f in members {
        let device_side = u8::from(!f.local_is_src);
        let dialogs = f
            .marks
            .dialogs
            .iter()
            .filter(|d| d.start <= end && start <= d.end);
        for d in dialogs {
            let Some(parties) = d.parties else { continue };
            let device_invited = d.invited_from == device_side;
            let (inviter, invitee) = if device_invited {
                (f.local(), f.far())
            } else {
                (f.far(), f.local())
            };
            let within = PASSED_ON_WITHIN_NANOS;
            // The inviter took the call from someone else just before.
            let before = (Timestamp(d.start.0.saturating_sub(within)), d.start);
            let came =
                knowledge.sip_invite((inviter.ip, false), parties, before, invitee.ip, f.as_of);
            if let Some(i) = came {
                legs.push(Leg {
                    server: inviter,
                    server_is_device: device_invited,
                    other: i.other,
                    onward: false,
                    apart: d.start.0.saturating_sub(i.ts.0),
                });
            }
            // The invitee passed it on to someone else just after.
            let after = (d.start, Timestamp(d.start.0.saturating_add(within)));
            let went =
                knowledge.sip_invite((invitee.ip, true), parties, after, inviter.ip, f.as_of);
            if let Some(i) = went {
                legs.push(Leg {
                    server: invitee,
                    server_is_device: !device_invited,
                    other: i.other,
                    onward: true,
                    apart: i.ts.0.saturating_sub(d.start.0),
                });
            }
        }
    }
    let mut out = OtherLegs::default();
    let mut said: Vec<String> = Vec::new();
    let mut listed: Vec<Endpoint> = Vec::new();
    for leg in &legs {
        if listed.contains(&leg.other) {
            continue;
        }
        listed.push(leg.other);
        let remote = Remote::new(geo.resolve(leg.other.ip));
        let summary = remote.summary().to_string();
        let through = if leg.server_is_device {
            format!(
                "your device, {}, is itself a SIP server in this call:",
                leg.server.ip
            )
        } else {
            format!("through the SIP server {},", leg.server)
        };
        let (way, when) = if leg.onward {
            ("went on to", "later")
        } else {
            ("came from", "earlier")
        };
        said.push(format!(
            "{through} the call {way} {} ({summary}; an INVITE naming the same caller and callee {:.3} s {when})",
            leg.other,
            leg.apart as f64 / 1e9
        ));
        let (from, to) = if leg.onward {
            (leg.server, leg.other)
        } else {
            (leg.other, leg.server)
        };
        out.evidence.push(format!(
            "INVITE {from} → {to}, {:.3} s {when}, naming the same caller and callee: the other leg of this call",
            leg.apart as f64 / 1e9
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
        sentence.push_str(if said.len() == 1 {
            ". The capture holds that leg too, listed as a call of its own: the legs are one call."
        } else {
            ". The capture holds those legs too, each listed as a call of its own: the legs are one call."
        });
        out.sentence = sentence;
    }
    out
}
