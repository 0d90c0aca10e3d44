//! IP fragment reassembly fed any sequence of first and later fragments:
//! each step is a datagram id (one byte), whether it is a first fragment,
//! an offset, the more-fragments flag and a length of bytes.
#![no_main]

use callpath::flow::reassembly::Reassembly;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut r = Reassembly::default();
    let a = "10.0.0.1".parse().unwrap();
    let b = "10.0.0.2".parse().unwrap();
    let filler = [0x55u8; 65_535];
    for step in data.chunks_exact(6) {
        let &[id, kind, off_hi, off_lo, len_hi, len_lo] = step else {
            continue;
        };
        let id = (a, b, 17, u32::from(id % 8));
        let offset = u16::from_be_bytes([off_hi, off_lo]) & 0x1fff;
        let len = usize::from(u16::from_be_bytes([len_hi, len_lo]));
        let bytes = &filler[..len];
        if kind & 1 == 1 {
            r.first(id, u64::from(kind), bytes);
        } else if let Some(whole) = r.later(&id, offset, kind & 2 != 0, bytes) {
            assert!(whole.payload.len() <= 65_507);
        }
    }
});
