//! STUN and TURN control messages: RFC 8489 (was 5389) with the magic cookie,
//! classic RFC 3489 without it, Microsoft's MS-TURN extensions and the
//! non-standard message types WhatsApp sends to its relays.
//!
//! Everything borrows from the payload: [`StunMessage`] keeps the attribute
//! bytes and [`StunAttrIter`] decodes one TLV at a time, never reading past
//! the message's declared length.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::dissect::turn_channel;
use crate::dissect::{DissectError, Probe};

/// STUN header length (RFC 8489 §5; also RFC 3489 §11.1).
pub const HEADER_LEN: usize = 20;
/// RFC 8489 §5 magic cookie; in RFC 3489 these bytes were part of a 128-bit
/// transaction ID.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

// Methods (IANA STUN registry; RFC 8489, RFC 8656, RFC 6062).
/// Binding (RFC 8489).
pub const BINDING: u16 = 0x001;
/// Shared Secret (RFC 3489 only, withdrawn by RFC 5389).
pub const SHARED_SECRET: u16 = 0x002;
/// Allocate (RFC 8656).
pub const ALLOCATE: u16 = 0x003;
/// Refresh (RFC 8656); "Send request" in MS-TURN and old TURN drafts.
pub const REFRESH: u16 = 0x004;
/// Send indication (RFC 8656).
pub const SEND: u16 = 0x006;
/// Data indication (RFC 8656).
pub const DATA: u16 = 0x007;
/// CreatePermission (RFC 8656).
pub const CREATE_PERMISSION: u16 = 0x008;
/// ChannelBind (RFC 8656).
pub const CHANNEL_BIND: u16 = 0x009;
/// Connect (RFC 6062, TURN TCP allocations).
pub const CONNECT: u16 = 0x00A;
/// ConnectionBind (RFC 6062).
pub const CONNECTION_BIND: u16 = 0x00B;
/// ConnectionAttempt (RFC 6062).
pub const CONNECTION_ATTEMPT: u16 = 0x00C;

/// Type of the Microsoft multiplexed-TURN header (MS-TURN 2.2.3).
pub const MS_MULTIPLEXED_TURN_TYPE: u16 = 0xFF10;
/// Length of that header: type, length, 8-byte session ID.
pub const MS_MULTIPLEXED_TURN_HEADER_LEN: usize = 12;

/// The class bits C1C0 of a message type (RFC 8489 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StunClass {
    Request,
    Indication,
    SuccessResponse,
    ErrorResponse,
}

impl StunClass {
    /// The class's name, as `Debug` writes it.
    pub fn name(self) -> &'static str {
        match self {
            StunClass::Request => "Request",
            StunClass::Indication => "Indication",
            StunClass::SuccessResponse => "SuccessResponse",
            StunClass::ErrorResponse => "ErrorResponse",
        }
    }

    /// Class from a message type: C0 is bit 4, C1 is bit 8.
    pub fn from_type(msg_type: u16) -> Self {
        match ((msg_type >> 7) & 0b10) | ((msg_type >> 4) & 0b01) {
            0 => StunClass::Request,
            1 => StunClass::Indication,
            2 => StunClass::SuccessResponse,
            _ => StunClass::ErrorResponse,
        }
    }
}

/// The 12-bit method interleaved with the class bits (RFC 8489 §5).
pub fn method_of(msg_type: u16) -> u16 {
    (msg_type & 0x000F) | ((msg_type & 0x00E0) >> 1) | ((msg_type & 0x3E00) >> 2)
}

/// Message types WhatsApp uses with its relays, outside the IANA registry
/// (Meta's relays: Messenger's web calls send 0x0801 to them too).
///
/// nDPI stun.c (2024) keys 0x0800–0x0802 as WhatsApp Call. The corpus shows
/// more: stun_wa_call.pcapng carries 0x0800, 0x0801, 0x0802 (20-byte,
/// cookie, no attributes), 0x0804 and 0x0805 (with 0x4007/0x4002/0x4004
/// attributes); whatsapp_voice_and_message.pcap carries 0x0800 whose length
/// (0x6a) is not a multiple of 4. We accept 0x0800–0x0805. (The values
/// 0x4000–0x4007 quoted elsewhere are WhatsApp *attribute* types, see
/// [`whatsapp_stun_attr`]; as message types their top bits would be 01.)
pub fn whatsapp_stun_type(msg_type: u16) -> bool {
    (0x0800..=0x0805).contains(&msg_type)
}

/// The class of a WhatsApp relay message, which its class bits do not
/// give (they read "request" for all of them): in every WhatsApp capture
/// at hand the device sends 0x0800 unanswered, and 0x0801 and 0x0804 to
/// the relay, which answers 0x0802 and 0x0805 with the same transaction
/// ID (stun_wa_call.pcapng, wa_video.pcap, whatsapp_login_call.pcap).
fn whatsapp_class(msg_type: u16) -> Option<StunClass> {
    match msg_type {
        0x0800 => Some(StunClass::Indication),
        0x0801 | 0x0804 => Some(StunClass::Request),
        0x0802 | 0x0805 => Some(StunClass::SuccessResponse),
        _ => None,
    }
}

/// Attribute types seen only in WhatsApp's STUN (nDPI stun.c: 0x4000–0x4004
/// and 0x4007; stun_wa_call.pcapng also shows 0x4007, 0x4002, 0x4004).
pub fn whatsapp_stun_attr(attr_type: u16) -> bool {
    matches!(attr_type, 0x4000..=0x4004 | 0x4007)
}

/// Message types defined by RFC 3489 and the TURN drafts MS-TURN builds on,
/// used to recognise classic messages that lack the cookie (the same list
/// Wireshark and nDPI stun.c use).
fn classic_type(msg_type: u16) -> bool {
    matches!(
        msg_type,
        0x0001 | 0x0101 | 0x0111 // Binding
            | 0x0002 | 0x0102 | 0x0112 // Shared Secret
            | 0x0003 | 0x0103 | 0x0113 // Allocate
            | 0x0004 | 0x0104 | 0x0114 // Send (MS-TURN)
            | 0x0115 // Data indication (MS-TURN)
            | 0x0006 | 0x0106 | 0x0116 // Set Active Destination (MS-TURN)
    )
}

/// A STUN message header plus its borrowed attribute bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StunMessage<'a> {
    /// The raw 16-bit message type.
    pub msg_type: u16,
    /// The method with the class bits removed.
    pub method: u16,
    pub class: StunClass,
    /// Whether bytes 4..8 hold the RFC 8489 magic cookie. Without it the
    /// message is classic RFC 3489 (or MS-TURN's legacy form).
    pub magic_cookie: bool,
    /// The 96-bit RFC 8489 transaction ID (bytes 8..20). For classic
    /// messages the first 32 bits of their 128-bit ID are in [`Self::xor_key`].
    pub transaction_id: [u8; 12],
    /// Bytes 4..20: cookie‖transaction ID, the XOR key of address attributes.
    xor_key: [u8; 16],
    /// Attribute bytes, exactly the declared length.
    attrs: &'a [u8],
}

impl<'a> StunMessage<'a> {
    /// Iterates the attributes; stops at the first malformed TLV.
    pub fn attributes(&self) -> StunAttrIter<'a> {
        StunAttrIter {
            rest: self.attrs,
            xor_key: self.xor_key,
            magic_cookie: self.magic_cookie,
        }
    }

    /// The raw attribute block (the declared message length).
    pub fn attribute_bytes(&self) -> &'a [u8] {
        self.attrs
    }

    /// Bytes 4..20 of the header: cookie‖transaction ID.
    pub fn xor_key(&self) -> [u8; 16] {
        self.xor_key
    }

    /// Total length on the wire: header plus attributes.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN.saturating_add(self.attrs.len())
    }

    /// Whether this is one of WhatsApp's vendor message types.
    pub fn is_whatsapp_type(&self) -> bool {
        whatsapp_stun_type(self.msg_type)
    }

    /// Whether every attribute TLV is well formed and they end exactly at
    /// the declared length (the last one may lack its padding, as WhatsApp's
    /// do).
    pub fn attributes_well_formed(&self) -> bool {
        let mut it = self.attributes();
        while it.next().is_some() {}
        it.rest.is_empty()
    }
}

/// Parses a STUN message at the start of a datagram. Bytes beyond the
/// declared length are ignored; the declared length must fit.
pub fn parse(payload: &[u8]) -> Result<StunMessage<'_>, DissectError> {
    let Some((header, body)) = payload.split_at_checked(HEADER_LEN) else {
        return Err(DissectError::Truncated {
            need: HEADER_LEN,
            have: payload.len(),
        });
    };
    let msg_type = be16(header, 0).ok_or(DissectError::NotForUs)?;
    let len = usize::from(be16(header, 2).ok_or(DissectError::NotForUs)?);
    if msg_type & 0xC000 != 0 {
        return Err(DissectError::NotForUs);
    }
    let attrs = body.get(..len).ok_or(DissectError::Truncated {
        need: HEADER_LEN.saturating_add(len),
        have: payload.len(),
    })?;
    let xor_key: [u8; 16] = header
        .get(4..20)
        .and_then(|s| s.try_into().ok())
        .ok_or(DissectError::NotForUs)?;
    let transaction_id: [u8; 12] = header
        .get(8..20)
        .and_then(|s| s.try_into().ok())
        .ok_or(DissectError::NotForUs)?;
    let magic_cookie = be32(header, 4) == Some(MAGIC_COOKIE);
    let class = match whatsapp_class(msg_type) {
        Some(class) if magic_cookie => class,
        _ => StunClass::from_type(msg_type),
    };
    Ok(StunMessage {
        msg_type,
        method: method_of(msg_type),
        class,
        magic_cookie,
        transaction_id,
        xor_key,
        attrs,
    })
}

/// Whether a UDP payload is a STUN message.
///
/// * Cookie, declared length = payload − 20, a registered method (1–0xC) or
///   a WhatsApp type, attributes well formed: `Certain`.
/// * Cookie and consistent length but an unregistered method or bad TLVs:
///   `Unsure` (vendor extensions exist).
/// * No cookie (RFC 3489): a classic message type, length a multiple of 4,
///   attributes well formed and all of classic/known types: `Certain` if it
///   has attributes, `Unsure` if empty (20 bytes say little).
/// * Anything else: `NotForUs`.
pub fn probe(payload: &[u8]) -> Probe {
    let Ok(msg) = parse(payload) else {
        return Probe::NotForUs;
    };
    if msg.wire_len() != payload.len() || msg.msg_type == 0 {
        return Probe::NotForUs;
    }
    let known_method = (BINDING..=CONNECTION_ATTEMPT).contains(&msg.method);
    if msg.magic_cookie {
        if (known_method || msg.is_whatsapp_type()) && msg.attributes_well_formed() {
            Probe::Certain
        } else {
            Probe::Unsure
        }
    } else {
        if !classic_type(msg.msg_type) || msg.attrs.len() % 4 != 0 || !msg.attributes_well_formed()
        {
            return Probe::NotForUs;
        }
        if msg.attrs.is_empty() {
            return Probe::Unsure;
        }
        let plausible = msg.attributes().all(|a| {
            let t = a.attr_type();
            t <= 0x0030 || t >= 0x8000
        });
        if plausible {
            Probe::Certain
        } else {
            Probe::Unsure
        }
    }
}

/// Splits off Microsoft's multiplexed-TURN header (MS-TURN 2.2.3): type
/// 0xFF10, a length covering everything after the length field, and an
/// 8-byte session ID, then the inner STUN/TURN message. Returns
/// `(header, inner)`; `None` unless the length matches the payload exactly.
pub fn strip_ms_multiplexed_turn(payload: &[u8]) -> Option<(&[u8], &[u8])> {
    if be16(payload, 0)? != MS_MULTIPLEXED_TURN_TYPE {
        return None;
    }
    let len = usize::from(be16(payload, 2)?);
    if len.checked_add(4)? != payload.len() {
        return None;
    }
    payload.split_at_checked(MS_MULTIPLEXED_TURN_HEADER_LEN)
}

/// The session ID inside a multiplexed-TURN header.
pub fn ms_multiplexed_session_id(header: &[u8]) -> Option<u64> {
    be64(header, 4)
}

/// Splits a TCP segment into the STUN or ChannelData messages it holds.
///
/// Handles both framings seen on the wire: RFC 4571's 2-byte length prefix
/// (used by some TURN-over-TCP clients, and what nDPI stun.c expects) and
/// bare messages back to back (RFC 8489 §6.2.2, RFC 8656 §12.5; e.g.
/// stun_tcp_multiple_msgs_same_pkt.pcap). The framing is decided on the
/// first message and kept. Stops at the first incomplete or unrecognised
/// message; yielded slices exclude prefixes and ChannelData padding.
pub fn tcp_messages(segment: &[u8]) -> impl Iterator<Item = &[u8]> {
    TcpMessages {
        rest: segment,
        framing: None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TcpFraming {
    Bare,
    Rfc4571,
}

struct TcpMessages<'a> {
    rest: &'a [u8],
    framing: Option<TcpFraming>,
}

/// Length of a bare STUN or ChannelData message at the start of `buf`, and
/// how many bytes it occupies on the stream (with ChannelData padding).
fn bare_message_len(buf: &[u8]) -> Option<(usize, usize)> {
    let first = *buf.first()?;
    if first & 0xC0 == 0 {
        let msg = parse(buf).ok()?;
        if !msg.magic_cookie || msg.attrs.len() % 4 != 0 {
            return None;
        }
        Some((msg.wire_len(), msg.wire_len()))
    } else {
        let cd = turn_channel::parse(buf)?;
        let len = turn_channel::HEADER_LEN.saturating_add(cd.data.len());
        // The last message may come without its padding.
        Some((len, cd.tcp_len().min(buf.len())))
    }
}

impl<'a> Iterator for TcpMessages<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let framing = match self.framing {
            Some(f) => f,
            None => {
                let f = if bare_message_len(self.rest).is_some() {
                    TcpFraming::Bare
                } else {
                    TcpFraming::Rfc4571
                };
                self.framing = Some(f);
                f
            }
        };
        let out = match framing {
            TcpFraming::Bare => {
                let (len, used) = bare_message_len(self.rest)?;
                let msg = self.rest.get(..len)?;
                self.rest = self.rest.get(used..)?;
                msg
            }
            TcpFraming::Rfc4571 => {
                let len = usize::from(be16(self.rest, 0)?);
                let (_, after) = self.rest.split_at_checked(2)?;
                let (msg, rest) = after.split_at_checked(len)?;
                let (inner, _) = bare_message_len(msg)?;
                if inner > len {
                    return None;
                }
                self.rest = rest;
                msg
            }
        };
        if out.is_empty() {
            self.rest = &[];
            return None;
        }
        Some(out)
    }
}

/// One decoded attribute. Unknown or oddly sized ones come back as
/// [`StunAttr::Other`] so nothing is lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StunAttr<'a> {
    /// 0x0001 MAPPED-ADDRESS (RFC 8489 §14.1).
    MappedAddress(SocketAddr),
    /// 0x0020 XOR-MAPPED-ADDRESS (RFC 8489 §14.2); also 0x8020, its number
    /// in the rfc3489bis drafts still sent by Vovida-era servers.
    XorMappedAddress(SocketAddr),
    /// 0x0016 XOR-RELAYED-ADDRESS (RFC 8656 §18.5).
    XorRelayedAddress(SocketAddr),
    /// 0x0012 XOR-PEER-ADDRESS (RFC 8656 §18.3), only in cookie messages.
    XorPeerAddress(SocketAddr),
    /// 0x802B RESPONSE-ORIGIN (RFC 5780 §7.3).
    ResponseOrigin(SocketAddr),
    /// 0x802C OTHER-ADDRESS (RFC 5780 §7.4).
    OtherAddress(SocketAddr),
    /// 0x8023 ALTERNATE-SERVER (RFC 8489 §14.15); 0x000E in MS-TURN.
    AlternateServer(SocketAddr),
    /// 0x0012 REMOTE-ADDRESS of MS-TURN 2.2.2 (draft-rosenberg TURN-08), a
    /// plain (not XOR) address, in messages without the cookie.
    MsRemoteAddress(SocketAddr),
    /// 0x0011 DESTINATION-ADDRESS of MS-TURN 2.2.2, plain address, in
    /// messages without the cookie.
    MsDestinationAddress(SocketAddr),
    /// 0x0006 USERNAME.
    Username(&'a [u8]),
    /// 0x0014 REALM (0x0015 in MS-TURN legacy messages).
    Realm(&'a [u8]),
    /// 0x0015 NONCE (0x0014 in MS-TURN legacy messages).
    Nonce(&'a [u8]),
    /// 0x8022 SOFTWARE.
    Software(&'a [u8]),
    /// 0x0024 PRIORITY (RFC 8445 §16.1).
    Priority(u32),
    /// 0x0025 USE-CANDIDATE (RFC 8445 §16.1).
    UseCandidate,
    /// 0x802A ICE-CONTROLLING tie-breaker.
    IceControlling(u64),
    /// 0x8029 ICE-CONTROLLED tie-breaker.
    IceControlled(u64),
    /// 0x0013 DATA (RFC 8656 §18.4).
    Data(&'a [u8]),
    /// 0x000D LIFETIME seconds.
    Lifetime(u32),
    /// 0x000C CHANNEL-NUMBER.
    ChannelNumber(u16),
    /// 0x0009 ERROR-CODE as class × 100 + number (e.g. 401).
    ErrorCode(u16),
    /// 0x0019 REQUESTED-TRANSPORT IP protocol number (17 = UDP).
    RequestedTransport(u8),
    /// 0x0008 MESSAGE-INTEGRITY (HMAC not checked).
    MessageIntegrity,
    /// 0x8028 FINGERPRINT (CRC not checked).
    Fingerprint,
    /// 0x8008 MS-VERSION (MS-TURN 2.2.2.17).
    MsVersion(u32),
    /// 0x8050 MS-SEQUENCE-NUMBER (MS-TURN 2.2.2.21): 20-byte connection ID
    /// and a sequence number.
    MsSequenceNumber {
        connection_id: &'a [u8],
        sequence: u32,
    },
    /// 0x8054 CANDIDATE-IDENTIFIER (MS-ICE2; libnice stunmessage.h).
    MsCandidateIdentifier(&'a [u8]),
    /// 0x8055 MS-SERVICE-QUALITY (MS-TURN 2.2.2.25): stream type
    /// (1 audio, 2 video, 3 supplemental video, 4 data) and quality.
    MsServiceQuality { stream_type: u16, quality: u16 },
    /// 0x8070 MS-IMPLEMENTATION-VERSION (MS-ICE2 2.2.2.2).
    MsImplementationVersion(u32),
    /// 0x8095 MS-MULTIPLEXED-TURN-SESSION-ID (MS-TURN 2.2.2.28).
    MsMultiplexedTurnSession(u64),
    /// 0xC057 GOOG-NETWORK-INFO (libwebrtc api/transport/stun.h): network
    /// ID in the high 16 bits, network cost in the low 16.
    GoogleNetworkInfo { network_id: u16, network_cost: u16 },
    /// 0xFF03, a Google-only attribute nDPI stun.c keys as Google Call
    /// (its meaning is undocumented).
    GoogleFf03(&'a [u8]),
    /// Any other attribute, or a known one whose value is malformed.
    Other { attr_type: u16, value: &'a [u8] },
}

impl StunAttr<'_> {
    /// The attribute type code this variant came from (for MS-TURN legacy
    /// messages, the RFC 8489 code of the same meaning).
    pub fn attr_type(&self) -> u16 {
        match self {
            StunAttr::MappedAddress(_) => 0x0001,
            StunAttr::XorMappedAddress(_) => 0x0020,
            StunAttr::XorRelayedAddress(_) => 0x0016,
            StunAttr::XorPeerAddress(_) => 0x0012,
            StunAttr::ResponseOrigin(_) => 0x802B,
            StunAttr::OtherAddress(_) => 0x802C,
            StunAttr::AlternateServer(_) => 0x8023,
            StunAttr::MsRemoteAddress(_) => 0x0012,
            StunAttr::MsDestinationAddress(_) => 0x0011,
            StunAttr::Username(_) => 0x0006,
            StunAttr::Realm(_) => 0x0014,
            StunAttr::Nonce(_) => 0x0015,
            StunAttr::Software(_) => 0x8022,
            StunAttr::Priority(_) => 0x0024,
            StunAttr::UseCandidate => 0x0025,
            StunAttr::IceControlling(_) => 0x802A,
            StunAttr::IceControlled(_) => 0x8029,
            StunAttr::Data(_) => 0x0013,
            StunAttr::Lifetime(_) => 0x000D,
            StunAttr::ChannelNumber(_) => 0x000C,
            StunAttr::ErrorCode(_) => 0x0009,
            StunAttr::RequestedTransport(_) => 0x0019,
            StunAttr::MessageIntegrity => 0x0008,
            StunAttr::Fingerprint => 0x8028,
            StunAttr::MsVersion(_) => 0x8008,
            StunAttr::MsSequenceNumber { .. } => 0x8050,
            StunAttr::MsCandidateIdentifier(_) => 0x8054,
            StunAttr::MsServiceQuality { .. } => 0x8055,
            StunAttr::MsImplementationVersion(_) => 0x8070,
            StunAttr::MsMultiplexedTurnSession(_) => 0x8095,
            StunAttr::GoogleNetworkInfo { .. } => 0xC057,
            StunAttr::GoogleFf03(_) => 0xFF03,
            StunAttr::Other { attr_type, .. } => *attr_type,
        }
    }
}

/// Iterator over a message's attributes (type, length, value, padding to 4).
#[derive(Clone, Debug)]
pub struct StunAttrIter<'a> {
    rest: &'a [u8],
    xor_key: [u8; 16],
    /// Whether attributes take RFC 8489's numbering: the header carries
    /// its cookie, and no MS-TURN MAGIC-COOKIE attribute came first.
    magic_cookie: bool,
}

impl<'a> Iterator for StunAttrIter<'a> {
    type Item = StunAttr<'a>;

    fn next(&mut self) -> Option<StunAttr<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((attr_type, value, rest)) = split_tlv(self.rest) else {
            // Malformed TLV: stop here, leaving `rest` non-empty as a marker.
            return None;
        };
        self.rest = rest;
        if attr_type == MS_TURN_MAGIC_COOKIE {
            // MS-TURN messages start with it, also under an RFC 8489
            // header (Teams' Data indications, 0x0115): theirs is the
            // legacy numbering, with REMOTE-ADDRESS a plain address.
            self.magic_cookie = false;
        }
        Some(decode_attr(
            attr_type,
            value,
            &self.xor_key,
            self.magic_cookie,
        ))
    }
}

/// MS-TURN's MAGIC-COOKIE attribute (MS-TURN 2.2.2.1).
const MS_TURN_MAGIC_COOKIE: u16 = 0x000F;

/// One TLV: type, value, and what follows its padding. A final attribute
/// may omit its padding (seen in WhatsApp messages).
fn split_tlv(buf: &[u8]) -> Option<(u16, &[u8], &[u8])> {
    let attr_type = be16(buf, 0)?;
    let len = usize::from(be16(buf, 2)?);
    let (_, after) = buf.split_at_checked(4)?;
    let (value, rest) = after.split_at_checked(len)?;
    let pad = (4 - len % 4) % 4;
    let rest = rest.get(pad..).unwrap_or(&[]);
    Some((attr_type, value, rest))
}

fn decode_attr<'a>(
    attr_type: u16,
    value: &'a [u8],
    xor_key: &[u8; 16],
    cookie: bool,
) -> StunAttr<'a> {
    let other = StunAttr::Other { attr_type, value };
    let decoded = match attr_type {
        0x0001 => plain_address(value).map(StunAttr::MappedAddress),
        0x0006 => Some(StunAttr::Username(value)),
        0x0008 => Some(StunAttr::MessageIntegrity),
        0x0009 => error_code(value).map(StunAttr::ErrorCode),
        0x000C => be16(value, 0).map(StunAttr::ChannelNumber),
        0x000D => exact_u32(value).map(StunAttr::Lifetime),
        // MS-TURN 2.2.2 (based on draft-rosenberg-midcom-turn-08) numbers
        // differ from RFC 8656: 0x000E ALTERNATE-SERVER, 0x0011
        // DESTINATION-ADDRESS, 0x0012 REMOTE-ADDRESS (both plain, not XOR),
        // 0x0014 NONCE, 0x0015 REALM. Those messages start with a
        // MAGIC-COOKIE attribute 0x000F, most under a header without RFC
        // 8489's cookie: `cookie` is false for both (`StunAttrIter`).
        0x000E if !cookie => plain_address(value).map(StunAttr::AlternateServer),
        0x0011 if !cookie => plain_address(value).map(StunAttr::MsDestinationAddress),
        0x0012 if !cookie => plain_address(value).map(StunAttr::MsRemoteAddress),
        0x0012 => xor_address(value, xor_key).map(StunAttr::XorPeerAddress),
        0x0013 => Some(StunAttr::Data(value)),
        0x0014 if !cookie => Some(StunAttr::Nonce(value)),
        0x0014 => Some(StunAttr::Realm(value)),
        0x0015 if !cookie => Some(StunAttr::Realm(value)),
        0x0015 => Some(StunAttr::Nonce(value)),
        0x0016 => xor_address(value, xor_key).map(StunAttr::XorRelayedAddress),
        0x0019 => value.first().copied().map(StunAttr::RequestedTransport),
        // Without a cookie the XOR key is the first 128 bits of the old
        // transaction ID, which is what rfc3489bis drafts (0x8020) XORed
        // with, so one rule serves both.
        0x0020 | 0x8020 => xor_address(value, xor_key).map(StunAttr::XorMappedAddress),
        0x0024 => exact_u32(value).map(StunAttr::Priority),
        0x0025 => Some(StunAttr::UseCandidate),
        0x8008 => exact_u32(value).map(StunAttr::MsVersion),
        0x8022 => Some(StunAttr::Software(value)),
        0x8023 => plain_address(value).map(StunAttr::AlternateServer),
        0x8028 => Some(StunAttr::Fingerprint),
        0x8029 => exact_u64(value).map(StunAttr::IceControlled),
        0x802A => exact_u64(value).map(StunAttr::IceControlling),
        0x802B => plain_address(value).map(StunAttr::ResponseOrigin),
        0x802C => plain_address(value).map(StunAttr::OtherAddress),
        0x8050 => value
            .split_at_checked(20)
            .and_then(|(id, seq)| Some((id, exact_u32(seq)?)))
            .map(|(connection_id, sequence)| StunAttr::MsSequenceNumber {
                connection_id,
                sequence,
            }),
        0x8054 => Some(StunAttr::MsCandidateIdentifier(value)),
        0x8055 => exact_u32(value).map(|v| StunAttr::MsServiceQuality {
            stream_type: (v >> 16) as u16,
            quality: v as u16,
        }),
        0x8070 => exact_u32(value).map(StunAttr::MsImplementationVersion),
        0x8095 => exact_u64(value).map(StunAttr::MsMultiplexedTurnSession),
        0xC057 => exact_u32(value).map(|v| StunAttr::GoogleNetworkInfo {
            network_id: (v >> 16) as u16,
            network_cost: v as u16,
        }),
        0xFF03 => Some(StunAttr::GoogleFf03(value)),
        _ => None,
    };
    decoded.unwrap_or(other)
}

/// ERROR-CODE: 21 reserved bits, 3-bit class, 8-bit number (RFC 8489 §14.8).
fn error_code(value: &[u8]) -> Option<u16> {
    let class = u16::from(*value.get(2)? & 0x07);
    let number = u16::from(*value.get(3)?);
    if !(3..=6).contains(&class) || number > 99 {
        return None;
    }
    Some(class * 100 + number)
}

/// Family 1 = IPv4 (value length 8), 2 = IPv6 (length 20).
fn plain_address(value: &[u8]) -> Option<SocketAddr> {
    address(value, &[0u8; 16])
}

/// XOR-encoded address: port ^ top 16 bits of the key, address ^ key
/// (cookie for IPv4, cookie‖transaction ID for IPv6).
fn xor_address(value: &[u8], key: &[u8; 16]) -> Option<SocketAddr> {
    address(value, key)
}

fn address(value: &[u8], key: &[u8; 16]) -> Option<SocketAddr> {
    let family = *value.get(1)?;
    let port = be16(value, 2)? ^ be16(key, 0)?;
    let ip = match (family, value.len()) {
        (1, 8) => {
            let raw: [u8; 4] = value.get(4..8)?.try_into().ok()?;
            let k: [u8; 4] = key.get(0..4)?.try_into().ok()?;
            let x = u32::from_be_bytes(raw) ^ u32::from_be_bytes(k);
            IpAddr::V4(Ipv4Addr::from(x))
        }
        (2, 20) => {
            let raw: [u8; 16] = value.get(4..20)?.try_into().ok()?;
            let x = u128::from_be_bytes(raw) ^ u128::from_be_bytes(*key);
            IpAddr::V6(Ipv6Addr::from(x))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

fn be16(buf: &[u8], off: usize) -> Option<u16> {
    let end = off.checked_add(2)?;
    Some(u16::from_be_bytes(buf.get(off..end)?.try_into().ok()?))
}

fn be32(buf: &[u8], off: usize) -> Option<u32> {
    let end = off.checked_add(4)?;
    Some(u32::from_be_bytes(buf.get(off..end)?.try_into().ok()?))
}

fn be64(buf: &[u8], off: usize) -> Option<u64> {
    let end = off.checked_add(8)?;
    Some(u64::from_be_bytes(buf.get(off..end)?.try_into().ok()?))
}

fn exact_u32(value: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(value.try_into().ok()?))
}

fn exact_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn class_names_are_debug_names() {
        for class in [
            StunClass::Request,
            StunClass::Indication,
            StunClass::SuccessResponse,
            StunClass::ErrorResponse,
        ] {
            assert_eq!(class.name(), format!("{class:?}"));
        }
    }

    use super::*;
    use crate::dissect::test_corpus::hex;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    // stun.pcap frame 26: Binding success, MAPPED-ADDRESS (IPv6).
    const STUN_MAPPED_V6: &str =
        "010100182112a44242717143766336792f6b4965000100140002de3020011670000ceb0470aff67f8e49f603";
    // stun.pcap frame 77: Send indication with XOR-PEER-ADDRESS and DATA
    // (which holds a whole Binding request).
    const STUN_SEND_IND: &str = "001600742112a4427a66435744622f7a424732430012000800018cb998b82f4300130064000100502112a442475365334b756d334e684950000600096b5374793a58704a73000000c05700040003000a802a0008f4d3bd50aee2dde700250000002400046e7f23ff00080014481f76730401d4c44eb86a455b8910d84d04b7928028000401477a4d";
    // skype-conference-call.pcap frame 7: ICE Binding request from Skype.
    const SKYPE_BINDING: &str = "000100582112a442c55a4fdfde0c325e304c60c700060009677070653a7a57796b000000002400046efffeff00250000802a00080000000000bf43178054000131000000807000040000000300080014f526a74bcb66d7bc4783b0fc2949d197bc4e7d2b802800045cb3d841";
    // stun_msteams_unidir.pcapng frame 1: Teams Binding success.
    const TEAMS_SUCCESS: &str = "010100342112a442567009c2ae00e698d98f01908070000400000007002000080001e24473a09b3900080014081c187c4cf903476de30538dee3554682a1e5d080280004513d0c54";
    // stun_dtls_rtp.pcapng frame 48 (TCP): Allocate success.
    const ALLOCATE_SUCCESS: &str = "010300382112a4425a77775047417379646b6f480016000800011db82b1fa47c000d000400000078002000080001dcf07c310e590008001416d38f29dea43de00a25fe1022d68ef87e74081d";
    // stun_dtls_rtp.pcapng frame 58 (TCP): ChannelBind request.
    const CHANNEL_BIND_REQ: &str = "000900902112a4424135494b4b63656862636b78000c00044000000000120008000125f92b1fa4700006002b434f6a76344b384745675955794c537053476f5935767a2f68374d4c4949436a42544142534e472b74695100001400117475726e2e6c2e676f6f676c652e636f6d0000000015001843744753477733634c32756b30346b4e5869516e44413d3d00080014040f5215452e441ec89aa353a531a3b15e5ca638";
    // stun_dtls_rtp.pcapng frame 46 (TCP): Allocate error 401.
    const ALLOCATE_ERROR: &str = "0113003c2112a4424d7a4a354c76737264656c630009000400000401001400117475726e2e6c2e676f6f676c652e636f6d0000000015001843744753477733634c32756b30346b4e5869516e44413d3d";
    // stun_signal.pcapng frame 8: Binding success from an RFC 5780 server.
    const SIGNAL_SUCCESS: &str = "010100402112a44263683131376e5941793631300020000800010f637c3d45510001000800012e715d2fe113802b000800010d96239eb7a7802c000800010050239eb7a7802200044e6f6e6580280004c21ec848";
    // stun_google_meet.pcapng frame 216: XOR-MAPPED-ADDRESS (IPv6).
    const MEET_XOR_V6: &str = "010100382112a4426b4f6933493237343870764100200014000293160113af456172a821019327a02a575e5f000800145aa3f076b27187c2cd59830e28a183d875f5c40a802800044b6055df";
    // stun_classic.pcap frames 1 and 2: RFC 3489 Binding request
    // (CHANGE-REQUEST) and response (MAPPED-ADDRESS), no cookie.
    const CLASSIC_REQ: &str = "000100089429ef88294dd52632c72931cb8dbb4c0003000400000000";
    const CLASSIC_RESP: &str = "0101000c9429ef88294dd52632c72931cb8dbb4c000100080001d70aac103fe0";
    // stun_wa_call.pcapng frames 47 and 426: WhatsApp vendor types.
    const WA_0801: &str = "080100002112a44270758b44c723a74ed1934a3b";
    const WA_0804: &str = "0804002c2112a4423d4dfb65296240094ddef9434007000201f400000016000800012c84bce26f7c0008001438e9eadafd9d9266384517de6d6faedc1537313c";
    // whatsapp_voice_and_message.pcap frame 88: type 0x0800, length 0x6a
    // (not a multiple of 4), single unpadded 0x4000 attribute.
    const WA_0800: &str = "0800006a2112a4420000d160e0ec785eac996a6d400000660100b2f3a431734fd3adf65555afde4c4643a213e87912e8459735685561ac67357fc456daf3234f93fcac0b22c19fa9f4d9685c8b484f4c4f06ca62c415a187cdeb3a8ebbdc5a977ca86c9aa09b81c632b045f14b51b40509664cd6b0dc4cca87bc0545adcd";
    // stun_tcp_multiple_msgs_same_pkt.pcap frame 5: three Allocate
    // requests in one TCP segment.
    const TCP_THREE: &str = "000300082112a442704b6e453952586746596c590019000411000000000300082112a442704b6e453952586746596c590019000411000000000300082112a442704b6e453952586746596c590019000411000000";

    fn attrs(h: &str) -> Vec<StunAttr<'static>> {
        let bytes: &'static [u8] = Box::leak(hex(h).into_boxed_slice());
        parse(bytes).unwrap().attributes().collect()
    }

    /// A Teams TURN server's Data indication (0x0115) under an RFC 8489
    /// header, its first attributes (a public Teams call capture,
    /// Baboushka/K3AE-MissedCall.pcapng frame 182, cut after them):
    /// MS-TURN's MAGIC-COOKIE, then REMOTE-ADDRESS as a plain address.
    const TEAMS_DATA_INDICATION: &str =
        "011500142112a442f3484308790d4cce9fe2bd96000f000472c64bc6001200080001c35b6d84c310";

    #[test]
    fn ms_turn_attributes_under_an_rfc_header_take_ms_turn_numbers() {
        let a = attrs(TEAMS_DATA_INDICATION);
        assert_eq!(a.len(), 2);
        // 0xc35b = 50011, 0x6d84c310 = 109.132.195.16: the other party's
        // Teams client port at its home address, not XOR-ed.
        assert_eq!(a[1], StunAttr::MsRemoteAddress(sa("109.132.195.16:50011")));
    }

    #[test]
    fn header_fields() {
        let b = hex(STUN_SEND_IND);
        let m = parse(&b).unwrap();
        assert_eq!(m.msg_type, 0x0016);
        assert_eq!(m.method, SEND);
        assert_eq!(m.class, StunClass::Indication);
        assert!(m.magic_cookie);
        assert_eq!(m.transaction_id, b[8..20]);
        assert_eq!(m.wire_len(), b.len());
        let b = hex(ALLOCATE_ERROR);
        let m = parse(&b).unwrap();
        assert_eq!((m.method, m.class), (ALLOCATE, StunClass::ErrorResponse));
        let b = hex(ALLOCATE_SUCCESS);
        let m = parse(&b).unwrap();
        assert_eq!((m.method, m.class), (ALLOCATE, StunClass::SuccessResponse));
        let b = hex(CHANNEL_BIND_REQ);
        let m = parse(&b).unwrap();
        assert_eq!((m.method, m.class), (CHANNEL_BIND, StunClass::Request));
    }

    #[test]
    fn mapped_ipv6_and_xor_ipv6() {
        assert_eq!(
            attrs(STUN_MAPPED_V6),
            vec![StunAttr::MappedAddress(sa(
                "[2001:1670:c:eb04:70af:f67f:8e49:f603]:56880"
            ))]
        );
        // Wireshark: 2001:b07:a3d:c112:48a1:1094:1227:281e port 45572.
        let a = attrs(MEET_XOR_V6);
        assert_eq!(
            a[0],
            StunAttr::XorMappedAddress(sa("[2001:b07:a3d:c112:48a1:1094:1227:281e]:45572"))
        );
        assert_eq!(a[1], StunAttr::MessageIntegrity);
        assert_eq!(a[2], StunAttr::Fingerprint);
    }

    #[test]
    fn send_indication_peer_and_inner_stun() {
        let a = attrs(STUN_SEND_IND);
        // Wireshark: XOR-PEER-ADDRESS 185.170.139.1:44459.
        assert_eq!(a[0], StunAttr::XorPeerAddress(sa("185.170.139.1:44459")));
        let StunAttr::Data(inner) = a[1] else {
            panic!("{:?}", a[1])
        };
        assert_eq!(inner.len(), 100);
        assert_eq!(probe(inner), Probe::Certain);
        let im = parse(inner).unwrap();
        assert_eq!(im.method, BINDING);
        let ia: Vec<_> = im.attributes().collect();
        assert_eq!(ia[0], StunAttr::Username(b"kSty:XpJs"));
        assert_eq!(
            ia[1],
            StunAttr::GoogleNetworkInfo {
                network_id: 3,
                network_cost: 10
            }
        );
        assert!(matches!(
            ia[2],
            StunAttr::IceControlling(0xf4d3bd50aee2dde7)
        ));
        assert_eq!(ia[3], StunAttr::UseCandidate);
        assert_eq!(ia[4], StunAttr::Priority(0x6e7f23ff));
    }

    #[test]
    fn skype_ice_and_ms_attributes() {
        let a = attrs(SKYPE_BINDING);
        assert_eq!(a[0], StunAttr::Username(b"gppe:zWyk"));
        assert_eq!(a[1], StunAttr::Priority(1_862_270_719));
        assert_eq!(a[2], StunAttr::UseCandidate);
        assert_eq!(a[3], StunAttr::IceControlling(0xbf4317));
        assert_eq!(a[4], StunAttr::MsCandidateIdentifier(b"1"));
        assert_eq!(a[5], StunAttr::MsImplementationVersion(3));
        assert_eq!(a[6], StunAttr::MessageIntegrity);
        assert_eq!(a[7], StunAttr::Fingerprint);
        assert_eq!(a.len(), 8);
        let t = attrs(TEAMS_SUCCESS);
        assert_eq!(t[0], StunAttr::MsImplementationVersion(7));
        // 0xe244 ^ 0x2112 = 0xc356; 0x73a09b39 ^ 0x2112a442 = 0x52b23f7b.
        assert_eq!(t[1], StunAttr::XorMappedAddress(sa("82.178.63.123:50006")));
    }

    #[test]
    fn turn_allocate_channel_bind_error() {
        let a = attrs(ALLOCATE_SUCCESS);
        // Wireshark: relayed 10.13.0.62:15530, mapped 93.35.170.27:64994.
        assert_eq!(a[0], StunAttr::XorRelayedAddress(sa("10.13.0.62:15530")));
        assert_eq!(a[1], StunAttr::Lifetime(120));
        assert_eq!(a[2], StunAttr::XorMappedAddress(sa("93.35.170.27:64994")));
        let c = attrs(CHANNEL_BIND_REQ);
        assert_eq!(c[0], StunAttr::ChannelNumber(0x4000));
        assert!(matches!(c[1], StunAttr::XorPeerAddress(_)));
        assert!(matches!(c[2], StunAttr::Username(u) if u.len() == 0x2b));
        assert_eq!(c[3], StunAttr::Realm(b"turn.l.google.com"));
        assert_eq!(c[4], StunAttr::Nonce(b"CtGSGw3cL2uk04kNXiQnDA=="));
        let e = attrs(ALLOCATE_ERROR);
        assert_eq!(e[0], StunAttr::ErrorCode(401));
        assert_eq!(e[1], StunAttr::Realm(b"turn.l.google.com"));
    }

    #[test]
    fn rfc5780_addresses_and_software() {
        let a = attrs(SIGNAL_SUCCESS);
        assert!(matches!(a[0], StunAttr::XorMappedAddress(_)));
        // Wireshark: 93.47.225.19:11889, origin 35.158.183.167:3478,
        // other 35.158.183.167:80.
        assert_eq!(a[1], StunAttr::MappedAddress(sa("93.47.225.19:11889")));
        assert_eq!(a[0], StunAttr::XorMappedAddress(sa("93.47.225.19:11889")));
        assert_eq!(a[2], StunAttr::ResponseOrigin(sa("35.158.183.167:3478")));
        assert_eq!(a[3], StunAttr::OtherAddress(sa("35.158.183.167:80")));
        assert_eq!(a[4], StunAttr::Software(b"None"));
    }

    #[test]
    fn classic_rfc3489() {
        let b = hex(CLASSIC_REQ);
        let m = parse(&b).unwrap();
        assert!(!m.magic_cookie);
        assert_eq!(m.method, BINDING);
        assert_eq!(
            m.attributes().collect::<Vec<_>>(),
            vec![StunAttr::Other {
                attr_type: 0x0003,
                value: &[0, 0, 0, 0]
            }]
        );
        assert_eq!(probe(&b), Probe::Certain);
        let b = hex(CLASSIC_RESP);
        assert_eq!(probe(&b), Probe::Certain);
        assert_eq!(
            attrs(CLASSIC_RESP),
            vec![StunAttr::MappedAddress(sa("172.16.63.224:55050"))]
        );
        // No cookie and an unknown type: not classic STUN.
        let mut bad = b.clone();
        bad[1] = 0x05;
        assert_eq!(probe(&bad), Probe::NotForUs);
        // Empty classic Binding request: only Unsure.
        assert_eq!(
            probe(
                &b[..20]
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| if i == 3 { 0 } else { x })
                    .collect::<Vec<_>>()
            ),
            Probe::Unsure
        );
    }

    #[test]
    fn ms_turn_legacy_numbering_without_cookie() {
        // Synthetic MS-TURN-style Send request (no RFC 8489 cookie):
        // 0x0012 REMOTE-ADDRESS is a plain address, 0x0015 is REALM.
        let b = hex(concat!(
            "0004001c",
            "0102030405060708090a0b0c0d0e0f10",
            "000f000472c64bc6",
            "0012000800010d96c0000201",
            "001500047878787a"
        ));
        let a: Vec<_> = parse(&b).unwrap().attributes().collect();
        assert_eq!(
            a[0],
            StunAttr::Other {
                attr_type: 0x000F,
                value: &[0x72, 0xc6, 0x4b, 0xc6]
            }
        );
        assert_eq!(a[1], StunAttr::MsRemoteAddress(sa("192.0.2.1:3478")));
        assert_eq!(a[2], StunAttr::Realm(b"xxxz"));
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn ms_service_quality_and_sequence() {
        let b = hex(concat!(
            "00030024",
            "2112a442",
            "000000000000000000000001",
            "805500040001000280500018",
            "0102030405060708090a0b0c0d0e0f1011121314",
            "00000007"
        ));
        let a: Vec<_> = parse(&b).unwrap().attributes().collect();
        assert_eq!(
            a[0],
            StunAttr::MsServiceQuality {
                stream_type: 1,
                quality: 2
            }
        );
        assert!(
            matches!(a[1], StunAttr::MsSequenceNumber { connection_id, sequence: 7 } if connection_id.len() == 20)
        );
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn whatsapp_types() {
        assert!(whatsapp_stun_type(0x0800));
        assert!(whatsapp_stun_type(0x0805));
        assert!(!whatsapp_stun_type(0x0001));
        assert!(!whatsapp_stun_type(0x4000));
        let b = hex(WA_0801);
        assert_eq!(probe(&b), Probe::Certain);
        assert!(parse(&b).unwrap().is_whatsapp_type());
        // The device's request and keep-alive, the relay's answer: the
        // class bits of all three read "request".
        assert_eq!(parse(&b).unwrap().class, StunClass::Request);
        assert_eq!(parse(&hex(WA_0800)).unwrap().class, StunClass::Indication);
        let mut answer = b.clone();
        answer[1] = 0x02;
        assert_eq!(parse(&answer).unwrap().class, StunClass::SuccessResponse);
        // Without the cookie the type is no WhatsApp message.
        answer[4] = 0;
        assert_eq!(parse(&answer).unwrap().class, StunClass::Request);
        let a = attrs(WA_0804);
        assert_eq!(
            a[0],
            StunAttr::Other {
                attr_type: 0x4007,
                value: &[0x01, 0xf4]
            }
        );
        assert!(whatsapp_stun_attr(a[0].attr_type()));
        // 0x2c84 ^ 0x2112 = 3478; 0xbce26f7c ^ 0x2112a442 = 157.240.203.62.
        assert_eq!(a[1], StunAttr::XorRelayedAddress(sa("157.240.203.62:3478")));
        let b = hex(WA_0800);
        let m = parse(&b).unwrap();
        assert!(m.is_whatsapp_type());
        assert!(m.attributes_well_formed());
        let a: Vec<_> = m.attributes().collect();
        assert_eq!(a.len(), 1);
        assert!(
            matches!(a[0], StunAttr::Other { attr_type: 0x4000, value } if value.len() == 0x66)
        );
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn probe_rejects_and_doubts() {
        let b = hex(TEAMS_SUCCESS);
        assert_eq!(probe(&b), Probe::Certain);
        // Trailing byte: length no longer matches the datagram.
        let mut t = b.clone();
        t.push(0);
        assert_eq!(probe(&t), Probe::NotForUs);
        assert!(parse(&t).is_ok());
        // Top bits set (RTP-like).
        let mut r = b.clone();
        r[0] = 0x80;
        assert_eq!(probe(&r), Probe::NotForUs);
        assert_eq!(parse(&r), Err(DissectError::NotForUs));
        // Cookie but unregistered method: Unsure.
        let mut u = b.clone();
        u[1] = 0x3f;
        assert_eq!(probe(&u), Probe::Unsure);
        // Truncated.
        assert!(matches!(
            parse(&b[..30]),
            Err(DissectError::Truncated { need: 72, have: 30 })
        ));
    }

    #[test]
    fn ms_multiplexed_turn_header() {
        let inner = hex(TEAMS_SUCCESS);
        let mut m = hex("ff10");
        m.extend_from_slice(&((inner.len() + 8) as u16).to_be_bytes());
        m.extend_from_slice(&hex("0011223344556677"));
        m.extend_from_slice(&inner);
        let (h, i) = strip_ms_multiplexed_turn(&m).unwrap();
        assert_eq!(h.len(), 12);
        assert_eq!(i, &inner[..]);
        assert_eq!(ms_multiplexed_session_id(h), Some(0x0011223344556677));
        assert_eq!(probe(i), Probe::Certain);
        assert!(strip_ms_multiplexed_turn(&m[..m.len() - 1]).is_none());
        assert!(strip_ms_multiplexed_turn(&inner).is_none());
    }

    #[test]
    fn tcp_bare_back_to_back() {
        let seg = hex(TCP_THREE);
        let msgs: Vec<_> = tcp_messages(&seg).collect();
        assert_eq!(msgs.len(), 3);
        for m in &msgs {
            assert_eq!(m.len(), 28);
            let p = parse(m).unwrap();
            assert_eq!(p.method, ALLOCATE);
            assert_eq!(
                p.attributes().next(),
                Some(StunAttr::RequestedTransport(17))
            );
        }
        // Cut in the middle of the third: only two complete ones.
        assert_eq!(tcp_messages(&seg[..70]).count(), 2);
    }

    #[test]
    fn tcp_rfc4571_and_channel_data() {
        let a = hex(ALLOCATE_SUCCESS);
        let e = hex(ALLOCATE_ERROR);
        let mut seg = Vec::new();
        for m in [&a, &e] {
            seg.extend_from_slice(&(m.len() as u16).to_be_bytes());
            seg.extend_from_slice(m);
        }
        let got: Vec<_> = tcp_messages(&seg).collect();
        assert_eq!(got, vec![&a[..], &e[..]]);
        // Bare: STUN then a padded ChannelData then STUN.
        let mut seg = a.clone();
        seg.extend_from_slice(&hex("40000005aabbccddee000000"));
        seg.extend_from_slice(&e);
        let got: Vec<_> = tcp_messages(&seg).collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[1], &hex("40000005aabbccddee")[..]);
        assert_eq!(got[2], &e[..]);
    }

    #[test]
    fn malformed_tlv_stops_iteration() {
        let mut b = hex(SKYPE_BINDING);
        // Make USERNAME's length run past the end of the message.
        b[22] = 0x01;
        let m = parse(&b).unwrap();
        assert_eq!(m.attributes().count(), 0);
        assert!(!m.attributes_well_formed());
        assert_eq!(probe(&b), Probe::Unsure);
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        for h in [
            STUN_MAPPED_V6,
            STUN_SEND_IND,
            SKYPE_BINDING,
            TEAMS_SUCCESS,
            ALLOCATE_SUCCESS,
            CHANNEL_BIND_REQ,
            ALLOCATE_ERROR,
            SIGNAL_SUCCESS,
            MEET_XOR_V6,
            CLASSIC_REQ,
            CLASSIC_RESP,
            WA_0801,
            WA_0804,
            WA_0800,
            TCP_THREE,
        ] {
            let b = hex(h);
            for n in 0..=b.len() {
                let p = &b[..n];
                let _ = probe(p);
                if let Ok(m) = parse(p) {
                    let _ = m.attributes().count();
                }
                let _ = strip_ms_multiplexed_turn(p);
                let _ = tcp_messages(p).count();
            }
        }
        let mut x: u32 = 0x1234_5678;
        let mut buf = [0u8; 96];
        for round in 0..5000u32 {
            for b in buf.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *b = (x >> 16) as u8;
            }
            // Bias towards STUN-looking headers so the attribute walk runs.
            buf[0] &= 0x0f;
            if round % 2 == 0 {
                buf[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
                buf[2] = 0;
                buf[3] &= 0x4f;
            }
            let n = (x as usize) % (buf.len() + 1);
            let p = &buf[..n];
            let _ = probe(p);
            if let Ok(m) = parse(p) {
                for a in m.attributes() {
                    let _ = a.attr_type();
                }
            }
            let _ = tcp_messages(p).count();
            let _ = strip_ms_multiplexed_turn(p);
        }
    }
}
