#![no_main]

use callpath::dissect::iax2;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = iax2::probe(data);
    std::hint::black_box(iax2::parse(data));
});
