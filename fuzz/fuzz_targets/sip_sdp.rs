//! SIP messages (one datagram and a TCP segment of several) and the SDP
//! bodies they carry; raw SDP too when the input is not SIP.
#![no_main]

use callpath::dissect::{sdp, sip};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sip::probe(data);
    if let Ok(msg) = sip::parse(data) {
        if let Ok(session) = sdp::parse(msg.body) {
            std::hint::black_box(session.media_endpoints());
        }
    } else if let Ok(session) = sdp::parse(data) {
        std::hint::black_box(session.media_endpoints());
    }
    for msg in sip::messages(data) {
        std::hint::black_box(msg.call_id);
    }
});
