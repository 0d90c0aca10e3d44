#![no_main]

use callpath::dissect::skype;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = skype::probe(data);
    std::hint::black_box(skype::parse(data));
});
