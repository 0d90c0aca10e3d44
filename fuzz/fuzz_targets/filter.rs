//! `--filter` expressions: parsing any text, and matching what parses
//! against a packet decoded from the rest of the input (the first byte
//! says how long the text is).
#![no_main]

use callpath::capture::LinkType;
use callpath::decode::filter::PacketFilter;
use callpath::decode::{decode, Decoded};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&len, rest)) = data.split_first() else {
        return;
    };
    let (text, frame) = rest.split_at(usize::from(len).min(rest.len()));
    let Ok(filter) = String::from_utf8_lossy(text).parse::<PacketFilter>() else {
        return;
    };
    if let Decoded::Packet(view) = decode(LinkType::Ethernet, frame) {
        std::hint::black_box(filter.matches(&view));
    }
});
