#![no_main]

use callpath::dissect::whatsapp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = whatsapp::probe_tcp_stream_start(data);
});
