#![no_main]

use callpath::dissect::agora;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = agora::edge_server_name(data);
});
