//! The call record: flows grouped into one call, with the path verdict a
//! journalist asks for (direct or relayed, by whom, where).

use std::sync::Arc;

use serde::Serialize;

use super::call_laws::CallLaws;
use super::remote::Remote;
use crate::geo::ServiceOperator;

/// A server or peer a call talked to.
#[derive(Clone, Debug, Serialize)]
pub struct CallParty {
    pub endpoint: String,
    pub remote: Option<Remote>,
    /// One line for people: country, operator, whose law.
    pub summary: String,
    /// The company that runs this server of the call's app, when the
    /// network it sits in is not that company's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_operator: Option<Arc<ServiceOperator>>,
}

/// RTP quality seen on a call's media flows.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallQuality {
    pub rtp_streams: u32,
    pub packets_expected: u64,
    pub packets_lost: i64,
    pub loss_percent: Option<f64>,
    pub max_jitter_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CallRecord {
    #[serde(rename = "type")]
    pub record_type: &'static str,
    pub call: u32,
    /// Shared with the app's signature, as in the flow record.
    pub app: Option<std::sync::Arc<str>>,
    /// The apps the capturing phone tagged the call's flows with
    /// (PCAPdroid), e.g. "WhatsApp (Android uid 10123)".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub device_apps: Vec<String>,
    pub start: f64,
    pub end: f64,
    pub duration: f64,
    /// The user's own endpoints (the capture's vantage point).
    pub local: Vec<String>,
    /// `direct`, `relayed`, `relayed_then_direct`, `direct_then_relayed`,
    /// `signalling_only` (answered, no media captured) or `not_answered`
    /// (a SIP call attempt: rejected, cancelled or never answered).
    pub path: &'static str,
    /// The verdict in one sentence.
    pub verdict: String,
    /// A group call: the most voices one server sent the device at once
    /// (two or more; each participant's audio is its own RTP stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voices_at_once: Option<u32>,
    pub peers: Vec<CallParty>,
    pub relays: Vec<CallParty>,
    pub lookup_servers: Vec<CallParty>,
    /// Addresses the device only exchanged connectivity checks with, no
    /// media: the other party's candidate addresses (its host, NAT or
    /// relay address) or the device's own public address. Not listed
    /// among `lookup_servers`, and no server claim counts them.
    pub candidates_checked: Vec<CallParty>,
    /// A call whose media the capture does not hold: where the other
    /// side's SDP put that media.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub announced_media: Vec<CallParty>,
    /// The far ends of the call's other legs, when a SIP server passed it
    /// on (a PBX, a B2BUA) and the capture holds both legs: the host the
    /// call went on to, or came from (`classify::call_legs`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_legs: Vec<CallParty>,
    /// Who learned the user's public address: STUN servers that reflected
    /// it and peers that received media from it.
    pub public_address_learned_by: Vec<String>,
    /// Whose law reaches the servers that carried the call's media and
    /// those it looked up or signalled through, per country.
    pub laws: CallLaws,
    pub quality: Option<CallQuality>,
    pub flows: u32,
    pub media_flows: u32,
    pub evidence: Vec<String>,
}

impl CallRecord {
    /// Whether the capture holds media of the call (not only its SIP
    /// signalling).
    pub fn has_media(&self) -> bool {
        !matches!(self.path, "signalling_only" | "not_answered")
    }
}
