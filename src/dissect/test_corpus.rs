//! Test support shared by the dissectors' unit tests: payloads read from
//! the reference corpus captures, hex literals, pseudo-random garbage.

use pcap_parser::{PcapBlockOwned, PcapError};

/// The reference captures: `ndpi/` of the corpus next to the repository
/// (../shared/corpus), or of `CALLPATH_CORPUS`, as the integration tests
/// find it.
pub fn ndpi_dir() -> std::path::PathBuf {
    std::env::var_os("CALLPATH_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        })
        .join("ndpi")
}

/// One transport payload with its ports; `tcp` tells the transport.
pub struct Payload {
    #[allow(dead_code)]
    pub frame: usize,
    pub tcp: bool,
    pub src_port: u16,
    pub dst_port: u16,
    pub data: Vec<u8>,
}

/// All UDP/TCP payloads of a corpus capture, or `None` (with a message)
/// when the corpus is absent.
pub fn payloads(file: &str) -> Option<Vec<Payload>> {
    let path = ndpi_dir().join(file);
    let Ok(f) = std::fs::File::open(&path) else {
        eprintln!("skipping: corpus capture {} not found", path.display());
        return None;
    };
    let mut reader = pcap_parser::create_reader(1 << 20, f).ok()?;
    let mut out = Vec::new();
    let mut linktype = 1i32;
    let mut frame = 0usize;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                let data: Option<Vec<u8>> = match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        linktype = h.network.0;
                        None
                    }
                    PcapBlockOwned::Legacy(b) => Some(b.data.to_vec()),
                    PcapBlockOwned::NG(pcap_parser::Block::InterfaceDescription(idb)) => {
                        linktype = idb.linktype.0;
                        None
                    }
                    PcapBlockOwned::NG(pcap_parser::Block::EnhancedPacket(epb)) => {
                        let n = (epb.caplen as usize).min(epb.data.len());
                        Some(epb.data[..n].to_vec())
                    }
                    PcapBlockOwned::NG(_) => None,
                };
                reader.consume(offset);
                if let Some(d) = data {
                    frame += 1;
                    if let Some(p) = transport(linktype, &d, frame) {
                        out.push(p);
                    }
                }
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(out)
}

fn transport(linktype: i32, d: &[u8], frame: usize) -> Option<Payload> {
    use etherparse::{SlicedPacket, TransportSlice};
    let sliced = match linktype {
        1 => match pppoe_ip(d) {
            Some(ip) => SlicedPacket::from_ip(ip).ok()?,
            None => SlicedPacket::from_ethernet(d).ok()?,
        },
        // Linux cooked v1 (16-byte header) and v2 (20 bytes).
        113 => SlicedPacket::from_ip(d.get(16..)?).ok()?,
        276 => SlicedPacket::from_ip(d.get(20..)?).ok()?,
        0 | 108 => SlicedPacket::from_ip(d.get(4..)?).ok()?,
        12 | 101 | 228 | 229 => SlicedPacket::from_ip(d).ok()?,
        _ => return None,
    };
    match sliced.transport? {
        TransportSlice::Udp(u) => Some(Payload {
            frame,
            tcp: false,
            src_port: u.source_port(),
            dst_port: u.destination_port(),
            data: u.payload().to_vec(),
        }),
        TransportSlice::Tcp(t) => Some(Payload {
            frame,
            tcp: true,
            src_port: t.source_port(),
            dst_port: t.destination_port(),
            data: t.payload().to_vec(),
        }),
        _ => None,
    }
}

/// The IP packet inside Ethernet (+VLAN tags) + PPPoE session, which
/// etherparse does not unwrap (dns.pcap frames 4-5).
fn pppoe_ip(d: &[u8]) -> Option<&[u8]> {
    let mut pos = 12;
    loop {
        let et = u16::from_be_bytes([*d.get(pos)?, *d.get(pos + 1)?]);
        match et {
            0x8100 | 0x88a8 => pos += 4,
            0x8864 => return d.get(pos + 2 + 6 + 2..),
            _ => return None,
        }
    }
}

/// Deterministic pseudo-random bytes (64-bit LCG, Knuth's MMIX constants).
pub fn lcg_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 33) as u8
        })
        .collect()
}

pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}
