//! Capture bytes (pcap or pcapng) through both readers: the in-memory
//! reader behind `CaptureFile` and the streaming reader behind `-`. Both
//! must agree on how many packets they read.
#![no_main]

use callpath::capture::{stream_reader, CaptureFile};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = CaptureFile::from_bytes("fuzz", data.to_vec()) else {
        return;
    };
    let mut bytes_seen = 0usize;
    let from_file = file.read(|pkt, _| bytes_seen += pkt.data.len());
    let mut stream_bytes = 0usize;
    if let Ok(from_stream) = stream_reader::read_stream("fuzz", data, |pkt, _| {
        stream_bytes += pkt.data.len();
    }) {
        assert_eq!(from_file.packets, from_stream.packets, "readers disagree");
        assert_eq!(bytes_seen, stream_bytes, "readers disagree on packet bytes");
    }
});
