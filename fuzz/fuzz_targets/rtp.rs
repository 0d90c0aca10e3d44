#![no_main]

use callpath::dissect::rtp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rtp::probe(data);
    if let Some(h) = rtp::parse(data) {
        std::hint::black_box(h);
    }
});
