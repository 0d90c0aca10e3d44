//! Tunnels whose inner packets carry the flows: a capture taken on a
//! mobile core, a cloud traffic mirror, a PPTP VPN or a Teredo client
//! shows the tunnel's two ends on every packet, while the calls live in
//! what it carries. Each function reads a tunnel header in place and says
//! where the inner packet starts and what it begins with; the caller
//! decodes that and keeps the outer packet when it does not decode.
//! Formats: GTP-U (3GPP TS 29.281), VXLAN (RFC 7348), Geneve (RFC 8926),
//! Teredo (RFC 4380), GRE (RFC 2784, RFC 2890; PPTP's enhanced GRE, RFC
//! 2637) and ERSPAN types I-III inside GRE (draft-foschiano-erspan-03).

/// What a tunnel carries, from its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inner<'a> {
    /// An IPv4 or IPv6 datagram.
    Ip(&'a [u8]),
    /// An Ethernet frame (destination MAC first).
    Ethernet(&'a [u8]),
    /// A PPP frame (RFC 1661), as PPTP carries it.
    Ppp(&'a [u8]),
}

/// GTP-U's registered UDP port (3GPP TS 29.281).
const GTP_U_PORT: u16 = 2152;
/// VXLAN's IANA port (RFC 7348), used by cloud traffic mirroring.
const VXLAN_PORT: u16 = 4789;
/// Geneve's IANA port (RFC 8926).
const GENEVE_PORT: u16 = 6081;
/// Teredo's server port (RFC 4380): clients qualify and keep their mapping
/// alive with it, and relays and servers answer from it.
const TEREDO_PORT: u16 = 3544;

/// Whether a UDP datagram with this port may be a tunnel: such datagrams
/// are left to the general decoder, which looks inside.
#[inline(always)]
pub fn is_udp_tunnel_port(port: u16) -> bool {
    matches!(port, GTP_U_PORT | VXLAN_PORT | GENEVE_PORT | TEREDO_PORT)
}

/// The packet inside a UDP datagram between these ports, if it is a tunnel
/// with a well-formed header.
pub fn inside_udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Option<Inner<'_>> {
    let either = |port| src_port == port || dst_port == port;
    if either(GTP_U_PORT) {
        return gtp_u(payload).map(Inner::Ip);
    }
    if dst_port == VXLAN_PORT {
        return vxlan(payload).map(Inner::Ethernet);
    }
    if dst_port == GENEVE_PORT {
        return geneve(payload);
    }
    if either(TEREDO_PORT) {
        return teredo(payload).map(Inner::Ip);
    }
    None
}

/// The user packet inside a GTPv1-U G-PDU: an 8-byte header, 4 more bytes
/// when any of the E/S/PN flags is set, then extension headers (each a
/// length in 4-byte units, content, and the next type; 0 ends the chain).
fn gtp_u(p: &[u8]) -> Option<&[u8]> {
    let (&flags, rest) = p.split_first()?;
    let (&message_type, _) = rest.split_first()?;
    // Version 1, protocol type GTP, message type 255 (G-PDU).
    if flags & 0xf0 != 0x30 || message_type != 0xff {
        return None;
    }
    let mut at = 8usize;
    if flags & 0x07 != 0 {
        at = 12;
        if flags & 0x04 != 0 {
            let mut next = *p.get(11)?;
            let mut hops = 0;
            while next != 0 {
                let units = usize::from(*p.get(at)?);
                if units == 0 || hops > 8 {
                    return None;
                }
                at += units * 4;
                next = *p.get(at - 1)?;
                hops += 1;
            }
        }
    }
    let inner = p.get(at..)?;
    starts_like_ip(inner).then_some(inner)
}

/// The Ethernet frame after VXLAN's 8-byte header, whose flags must show
/// a valid network identifier (the I flag).
fn vxlan(p: &[u8]) -> Option<&[u8]> {
    let (header, frame) = p.split_first_chunk::<8>()?;
    (header[0] & 0x08 != 0 && frame.len() >= 14).then_some(frame)
}

/// What follows Geneve's header (version 0; 8 bytes and the options'
/// length in 4-byte units), by its protocol type.
fn geneve(p: &[u8]) -> Option<Inner<'_>> {
    let header: &[u8; 8] = p.first_chunk()?;
    if header[0] >> 6 != 0 {
        return None;
    }
    let options = usize::from(header[0] & 0x3f) * 4;
    by_ether_type(
        u16::from_be_bytes([header[2], header[3]]),
        p.get(8 + options..)?,
    )
}

/// The IPv6 packet in a Teredo datagram, after the optional
/// authentication and origin indications: only when it fills the datagram
/// exactly, so that other traffic on the port is not taken for it.
fn teredo(p: &[u8]) -> Option<&[u8]> {
    let mut rest = p;
    // Authentication: 0x0001, the client id's and the value's lengths,
    // both, an 8-byte nonce and a confirmation byte.
    if let [0x00, 0x01, id_len, auth_len, ..] = *rest {
        rest = rest.get(4 + usize::from(id_len) + usize::from(auth_len) + 9..)?;
    }
    // Origin indication: 0x0000, the obfuscated port and address.
    if let [0x00, 0x00, ..] = *rest {
        rest = rest.get(8..)?;
    }
    let header: &[u8; 40] = rest.first_chunk()?;
    let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
    (header[0] >> 4 == 6 && 40 + payload_len == rest.len()).then_some(rest)
}

/// The packet inside a GRE packet (IP protocol 47). Version 0: 4 bytes,
/// and 4 more for each of the checksum, key and sequence number present
/// (source routing, obsolete, is not read). Version 1 (PPTP): PPP only,
/// with a key, and 4 more bytes for each of the sequence and
/// acknowledgement numbers present.
pub fn inside_gre(p: &[u8]) -> Option<Inner<'_>> {
    let header: &[u8; 4] = p.first_chunk()?;
    let flags = u16::from_be_bytes([header[0], header[1]]);
    let protocol = u16::from_be_bytes([header[2], header[3]]);
    let has = |bit: u16| usize::from(flags & bit != 0);
    let (checksum, routing, key, sequence) = (has(0x8000), has(0x4000), has(0x2000), has(0x1000));
    match flags & 0x0007 {
        0 if routing == 0 => {
            let inner = p.get(4 + 4 * (checksum + key + sequence)..)?;
            match protocol {
                // ERSPAN type II has a sequence number and an 8-byte header
                // (version 1); type I has neither.
                0x88be if sequence == 1 => {
                    (inner.first()? >> 4 == 1).then_some(Inner::Ethernet(inner.get(8..)?))
                }
                0x88be => Some(Inner::Ethernet(inner)),
                // ERSPAN type III: a 12-byte header (version 2) and an
                // 8-byte platform subheader when its last bit (O) is set.
                0x22eb => {
                    let header: &[u8; 12] = inner.first_chunk()?;
                    if header[0] >> 4 != 2 {
                        return None;
                    }
                    let subheader = if header[11] & 0x01 != 0 { 8 } else { 0 };
                    Some(Inner::Ethernet(inner.get(12 + subheader..)?))
                }
                other => by_ether_type(other, inner),
            }
        }
        1 if protocol == 0x880b && key == 1 && checksum == 0 && routing == 0 => {
            let acknowledgement = usize::from(flags & 0x0080 != 0);
            let inner = p.get(8 + 4 * (sequence + acknowledgement)..)?;
            (!inner.is_empty()).then_some(Inner::Ppp(inner))
        }
        _ => None,
    }
}

/// A payload named by an EtherType: IP, or Ethernet bridged whole.
fn by_ether_type(ether_type: u16, inner: &[u8]) -> Option<Inner<'_>> {
    match ether_type {
        0x0800 | 0x86dd => starts_like_ip(inner).then_some(Inner::Ip(inner)),
        0x6558 => Some(Inner::Ethernet(inner)),
        _ => None,
    }
}

fn starts_like_ip(p: &[u8]) -> bool {
    matches!(p.first().map(|b| b >> 4), Some(4) | Some(6))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 header's first bytes, enough to look like IP.
    const IP: [u8; 4] = [0x45, 0, 0, 20];

    fn with(header: &[u8], body: &[u8]) -> Vec<u8> {
        let mut out = header.to_vec();
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn vxlan_needs_its_identifier_flag_and_a_frame() {
        let frame = [0u8; 14];
        let good = with(&[0x08, 0, 0, 0, 0, 0, 0x2a, 0], &frame);
        assert_eq!(
            inside_udp(50000, 4789, &good),
            Some(Inner::Ethernet(&frame[..]))
        );
        let no_flag = with(&[0, 0, 0, 0, 0, 0, 0x2a, 0], &frame);
        assert_eq!(inside_udp(50000, 4789, &no_flag), None);
        assert_eq!(inside_udp(50000, 4789, &good[..12]), None);
        // Only towards the port: the source port is the sender's hash.
        assert_eq!(inside_udp(4789, 50000, &good), None);
    }

    #[test]
    fn geneve_skips_its_options() {
        // Version 0, one 4-byte option, protocol IPv4.
        let packet = with(
            &[0x01, 0, 0x08, 0x00, 0, 0, 1, 0, 0xaa, 0xbb, 0xcc, 0xdd],
            &IP,
        );
        assert_eq!(inside_udp(50000, 6081, &packet), Some(Inner::Ip(&IP[..])));
        let bridged = with(&[0, 0, 0x65, 0x58, 0, 0, 1, 0], &[0u8; 14]);
        assert!(matches!(
            inside_udp(50000, 6081, &bridged),
            Some(Inner::Ethernet(_))
        ));
        let version_1 = with(&[0x40, 0, 0x08, 0x00, 0, 0, 1, 0], &IP);
        assert_eq!(inside_udp(50000, 6081, &version_1), None);
    }

    #[test]
    fn teredo_reads_past_its_indications_and_wants_a_whole_ipv6_packet() {
        let mut ipv6 = vec![0x60, 0, 0, 0, 0, 4, 59, 64];
        ipv6.extend_from_slice(&[0u8; 32]);
        ipv6.extend_from_slice(&[1, 2, 3, 4]);
        let auth = [0x00, 0x01, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0];
        let origin = [0x00, 0x00, 0x12, 0x34, 1, 2, 3, 4];
        for header in [
            &[][..],
            &auth[..],
            &origin[..],
            &[&auth[..], &origin[..]].concat(),
        ] {
            let packet = with(header, &ipv6);
            assert_eq!(inside_udp(3544, 40000, &packet), Some(Inner::Ip(&ipv6[..])));
        }
        // One byte more than the IPv6 header says: not Teredo.
        assert_eq!(inside_udp(3544, 40000, &with(&ipv6, &[0])), None);
    }

    #[test]
    fn gre_versions_keys_and_erspan() {
        // Version 0 with a key, carrying IPv4.
        let keyed = with(&[0x20, 0, 0x08, 0x00, 0, 0, 0, 7], &IP);
        assert_eq!(inside_gre(&keyed), Some(Inner::Ip(&IP[..])));
        // Checksum and sequence number, carrying an Ethernet frame.
        let bridged = with(&[0x90, 0, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 1], &[0u8; 14]);
        assert!(matches!(inside_gre(&bridged), Some(Inner::Ethernet(f)) if f.len() == 14));
        // ERSPAN type II: sequence number, then an 8-byte header, version 1.
        let frame = [0xeeu8; 14];
        let erspan2 = with(
            &[0x10, 0, 0x88, 0xbe, 0, 0, 0, 9, 0x10, 0, 0, 0, 0, 0, 0, 0],
            &frame,
        );
        assert_eq!(inside_gre(&erspan2), Some(Inner::Ethernet(&frame[..])));
        // ERSPAN type III with its platform subheader.
        let mut erspan3 = vec![0x10, 0, 0x22, 0xeb, 0, 0, 0, 9, 0x20];
        erspan3.extend_from_slice(&[0; 10]);
        erspan3.push(0x01);
        erspan3.extend_from_slice(&[0; 8]);
        assert_eq!(
            inside_gre(&with(&erspan3, &frame)),
            Some(Inner::Ethernet(&frame[..]))
        );
        // PPTP: version 1, key, sequence and acknowledgement, PPP inside.
        let ppp = [0xff, 0x03, 0x00, 0x21, 0x45];
        let pptp = with(
            &[0x30, 0x81, 0x88, 0x0b, 0, 5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2],
            &ppp,
        );
        assert_eq!(inside_gre(&pptp), Some(Inner::Ppp(&ppp[..])));
        // An acknowledgement alone carries nothing.
        assert_eq!(inside_gre(&pptp[..16]), None);
        // Source routing and unknown versions are not read.
        assert_eq!(
            inside_gre(&with(&[0x40, 0, 0x08, 0x00, 0, 0, 0, 0], &IP)),
            None
        );
        assert_eq!(inside_gre(&with(&[0x00, 0x02, 0x08, 0x00], &IP)), None);
    }
}
