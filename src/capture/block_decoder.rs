//! Turns parsed capture records (classic pcap frames, pcapng blocks) into
//! [`RawPacket`]s. Shared by the memory-mapped file reader and the streaming
//! reader so both read timestamps and interfaces the same way.

use pcap_parser::pcapng::Block;
use pcap_parser::LegacyPcapBlock;

use super::{LinkType, RawPacket, Timestamp};

/// One pcapng interface: its link type and how its timestamps are written.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link: LinkType,
    units_per_sec: u64,
    offset_secs: i64,
}

/// Decoding state of one capture: the classic header's link type, or the
/// pcapng interfaces of the current section.
#[derive(Debug)]
pub struct BlockDecoder {
    classic_link: LinkType,
    classic_units_per_sec: u64,
    interfaces: Vec<Interface>,
}

impl BlockDecoder {
    pub fn classic(link_code: i32, nanosecond: bool) -> BlockDecoder {
        BlockDecoder {
            classic_link: LinkType::from_code(link_code),
            classic_units_per_sec: if nanosecond { 1_000_000_000 } else { 1_000_000 },
            interfaces: Vec::new(),
        }
    }

    pub fn pcapng() -> BlockDecoder {
        BlockDecoder {
            classic_link: LinkType::Unsupported(-1),
            classic_units_per_sec: 1_000_000,
            interfaces: Vec::new(),
        }
    }

    pub fn classic_frame<'a>(&self, b: &LegacyPcapBlock<'a>, frame: u64) -> RawPacket<'a> {
        RawPacket {
            ts: Timestamp::from_secs_frac(
                i64::from(b.ts_sec),
                u64::from(b.ts_usec),
                self.classic_units_per_sec,
            ),
            link: self.classic_link,
            data: b.data,
            orig_len: b.origlen,
            frame,
        }
    }

    /// Updates interface state from metadata blocks and returns the packet
    /// of a data block. Packets on an undeclared interface are reported as
    /// an unsupported link type rather than dropped silently.
    pub fn pcapng_block<'a>(&mut self, block: &Block<'a>, frame: u64) -> Option<RawPacket<'a>> {
        match block {
            Block::SectionHeader(_) => {
                // Interface ids are scoped to their section.
                self.interfaces.clear();
                None
            }
            Block::InterfaceDescription(idb) => {
                self.interfaces.push(Interface {
                    link: LinkType::from_code(idb.linktype.0),
                    // An invalid resolution (> 2^64 units) falls back to microseconds.
                    units_per_sec: idb.ts_resolution().unwrap_or(1_000_000),
                    offset_secs: idb.ts_offset(),
                });
                None
            }
            Block::EnhancedPacket(epb) => {
                let iface = self.interfaces.get(epb.if_id as usize).copied();
                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let (link, units, offset) = match iface {
                    Some(i) => (i.link, i.units_per_sec.max(1), i.offset_secs),
                    None => (LinkType::Unsupported(-1), 1_000_000, 0),
                };
                let secs = i64::try_from(raw / units).unwrap_or(i64::MAX);
                Some(RawPacket {
                    ts: Timestamp::from_secs_frac(secs.saturating_add(offset), raw % units, units),
                    link,
                    // Without the block's padding to 32 bits.
                    data: epb.data.get(..epb.caplen as usize).unwrap_or(epb.data),
                    orig_len: epb.origlen,
                    frame,
                })
            }
            Block::SimplePacket(spb) => {
                // Simple packet blocks belong to interface 0 and carry no time.
                let link = self
                    .interfaces
                    .first()
                    .map_or(LinkType::Unsupported(-1), |i| i.link);
                Some(RawPacket {
                    ts: Timestamp::default(),
                    link,
                    data: spb.data.get(..spb.origlen as usize).unwrap_or(spb.data),
                    orig_len: spb.origlen,
                    frame,
                })
            }
            _ => None,
        }
    }
}
