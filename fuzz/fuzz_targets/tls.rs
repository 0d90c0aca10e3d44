#![no_main]

use callpath::dissect::tls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tls::probe(data);
    let _ = tls::is_tls_record_start(data);
    std::hint::black_box(tls::scan_client_hello(data));
    let mut scratch = Vec::new();
    std::hint::black_box(tls::scan_client_hello_with(data, &mut scratch));
    let _ = std::hint::black_box(tls::parse_client_hello_message(data));
    std::hint::black_box(tls::scan_server_certificate(data));
});
