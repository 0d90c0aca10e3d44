//! QUIC Initial decryption and CRYPTO reassembly. The input is split into
//! datagrams at a two-byte length prefix so the assembler sees several.
#![no_main]

use callpath::dissect::quic;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = quic::probe(data);
    std::hint::black_box(quic::initial_server_name(data));
    let mut assembler = quic::QuicInitialAssembler::new();
    let mut rest = data;
    while let [hi, lo, tail @ ..] = rest {
        let len = usize::from(u16::from_be_bytes([*hi, *lo])).min(tail.len());
        let (datagram, after) = tail.split_at(len);
        std::hint::black_box(assembler.push(datagram));
        let _ = assembler.is_complete();
        let _ = assembler.alpn_first();
        rest = after;
    }
});
