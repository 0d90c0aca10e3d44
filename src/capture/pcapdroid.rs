//! PCAPdroid's per-packet trailer: which Android app owns the packet's
//! socket, as the capturing phone itself knew it.
//!
//! PCAPdroid captures an Android phone's traffic through the system VPN
//! service, without root. With its "PCAPdroid trailer" option it writes a
//! classic pcap of Ethernet frames: a made-up Ethernet header (both MAC
//! addresses zero, the EtherType of the IP packet), the IP packet, zero to
//! three bytes of padding, then 32 bytes: magic 0x01072021, the app's
//! Android UID, its name in 20 bytes (NUL-padded), and a CRC-32 of the
//! frame before it, every number big-endian. Decoders that do not know the
//! trailer skip it as Ethernet padding, as IP's own lengths end the packet
//! before it. Layout from PCAPdroid's `pcap_utils.h` (`pcapdroid_trailer_t`)
//! and its Wireshark dissector `pcapdroid.lua`.

/// First four bytes of the trailer.
pub const TRAILER_MAGIC: u32 = 0x0107_2021;
/// Magic, UID, name and CRC.
pub const TRAILER_LEN: usize = 32;
/// Bytes of the app name field.
const NAME_LEN: usize = 20;
/// The made-up Ethernet header's two MAC addresses.
const MACS_LEN: usize = 12;
/// The smallest frame with a trailer: Ethernet header, an IPv4 header, trailer.
const MIN_FRAME: usize = 14 + 20 + TRAILER_LEN;

/// What one trailer says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppTag<'a> {
    /// Android UID of the app (shared by apps signed alike; -1 unknown).
    pub uid: i32,
    /// The app's name as PCAPdroid wrote it (up to 20 bytes, no NULs),
    /// empty when it wrote none.
    pub name: &'a [u8],
}

impl AppTag<'_> {
    /// The name as text (invalid UTF-8 replaced, e.g. a multi-byte name cut
    /// at 20 bytes), or `None` when there is none. PCAPdroid writes "???"
    /// for a UID it could not name.
    pub fn name_text(&self) -> Option<String> {
        let text = String::from_utf8_lossy(self.name);
        let trimmed = text.trim();
        let unnamed = trimmed.is_empty() || trimmed == "???";
        (!unnamed).then(|| trimmed.to_string())
    }
}

/// The trailer of an Ethernet frame PCAPdroid wrote, if it has one.
pub fn trailer(frame: &[u8]) -> Option<AppTag<'_>> {
    if frame.len() < MIN_FRAME || frame.get(..MACS_LEN)?.iter().any(|&b| b != 0) {
        return None;
    }
    let t = frame.get(frame.len() - TRAILER_LEN..)?;
    let word = |at: usize| -> Option<[u8; 4]> { t.get(at..at + 4)?.try_into().ok() };
    if u32::from_be_bytes(word(0)?) != TRAILER_MAGIC {
        return None;
    }
    let uid = i32::from_be_bytes(word(4)?);
    let field = t.get(8..8 + NAME_LEN)?;
    let end = field.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
    Some(AppTag {
        uid,
        name: field.get(..end)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame as PCAPdroid writes it: zero MACs, EtherType IPv4, the IP
    /// packet, padding to four bytes, the trailer.
    fn frame(ip: &[u8], uid: i32, name: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        f.extend_from_slice(ip);
        while f.len() % 4 != 0 {
            f.push(0);
        }
        f.extend_from_slice(&TRAILER_MAGIC.to_be_bytes());
        f.extend_from_slice(&uid.to_be_bytes());
        let mut field = [0u8; NAME_LEN];
        field[..name.len()].copy_from_slice(name);
        f.extend_from_slice(&field);
        let crc = crc32fast::hash(&f);
        f.extend_from_slice(&crc.to_be_bytes());
        f
    }

    /// An IPv4/UDP header pair with 2 bytes of payload (30 bytes).
    fn udp_packet() -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 30, 0, 0, 0, 0, 64, 17, 0, 0, 10, 215, 173, 1, 157, 240, 1, 53,
        ];
        p.extend_from_slice(&[0xc3, 0x50, 0x0d, 0x96, 0, 10, 0, 0, 0xab, 0xcd]);
        p
    }

    #[test]
    fn reads_the_uid_and_name() {
        let f = frame(&udp_packet(), 10_123, b"WhatsApp");
        let tag = trailer(&f).expect("trailer");
        assert_eq!(tag.uid, 10_123);
        assert_eq!(tag.name, b"WhatsApp");
        assert_eq!(tag.name_text().as_deref(), Some("WhatsApp"));
    }

    #[test]
    fn a_full_twenty_byte_name_and_an_empty_one() {
        let f = frame(&udp_packet(), 1000, b"Some Very Long Name!");
        assert_eq!(
            trailer(&f).map(|t| t.name),
            Some(&b"Some Very Long Name!"[..])
        );
        let f = frame(&udp_packet(), -1, b"");
        let tag = trailer(&f).expect("trailer");
        assert_eq!((tag.uid, tag.name_text()), (-1, None));
        let f = frame(&udp_packet(), 1051, b"???");
        assert_eq!(trailer(&f).and_then(|t| t.name_text()), None);
    }

    #[test]
    fn ordinary_frames_have_none() {
        // Real MAC addresses.
        let mut f = frame(&udp_packet(), 10_123, b"WhatsApp");
        f[0] = 0x02;
        assert_eq!(trailer(&f), None);
        // No magic.
        let mut f = frame(&udp_packet(), 10_123, b"WhatsApp");
        let at = f.len() - TRAILER_LEN;
        f[at] = 0x02;
        assert_eq!(trailer(&f), None);
        // Too short to hold one, and empty.
        assert_eq!(trailer(&[0u8; MIN_FRAME - 1]), None);
        assert_eq!(trailer(&[]), None);
    }
}
