//! Cisco Skinny Client Control Protocol (SCCP) on TCP 2000 (2443 with TLS).
//!
//! Each message (Wireshark `packet-skinny.c`, Cisco CUCM docs): 4-byte
//! little-endian length counting the bytes after the header-version field
//! (i.e. message id + data, so a message is `length + 8` bytes), 4-byte
//! little-endian header version (0 basic; 0x11–0x16 for CM 7+ phones — 0x12
//! in sccp_hw_conf_register.pcapng), 4-byte little-endian message id. A TCP
//! segment may hold several messages (frame 13 of that capture: VersionReq
//! then CapabilitiesRes).
//!
//! StartMediaTransmission (0x8A: where the call manager tells a phone to
//! send its RTP) and OpenReceiveChannelAck (0x22: where the phone receives
//! it) carry an RTP address. Before header version 0x11 the address is a
//! bare IPv4 address; from 0x11 on it is an address type (0 = IPv4,
//! 1 = IPv6) and 16 address bytes, IPv4 in the first four (Wireshark
//! `packet-skinny.c`, `ipV4orV6Address`); a 32-bit little-endian port
//! follows. After the 12-byte header, StartMediaTransmission has a
//! conference id and a pass-through party id before the address,
//! OpenReceiveChannelAck a reception status.

use crate::dissect::Probe;

/// Cleartext SCCP port.
pub const PORT: u16 = 2000;
/// Header length (length + version + message id).
pub const HEADER_LEN: usize = 12;
/// Largest length accepted (CapabilitiesRes/ButtonTemplate are a few KiB).
pub const MAX_LENGTH: u32 = 0x4000;

/// Message ids (Wireshark packet-skinny.c).
pub mod message_id {
    pub const KEEP_ALIVE: u32 = 0x0000;
    pub const REGISTER: u32 = 0x0001;
    pub const IP_PORT: u32 = 0x0002;
    pub const KEYPAD_BUTTON: u32 = 0x0003;
    pub const STIMULUS: u32 = 0x0005;
    pub const OFF_HOOK: u32 = 0x0006;
    pub const ON_HOOK: u32 = 0x0007;
    pub const VERSION_REQ: u32 = 0x000f;
    pub const CAPABILITIES_RES: u32 = 0x0010;
    pub const OPEN_RECEIVE_CHANNEL_ACK: u32 = 0x0022;
    pub const UNREGISTER: u32 = 0x0027;
    pub const MEDIA_RESOURCE_NOTIFICATION: u32 = 0x002c;
    pub const REGISTER_ACK: u32 = 0x0081;
    pub const START_TONE: u32 = 0x0082;
    pub const SET_RINGER: u32 = 0x0085;
    pub const START_MEDIA_TRANSMISSION: u32 = 0x008a;
    pub const STOP_MEDIA_TRANSMISSION: u32 = 0x008b;
    pub const CALL_INFO: u32 = 0x008f;
    pub const VERSION: u32 = 0x0098;
    pub const CAPABILITIES_REQ: u32 = 0x009b;
    pub const REGISTER_REJECT: u32 = 0x009d;
    pub const RESET: u32 = 0x009f;
    pub const KEEP_ALIVE_ACK: u32 = 0x0100;
    pub const OPEN_RECEIVE_CHANNEL: u32 = 0x0105;
    pub const CLOSE_RECEIVE_CHANNEL: u32 = 0x0106;
    pub const CALL_STATE: u32 = 0x0111;
    pub const NAMED: [u32; 26] = [
        KEEP_ALIVE,
        REGISTER,
        IP_PORT,
        KEYPAD_BUTTON,
        STIMULUS,
        OFF_HOOK,
        ON_HOOK,
        VERSION_REQ,
        CAPABILITIES_RES,
        OPEN_RECEIVE_CHANNEL_ACK,
        UNREGISTER,
        MEDIA_RESOURCE_NOTIFICATION,
        REGISTER_ACK,
        START_TONE,
        SET_RINGER,
        START_MEDIA_TRANSMISSION,
        STOP_MEDIA_TRANSMISSION,
        CALL_INFO,
        VERSION,
        CAPABILITIES_REQ,
        REGISTER_REJECT,
        RESET,
        KEEP_ALIVE_ACK,
        OPEN_RECEIVE_CHANNEL,
        CLOSE_RECEIVE_CHANNEL,
        CALL_STATE,
    ];
}

/// One SCCP message header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SccpMessage {
    pub message_id: u32,
    /// The length field (message id + data).
    pub length: u32,
    /// The header version field.
    pub version: u32,
}

impl SccpMessage {
    /// Bytes this message occupies on the wire.
    pub fn wire_len(&self) -> usize {
        usize::try_from(self.length)
            .unwrap_or(usize::MAX)
            .saturating_add(8)
    }
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Id ranges Cisco uses: phone→CM 0x0000–0x00FF, CM→phone 0x0081–0x01FF,
/// and the 0x8000 range of newer feature messages.
fn id_in_known_range(id: u32) -> bool {
    id <= 0x01ff || (0x8000..=0x81ff).contains(&id)
}

/// Parses the first message header of a segment.
pub fn parse(payload: &[u8]) -> Option<SccpMessage> {
    let length = le32(payload, 0)?;
    let version = le32(payload, 4)?;
    let message_id = le32(payload, 8)?;
    if !(4..=MAX_LENGTH).contains(&length) || version > 0xff || !id_in_known_range(message_id) {
        return None;
    }
    Some(SccpMessage {
        message_id,
        length,
        version,
    })
}

/// All complete message headers packed in one segment, in order; stops at
/// the first invalid or truncated one.
pub fn parse_all(payload: &[u8]) -> Vec<SccpMessage> {
    let mut out = Vec::new();
    let mut rest = payload;
    while let Some(m) = parse(rest) {
        let Some((_, tail)) = rest.split_at_checked(m.wire_len()) else {
            break;
        };
        out.push(m);
        rest = tail;
    }
    out
}

/// Header version from which addresses carry a type and 16 bytes.
const ADDRESS_V4_OR_V6_FROM: u32 = 0x11;

/// The RTP address of a StartMediaTransmission or OpenReceiveChannelAck
/// message that begins `message` (header included), if it has a usable
/// one.
pub fn media_address(message: &[u8]) -> Option<std::net::SocketAddr> {
    let m = parse(message)?;
    let body = message.get(HEADER_LEN..m.wire_len())?;
    let address_at = match m.message_id {
        message_id::START_MEDIA_TRANSMISSION => 8,
        message_id::OPEN_RECEIVE_CHANNEL_ACK => 4,
        _ => return None,
    };
    let rest = body.get(address_at..)?;
    let (ip, after): (std::net::IpAddr, usize) = if m.version >= ADDRESS_V4_OR_V6_FROM {
        let bytes: [u8; 16] = rest.get(4..20)?.try_into().ok()?;
        match le32(rest, 0)? {
            0 => {
                let [a, b, c, d, ..] = bytes;
                (std::net::Ipv4Addr::new(a, b, c, d).into(), 20)
            }
            1 => (std::net::Ipv6Addr::from(bytes).into(), 20),
            _ => return None,
        }
    } else {
        let [a, b, c, d]: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        (std::net::Ipv4Addr::new(a, b, c, d).into(), 4)
    };
    let port = u16::try_from(le32(rest, after)?).ok()?;
    (port != 0 && !ip.is_unspecified()).then_some(std::net::SocketAddr::new(ip, port))
}

/// Certain: a valid header with a named message id whose length fits the
/// segment exactly or is followed by another valid message. Unsure: a
/// valid header otherwise (continues in the next segment, or an id we do
/// not name). NotForUs: anything else.
pub fn probe(payload: &[u8]) -> Probe {
    let Some(m) = parse(payload) else {
        return Probe::NotForUs;
    };
    let named = message_id::NAMED.contains(&m.message_id);
    let framed = match payload.split_at_checked(m.wire_len()) {
        Some((_, tail)) => tail.is_empty() || parse(tail).is_some(),
        None => false,
    };
    if named && framed {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    /// A message with header version `version`, id `id` and `data`.
    fn message(version: u32, id: u32, data: &[u8]) -> Vec<u8> {
        let mut m = (data.len() as u32 + 4).to_le_bytes().to_vec();
        m.extend_from_slice(&version.to_le_bytes());
        m.extend_from_slice(&id.to_le_bytes());
        m.extend_from_slice(data);
        m
    }

    #[test]
    fn media_addresses_of_both_header_versions() {
        // Header version 0x14 (CM 7+ phones), constructed as Wireshark's
        // packet-skinny.c lays it out: StartMediaTransmission with
        // conference and pass-through ids, address type 0 and 16 address
        // bytes, port 9399, packet size, codec...
        let mut start = hex("4b362e0151000001");
        start.extend(hex("00000000c0000218000000000000000000000000b7240000"));
        start.extend(hex("1400000004000000b8000000"));
        let start = message(0x14, message_id::START_MEDIA_TRANSMISSION, &start);
        assert_eq!(
            media_address(&start),
            Some("192.0.2.24:9399".parse().unwrap())
        );
        // OpenReceiveChannelAck: status, then the phone's own address.
        let ack = hex("0000000000000000c000023a000000000000000000000000907d00004f000001");
        let ack = message(0x14, message_id::OPEN_RECEIVE_CHANNEL_ACK, &ack);
        assert_eq!(
            media_address(&ack),
            Some("192.0.2.58:32144".parse().unwrap())
        );
        // Basic header (version 0): a bare IPv4 address.
        let basic = hex("01000000020000000a0000056490000014000000");
        let basic = message(0, message_id::START_MEDIA_TRANSMISSION, &basic);
        assert_eq!(
            media_address(&basic),
            Some("10.0.0.5:36964".parse().unwrap())
        );
        // Other messages, an unknown address type, a cut message.
        assert_eq!(media_address(&hex(CAP_REQ)), None);
        let mut odd = ack.clone();
        odd[16] = 7;
        assert_eq!(media_address(&odd), None);
        assert_eq!(media_address(&ack[..30]), None);
        for n in 0..ack.len() {
            let _ = media_address(&ack[..n]);
        }
    }

    // sccp_hw_conf_register.pcapng frame 6: 10.180.110.58 → :2000, IpPort.
    const IP_PORT: &str = "08000000000000000200000000000000";
    // Frame 8: RegisterAck from the call manager (32 bytes).
    const REG_ACK: &str = "1800000000000000810000001e000000556e7573656400003c00000012008028";
    // Frame 9: CapabilitiesReq.
    const CAP_REQ: &str = "04000000000000009b000000";
    // Frame 4 (first 48 of 136 bytes): Register of "NONSECURE_CONF".
    const REGISTER_HEAD: &str =
        "8000000000000000010000004e4f4e5345435552455f434f4e4600000000000001000000ac126e3a34000000";

    #[test]
    fn real_messages() {
        assert_eq!(
            parse(&hex(IP_PORT)),
            Some(SccpMessage {
                message_id: message_id::IP_PORT,
                length: 8,
                version: 0
            })
        );
        assert_eq!(probe(&hex(REG_ACK)), Probe::Certain);
        assert_eq!(probe(&hex(CAP_REQ)), Probe::Certain);
        let r = parse(&hex(REGISTER_HEAD)).unwrap();
        assert_eq!((r.message_id, r.length), (message_id::REGISTER, 0x80));
        // Truncated (continues in the next segment): still plausible.
        assert_eq!(probe(&hex(REGISTER_HEAD)), Probe::Unsure);
        // Frame 13 starts VersionReq (version 0x12) then CapabilitiesRes.
        let two = hex("04000000120000000f00000028010000120000001000000009000000");
        let all = parse_all(&two);
        assert_eq!(all.len(), 1); // the second is truncated here
        assert_eq!(all[0].version, 0x12);
        assert_eq!(probe(&two), Probe::Certain);
    }

    #[test]
    fn other_protocols_not_for_us() {
        // h323.pcap frame 6 (TPKT) and a TLS record.
        assert_eq!(
            probe(&hex("030000a0080277f40504038090a52808")),
            Probe::NotForUs
        );
        assert_eq!(probe(&hex("160301020001000001fc0303")), Probe::NotForUs);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [IP_PORT, REG_ACK, CAP_REQ, REGISTER_HEAD] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse(&p[..n]);
                let _ = parse_all(&p[..n]);
                let _ = probe(&p[..n]);
            }
        }
        let mut seed: u64 = 29;
        for n in 0..3000 {
            let mut g: Vec<u8> = (0..n % 40)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (seed >> 33) as u8
                })
                .collect();
            if n % 2 == 0 && g.len() >= 12 {
                g[1..4].fill(0);
                g[5..8].fill(0);
                g[10..12].fill(0);
                g[0] = (n % 50) as u8;
            }
            let _ = parse(&g);
            let _ = parse_all(&g);
            let _ = probe(&g);
        }
    }
}
