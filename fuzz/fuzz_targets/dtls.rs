#![no_main]

use callpath::dissect::dtls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dtls::probe(data);
    let mut it = dtls::records(data);
    for rec in it.by_ref() {
        let _ = rec.is_handshake();
        let _ = rec.is_application_data();
        std::hint::black_box(dtls::client_hello_info(&rec));
    }
    let _ = it.remainder();
});
