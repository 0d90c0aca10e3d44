//! Where the SDP of a call whose media the capture does not hold put that
//! media: the other side's answer names the host the device was told to
//! send its voice to, and so where it would go, even when the capture
//! (taken at a proxy, or of the signalling only) holds none of it.

use std::net::SocketAddr;

use super::calls::CallFlow;
use super::knowledge::{Knowledge, ServerRole};
use super::sides::is_site_local;
use crate::capture::Timestamp;
use crate::flow::Endpoint;
use crate::geo::GeoResolver;
use crate::report::remote::Remote;
use crate::report::CallParty;

/// What the SDP of a signalling-only call said.
#[derive(Debug, Default)]
pub struct AnnouncedMedia {
    /// The other side's media addresses, with where they are.
    pub far: Vec<CallParty>,
    /// The sentence the verdict adds about them.
    pub sentence: String,
    /// Evidence lines: who announced what.
    pub evidence: Vec<String>,
}

/// The media addresses the answered SIP dialogs in `[start, end]` on the
/// call's signalling flows announced. `None` when no SDP gave any.
pub fn announced_media(
    members: &[&CallFlow],
    (start, end): (Timestamp, Timestamp),
    knowledge: &Knowledge,
    geo: &GeoResolver,
) -> Option<AnnouncedMedia> {
    // (the other side's media address, the signalling flow it came on).
    let mut far: Vec<(SocketAddr, &CallFlow)> = Vec::new();
    let mut device: Vec<SocketAddr> = Vec::new();
    for f in members {
        let (mine, theirs) = if f.local_is_src { (0, 1) } else { (1, 0) };
        let dialogs = f
            .marks
            .dialogs
            .iter()
            .filter(|d| d.answered && d.start <= end && start <= d.end);
        for d in dialogs {
            for a in d.media.get(theirs).into_iter().flatten().flatten() {
                if !far.iter().any(|(b, _)| b == a) {
                    far.push((*a, f));
                }
            }
            for a in d.media.get(mine).into_iter().flatten().flatten() {
                if !device.contains(a) {
                    device.push(*a);
                }
            }
        }
    }
    if far.is_empty() {
        return None;
    }
    let parties: Vec<CallParty> = far
        .iter()
        .map(|(a, _)| {
            let remote = Remote::new(geo.resolve(a.ip()));
            CallParty {
                endpoint: Endpoint::from(*a).to_string(),
                summary: remote.summary().to_string(),
                remote: Some(remote),
                service_operator: None,
            }
        })
        .collect();
    // Addresses in one place are named together, their place once.
    let mut places: Vec<(&str, Vec<&str>)> = Vec::new();
    for p in &parties {
        match places.iter_mut().find(|(summary, _)| *summary == p.summary) {
            Some((_, endpoints)) => endpoints.push(&p.endpoint),
            None => places.push((&p.summary, vec![&p.endpoint])),
        }
    }
    let listed = places
        .iter()
        .map(|(summary, endpoints)| format!("{} ({summary})", endpoints.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let mut sentence = format!("Its SDP put the other side's media at {listed}");
    // What the far media hosts are, from the host that signalled them.
    let on_signaller = far.iter().all(|(a, f)| a.ip() == f.far().ip);
    let sip_server = |f: &CallFlow| {
        knowledge
            .server(f.far().ip, f.as_of)
            .filter(|s| s.role == ServerRole::Sip)
    };
    let public = |a: &SocketAddr| !is_site_local(a.ip());
    if on_signaller {
        match far.iter().find_map(|(_, f)| sip_server(f)) {
            Some(server) => sentence.push_str(&format!(
                ", the SIP server's own address ({}): the media was set to pass through that server, not peer-to-peer.",
                server.evidence.as_deref().unwrap_or("a SIP server")
            )),
            None => sentence.push_str(
                ", the host that signalled the call: a phone called directly, or a server that takes the media itself.",
            ),
        }
    } else if far.iter().all(|(a, f)| {
        // (Not when the device sits in that network too: the other phone
        // may be its neighbour.)
        public(a)
            && !is_site_local(f.far().ip)
            && geo.same_network(a.ip(), f.far().ip)
            && !geo.same_network(a.ip(), f.local().ip)
    }) {
        sentence.push_str(
            ", another host in the SIP server's network: a media gateway, not the other phone, so the media was set to pass through the operator's servers.",
        );
    } else {
        sentence.push_str(
            ": whether that is the other phone or a server cannot be told from this capture.",
        );
    }
    let mut evidence: Vec<String> = far
        .iter()
        .map(|(a, f)| {
            format!(
                "SDP from {}: the other side's media at {}",
                f.far(),
                Endpoint::from(*a)
            )
        })
        .collect();
    if !device.is_empty() {
        let mut line = String::from("SDP from the device: its media at ");
        line.push_str(
            &device
                .iter()
                .map(|a| Endpoint::from(*a).to_string())
                .collect::<Vec<_>>()
                .join(", "),
        );
        evidence.push(line);
    }
    Some(AnnouncedMedia {
        far: parties,
        sentence,
        evidence,
    })
}
