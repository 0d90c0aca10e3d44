#![no_main]

use callpath::dissect::telegram;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = telegram::probe(data);
    let _ = telegram::probe_mtproto_tcp(data);
    std::hint::black_box(telegram::parse(data));
});
