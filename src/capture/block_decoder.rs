//! Turns parsed capture records (classic pcap frames, pcapng blocks) into
//! [`RawPacket`]s. Shared by the memory-mapped file reader and the streaming
//! reader so both read timestamps and interfaces the same way.

use std::collections::HashMap;

use pcap_parser::pcapng::{Block, EnhancedPacketBlock, OptionCode};
use pcap_parser::LegacyPcapBlock;

use super::pcapdroid_blocks::{self, PacketApp};
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
    /// The current section's byte order, which custom blocks' bodies use.
    section_big_endian: bool,
    /// Set once the current section holds PCAPdroid's blocks: only then
    /// are packet comments read for the app they name.
    pcapdroid: Option<PcapdroidApps>,
}

/// The apps PCAPdroid's UID map blocks named in the current section.
#[derive(Debug, Default)]
struct PcapdroidApps {
    names: HashMap<i32, Option<&'static pcapdroid_blocks::AppName>>,
}

impl PcapdroidApps {
    /// The app a packet's options name, if they name one.
    fn of(&self, epb: &EnhancedPacketBlock<'_>) -> Option<PacketApp> {
        let uid = epb
            .options
            .iter()
            .filter(|o| o.code == OptionCode::Comment)
            .find_map(|o| pcapdroid_blocks::comment_uid(o.as_bytes().ok()?))?;
        let names = self.names.get(&uid).copied().flatten();
        Some(PacketApp { uid, names })
    }
}

/// Most UIDs one section maps (a phone has a few hundred apps).
const MAX_MAPPED_UIDS: usize = 4096;

/// The bits of a classic pcap header's link-type field that name the link
/// type. The top bits may say how long each frame's FCS is (the pcap
/// format's draft, draft-ietf-opsawg-pcap, section 4; libpcap masks them
/// the same way): the FCS trails the frame, after what the IP header
/// counts, so decoding can ignore it.
const CLASSIC_LINK_TYPE_BITS: i32 = 0x03FF_FFFF;

impl BlockDecoder {
    pub fn classic(link_code: i32, nanosecond: bool) -> BlockDecoder {
        BlockDecoder {
            classic_link: LinkType::from_code(link_code & CLASSIC_LINK_TYPE_BITS),
            classic_units_per_sec: if nanosecond { 1_000_000_000 } else { 1_000_000 },
            interfaces: Vec::new(),
            section_big_endian: false,
            pcapdroid: None,
        }
    }

    pub fn pcapng() -> BlockDecoder {
        BlockDecoder {
            classic_link: LinkType::Unsupported(-1),
            classic_units_per_sec: 1_000_000,
            interfaces: Vec::new(),
            section_big_endian: false,
            pcapdroid: None,
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
            app: None,
        }
    }

    /// Updates interface state from metadata blocks and returns the packet
    /// of a data block. Packets on an undeclared interface are reported as
    /// an unsupported link type rather than dropped silently.
    pub fn pcapng_block<'a>(&mut self, block: &Block<'a>, frame: u64) -> Option<RawPacket<'a>> {
        match block {
            Block::SectionHeader(shb) => {
                // Interface ids are scoped to their section, and so are
                // PCAPdroid's UID maps.
                self.interfaces.clear();
                self.section_big_endian = shb.big_endian();
                self.pcapdroid = None;
                None
            }
            Block::Custom(cb) if cb.pen == pcapdroid_blocks::PEN => {
                let apps = self.pcapdroid.get_or_insert_with(Default::default);
                if let Some((uid, name)) =
                    pcapdroid_blocks::uid_map(cb.data, self.section_big_endian)
                {
                    if apps.names.len() < MAX_MAPPED_UIDS || apps.names.contains_key(&uid) {
                        apps.names.insert(uid, pcapdroid_blocks::shared(name));
                    }
                }
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
                    // pcap-parser's slice includes the block's 32-bit padding.
                    data: epb.data.get(..epb.caplen as usize).unwrap_or(epb.data),
                    orig_len: epb.origlen,
                    frame,
                    app: self.pcapdroid.as_ref().and_then(|apps| apps.of(epb)),
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
                    // The captured length is the original length up to the
                    // interface's snap length; the rest of the slice is padding.
                    data: spb.data.get(..spb.origlen as usize).unwrap_or(spb.data),
                    orig_len: spb.origlen,
                    frame,
                    app: None,
                })
            }
            _ => None,
        }
    }
}
