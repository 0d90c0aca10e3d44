#![no_main]

use callpath::dissect::dns;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dns::probe(data);
    std::hint::black_box(dns::query_name(data));
    let _ = std::hint::black_box(dns::parse_response(data));
    if let Some(msg) = dns::tcp_message(data) {
        let _ = std::hint::black_box(dns::parse_response(msg));
    }
});
