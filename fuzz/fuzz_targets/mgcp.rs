#![no_main]

use callpath::dissect::mgcp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = mgcp::probe(data);
    std::hint::black_box(mgcp::parse(data));
});
