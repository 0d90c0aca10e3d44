//! Agora's SD-RTN edge handshake: the first datagram an app built on
//! Agora's SDK sends to an edge server names it, like a TLS SNI. Layout
//! (nDPI `sd_rtn.c`): byte 6 is 0x21, bytes 12..16 the tag `04 "SNI"`, a
//! 16-bit big-endian length at 16, a zero byte, then the name, e.g.
//! `23-248-186-179.edge.agora.io`. The rest of the message is a tag list
//! of key-exchange fields; nothing else of it is read.

/// Where the tag sits and what it is.
const TAG_AT: usize = 12;
const TAG: [u8; 4] = [0x04, b'S', b'N', b'I'];
/// Where the name starts.
const NAME_AT: usize = 19;

/// The edge server name the datagram asks for, if it is Agora's
/// handshake and the name reads as a host name.
pub fn edge_server_name(payload: &[u8]) -> Option<&str> {
    if payload.get(6) != Some(&0x21) || payload.get(TAG_AT..TAG_AT + 4) != Some(&TAG[..]) {
        return None;
    }
    let len = usize::from(u16::from_be_bytes(payload.get(16..18)?.try_into().ok()?));
    if payload.get(18) != Some(&0) || len == 0 {
        return None;
    }
    let name = payload.get(NAME_AT..NAME_AT.checked_add(len)?)?;
    let host_name = name
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        && name.contains(&b'.');
    host_name.then(|| std::str::from_utf8(name).ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{hex, lcg_bytes};

    /// Constructed as nDPI's `sd_rtn.c` reads it: a 12-byte header with
    /// 0x21 at 6, the tag, length 28, a zero, the name, then key-exchange
    /// tags ("PDMD", "CPTO").
    fn handshake() -> Vec<u8> {
        let mut p = hex("005a384c000021000000000004534e49001c00");
        p.extend_from_slice(b"23-248-186-179.edge.agora.io");
        p.extend_from_slice(b"PDMD\0\0CPTO");
        p
    }

    #[test]
    fn names_the_edge_server() {
        assert_eq!(
            edge_server_name(&handshake()),
            Some("23-248-186-179.edge.agora.io")
        );
    }

    #[test]
    fn other_datagrams_are_not_handshakes() {
        let good = handshake();
        // Each fixed byte changed, a name running past the datagram, a
        // name that is not a host name.
        for at in [6, 12, 13, 15, 18] {
            let mut p = good.clone();
            p[at] ^= 0x40;
            assert_eq!(edge_server_name(&p), None, "byte {at}");
        }
        assert_eq!(edge_server_name(&good[..40]), None);
        let mut p = good.clone();
        p[25] = b'/';
        assert_eq!(edge_server_name(&p), None);
        let mut dotless = good.clone();
        for b in dotless.iter_mut().skip(19).take(28) {
            if *b == b'.' {
                *b = b'x';
            }
        }
        assert_eq!(edge_server_name(&dotless), None);
        // A STUN binding request and an RTP packet.
        assert_eq!(
            edge_server_name(&hex("000100002112a442b7e7a701bc34d686fa87dfae")),
            None
        );
        assert_eq!(
            edge_server_name(&hex("8060002a00000d2a5eed1234000000000000")),
            None
        );
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let good = handshake();
        for n in 0..=good.len() {
            let _ = edge_server_name(&good[..n]);
        }
        for seed in 0..2000 {
            let mut g = lcg_bytes(seed, (seed % 64) as usize);
            if g.len() > 18 {
                g[6] = 0x21;
                g[12..16].copy_from_slice(&TAG);
                g[18] = 0;
            }
            let _ = edge_server_name(&g);
        }
    }
}
