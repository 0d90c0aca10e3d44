//! The summary record that ends every output: what was read, what was
//! skipped and why, and whether any input was damaged.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::flow::FlowTableStats;

/// How one input ended.
#[derive(Clone, Debug, Default, Serialize)]
pub struct InputReport {
    pub file: String,
    pub packets: u64,
    pub bytes: u64,
    /// Set when the input was cut short or corrupt: where and why.
    pub damaged: Option<String>,
    pub damage_offset: Option<u64>,
    /// Link types that callpath does not decode, by code, with counts.
    pub unsupported_link_types: BTreeMap<i32, u64>,
    /// Readable but odd records (empty packets, time running backwards,
    /// ...), one line each with the first byte offset.
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    #[serde(rename = "type")]
    pub record_type: &'static str,
    pub packets_read: u64,
    pub packets_decoded: u64,
    /// Packets not analysed, by reason.
    pub packets_skipped: BTreeMap<&'static str, u64>,
    pub flows: u64,
    pub calls: u64,
    /// Flows by role.
    pub roles: BTreeMap<&'static str, u64>,
    /// Flows that are VPN tunnels, by protocol: what they carry, calls
    /// included, cannot be seen.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tunnels: BTreeMap<&'static str, u64>,
    pub flow_table: FlowTableStats,
    pub inputs: Vec<InputReport>,
    /// True when any input was truncated or corrupt.
    pub truncated: bool,
    pub first_packet: Option<f64>,
    pub last_packet: Option<f64>,
    /// Counters of a live capture; absent when reading files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureStats>,
    /// The geolocation databases far ends were looked up in, in order of
    /// preference.
    pub geolocation: Vec<GeolocationSource>,
}

/// One geolocation database and what its countries rest on.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GeolocationSource {
    /// "callpath-geo.mmdb (embedded) (callpath-geo-asn-country, 2026-06-17)".
    pub database: String,
    /// "countries as each network registered or declared them (…), not measured".
    pub countries: &'static str,
}

/// What happened to packets on their way from a live interface to callpath.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CaptureStats {
    pub interface: String,
    /// The BPF capture filter, when one was set.
    pub filter: Option<String>,
    /// Wall-clock seconds the capture ran.
    pub duration: f64,
    /// Packets that passed the filter and reached libpcap (`ps_recv`).
    pub received: u64,
    /// Packets the kernel dropped because its capture buffer was full,
    /// i.e. callpath read too slowly (`ps_drop`).
    pub dropped: u64,
    /// Packets the interface or its driver dropped (`ps_ifdrop`).
    pub if_dropped: u64,
    /// callpath's own queue between capture and analysis: `"none"` (the
    /// capture thread analyses each packet itself, so any overload shows up
    /// in `dropped`).
    pub queue: &'static str,
    /// Packets written to the `-w` file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packets_written: Option<u64>,
}
