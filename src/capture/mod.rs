//! Capture sources: capture files (pcap and pcapng, memory-mapped, zero-copy),
//! standard input (streamed) and, with the `live` feature, network interfaces.
//! Every source hands out [`RawPacket`]s that borrow their bytes.

pub mod block_decoder;
pub mod compression;
pub mod file_reader;
pub mod link_type;
#[cfg(feature = "live")]
pub mod live;
pub mod pcapdroid;
pub mod pcapdroid_blocks;
pub mod pcapng_writer;
pub mod pktap_process;
pub mod raw_packet;
pub mod record_anomalies;
pub mod stream_reader;
pub mod timestamp;

pub use file_reader::CaptureFile;
pub use link_type::LinkType;
pub use pcapng_writer::PcapngWriter;
pub use raw_packet::RawPacket;
pub use record_anomalies::{Anomaly, RecordAnomalies, Timing};
pub use timestamp::Timestamp;

/// What went wrong in a capture after some packets may already have been
/// read: the reader stops there, and what was read before is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// Byte offset of the record that could not be read.
    pub offset: u64,
    pub reason: String,
}

/// How reading one capture ended.
#[derive(Clone, Debug, Default)]
pub struct ReadOutcome {
    pub packets: u64,
    /// Bytes of the input read as whole headers and records: its length
    /// when it is whole, where the damage starts when it is not.
    pub bytes: u64,
    /// Set when the capture ends in the middle of a record or a record is corrupt.
    pub damage: Option<Damage>,
    /// Link types seen that callpath cannot decode, with their packet counts.
    pub unsupported_link_types: Vec<(i32, u64)>,
    /// Readable records worth a warning.
    pub anomalies: RecordAnomalies,
}

impl ReadOutcome {
    /// Counts one packet read from the record that starts at `offset`;
    /// `true` to hand it on now (else see `RecordAnomalies::timing`).
    /// Inlined into the record loops: as a call, saving and restoring
    /// registers was ~15 instructions a record.
    #[inline]
    pub(crate) fn record(&mut self, pkt: &RawPacket<'_>, offset: u64) -> bool {
        self.packets += 1;
        self.count_unsupported(pkt.link);
        self.anomalies.observe(pkt, offset)
    }

    pub(crate) fn count_unsupported(&mut self, link: LinkType) {
        if let LinkType::Unsupported(code) = link {
            match self
                .unsupported_link_types
                .iter_mut()
                .find(|(c, _)| *c == code)
            {
                Some((_, n)) => *n += 1,
                None => self.unsupported_link_types.push((code, 1)),
            }
        }
    }
}

/// A file reader's packets on their way to its visitor, in file order;
/// one is held back while its time is in doubt (see `Timing`). The file
/// stays mapped, so a held packet borrows its bytes like any other.
pub(crate) struct Delivery<'a> {
    held: Option<(RawPacket<'a>, u64)>,
}

impl<'a> Delivery<'a> {
    pub(crate) fn new() -> Delivery<'a> {
        Delivery { held: None }
    }

    /// Counts `pkt` (its record starts at `offset`) and hands it on, with
    /// `pos` the offset reached after it.
    #[inline(always)]
    pub(crate) fn pass<F>(
        &mut self,
        out: &mut ReadOutcome,
        pkt: RawPacket<'a>,
        offset: u64,
        pos: u64,
        visit: &mut F,
    ) where
        F: FnMut(RawPacket<'a>, u64),
    {
        if out.record(&pkt, offset) {
            visit(pkt, pos);
            return;
        }
        // (The rare path returns the packets rather than calling `visit`:
        // handing the visitor to a function that is not inlined kept the
        // reader's own counters in memory, ~7 instructions a packet.)
        for (pkt, pos) in self
            .place(out.anomalies.timing(), pkt, pos)
            .into_iter()
            .flatten()
        {
            visit(pkt, pos);
        }
    }

    /// The packets to hand on, in order, after a packet far from the time
    /// before it or the one after such a packet.
    #[cold]
    #[inline(never)]
    fn place(
        &mut self,
        timing: Timing,
        mut pkt: RawPacket<'a>,
        pos: u64,
    ) -> [Option<(RawPacket<'a>, u64)>; 2] {
        let held = timing.held.and_then(|ts| self.release(ts));
        let this = match timing.this {
            Some(ts) => {
                pkt.ts = ts;
                Some((pkt, pos))
            }
            None => {
                self.held = Some((pkt, pos));
                None
            }
        };
        [held, this]
    }

    fn release(&mut self, ts: Timestamp) -> Option<(RawPacket<'a>, u64)> {
        let (mut pkt, pos) = self.held.take()?;
        pkt.ts = ts;
        Some((pkt, pos))
    }

    /// At the end of the input (or where damage stops it): a packet still
    /// held, to hand on.
    pub(crate) fn finish(&mut self, out: &mut ReadOutcome) -> Option<(RawPacket<'a>, u64)> {
        let ts = out.anomalies.release_held()?;
        self.release(ts)
    }
}

/// The on-disk format of a capture, told by its first four bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaptureFormat {
    /// Classic pcap: byte order, timestamp precision and whether it is the
    /// old Kuznetsov "modified" format with a longer record header.
    Pcap {
        big_endian: bool,
        nanosecond: bool,
        modified: bool,
    },
    PcapNg,
}

impl CaptureFormat {
    /// Recognises a capture from its magic number; `None` when it is not one.
    pub fn detect(head: &[u8]) -> Option<CaptureFormat> {
        let magic: [u8; 4] = head.get(..4)?.try_into().ok()?;
        let pcap = |big_endian, nanosecond, modified| {
            Some(CaptureFormat::Pcap {
                big_endian,
                nanosecond,
                modified,
            })
        };
        match magic {
            [0xd4, 0xc3, 0xb2, 0xa1] => pcap(false, false, false),
            [0xa1, 0xb2, 0xc3, 0xd4] => pcap(true, false, false),
            [0x4d, 0x3c, 0xb2, 0xa1] => pcap(false, true, false),
            [0xa1, 0xb2, 0x3c, 0x4d] => pcap(true, true, false),
            [0x34, 0xcd, 0xb2, 0xa1] => pcap(false, false, true),
            [0xa1, 0xb2, 0xcd, 0x34] => pcap(true, false, true),
            [0x0a, 0x0d, 0x0d, 0x0a] => Some(CaptureFormat::PcapNg),
            _ => None,
        }
    }
}
