#![no_main]

use callpath::dissect::turn_channel;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(cd) = turn_channel::parse(data) {
        let _ = cd.tcp_len();
    }
});
