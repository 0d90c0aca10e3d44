//! WebSocket (RFC 6455) as far as SIP over WebSocket (RFC 7118) needs it:
//! the browser softphone's opening handshake that asks for the `sip`
//! subprotocol, and the frames that then carry one SIP message each,
//! masked by the client (§5.3).

use super::text_lines::{lines, split_at_byte};

/// Largest frame callpath puts back together across segments: a SIP
/// message with its SDP is a few kilobytes.
pub const MAX_FRAME: usize = 64 * 1024;

/// Whether `segment` is a client's opening handshake (an HTTP GET with
/// `Upgrade: websocket`) that offers the `sip` subprotocol
/// (`Sec-WebSocket-Protocol: sip`, RFC 7118 §4.1).
pub fn is_sip_upgrade(segment: &[u8]) -> bool {
    if !segment.starts_with(b"GET ") {
        return false;
    }
    // The headers only; they are ASCII.
    let head = memchr::memmem::find(segment, b"\r\n\r\n")
        .map_or(segment, |end| segment.get(..end).unwrap_or(segment));
    let Ok(head) = std::str::from_utf8(head) else {
        return false;
    };
    let (mut upgrade, mut sip) = (false, false);
    for line in lines(head).skip(1).take(64) {
        let Some((name, value)) = split_at_byte(line, b':') else {
            continue;
        };
        let name = name.trim();
        if name.eq_ignore_ascii_case("upgrade") {
            upgrade |= value.trim().eq_ignore_ascii_case("websocket");
        } else if name.eq_ignore_ascii_case("sec-websocket-protocol") {
            sip |= value
                .split(',')
                .any(|p| p.trim().eq_ignore_ascii_case("sip"));
        }
    }
    upgrade && sip
}

/// One frame as a segment holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// 0 continuation, 1 text, 2 binary, 8 close, 9 ping, 10 pong.
    pub opcode: u8,
    /// The client's masking key (frames from a client are masked).
    pub mask: Option<[u8; 4]>,
    /// The payload bytes the segment holds (still masked).
    pub payload: &'a [u8],
    /// Payload bytes still to come in later segments.
    pub missing: usize,
}

/// The frames a segment that starts at a frame boundary holds; the last
/// may go on in later segments (`Frame::missing`). Stops at anything
/// that is no frame header: an unknown opcode, or reserved bits set (an
/// extension such as permessage-deflate, whose payload cannot be read).
pub fn frames(segment: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let mut rest = segment;
    std::iter::from_fn(move || {
        let (frame, used) = frame(rest)?;
        rest = rest.get(used..).unwrap_or_default();
        Some(frame)
    })
}

/// The frame at the start of `bytes`, and how many bytes of it they hold.
fn frame(bytes: &[u8]) -> Option<(Frame<'_>, usize)> {
    let (&b0, &b1) = (bytes.first()?, bytes.get(1)?);
    let opcode = b0 & 0x0f;
    if b0 & 0x70 != 0 || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
        return None;
    }
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            u64::from(u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?)),
            4,
        ),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?), 10),
        short => (u64::from(short), 2),
    };
    let mask = if b1 & 0x80 != 0 {
        let key: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(key)
    } else {
        None
    };
    let len = usize::try_from(len).ok()?;
    let held = len.min(bytes.len().saturating_sub(at));
    let payload = bytes.get(at..at + held)?;
    Some((
        Frame {
            opcode,
            mask,
            payload,
            missing: len - held,
        },
        at + held,
    ))
}

/// A frame that goes on in later segments of its direction, being put
/// back together (unmasked).
#[derive(Clone, Debug)]
pub struct PartialFrame {
    /// The direction index of the segments that carry it.
    pub dir: usize,
    pub mask: Option<[u8; 4]>,
    /// Its payload so far, unmasked.
    pub payload: Vec<u8>,
    /// Bytes still to come.
    pub missing: usize,
}

impl PartialFrame {
    /// Takes the rest of the frame from the start of `segment`; returns
    /// the bytes of the segment after it.
    pub fn take_from<'a>(&mut self, segment: &'a [u8]) -> &'a [u8] {
        let n = self.missing.min(segment.len());
        let (mine, rest) = segment.split_at(n);
        let offset = self.payload.len();
        unmask_into(mine, self.mask, offset, &mut self.payload);
        self.missing -= n;
        rest
    }
}

/// Appends `payload` unmasked to `out`; `offset`: how many bytes of the
/// frame's payload came before it (the key repeats every four bytes).
pub fn unmask_into(payload: &[u8], mask: Option<[u8; 4]>, offset: usize, out: &mut Vec<u8>) {
    match mask {
        None => out.extend_from_slice(payload),
        Some(key) => out.extend(
            payload
                .iter()
                .zip(key.iter().cycle().skip(offset % 4))
                .map(|(b, k)| b ^ k),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE: &[u8] =
        b"GET / HTTP/1.1\r\nHost: pbx.example.test:8080\r\nUpgrade: websocket\r\n\
        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Protocol: sip\r\nSec-WebSocket-Version: 13\r\n\r\n";

    #[test]
    fn a_handshake_that_asks_for_sip() {
        assert!(is_sip_upgrade(UPGRADE));
        let chat =
            String::from_utf8_lossy(UPGRADE).replace("Protocol: sip", "Protocol: chat, superchat");
        assert!(!is_sip_upgrade(chat.as_bytes()));
        let listed =
            String::from_utf8_lossy(UPGRADE).replace("Protocol: sip", "protocol: xmpp, SIP");
        assert!(is_sip_upgrade(listed.as_bytes()));
        let plain = String::from_utf8_lossy(UPGRADE).replace("Upgrade: websocket\r\n", "");
        assert!(!is_sip_upgrade(plain.as_bytes()));
        assert!(!is_sip_upgrade(b"HTTP/1.1 101 Switching Protocols\r\n\r\n"));
    }

    /// A client's text frame: masked, 16-bit length.
    fn masked(text: &[u8], key: [u8; 4]) -> Vec<u8> {
        let mut f = vec![0x81, 0x80 | 126];
        f.extend_from_slice(&(text.len() as u16).to_be_bytes());
        f.extend_from_slice(&key);
        unmask_into(text, Some(key), 0, &mut f);
        f
    }

    #[test]
    fn masked_frames_read_back_across_segments() {
        let text = b"INVITE sip:bob@example.test SIP/2.0\r\nCall-ID: a\r\n\r\n";
        let key = [0x35, 0xba, 0x59, 0x9f];
        let bytes = masked(text, key);
        let whole: Vec<Frame<'_>> = frames(&bytes).collect();
        assert_eq!(whole.len(), 1);
        let mut out = Vec::new();
        unmask_into(whole[0].payload, whole[0].mask, 0, &mut out);
        assert_eq!(out, text);
        // Cut in two segments, the second read on from where it stopped.
        let (first, second) = bytes.split_at(20);
        let part = frames(first).next().unwrap();
        assert_eq!(part.missing, text.len() - part.payload.len());
        let mut out = Vec::new();
        unmask_into(part.payload, part.mask, 0, &mut out);
        unmask_into(second, part.mask, part.payload.len(), &mut out);
        assert_eq!(out, text);
    }

    #[test]
    fn what_is_no_frame_stops_the_reading() {
        // A server's unmasked frame, then an HTTP line.
        let mut bytes = vec![0x81, 3];
        bytes.extend_from_slice(b"abcHTTP/1.1");
        let read: Vec<Frame<'_>> = frames(&bytes).collect();
        assert_eq!(read.len(), 1);
        assert_eq!(
            (read[0].payload, read[0].mask, read[0].missing),
            (&b"abc"[..], None, 0)
        );
        // Compressed (RSV1), an unknown opcode, a cut header.
        for bad in [
            &[0xc1, 0x01, 0x00][..],
            &[0x83, 0x00],
            &[0x81, 126, 0x01],
            &[0x81],
        ] {
            assert_eq!(frames(bad).count(), 0, "{bad:?}");
        }
        // A 64-bit length larger than memory is held as missing.
        let mut huge = vec![0x82, 127];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        let f = frames(&huge).next();
        assert!(f.is_none_or(|f| f.payload.is_empty()));
    }
}
