#![no_main]

use callpath::dissect::megaco;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = megaco::is_text_message(data);
    let _ = megaco::local_descriptors(data);
});
