#![no_main]

use callpath::dissect::h225;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = h225::probe(data);
    let _ = h225::probe_ras(data);
    std::hint::black_box(h225::parse_tpkt_q931(data));
    std::hint::black_box(h225::parse_q931(data));
});
