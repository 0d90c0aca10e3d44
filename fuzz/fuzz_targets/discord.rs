#![no_main]

use callpath::dissect::discord;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    std::hint::black_box(discord::parse(data));
});
