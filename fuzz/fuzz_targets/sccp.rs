#![no_main]

use callpath::dissect::sccp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sccp::probe(data);
    if let Some(msg) = sccp::parse(data) {
        let _ = msg.wire_len();
    }
    std::hint::black_box(sccp::parse_all(data));
    std::hint::black_box(sccp::media_address(data));
});
