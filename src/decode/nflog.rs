//! Linux NFLOG captures (`tcpdump -i nflog:N`: the packets an iptables or
//! nftables `NFLOG` rule sends to user space, e.g. only one user's or one
//! app's traffic, matched by owner). A 4-byte header (address family,
//! version, resource id) is followed by type-length-value attributes, in
//! the capturing host's byte order, each padded to four bytes; attribute 9
//! (NFULA_PAYLOAD) is the packet from its IP header on.
//! Layout: tcpdump.org's LINKTYPE_NFLOG page and libpcap's nflog.h.

/// NFULA_PAYLOAD.
const PAYLOAD: u16 = 9;

/// The IP packet an NFLOG frame carries, if it has one. The attributes'
/// byte order is the capturing host's: little-endian is tried first (what
/// nearly every capture has), big-endian when it finds no payload.
pub fn payload(frame: &[u8]) -> Option<&[u8]> {
    let attributes = frame.get(4..)?;
    [u16::from_le_bytes, u16::from_be_bytes]
        .into_iter()
        .find_map(|read| find_payload(attributes, read).flatten())
}

/// `Some(payload)` when every attribute's length fits (the payload, if
/// any, is inside); `None` when the lengths do not fit this byte order.
fn find_payload(mut rest: &[u8], read: fn([u8; 2]) -> u16) -> Option<Option<&[u8]>> {
    while let Some((&[l0, l1, t0, t1], _)) = rest.split_first_chunk::<4>() {
        let length = usize::from(read([l0, l1]));
        if length < 4 || length > rest.len() {
            return None;
        }
        if read([t0, t1]) == PAYLOAD {
            return Some(rest.get(4..length));
        }
        rest = rest.get(length.next_multiple_of(4)..).unwrap_or(&[]);
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlv(kind: u16, value: &[u8], le: bool) -> Vec<u8> {
        let length = (4 + value.len()) as u16;
        let mut t = if le {
            [length.to_le_bytes(), kind.to_le_bytes()].concat()
        } else {
            [length.to_be_bytes(), kind.to_be_bytes()].concat()
        };
        t.extend_from_slice(value);
        t.resize(t.len().next_multiple_of(4), 0);
        t
    }

    #[test]
    fn the_payload_attribute_is_found_in_either_byte_order() {
        let ip = [0x45, 0x00, 0x00, 0x1c, 0x01];
        for le in [true, false] {
            let frame = [
                vec![2, 0, 0, 5],
                tlv(1, &[0x08, 0x00, 0x03, 0x00], le), // packet header
                tlv(10, b"ab", le),                    // prefix, padded
                tlv(PAYLOAD, &ip, le),
            ]
            .concat();
            assert_eq!(payload(&frame), Some(&ip[..]), "le {le}");
        }
        // No payload attribute; lengths that fit neither order; a cut header.
        assert_eq!(
            payload(&[[2, 0, 0, 5].to_vec(), tlv(1, &[0; 4], true)].concat()),
            None
        );
        assert_eq!(payload(&[2, 0, 0, 5, 0xff, 0xff, 9, 0]), None);
        assert_eq!(payload(&[2, 0]), None);
    }
}
