//! The whole per-packet path (decode, flow table, every dissector through
//! `inspect`, classification as flows end) through the public Analysis
//! API. One analysis lives across inputs so flow state builds up: the
//! first byte picks a 5-tuple out of a few and a direction, and the rest is
//! the UDP or TCP payload of one IPv4 packet; with the top bit set the rest
//! is a whole Ethernet frame instead.
#![no_main]

use std::sync::{Mutex, OnceLock};

use callpath::analysis::{Analysis, AnalysisConfig};
use callpath::capture::{LinkType, RawPacket, Timestamp};
use callpath::report::sink::sink_for;
use callpath::report::OutputFormat;
use libfuzzer_sys::fuzz_target;

static ANALYSIS: OnceLock<Mutex<(Analysis, i64)>> = OnceLock::new();

/// Ports that steer payloads to the app-specific dissectors.
const PORTS: [u16; 8] = [3478, 5060, 443, 53, 8801, 1719, 4569, 2000];

fn ipv4_packet(pick: u8, payload: &[u8]) -> Vec<u8> {
    let tcp = pick & 0x40 != 0;
    let port = PORTS
        .get(usize::from(pick >> 3 & 7))
        .copied()
        .unwrap_or(3478);
    let (src_port, dst_port) = if pick & 1 == 0 {
        (50000, port)
    } else {
        (port, 50000)
    };
    let (src, dst) = if pick & 1 == 0 {
        ([192, 168, 1, 2], [52, 114, 77, 136])
    } else {
        ([52, 114, 77, 136], [192, 168, 1, 2])
    };
    let l4_len = if tcp { 20 } else { 8 };
    let total = (20 + l4_len + payload.len()).min(65535);
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, 0, (total >> 8) as u8, total as u8, 0, 0, 0x40, 0, 64]);
    p.push(if tcp { 6 } else { 17 });
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&src_port.to_be_bytes());
    p.extend_from_slice(&dst_port.to_be_bytes());
    if tcp {
        // seq, ack, offset 5, flags PSH|ACK, window, checksum, urgent
        p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]);
    } else {
        let udp_len = (8 + payload.len()).min(65535) as u16;
        p.extend_from_slice(&udp_len.to_be_bytes());
        p.extend_from_slice(&[0, 0]);
    }
    p.extend_from_slice(payload.get(..total - 20 - l4_len).unwrap_or(payload));
    p
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let cell = ANALYSIS.get_or_init(|| {
        let sink = sink_for(OutputFormat::Ndjson, Box::new(std::io::sink()));
        let analysis = Analysis::new(&AnalysisConfig::default(), sink).unwrap();
        Mutex::new((analysis, 1_700_000_000_000_000_000))
    });
    let mut guard = cell.lock().unwrap();
    let (analysis, clock) = &mut *guard;
    *clock += 20_000_000;
    let (link, bytes) = if pick & 0x80 != 0 {
        (LinkType::Ethernet, rest.to_vec())
    } else {
        (LinkType::RawIpv4, ipv4_packet(pick, rest))
    };
    analysis.packet(RawPacket {
        ts: Timestamp(*clock),
        link,
        data: &bytes,
        orig_len: bytes.len() as u32,
        frame: 1,
        app: None,
    });
});
