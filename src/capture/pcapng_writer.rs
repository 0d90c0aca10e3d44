//! A minimal pcapng writer: one Section Header Block, one Interface
//! Description Block per link type (nanosecond timestamps), and an Enhanced
//! Packet Block per frame. Enough for Wireshark, tshark and callpath itself
//! to read the frames of one call back.

use std::io::{self, Write};

use super::{LinkType, RawPacket};

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 0x0000_0001;
const EPB: u32 = 0x0000_0006;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
const OPT_END: u16 = 0;
const IF_TSRESOL: u16 = 9;
/// if_tsresol value 9: timestamps count units of 10^-9 s.
const NANOSECONDS: u8 = 9;

/// Writes frames as pcapng (little-endian) to `out`.
pub struct PcapngWriter<W: Write> {
    out: W,
    /// Link types in the order their interfaces were described; the index
    /// is the interface id.
    interfaces: Vec<LinkType>,
    pub frames: u64,
}

fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut b = Vec::with_capacity(total as usize);
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&total.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&total.to_le_bytes());
    b
}

impl<W: Write> PcapngWriter<W> {
    /// Starts a section.
    pub fn new(mut out: W) -> io::Result<PcapngWriter<W>> {
        let mut body = Vec::with_capacity(16);
        body.extend_from_slice(&BYTE_ORDER_MAGIC.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes()); // major version
        body.extend_from_slice(&0u16.to_le_bytes()); // minor version
        body.extend_from_slice(&(-1i64).to_le_bytes()); // section length unknown
        out.write_all(&block(SHB, &body))?;
        Ok(PcapngWriter {
            out,
            interfaces: Vec::new(),
            frames: 0,
        })
    }

    fn interface(&mut self, link: LinkType) -> io::Result<u32> {
        if let Some(i) = self.interfaces.iter().position(|l| *l == link) {
            return Ok(i as u32);
        }
        let mut body = Vec::with_capacity(20);
        body.extend_from_slice(&(link.code() as u16).to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes()); // reserved
        body.extend_from_slice(&0u32.to_le_bytes()); // snap length: none
        body.extend_from_slice(&IF_TSRESOL.to_le_bytes());
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&[NANOSECONDS, 0, 0, 0]);
        body.extend_from_slice(&OPT_END.to_le_bytes());
        body.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&block(IDB, &body))?;
        self.interfaces.push(link);
        Ok((self.interfaces.len() - 1) as u32)
    }

    /// Appends one frame, with its original length and timestamp.
    pub fn write(&mut self, pkt: &RawPacket<'_>) -> io::Result<()> {
        let id = self.interface(pkt.link)?;
        let ts = pkt.ts.0.max(0) as u64;
        let caplen = u32::try_from(pkt.data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 4 GiB"))?;
        let mut body = Vec::with_capacity(20 + pkt.data.len());
        body.extend_from_slice(&id.to_le_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&caplen.to_le_bytes());
        body.extend_from_slice(&pkt.orig_len.max(caplen).to_le_bytes());
        body.extend_from_slice(pkt.data);
        self.out.write_all(&block(EPB, &body))?;
        self.frames += 1;
        Ok(())
    }

    /// Flushes what was written so far (live capture writes as it goes).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{CaptureFile, Timestamp};

    #[test]
    fn frames_read_back_with_time_and_link_type() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pcapng");
        let data_a = [0x45u8, 0, 0, 20, 1, 2, 3];
        let data_b = [9u8; 30];
        {
            let f = std::fs::File::create(&path).unwrap();
            let mut w = PcapngWriter::new(f).unwrap();
            for (i, (link, data)) in [
                (LinkType::RawIp, &data_a[..]),
                (LinkType::Ethernet, &data_b[..]),
            ]
            .into_iter()
            .enumerate()
            {
                w.write(&RawPacket {
                    ts: Timestamp(1_700_000_000_123_456_789 + i as i64),
                    link,
                    data,
                    orig_len: 0,
                    frame: 1,
                    app: None,
                })
                .unwrap();
            }
            w.finish().unwrap();
        }
        let cap = CaptureFile::open(&path).unwrap();
        let mut seen = Vec::new();
        let outcome =
            cap.read(|p, _| seen.push((p.ts, p.link, p.data.to_vec(), p.orig_len, p.frame)));
        assert!(outcome.damage.is_none());
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].0, Timestamp(1_700_000_000_123_456_789));
        assert_eq!(seen[0].1, LinkType::RawIp);
        assert_eq!(seen[0].2, data_a);
        assert_eq!(seen[0].3, data_a.len() as u32);
        assert_eq!(seen[1].1, LinkType::Ethernet);
        assert_eq!(seen[1].2, data_b);
        assert_eq!(seen[1].4, 2);
    }
}
