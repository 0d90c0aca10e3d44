#![no_main]

use callpath::dissect::stun;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = stun::probe(data);
    if let Ok(msg) = stun::parse(data) {
        let _ = msg.wire_len();
        let _ = msg.xor_key();
        let _ = msg.is_whatsapp_type();
        for attr in msg.attributes() {
            std::hint::black_box(&attr);
        }
    }
});
