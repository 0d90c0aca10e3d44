//! A minimal pcapng writer for `callpath live -w`: one section, one
//! interface, Enhanced Packet Blocks, as `tshark -w` writes them (section
//! header with the writing application, interface description with its
//! name, capture filter and timestamp resolution). Written by hand because
//! libpcap's dumper (the `pcap` crate's `Savefile`) writes classic pcap only
//! and a dozen lines of block framing are simpler than another dependency.

use std::io::{self, Write};

use super::{LinkType, Timestamp};

const SHB_TYPE: u32 = 0x0A0D_0D0A;
const IDB_TYPE: u32 = 0x0000_0001;
const EPB_TYPE: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

const OPT_END: u16 = 0;
const SHB_USERAPPL: u16 = 4;
const IF_NAME: u16 = 2;
const IF_TSRESOL: u16 = 9;
const IF_FILTER: u16 = 11;

/// Timestamps are written in microseconds (`if_tsresol` 6), the precision
/// libpcap's packet header carries.
const TS_UNITS_PER_SEC: i64 = 1_000_000;

/// What the interface description block says about the capture.
#[derive(Clone, Debug)]
pub struct PcapngInterface<'a> {
    pub name: &'a str,
    pub link: LinkType,
    pub snaplen: u32,
    /// The BPF capture filter, when one was set.
    pub filter: Option<&'a str>,
}

pub struct PcapngWriter<W: Write> {
    out: W,
}

/// Appends one option (code, length, value padded to 32 bits).
fn push_option(buf: &mut Vec<u8>, code: u16, value: &[u8]) {
    buf.extend_from_slice(&code.to_le_bytes());
    buf.extend_from_slice(&(value.len() as u16).to_le_bytes());
    buf.extend_from_slice(value);
    pad32(buf);
}

fn pad32(buf: &mut Vec<u8>) {
    while buf.len() % 4 != 0 {
        buf.push(0);
    }
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and the interface description.
    pub fn new(mut out: W, interface: &PcapngInterface<'_>) -> io::Result<PcapngWriter<W>> {
        let mut shb = Vec::with_capacity(64);
        shb.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        // Section length unknown: we stream.
        shb.extend_from_slice(&u64::MAX.to_le_bytes());
        let appl = concat!("callpath ", env!("CARGO_PKG_VERSION"));
        push_option(&mut shb, SHB_USERAPPL, appl.as_bytes());
        push_option(&mut shb, OPT_END, &[]);
        write_block(&mut out, SHB_TYPE, &shb)?;

        let mut idb = Vec::with_capacity(64);
        idb.extend_from_slice(&(interface.link.code() as u16).to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&interface.snaplen.to_le_bytes());
        push_option(&mut idb, IF_NAME, interface.name.as_bytes());
        if let Some(filter) = interface.filter {
            // First byte 0: a libpcap filter string follows.
            let mut value = vec![0u8];
            value.extend_from_slice(filter.as_bytes());
            push_option(&mut idb, IF_FILTER, &value);
        }
        push_option(&mut idb, IF_TSRESOL, &[6]);
        push_option(&mut idb, OPT_END, &[]);
        write_block(&mut out, IDB_TYPE, &idb)?;
        Ok(PcapngWriter { out })
    }

    /// Writes one packet as an Enhanced Packet Block.
    pub fn packet(&mut self, ts: Timestamp, data: &[u8], orig_len: u32) -> io::Result<()> {
        let units = ts.0.div_euclid(Timestamp::NANOS_PER_SEC / TS_UNITS_PER_SEC) as u64;
        let mut head = Vec::with_capacity(20);
        head.extend_from_slice(&0u32.to_le_bytes());
        head.extend_from_slice(&((units >> 32) as u32).to_le_bytes());
        head.extend_from_slice(&(units as u32).to_le_bytes());
        head.extend_from_slice(&(data.len() as u32).to_le_bytes());
        head.extend_from_slice(&orig_len.max(data.len() as u32).to_le_bytes());
        let padding = (4 - data.len() % 4) % 4;
        let total = (12 + head.len() + data.len() + padding) as u32;
        self.out.write_all(&EPB_TYPE.to_le_bytes())?;
        self.out.write_all(&total.to_le_bytes())?;
        self.out.write_all(&head)?;
        self.out.write_all(data)?;
        self.out
            .write_all([0u8; 3].get(..padding).unwrap_or_default())?;
        self.out.write_all(&total.to_le_bytes())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Type, total length, body (already padded), total length again.
fn write_block(out: &mut impl Write, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureFile, CaptureFormat};

    #[test]
    fn written_capture_reads_back_with_times_links_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.pcapng");
        let packets: [(i64, &[u8]); 3] = [
            (1_700_000_000_123_456_000, b"\x01\x02\x03"),
            (1_700_000_001_000_001_000, b"abcdefgh"),
            (1_700_000_002_999_999_000, b"xyzzy-plugh"),
        ];
        {
            let file = std::fs::File::create(&path).unwrap();
            let mut w = PcapngWriter::new(
                io::BufWriter::new(file),
                &PcapngInterface {
                    name: "veth0",
                    link: LinkType::Ethernet,
                    snaplen: 262_144,
                    filter: Some("udp"),
                },
            )
            .unwrap();
            for (ts, data) in packets {
                w.packet(Timestamp(ts), data, data.len() as u32 + 10)
                    .unwrap();
            }
            w.flush().unwrap();
        }
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(CaptureFormat::detect(&bytes), Some(CaptureFormat::PcapNg));
        assert_eq!(bytes.len() % 4, 0);

        let capture = CaptureFile::open(&path).unwrap();
        let mut seen = Vec::new();
        let outcome = capture.read(|pkt, _| {
            seen.push((pkt.ts.0, pkt.link, pkt.data.to_vec(), pkt.orig_len));
        });
        assert!(outcome.damage.is_none(), "{:?}", outcome.damage);
        assert_eq!(seen.len(), 3);
        for ((ts, data), (got_ts, link, got_data, orig)) in packets.iter().zip(&seen) {
            assert_eq!(got_ts, ts);
            assert_eq!(*link, LinkType::Ethernet);
            assert_eq!(got_data.as_slice(), *data);
            assert_eq!(*orig, data.len() as u32 + 10);
        }
    }
}
