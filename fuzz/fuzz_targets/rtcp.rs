#![no_main]

use callpath::dissect::rtcp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rtcp::probe(data);
    let mut it = rtcp::packets(data);
    for pkt in it.by_ref() {
        let _ = pkt.is_sender_report();
        for block in pkt.report_blocks() {
            std::hint::black_box(block);
        }
    }
    let _ = it.remainder();
});
