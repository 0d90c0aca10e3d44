#![no_main]

use callpath::dissect::zoom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = zoom::probe(data, true);
    let _ = zoom::probe(data, false);
    std::hint::black_box(zoom::parse_server(data));
    std::hint::black_box(zoom::parse_p2p(data));
    std::hint::black_box(zoom::parse_media(data));
});
