//! Capture bytes (pcap or pcapng) through both readers: the in-memory
//! reader behind `CaptureFile` and the streaming reader behind `-`. Both
//! must agree on how many packets they read, and hand each on with the
//! same time in the same order (a packet whose time is in doubt is held
//! back by both, borrowed by one and copied by the other).
#![no_main]

use callpath::capture::{stream_reader, CaptureFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = CaptureFile::from_bytes("fuzz", data.to_vec()) else {
        return;
    };
    let mut from_file_packets = Vec::new();
    let from_file = file.read(|pkt, _| from_file_packets.push((pkt.frame, pkt.ts, pkt.data.len())));
    let mut streamed = Vec::new();
    if let Ok(from_stream) = stream_reader::read_stream("fuzz", data, |pkt, _| {
        streamed.push((pkt.frame, pkt.ts, pkt.data.len()));
    }) {
        assert_eq!(from_file.packets, from_stream.packets, "readers disagree");
        assert_eq!(from_file_packets, streamed, "readers disagree on packets");
    }
    assert_eq!(from_file.packets, from_file_packets.len() as u64, "a held packet was lost");
});
