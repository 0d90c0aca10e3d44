//! DNS messages as a passive name cache: the answers of responses (A, AAAA,
//! CNAME) let the flow code name the far end of later flows, and query names
//! say what a host looked up. Wire format: RFC 1035 §4; over TCP each
//! message has a 2-byte length prefix (RFC 1035 §4.2.2).
//!
//! Responses are rare next to media packets, so this parser allocates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{DissectError, Probe};

const HEADER_LEN: usize = 12;
/// Record types (RFC 1035 §3.2.2, RFC 3596 §2.1).
const TYPE_A: u16 = 1;
const TYPE_CNAME: u16 = 5;
const TYPE_AAAA: u16 = 28;
/// Class IN; mDNS sets the top bit as cache-flush (RFC 6762 §10.2).
const CLASS_IN: u16 = 1;
/// A name is at most 255 octets (RFC 1035 §2.3.4); a compressed name may
/// jump at most this many times before we call it a loop.
const MAX_NAME_LEN: usize = 255;
const MAX_POINTER_JUMPS: usize = 32;
/// Answers kept per message, against crafted responses.
const MAX_ANSWERS: usize = 256;

/// One address or alias learnt from a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsAnswer {
    /// Owner name, lowercase, without the trailing dot.
    pub name: String,
    pub kind: DnsAnswerKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DnsAnswerKind {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// Canonical name the owner is an alias of (lowercase).
    Cname(String),
}

/// The fixed header fields we look at.
struct Header {
    is_response: bool,
    opcode: u8,
    qdcount: u16,
    ancount: u16,
}

fn header(msg: &[u8]) -> Result<Header, DissectError> {
    let h = msg.get(..HEADER_LEN).ok_or(DissectError::Truncated {
        need: HEADER_LEN,
        have: msg.len(),
    })?;
    let u16_at = |i: usize| {
        u16::from_be_bytes([
            h.get(i).copied().unwrap_or(0),
            h.get(i + 1).copied().unwrap_or(0),
        ])
    };
    let flags = u16_at(2);
    Ok(Header {
        is_response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0f) as u8,
        qdcount: u16_at(4),
        ancount: u16_at(6),
    })
}

/// Cheap check of a UDP payload (or a TCP payload after the length prefix).
/// `Certain` when the header is sane and the first question parses and fits;
/// `Unsure` when only the header is sane.
pub fn probe(payload: &[u8]) -> Probe {
    let Ok(h) = header(payload) else {
        return Probe::NotForUs;
    };
    // Opcodes 0-2, 4-6 are assigned (IANA DNS parameters); 1 query is the norm.
    if !matches!(h.opcode, 0..=2 | 4..=6) || h.qdcount == 0 || h.qdcount > 8 {
        return Probe::NotForUs;
    }
    match skip_name(payload, HEADER_LEN) {
        Ok(end) if end + 4 <= payload.len() => {
            let class = u16::from_be_bytes([
                payload.get(end + 2).copied().unwrap_or(0),
                payload.get(end + 3).copied().unwrap_or(0),
            ]) & 0x7fff;
            // IN, CH, HS, ANY (RFC 1035 §3.2.4-5).
            if matches!(class, 1 | 3 | 4 | 255) {
                Probe::Certain
            } else {
                Probe::Unsure
            }
        }
        _ => Probe::Unsure,
    }
}

/// The first question's name of a query (QR = 0), lowercase.
pub fn query_name(payload: &[u8]) -> Option<String> {
    let h = header(payload).ok()?;
    if h.is_response {
        return None;
    }
    question_name(payload)
}

/// The first question's name of a query or of a response (a response
/// repeats the question it answers), lowercase.
pub fn question_name(payload: &[u8]) -> Option<String> {
    let h = header(payload).ok()?;
    if h.qdcount == 0 {
        return None;
    }
    read_name(payload, HEADER_LEN).ok().map(|(n, _)| n)
}

/// Strips the 2-byte length prefix of DNS over TCP (RFC 1035 §4.2.2); the
/// message must be whole.
pub fn tcp_message(segment: &[u8]) -> Option<&[u8]> {
    let (len, rest) = segment.split_at_checked(2)?;
    let len = usize::from(u16::from_be_bytes([*len.first()?, *len.get(1)?]));
    rest.get(..len)
}

/// A, AAAA and CNAME records of the answer section of a response; other
/// types are skipped.
pub fn parse_response(payload: &[u8]) -> Result<Vec<DnsAnswer>, DissectError> {
    let mut out = Vec::new();
    walk_answers(payload, |name_at, kind| {
        let kind = match kind {
            Record::A(a) => DnsAnswerKind::A(a),
            Record::Aaaa(a) => DnsAnswerKind::Aaaa(a),
            // The alias may be compressed against the whole message.
            Record::Cname { at } => DnsAnswerKind::Cname(read_name(payload, at).ok()?.0),
        };
        // Only the records kept have their owner name built.
        let (name, _) = read_name(payload, name_at).ok()?;
        out.push(DnsAnswer { name, kind });
        Some(())
    })?;
    Ok(out)
}

/// The addresses of `parse_response`'s answers, without building the
/// names it also gives (the name cache needs only these; the names were
/// most of the cost of a response).
pub fn response_addresses(payload: &[u8]) -> Result<Vec<IpAddr>, DissectError> {
    let mut out = Vec::new();
    walk_answers(payload, |_, kind| {
        match kind {
            Record::A(a) => out.push(IpAddr::V4(a)),
            Record::Aaaa(a) => out.push(IpAddr::V6(a)),
            // Counted against `MAX_ANSWERS` as `parse_response` keeps it.
            Record::Cname { at } => {
                skip_name(payload, at).ok()?;
            }
        }
        Some(())
    })?;
    Ok(out)
}

/// An answer record of a type this module keeps.
enum Record {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// A CNAME whose alias starts at `at`.
    Cname {
        at: usize,
    },
}

/// Hands each IN-class A, AAAA or CNAME answer of a response to `keep`,
/// with where its owner name starts; `keep` returns `None` for a record it
/// could not keep. At most `MAX_ANSWERS` are kept.
fn walk_answers(
    payload: &[u8],
    mut keep: impl FnMut(usize, Record) -> Option<()>,
) -> Result<(), DissectError> {
    let h = header(payload)?;
    if !h.is_response {
        return Err(DissectError::NotForUs);
    }
    let mut pos = HEADER_LEN;
    for _ in 0..h.qdcount {
        pos = skip_name(payload, pos)? + 4; // QTYPE, QCLASS
    }
    let mut kept = 0;
    for _ in 0..h.ancount {
        let name_at = pos;
        let end = skip_name(payload, pos)?;
        let fixed = payload.get(end..end + 10).ok_or(DissectError::Truncated {
            need: end + 10,
            have: payload.len(),
        })?;
        let be16 = |i: usize| {
            u16::from_be_bytes([
                fixed.get(i).copied().unwrap_or(0),
                fixed.get(i + 1).copied().unwrap_or(0),
            ])
        };
        let (rtype, class, rdlen) = (be16(0), be16(2) & 0x7fff, usize::from(be16(8)));
        let rdata_at = end + 10;
        let rdata = payload
            .get(rdata_at..rdata_at + rdlen)
            .ok_or(DissectError::Truncated {
                need: rdata_at + rdlen,
                have: payload.len(),
            })?;
        pos = rdata_at + rdlen;
        if class != CLASS_IN || kept >= MAX_ANSWERS {
            continue;
        }
        let record = match rtype {
            TYPE_A => <[u8; 4]>::try_from(rdata)
                .ok()
                .map(|a| Record::A(Ipv4Addr::from(a))),
            TYPE_AAAA => <[u8; 16]>::try_from(rdata)
                .ok()
                .map(|a| Record::Aaaa(Ipv6Addr::from(a))),
            TYPE_CNAME => Some(Record::Cname { at: rdata_at }),
            _ => None,
        };
        if let Some(record) = record {
            if keep(name_at, record).is_some() {
                kept += 1;
            }
        }
    }
    Ok(())
}

/// Reads a possibly compressed name (RFC 1035 §4.1.4) starting at `pos`.
/// Returns the lowercase dotted name and the position after it in the
/// original (uncompressed) run.
fn read_name(msg: &[u8], pos: usize) -> Result<(String, usize), DissectError> {
    let mut name = String::new();
    let end = walk_name(msg, pos, |label| {
        if !name.is_empty() {
            name.push('.');
        }
        if label.is_ascii() {
            name.extend(label.iter().map(|b| char::from(b.to_ascii_lowercase())));
        } else {
            name.push_str(&String::from_utf8_lossy(label).to_ascii_lowercase());
        }
    })?;
    Ok((name, end))
}

/// Checks a name and returns the position after it, without building it
/// (probes and skipped records).
fn skip_name(msg: &[u8], pos: usize) -> Result<usize, DissectError> {
    walk_name(msg, pos, |_| {})
}

/// Walks the labels of a possibly compressed name, handing each to
/// `label`; returns the position after the name in the original run.
fn walk_name(
    msg: &[u8],
    mut pos: usize,
    mut label: impl FnMut(&[u8]),
) -> Result<usize, DissectError> {
    let mut wire_len = 0usize;
    let mut end_after: Option<usize> = None;
    let mut jumps = 0usize;
    loop {
        let len = *msg.get(pos).ok_or(DissectError::Truncated {
            need: pos + 1,
            have: msg.len(),
        })?;
        match len >> 6 {
            0 => {
                if len == 0 {
                    return Ok(end_after.unwrap_or(pos + 1));
                }
                let bytes = msg.get(pos + 1..pos + 1 + usize::from(len)).ok_or(
                    DissectError::Truncated {
                        need: pos + 1 + usize::from(len),
                        have: msg.len(),
                    },
                )?;
                wire_len += 1 + bytes.len();
                if wire_len > MAX_NAME_LEN {
                    return Err(DissectError::Malformed("dns: name longer than 255"));
                }
                label(bytes);
                pos += 1 + bytes.len();
            }
            3 => {
                let low = *msg.get(pos + 1).ok_or(DissectError::Truncated {
                    need: pos + 2,
                    have: msg.len(),
                })?;
                jumps += 1;
                if jumps > MAX_POINTER_JUMPS {
                    return Err(DissectError::Malformed("dns: compression loop"));
                }
                if end_after.is_none() {
                    end_after = Some(pos + 2);
                }
                pos = usize::from(len & 0x3f) << 8 | usize::from(low);
            }
            _ => return Err(DissectError::Malformed("dns: reserved label type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{hex, lcg_bytes, payloads};

    fn responses(file: &str) -> Option<Vec<Vec<DnsAnswer>>> {
        let ps = payloads(file)?;
        Some(
            ps.iter()
                .filter(|p| p.src_port == 53)
                .filter_map(|p| {
                    let msg = if p.tcp {
                        tcp_message(&p.data)?
                    } else {
                        &p.data[..]
                    };
                    parse_response(msg).ok()
                })
                .collect(),
        )
    }

    #[test]
    fn whatsapp_a_records() {
        // dns.pcap frame 5: e7.whatsapp.net, 8 A records (tshark dns.a).
        let Some(rs) = responses("dns.pcap") else {
            return;
        };
        let wa = rs
            .iter()
            .find(|r| r.iter().any(|a| a.name == "e7.whatsapp.net"))
            .expect("whatsapp response");
        let addrs: Vec<_> = wa
            .iter()
            .filter_map(|a| match a.kind {
                DnsAnswerKind::A(ip) => Some(ip.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(
            addrs,
            [
                "169.45.219.235",
                "169.47.40.142",
                "169.45.248.121",
                "108.168.176.234",
                "169.45.248.189",
                "169.45.248.180",
                "169.53.81.79",
                "169.45.219.232"
            ]
        );
    }

    /// `response_addresses` gives exactly the addresses of
    /// `parse_response`'s answers, or the same error: on the corpus's DNS
    /// responses, their prefixes and random bytes.
    #[test]
    fn addresses_agree_with_the_full_parse() {
        let addresses = |answers: Vec<DnsAnswer>| -> Vec<IpAddr> {
            answers
                .into_iter()
                .filter_map(|a| match a.kind {
                    DnsAnswerKind::A(ip) => Some(IpAddr::V4(ip)),
                    DnsAnswerKind::Aaaa(ip) => Some(IpAddr::V6(ip)),
                    DnsAnswerKind::Cname(_) => None,
                })
                .collect()
        };
        let mut messages: Vec<Vec<u8>> = (0..3000u64)
            .map(|seed| lcg_bytes(seed, (seed % 300) as usize))
            .collect();
        for file in [
            "dns.pcap",
            "bad-dns-traffic.pcap",
            "dns-invalid-chars.pcap",
            "malformed_dns.pcap",
            "dns_long_domainname.pcap",
        ] {
            for p in payloads(file).unwrap_or_default() {
                let msg = if p.tcp {
                    tcp_message(&p.data).map(<[u8]>::to_vec)
                } else {
                    Some(p.data.clone())
                };
                let Some(msg) = msg else { continue };
                for cut in [msg.len(), msg.len() / 2, msg.len().saturating_sub(3)] {
                    messages.push(msg.get(..cut).unwrap_or_default().to_vec());
                }
            }
        }
        let mut answered = 0;
        for msg in &messages {
            let full = parse_response(msg).map(addresses);
            answered += usize::from(full.as_ref().is_ok_and(|a| !a.is_empty()));
            assert_eq!(response_addresses(msg), full, "{msg:02x?}");
        }
        if payloads("dns.pcap").is_some() {
            assert!(answered > 0, "no response with addresses in the corpus");
        }
    }

    #[test]
    fn synthetic_cname_aaaa_with_compression() {
        // Response for WWW.Example.com: CNAME -> edge.example.com (compressed
        // against the question), AAAA 2001:db8::1, and an MX that is ignored.
        let msg = hex(concat!(
            "1234 8180 0001 0003 0000 0000",
            "03 575757 07 4578616d706c65 03 636f6d 00 001c 0001",
            "c00c 0005 0001 0000003c 0007 04 65646765 c010",
            "c02d 001c 0001 0000003c 0010 20010db8000000000000000000000001",
            "c010 000f 0001 0000003c 0004 0001 c010",
        ));
        let got = parse_response(&msg).unwrap();
        assert_eq!(
            got,
            vec![
                DnsAnswer {
                    name: "www.example.com".into(),
                    kind: DnsAnswerKind::Cname("edge.example.com".into())
                },
                DnsAnswer {
                    name: "edge.example.com".into(),
                    kind: DnsAnswerKind::Aaaa("2001:db8::1".parse().unwrap())
                },
            ]
        );
        assert_eq!(probe(&msg), Probe::Certain);
        assert_eq!(query_name(&msg), None); // a response
        assert_eq!(question_name(&msg).as_deref(), Some("www.example.com"));
        let mut tcp = vec![0, msg.len() as u8];
        tcp.extend_from_slice(&msg);
        assert_eq!(tcp_message(&tcp), Some(&msg[..]));
    }

    #[test]
    fn pointer_loop_is_an_error() {
        let msg = hex("0000 8180 0001 0000 0000 0000 c00c 0001 0001");
        assert_eq!(
            parse_response(&msg),
            Err(DissectError::Malformed("dns: compression loop"))
        );
    }

    #[test]
    fn query_names_from_capture() {
        let Some(ps) = payloads("dns.pcap") else {
            return;
        };
        let names: Vec<_> = ps
            .iter()
            .filter(|p| p.dst_port == 53)
            .filter_map(|p| query_name(&p.data))
            .collect();
        // tshark: queries are frames 2 and 4 (frame 1 is a lone response).
        assert_eq!(names, ["www.example.com", "e7.whatsapp.net"]);
        assert!(ps
            .iter()
            .filter(|p| p.dst_port == 53 || p.src_port == 53)
            .all(|p| probe(&p.data) == Probe::Certain));
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let Some(ps) = payloads("dns.pcap") else {
            return;
        };
        let wa = ps
            .iter()
            .filter(|p| p.src_port == 53)
            .max_by_key(|p| p.data.len())
            .unwrap();
        let full = parse_response(&wa.data).unwrap();
        assert!(!full.is_empty());
        for cut in 0..wa.data.len() {
            let p = &wa.data[..cut];
            let _ = probe(p);
            let _ = query_name(p);
            let _ = tcp_message(p);
            // A response cut inside its answers never yields a partial list.
            if let Ok(a) = parse_response(p) {
                assert_eq!(a, full, "cut {cut}");
            }
        }
        for seed in 0..3000u64 {
            let mut g = lcg_bytes(seed, (seed % 300) as usize);
            if g.len() > 12 && seed % 2 == 0 {
                g[2] = 0x81; // a response
                g[4] = 0;
                g[5] = 1;
            }
            let _ = probe(&g);
            let _ = query_name(&g);
            let _ = parse_response(&g);
        }
    }
}
