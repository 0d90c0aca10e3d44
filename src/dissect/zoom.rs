//! Zoom's own UDP framing (the native client; the browser client speaks
//! plain WebRTC/DTLS and is not seen here).
//!
//! Two layers, as reverse-engineered by Michel et al., "Enabling Passive
//! Measurement of Zoom Performance in Production Networks" (IMC 2022,
//! Princeton-Cabernet/zoom-analysis) and used by nDPI `zoom.c`:
//!
//! * **SFU encapsulation** (only towards Zoom servers, UDP 8801–8810, Zoom
//!   KB0060548): 8 bytes = type(1) seq(2) unknown(4) direction(1, 0 = to
//!   Zoom, 4 = from Zoom). Type 1/2 are the handshake from/to the client,
//!   3/4 request/reply keep-alives, 5 carries a media encapsulation.
//! * **Media encapsulation**, first byte = media type; the RTP/RTCP header
//!   follows at a per-type offset: audio 15 → 19, video 16 → 20 or 24 (24
//!   when a 4-byte frame-info block is present), screen share 13 → 27, P2P
//!   screen share 30 → 20, RTCP 33/34/35 → 16. P2P calls carry the media
//!   encapsulation without the SFU header.
//!
//! Corpus note (zoom.pcap, stun_zoom.pcapng): only SFU types 1–5 with media
//! types 0 and 21 occur; no audio/video payloads, so the per-type RTP
//! offsets are taken from the paper/nDPI and checked here by requiring an
//! RTP/RTCP version-2 byte at that offset.

use crate::dissect::Probe;

/// First UDP port of Zoom's media range (Zoom support KB0060548).
pub const SERVER_PORT_FIRST: u16 = 8801;
/// Last UDP port of Zoom's media range.
pub const SERVER_PORT_LAST: u16 = 8810;
/// Length of the SFU encapsulation header.
pub const SFU_HEADER_LEN: usize = 8;
/// First byte of the peer-to-peer hello (1F 02 01).
pub const P2P_HELLO_TYPE: u8 = 0x1f;

/// SFU encapsulation types (zoom-analysis `zoom.lua`).
pub mod sfu_type {
    pub const HANDSHAKE_TO_ZOOM: u8 = 1;
    pub const HANDSHAKE_FROM_ZOOM: u8 = 2;
    pub const REQUEST: u8 = 3;
    pub const REPLY: u8 = 4;
    pub const MEDIA: u8 = 5;
}

/// True for the server-side media ports 8801–8810.
pub fn is_server_port(port: u16) -> bool {
    (SERVER_PORT_FIRST..=SERVER_PORT_LAST).contains(&port)
}

/// Media type of Zoom's bandwidth feedback and probes: no RTP inside, and
/// a server may send (and a client echo) long runs of them, 1,036 bytes
/// of UDP payload filled with a repeated byte, while no one speaks or
/// shows video (zoom-analysis `zoom.lua` names its fields `bw_level_*`).
pub const BANDWIDTH_MEDIA_TYPE: u8 = 21;

/// What a media-encapsulation type byte means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoomMediaKind {
    /// Type 15.
    Audio,
    /// Type 16.
    Video,
    /// Types 13 (via SFU) and 30 (P2P).
    ScreenShare,
    /// Types 33, 34, 35 (RTCP sender reports / SDES).
    Rtcp,
    /// Any other type (21 = feedback/bandwidth, 0, 32, ...).
    Other,
}

impl ZoomMediaKind {
    /// Classifies a media type byte.
    pub fn from_type(t: u8) -> Self {
        match t {
            15 => Self::Audio,
            16 => Self::Video,
            13 | 30 => Self::ScreenShare,
            33..=35 => Self::Rtcp,
            _ => Self::Other,
        }
    }
}

/// A Zoom media encapsulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZoomMedia<'a> {
    /// The raw type byte.
    pub media_type: u8,
    pub kind: ZoomMediaKind,
    /// For audio/video/screen share/RTCP: the RTP or RTCP bytes, starting at
    /// the version-2 byte; empty when no RTP/RTCP header sits at the
    /// expected offset (e.g. the binding messages that open a meeting's
    /// connections under the screen-share type, which carry text such as
    /// "data_bind_replace_flag"; callpath counts them as no media). For `Other`: the
    /// whole media encapsulation starting at the type byte.
    pub inner: &'a [u8],
}

/// One Zoom datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZoomFrame<'a> {
    /// Client ↔ Zoom server (SFU/MMR) datagram.
    Sfu {
        sfu_type: u8,
        media: Option<ZoomMedia<'a>>,
    },
    /// Peer-to-peer datagram; `media` is `None` for the 0x1F 02 01 hello.
    P2p { media: Option<ZoomMedia<'a>> },
}

/// RTP and RTCP both start with version 2 in the top two bits; need at
/// least the RTCP common header (4 bytes) — RTP needs 12.
fn is_v2(b: &[u8], min_len: usize) -> bool {
    b.len() >= min_len && b.first().is_some_and(|v| v >> 6 == 2)
}

/// Where the RTP/RTCP header starts inside a media encapsulation of this
/// type, or `None` if the type carries none we know.
/// Whether a media type carries an RTP/RTCP header (see `inner_offset`).
pub fn carries_rtp(media_type: u8) -> bool {
    matches!(media_type, 13 | 15 | 16 | 30 | 33..=35)
}

fn inner_offset(media_type: u8, media: &[u8]) -> Option<usize> {
    match media_type {
        15 => Some(19),
        // Video: RTP at 20, or at 24 when a frame-info block (first byte
        // 0x02) is inserted; a v2 byte at 20 tells them apart.
        16 => {
            if media.get(20).is_some_and(|v| v >> 6 == 2) {
                Some(20)
            } else {
                Some(24)
            }
        }
        13 => Some(27),
        30 => Some(20),
        33..=35 => Some(16),
        _ => None,
    }
}

/// Parses a media encapsulation (the bytes after the SFU header, or a whole
/// P2P datagram).
pub fn parse_media(media: &[u8]) -> Option<ZoomMedia<'_>> {
    let media_type = *media.first()?;
    let kind = ZoomMediaKind::from_type(media_type);
    let inner = match inner_offset(media_type, media) {
        Some(off) => {
            let rest = media.get(off..).unwrap_or(&[]);
            let min = if kind == ZoomMediaKind::Rtcp { 4 } else { 12 };
            if is_v2(rest, min) {
                rest
            } else {
                &[]
            }
        }
        None => media,
    };
    Some(ZoomMedia {
        media_type,
        kind,
        inner,
    })
}

/// Parses a datagram to/from a Zoom server port (8801–8810).
pub fn parse_server(payload: &[u8]) -> Option<ZoomFrame<'_>> {
    let (header, rest) = payload.split_at_checked(SFU_HEADER_LEN)?;
    let sfu_type = *header.first()?;
    match sfu_type {
        sfu_type::HANDSHAKE_TO_ZOOM | sfu_type::HANDSHAKE_FROM_ZOOM => {
            // Observed: 01 00 02 / 02 00 01 (zoom.pcap frames 386, 395);
            // nDPI also lists x 00 03.
            if header.get(1) != Some(&0) || !matches!(header.get(2), Some(1..=3)) {
                return None;
            }
            Some(ZoomFrame::Sfu {
                sfu_type,
                media: None,
            })
        }
        sfu_type::REQUEST | sfu_type::REPLY => Some(ZoomFrame::Sfu {
            sfu_type,
            media: None,
        }),
        sfu_type::MEDIA => Some(ZoomFrame::Sfu {
            sfu_type,
            media: parse_media(rest),
        }),
        _ => None,
    }
}

/// Parses a P2P datagram: the 0x1F 02 01 hello, or a media encapsulation
/// whose RTP/RTCP header is where its type says.
pub fn parse_p2p(payload: &[u8]) -> Option<ZoomFrame<'_>> {
    if is_p2p_hello(payload) {
        return Some(ZoomFrame::P2p { media: None });
    }
    let media = parse_media(payload)?;
    if media.kind == ZoomMediaKind::Other || media.inner.is_empty() {
        return None;
    }
    Some(ZoomFrame::P2p { media: Some(media) })
}

fn be32(b: &[u8], at: usize) -> Option<usize> {
    let s = b.get(at..at.checked_add(4)?)?;
    let v = u32::from_be_bytes(s.try_into().ok()?);
    usize::try_from(v).ok()
}

/// The P2P hello (nDPI zoom.c): 1F 02 01, a 24-byte header, then two
/// length-prefixed (u32 BE) strings — peer IP and a UUID — and 4 zero bytes
/// ending exactly at the end of the datagram.
fn is_p2p_hello(p: &[u8]) -> bool {
    if !p.starts_with(&[P2P_HELLO_TYPE, 0x02, 0x01]) || p.len() <= 36 {
        return false;
    }
    let Some(ip_len) = be32(p, 24) else {
        return false;
    };
    let Some(uuid_at) = 28usize.checked_add(ip_len) else {
        return false;
    };
    let Some(uuid_len) = be32(p, uuid_at) else {
        return false;
    };
    let end = uuid_at
        .checked_add(4)
        .and_then(|v| v.checked_add(uuid_len))
        .and_then(|v| v.checked_add(4));
    end == Some(p.len()) && p.get(p.len().saturating_sub(4)..) == Some(&[0, 0, 0, 0][..])
}

/// Probe a UDP payload. `server_port`: one end uses 8801–8810.
///
/// Certain: handshake, or SFU type 5 with a known media type whose RTP/RTCP
/// header is in place, or the P2P hello. Unsure: SFU 3/4/5 otherwise (type
/// 3/4 are short and weak, nDPI waits 4 packets), or a P2P media
/// encapsulation (a type byte plus a v2 byte at the right offset).
pub fn probe(payload: &[u8], server_port: bool) -> Probe {
    if server_port {
        match parse_server(payload) {
            Some(ZoomFrame::Sfu {
                sfu_type: 1 | 2, ..
            }) => Probe::Certain,
            Some(ZoomFrame::Sfu { media: Some(m), .. })
                if m.kind != ZoomMediaKind::Other && !m.inner.is_empty() =>
            {
                Probe::Certain
            }
            Some(_) => Probe::Unsure,
            None => Probe::NotForUs,
        }
    } else {
        match parse_p2p(payload) {
            Some(ZoomFrame::P2p { media: None }) => Probe::Certain,
            Some(_) => Probe::Unsure,
            None => Probe::NotForUs,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    fn lcg_bytes(seed: &mut u64, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (*seed >> 33) as u8
            })
            .collect()
    }

    // zoom.pcap frame 386: client → 109.94.160.99:8801, SFU type 1 handshake.
    const F386: &str = "0100027d464d35fffda234495d0d6d3b51e8960000000000000002007a002a007a002a000000400e173ddf96025efb95c4240c2353bfcbf060be99dcbbd8c479c7b9732d6c75fa4362f0835eb83e4da9c6a7e6f309b31e40df0f6bb5756a840f731d9bc1f6a72d00000000";
    // zoom.pcap frame 395: server reply, SFU type 2 (02 00 01).
    const F395: &str = "0200017d464d35fffda234495d0d6d3b51e896005a0e3e007a002a0000000000000000";
    // zoom.pcap frame 396: SFU type 3 request.
    const F396: &str = "0300000001762a8d74005a0e3e";
    // zoom.pcap frame 705 (inside GTP-U): SFU type 5, direction 4 (from
    // Zoom), media type 21 (bandwidth feedback "bw_level_audio").
    const F705: &str = "050f3100272ec90415010000000000000035010201001f5a4e0000028805030000000000000000ff000000020000000e62775f6c6576656c5f617564696f010000020000000e62775f6c6576656c5f766964656f01000002";

    #[test]
    fn handshake_frames_are_certain() {
        let p = hex(F386);
        assert_eq!(
            parse_server(&p),
            Some(ZoomFrame::Sfu {
                sfu_type: 1,
                media: None
            })
        );
        assert_eq!(probe(&p, true), Probe::Certain);
        assert_eq!(probe(&hex(F395), true), Probe::Certain);
    }

    #[test]
    fn keepalive_is_unsure() {
        let p = hex(F396);
        assert!(matches!(
            parse_server(&p),
            Some(ZoomFrame::Sfu { sfu_type: 3, .. })
        ));
        assert_eq!(probe(&p, true), Probe::Unsure);
    }

    #[test]
    fn sfu_media_type_21_is_other() {
        let p = hex(F705);
        let Some(ZoomFrame::Sfu {
            sfu_type: 5,
            media: Some(m),
        }) = parse_server(&p)
        else {
            panic!("not parsed")
        };
        assert_eq!(m.media_type, 21);
        assert_eq!(m.kind, ZoomMediaKind::Other);
        assert_eq!(m.inner.first(), Some(&21));
        assert_eq!(probe(&p, true), Probe::Unsure);
    }

    // Constructed (no Zoom audio in the corpus): the real SFU header of
    // frame 705, a 19-byte audio media header (type 15), then an RTP header
    // V=2 PT=112 seq=0x1234 — RTP must be found at offset 8+19.
    #[test]
    fn sfu_audio_inner_starts_at_rtp() {
        let mut p = hex("050f3100272ec904");
        p.push(15);
        p.extend_from_slice(&[0u8; 18]);
        let rtp = hex("80701234000000010000beef");
        p.extend_from_slice(&rtp);
        p.extend_from_slice(b"opus");
        let Some(ZoomFrame::Sfu { media: Some(m), .. }) = parse_server(&p) else {
            panic!()
        };
        assert_eq!(m.kind, ZoomMediaKind::Audio);
        assert_eq!(&m.inner[..12], &rtp[..]);
        assert_eq!(probe(&p, true), Probe::Certain);
        // Video with the 4-byte frame-info block: RTP at 24.
        let mut v = hex("050f3100272ec904");
        v.push(16);
        v.extend_from_slice(&[0u8; 19]);
        v.extend_from_slice(&[2, 0, 1, 3]);
        v.extend_from_slice(&rtp);
        let Some(ZoomFrame::Sfu { media: Some(m), .. }) = parse_server(&v) else {
            panic!()
        };
        assert_eq!(m.kind, ZoomMediaKind::Video);
        assert_eq!(&m.inner[..12], &rtp[..]);
        // Same bytes as P2P (no SFU header) also parse.
        let Some(ZoomFrame::P2p { media: Some(m) }) = parse_p2p(&v[8..]) else {
            panic!()
        };
        assert_eq!(m.kind, ZoomMediaKind::Video);
    }

    // Constructed P2P hello following nDPI's description (no sample in the
    // corpus): 1F 02 01, 24-byte header, "10.0.0.1", 16-byte uuid, 0000.
    #[test]
    fn p2p_hello() {
        let mut p = vec![0x1f, 0x02, 0x01];
        p.extend_from_slice(&[0u8; 21]);
        p.extend_from_slice(&8u32.to_be_bytes());
        p.extend_from_slice(b"10.0.0.1");
        p.extend_from_slice(&16u32.to_be_bytes());
        p.extend_from_slice(&[0xab; 16]);
        p.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(parse_p2p(&p), Some(ZoomFrame::P2p { media: None }));
        assert_eq!(probe(&p, false), Probe::Certain);
        p.push(0);
        assert_ne!(probe(&p, false), Probe::Certain);
    }

    #[test]
    fn other_protocols_not_for_us() {
        // stun.pcap frame 195: STUN binding request to 134.224.90.111:8801
        // (Zoom web client).
        let stun = hex("000100882112a442384421d1f4a243e1d63a5f9a0006004945303444393433462d");
        assert_eq!(probe(&stun, true), Probe::NotForUs);
        assert_eq!(probe(&stun, false), Probe::NotForUs);
        // discord.pcap frame 8: Discord keep-alive.
        assert_eq!(probe(&hex("1337cafe0e000000"), true), Probe::NotForUs);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [F386, F395, F396, F705] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse_server(&p[..n]);
                let _ = parse_p2p(&p[..n]);
                let _ = probe(&p[..n], true);
                let _ = probe(&p[..n], false);
            }
        }
        let mut seed = 7;
        for n in 0..2000 {
            let mut g = lcg_bytes(&mut seed, n % 300);
            if let Some(b) = g.first_mut() {
                *b = [5, 15, 16, 13, 30, 33, 0x1f][n % 7];
            }
            let _ = parse_server(&g);
            let _ = parse_p2p(&g);
            let _ = probe(&g, n % 2 == 0);
        }
    }
}
