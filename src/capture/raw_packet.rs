//! One captured frame, borrowed from the capture's buffer.

use super::pcapdroid_blocks::PacketApp;
use super::{LinkType, Timestamp};

#[derive(Clone, Copy, Debug)]
pub struct RawPacket<'a> {
    pub ts: Timestamp,
    pub link: LinkType,
    /// The captured bytes (may be shorter than `orig_len` when the capture
    /// was made with a snap length).
    pub data: &'a [u8],
    pub orig_len: u32,
    /// 1-based frame number within its capture file, as Wireshark counts.
    pub frame: u64,
    /// The app the capturing phone tagged the packet with, where the
    /// capture format carries it beside the packet (PCAPdroid's pcapng
    /// extension; its trailer is read from the frame itself).
    pub app: Option<PacketApp>,
}
