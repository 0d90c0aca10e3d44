//! Link, IP and transport decoding for every link type callpath knows
//! (the first byte picks one), and the PCAPdroid trailer an Ethernet
//! frame may end with.
#![no_main]

use callpath::capture::pcapdroid::trailer;
use callpath::capture::LinkType;
use callpath::decode::decode;
use libfuzzer_sys::fuzz_target;

/// tcpdump.org link type codes callpath decodes, plus one it does not (147).
const CODES: [i32; 18] = [
    0, 1, 9, 10, 12, 101, 104, 105, 108, 113, 127, 147, 192, 228, 229, 239, 258, 276,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let code = CODES
        .get(usize::from(pick) % CODES.len())
        .copied()
        .unwrap_or(1);
    let _ = std::hint::black_box(decode(LinkType::from_code(code), rest));
    let _ = std::hint::black_box(trailer(rest).map(|t| t.name_text()));
});
