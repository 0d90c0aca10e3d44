//! The flow record: the schema of DESIGN.md ("Output record").

use std::fmt::Display;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use super::community_id::{community_id, CommunityId};
use super::media_summary::MediaSummary;
use super::remote::Remote;
use crate::classify::device_apps::DeviceApp;
use crate::classify::tunnel::{stream_inside, tunnel_of};
use crate::decode::L4Proto;
use crate::dissect::vpn_tunnel::TunnelSighting;
use crate::flow::{Direction, EndReason, Endpoint, Flow};
use crate::geo::ServiceOperator;

/// One flow as written in every output format.
#[derive(Clone, Debug, Serialize)]
pub struct FlowRecord {
    #[serde(rename = "type")]
    pub record_type: FlowRecordType,
    pub l4: L4Proto,
    /// The endpoint that sent the flow's first packet.
    #[serde(serialize_with = "as_text")]
    pub src: Endpoint,
    #[serde(serialize_with = "as_text")]
    pub dst: Endpoint,
    /// Seconds since the Unix epoch (packet time).
    pub first_seen: f64,
    pub last_seen: f64,
    pub duration: f64,
    pub packets: u64,
    pub bytes: u64,
    pub packets_src_to_dst: u64,
    pub packets_dst_to_src: u64,
    pub bytes_src_to_dst: u64,
    pub bytes_dst_to_src: u64,
    pub community_id: CommunityId,
    /// Shared with the app's signature: no copy per record.
    pub app: Option<Arc<str>>,
    pub role: Option<&'static str>,
    pub confidence: Option<f64>,
    /// Shared texts (the same reasons recur over many flows, see
    /// `SharedTexts`) in a boxed slice: a record can wait minutes for
    /// its call, and every byte of it counts at the memory peak.
    pub evidence: Box<[Arc<str>]>,
    pub remote: Option<Remote>,
    pub call: Option<u32>,
    /// Server name the flow asked for (TLS/QUIC SNI) or the DNS name the
    /// device resolved the far end with.
    pub server_name: Option<Arc<str>>,
    /// The company that runs this server of the flow's app, when the
    /// network it sits in is not that company's (a relay or lookup only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_operator: Option<Arc<ServiceOperator>>,
    /// The app on the capturing device that owns the flow, as the capture
    /// itself says (PCAPdroid's trailer); absent from other captures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_app: Option<Arc<DeviceApp>>,
    /// The VPN tunnel the flow is (`wireguard`, `openvpn`, `ipsec`...): what
    /// it carries cannot be seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<&'static str>,
    /// What the tunnel's packets looked like when they had a call's shape
    /// (`classify::tunnel::stream_inside`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel_stream: Option<Box<str>>,
    /// The far end answered the device's STUN request on this flow and told
    /// it its public address: it learned that address. Boxed: few flows
    /// have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_address_learned: Option<Box<LearnedAddress>>,
    /// Per-direction media facts when the flow carries RTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<Box<MediaSummary>>,
    /// `None`: still open (a `flow_update`).
    #[serde(serialize_with = "end_reason_name")]
    pub end_reason: Option<EndReason>,
    /// Frame number of the flow's first packet in its capture file.
    pub first_frame: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
    /// Frames that carry the protocol evidence behind the verdict (first
    /// STUN message, first RTP packet, first signalling message), so a
    /// reader can open them in Wireshark.
    #[serde(skip_serializing_if = "<[EvidenceFrame]>::is_empty")]
    pub evidence_frames: Box<[EvidenceFrame]>,
    /// Which input (0-based, in the order given) the flow began in.
    #[serde(skip)]
    pub file_index: u32,
}

impl FlowRecord {
    /// The far end in one line for people: its network's summary, then
    /// who runs the app's server there when that is another company.
    pub fn far_summary(&self) -> Option<String> {
        let network = self.remote.as_ref().map(Remote::summary);
        match (network, self.service_operator.as_deref()) {
            (Some(n), Some(s)) => Some(format!("{n} · {}", s.summary)),
            (None, Some(s)) => Some(s.summary.to_string()),
            (Some(n), None) => Some(n.to_string()),
            (None, None) => None,
        }
    }
}

/// Which kind of flow record: a finished flow, or an open one's counters
/// so far (live capture).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowRecordType {
    Flow,
    FlowUpdate,
}

impl FlowRecordType {
    pub fn name(self) -> &'static str {
        match self {
            FlowRecordType::Flow => "flow",
            FlowRecordType::FlowUpdate => "flow_update",
        }
    }
}

impl Serialize for FlowRecordType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// Why a flow ended, as written (`open` while it has not).
pub fn end_reason_text(reason: Option<EndReason>) -> &'static str {
    reason.map_or("open", EndReason::name)
}

fn end_reason_name<S: Serializer>(reason: &Option<EndReason>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(end_reason_text(*reason))
}

/// A far end that learned the device's public address, and the address it
/// told the device.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub struct LearnedAddress {
    #[serde(serialize_with = "as_text")]
    pub by: Endpoint,
    #[serde(serialize_with = "as_text")]
    pub address: Endpoint,
}

/// One frame that supports a verdict, and what it shows.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct EvidenceFrame {
    pub frame: u64,
    /// Shared, like the reasons (`SharedTexts`).
    pub what: Arc<str>,
}

fn evidence_frames(flow: &Flow, tunnel: Option<TunnelSighting>) -> Box<[EvidenceFrame]> {
    let facts = &flow.facts;
    let sightings = [
        facts.stun.as_ref().and_then(|s| s.first.as_ref()),
        facts.media.as_ref().and_then(|m| m.first.as_ref()),
        facts.signalling.as_ref().and_then(|s| s.first.as_ref()),
    ];
    let tunnel = tunnel.map(|t| EvidenceFrame {
        frame: t.frame,
        what: Arc::from(t.why),
    });
    // Sized exactly: a record can wait a long time for its call.
    let mut out =
        Vec::with_capacity(sightings.iter().flatten().count() + usize::from(tunnel.is_some()));
    out.extend(sightings.into_iter().flatten().map(|s| EvidenceFrame {
        frame: s.frame,
        what: Arc::from(&*s.what),
    }));
    out.extend(tunnel);
    out.sort_by_key(|e| e.frame);
    out.into_boxed_slice()
}

impl FlowRecord {
    /// The counters and identity of a flow; classification fields empty.
    pub fn from_flow(flow: &Flow) -> FlowRecord {
        let fwd = flow.dir(Direction::FromOrig);
        let rev = flow.dir(Direction::FromResp);
        let tunnel = tunnel_of(flow);
        FlowRecord {
            record_type: FlowRecordType::Flow,
            l4: flow.l4,
            src: flow.orig(),
            dst: flow.resp(),
            first_seen: round6(flow.first_seen.as_secs_f64()),
            last_seen: round6(flow.last_seen.as_secs_f64()),
            duration: round6(flow.duration_secs()),
            packets: flow.packets(),
            bytes: flow.bytes(),
            packets_src_to_dst: fwd.packets,
            packets_dst_to_src: rev.packets,
            bytes_src_to_dst: fwd.bytes,
            bytes_dst_to_src: rev.bytes,
            community_id: community_id(flow.l4, &flow.orig(), &flow.resp()),
            app: None,
            role: None,
            confidence: None,
            evidence: Box::default(),
            remote: None,
            call: None,
            server_name: None,
            service_operator: None,
            device_app: None,
            tunnel: tunnel.map(|t| t.protocol.name()),
            // Only a tunnel's shape is asked for: a media flow's is its own.
            tunnel_stream: tunnel
                .and_then(|_| stream_inside(flow))
                .map(String::into_boxed_str),
            public_address_learned: None,
            media: None,
            end_reason: flow.end_reason,
            first_frame: flow.first_frame,
            file: None,
            evidence_frames: evidence_frames(flow, tunnel),
            file_index: flow.file_index,
        }
    }
}

/// Writes a value as its text (`1.2.3.4:5` for an endpoint) without an
/// intermediate string.
fn as_text<T: Display, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// Microsecond precision, as captures record time.
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
