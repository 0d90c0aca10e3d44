//! QUIC Initial packets: the server name a client asks for.
//!
//! Client Initial packets are encrypted with keys anyone can derive from the
//! Destination Connection ID (RFC 9001 §5.2), so a passive observer can read
//! the TLS ClientHello in their CRYPTO frames. Steps: remove header protection
//! (§5.4, AES-128-ECB on a 16-byte sample), open the AEAD (AES-128-GCM,
//! nonce = IV xor packet number, §5.3), walk the frames (RFC 9000 §19),
//! reassemble CRYPTO data by offset, and parse the ClientHello with
//! [`super::tls::parse_client_hello_message`].
//!
//! Also handled: drafts 22–34, mvfst (Facebook), QUIC v2 (RFC 9369), Google
//! QUIC T050/T051 (TLS) and Q050 (encrypted CHLO), and the older Google QUIC
//! Q0xx versions whose CHLO tag list carries the SNI in clear.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes_gcm::aead::AeadInPlace;
use aes_gcm::Aes128Gcm;
use hkdf::Hkdf;
use sha2::Sha256;

use super::tls;
use super::Probe;

/// QUIC v1 (RFC 9000).
const V1: u32 = 0x0000_0001;
/// QUIC v2 (RFC 9369 §3.1).
const V2: u32 = 0x6b33_43cf;
/// Google QUIC with QUIC crypto (Q050) and with TLS (T050, T051); nDPI quic.c.
const Q050: u32 = 0x5130_3530;
const T050: u32 = 0x5430_3530;
const T051: u32 = 0x5430_3531;
/// mvfst (Facebook) versions; their drafts per nDPI quic.c.
const MVFST_22: u32 = 0xface_b001;
const MVFST_27: u32 = 0xface_b002;
const MVFST_EXP: u32 = 0xface_b00e;

/// Initial salts. v1: RFC 9001 §5.2; v2: RFC 9369 §3.3.1; drafts: the
/// draft-ietf-quic-tls documents; Google: nDPI quic.c / Wireshark.
const SALT_V1: [u8; 20] = [
    0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad,
    0xcc, 0xbb, 0x7f, 0x0a,
];
const SALT_V2: [u8; 20] = [
    0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb,
    0xf9, 0xbd, 0x2e, 0xd9,
];
const SALT_DRAFT_22: [u8; 20] = [
    0x7f, 0xbc, 0xdb, 0x0e, 0x7c, 0x66, 0xbb, 0xe9, 0x19, 0x3a, 0x96, 0xcd, 0x21, 0x51, 0x9e, 0xbd,
    0x7a, 0x02, 0x64, 0x4a,
];
const SALT_DRAFT_23: [u8; 20] = [
    0xc3, 0xee, 0xf7, 0x12, 0xc7, 0x2e, 0xbb, 0x5a, 0x11, 0xa7, 0xd2, 0x43, 0x2b, 0xb4, 0x63, 0x65,
    0xbe, 0xf9, 0xf5, 0x02,
];
const SALT_DRAFT_29: [u8; 20] = [
    0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97, 0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0,
    0x43, 0x90, 0xa8, 0x99,
];
const SALT_Q050: [u8; 20] = [
    0x50, 0x45, 0x74, 0xef, 0xd0, 0x66, 0xfe, 0x2f, 0x9d, 0x94, 0x5c, 0xfc, 0xdb, 0xd3, 0xa7, 0xf0,
    0xd3, 0xb5, 0x6b, 0x45,
];
const SALT_T050: [u8; 20] = [
    0x7f, 0xf5, 0x79, 0xe5, 0xac, 0xd0, 0x72, 0x91, 0x55, 0x80, 0x30, 0x4c, 0x43, 0xa2, 0x36, 0x7c,
    0x60, 0x48, 0x83, 0x10,
];
const SALT_T051: [u8; 20] = [
    0x7a, 0x4e, 0xde, 0xf4, 0xe7, 0xcc, 0xee, 0x5f, 0xa4, 0x50, 0x6c, 0x19, 0x12, 0x4f, 0xc8, 0xcc,
    0xda, 0x6e, 0x03, 0x3d,
];

/// CRYPTO bytes kept per connection attempt; a ClientHello larger than this
/// (post-quantum key shares reach ~2 KiB; 16 KiB is ample) is given up.
pub const MAX_CRYPTO_BYTES: usize = 16 * 1024;
/// Largest connection ID (RFC 9000 §17.2).
const MAX_CID_LEN: usize = 20;
/// Clients pad Initial datagrams to at least 1200 bytes (RFC 9000 §14.1).
const MIN_CLIENT_INITIAL: usize = 1200;
const TAG_LEN: usize = 16;
const SAMPLE_LEN: usize = 16;

/// How a version protects its Initial packets, if we know it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct InitialSuite {
    salts: &'static [[u8; 20]],
    /// HKDF label prefix: "quic " or "quicv2 " (RFC 9369 §3.3.2).
    v2_labels: bool,
    /// Long-header type bits that mean Initial (v2 swapped them, §3.2).
    initial_type: u8,
    /// Q050 carries QUIC-crypto CHLO, not a TLS ClientHello.
    gquic_chlo: bool,
    /// Google T05x/Q050 number their CRYPTO frame 0x08 (nDPI quic.c).
    google_frames: bool,
}

fn suite(version: u32) -> Option<InitialSuite> {
    let tls = |salts: &'static [[u8; 20]]| InitialSuite {
        salts,
        v2_labels: false,
        initial_type: 0,
        gquic_chlo: false,
        google_frames: false,
    };
    let google = |salt: &'static [[u8; 20]]| InitialSuite {
        google_frames: true,
        ..tls(salt)
    };
    match version {
        V1 => Some(tls(&[SALT_V1])),
        V2 => Some(InitialSuite {
            salts: &[SALT_V2],
            v2_labels: true,
            initial_type: 1,
            gquic_chlo: false,
            google_frames: false,
        }),
        T050 => Some(google(&[SALT_T050])),
        T051 => Some(google(&[SALT_T051])),
        Q050 => Some(InitialSuite {
            gquic_chlo: true,
            ..google(&[SALT_Q050])
        }),
        MVFST_22 => Some(tls(&[SALT_DRAFT_22])),
        MVFST_27 | MVFST_EXP => Some(tls(&[SALT_DRAFT_23])),
        v if v >> 8 == 0x00ff_0000 => match v & 0xff {
            0..=22 => Some(tls(&[SALT_DRAFT_22])),
            23..=28 => Some(tls(&[SALT_DRAFT_23])),
            29..=32 => Some(tls(&[SALT_DRAFT_29])),
            _ => Some(tls(&[SALT_V1])),
        },
        // 0x?a?a?a?a forces version negotiation (RFC 9000 §15); the packet
        // itself is protected as the client's real version: try the usual.
        v if v & 0x0f0f_0f0f == 0x0a0a_0a0a => Some(tls(&[SALT_DRAFT_29, SALT_V1])),
        _ => None,
    }
}

/// Google QUIC versions before Q050 ("Q0" + two digits), which send the CHLO
/// unencrypted.
fn is_legacy_gquic(version: &[u8]) -> bool {
    matches!(version, [b'Q', b'0', a, b] if a.is_ascii_digit() && b.is_ascii_digit())
}

/// Cheap check of a UDP payload. `Certain`: a long-header packet of a known
/// version whose type is Initial in a datagram of at least 1200 bytes, or an
/// old Google QUIC packet with a version. `Unsure`: other long headers of a
/// known version. Short-header packets cannot be told from noise: `NotForUs`.
pub fn probe(payload: &[u8]) -> Probe {
    let Some(&b0) = payload.first() else {
        return Probe::NotForUs;
    };
    // Old gQUIC public header: flags (0x01 = version present, 0x08 = 8-byte
    // CID), CID, version "Q0xx" (nDPI quic.c).
    if b0 & 0x80 == 0 && b0 & 0x09 == 0x09 && payload.get(9..13).is_some_and(is_legacy_gquic) {
        return Probe::Certain;
    }
    if b0 & 0xc0 != 0xc0 {
        return Probe::NotForUs;
    }
    let Some(version) = read_u32(payload, 1) else {
        return Probe::NotForUs;
    };
    if payload.get(1..5).is_some_and(is_legacy_gquic) {
        return Probe::Certain; // Q046: long-header-like, CHLO in clear
    }
    let Some(s) = suite(version) else {
        return Probe::NotForUs;
    };
    let dcid_ok = payload
        .get(5)
        .is_some_and(|&l| usize::from(l) <= MAX_CID_LEN);
    if !dcid_ok {
        return Probe::NotForUs;
    }
    if (b0 >> 4) & 0x03 == s.initial_type && payload.len() >= MIN_CLIENT_INITIAL {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

/// The server name in one client datagram (coalesced packets included), when
/// the whole ClientHello fits in it.
pub fn initial_server_name(datagram: &[u8]) -> Option<String> {
    let mut a = QuicInitialAssembler::new();
    a.push(datagram)
}

/// Collects CRYPTO data from a client's Initial datagrams until the
/// ClientHello is complete (it may span several datagrams, e.g. with large
/// post-quantum key shares). Bounded by [`MAX_CRYPTO_BYTES`].
#[derive(Debug, Default)]
pub struct QuicInitialAssembler {
    /// DCID of the first Initial: keys come from it even if later Initials
    /// carry another DCID (RFC 9001 §5.2).
    first_dcid: Option<Vec<u8>>,
    /// (offset, bytes) as received; merged on demand.
    fragments: Vec<(usize, Vec<u8>)>,
    stored: usize,
    complete: bool,
    alpn_first: Option<Vec<u8>>,
}

impl QuicInitialAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// True once a whole ClientHello (or CHLO) has been read, with or
    /// without a server name; later pushes return `None`.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// First ALPN protocol of the completed ClientHello.
    pub fn alpn_first(&self) -> Option<&[u8]> {
        self.alpn_first.as_deref()
    }

    /// Feeds one client→server datagram. Returns the server name the first
    /// time the ClientHello is complete and names one.
    pub fn push(&mut self, datagram: &[u8]) -> Option<String> {
        if self.complete {
            return None;
        }
        if let Some(name) = self.legacy_gquic(datagram) {
            return name;
        }
        let mut rest = datagram;
        // Coalesced packets (RFC 9000 §12.2): walk every long-header packet.
        while let Some(header) = LongHeader::parse(rest) {
            let (packet, next) = rest.split_at_checked(header.packet_end)?;
            if header.is_initial {
                if let Some(plain) = self.open(&header, packet) {
                    if header.suite.gquic_chlo {
                        if let Some(sni) = find_chlo_sni(&plain) {
                            self.complete = true;
                            return sni;
                        }
                    } else {
                        self.take_frames(&plain, header.suite.google_frames);
                    }
                }
            }
            rest = next;
        }
        self.try_hello()
    }

    /// Old Google QUIC: `Some(result)` when the datagram is one.
    fn legacy_gquic(&mut self, datagram: &[u8]) -> Option<Option<String>> {
        let b0 = *datagram.first()?;
        let legacy = (b0 & 0x80 == 0 && datagram.get(9..13).is_some_and(is_legacy_gquic))
            || (b0 & 0xc0 == 0xc0 && datagram.get(1..5).is_some_and(is_legacy_gquic));
        if !legacy {
            return None;
        }
        let sni = find_chlo_sni(datagram)?;
        self.complete = true;
        Some(sni)
    }

    fn open(&mut self, header: &LongHeader<'_>, packet: &[u8]) -> Option<Vec<u8>> {
        let own = decrypt_initial(header, header.dcid, packet);
        if own.is_some() {
            if self.first_dcid.is_none() {
                self.first_dcid = Some(header.dcid.to_vec());
            }
            return own;
        }
        let first = self.first_dcid.as_deref()?;
        decrypt_initial(header, first, packet)
    }

    fn take_frames(&mut self, plain: &[u8], google: bool) {
        for (offset, data) in crypto_frames(plain, google) {
            let end = offset.saturating_add(data.len());
            if end > MAX_CRYPTO_BYTES || self.stored + data.len() > MAX_CRYPTO_BYTES {
                continue;
            }
            self.stored += data.len();
            self.fragments.push((offset, data.to_vec()));
        }
    }

    /// Merges fragments from offset 0 and parses once the message is whole.
    fn try_hello(&mut self) -> Option<String> {
        self.fragments.sort_by_key(|(o, _)| *o);
        let mut buf: Vec<u8> = Vec::new();
        for (offset, data) in &self.fragments {
            if *offset > buf.len() {
                break; // hole
            }
            let skip = buf.len() - offset;
            if let Some(tail) = data.get(skip..) {
                buf.extend_from_slice(tail);
            }
        }
        let len_bytes = buf.get(1..4)?;
        let body_len = len_bytes
            .iter()
            .fold(0usize, |acc, &b| acc << 8 | usize::from(b));
        let msg = buf.get(..4 + body_len)?;
        self.complete = true;
        let hello = tls::parse_client_hello_message(msg).ok()?;
        self.alpn_first = hello.alpn_first.map(<[u8]>::to_vec);
        hello.sni.map(str::to_owned)
    }
}

/// The parts of a long header needed to unprotect an Initial.
struct LongHeader<'a> {
    suite: InitialSuite,
    is_initial: bool,
    dcid: &'a [u8],
    /// Offset of the (protected) packet number.
    pn_offset: usize,
    /// End of this packet within the datagram (Length field, §17.2).
    packet_end: usize,
}

impl<'a> LongHeader<'a> {
    fn parse(d: &'a [u8]) -> Option<Self> {
        let b0 = *d.first()?;
        if b0 & 0xc0 != 0xc0 {
            return None;
        }
        let suite = suite(read_u32(d, 1)?)?;
        let kind = (b0 >> 4) & 0x03;
        let is_initial = kind == suite.initial_type;
        // Retry has no Length field (v1 type 3, v2 type 0): nothing follows.
        let retry_type = if suite.v2_labels { 0 } else { 3 };
        if kind == retry_type {
            return None;
        }
        let mut pos = 5;
        let dcid_len = usize::from(*d.get(pos)?);
        if dcid_len > MAX_CID_LEN {
            return None;
        }
        let dcid = d.get(pos + 1..pos + 1 + dcid_len)?;
        pos += 1 + dcid_len;
        let scid_len = usize::from(*d.get(pos)?);
        if scid_len > MAX_CID_LEN {
            return None;
        }
        pos += 1 + scid_len;
        if is_initial {
            let (token_len, n) = varint(d.get(pos..)?)?;
            pos = pos
                .checked_add(n)?
                .checked_add(usize::try_from(token_len).ok()?)?;
        }
        let (length, n) = varint(d.get(pos..)?)?;
        let pn_offset = pos + n;
        let packet_end = pn_offset.checked_add(usize::try_from(length).ok()?)?;
        if packet_end > d.len() {
            return None;
        }
        Some(LongHeader {
            suite,
            is_initial,
            dcid,
            pn_offset,
            packet_end,
        })
    }
}

/// RFC 9000 §16 variable-length integer: value and its encoded length.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    let bytes = b.get(..len)?;
    let mut v = u64::from(first & 0x3f);
    for &x in bytes.get(1..)? {
        v = v << 8 | u64::from(x);
    }
    Some((v, len))
}

fn read_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([
        *s.first()?,
        *s.get(1)?,
        *s.get(2)?,
        *s.get(3)?,
    ]))
}

/// Client Initial key material (RFC 9001 §5.1–5.2).
struct InitialKeys {
    key: [u8; 16],
    iv: [u8; 12],
    hp: [u8; 16],
}

/// HKDF-Expand-Label (RFC 8446 §7.1) with an empty context.
fn expand_label(prk: &Hkdf<Sha256>, label: &str, out: &mut [u8]) -> Option<()> {
    let out_len = u16::try_from(out.len()).ok()?;
    let full_len = u8::try_from(6 + label.len()).ok()?;
    let mut info = Vec::with_capacity(4 + usize::from(full_len));
    info.extend_from_slice(&out_len.to_be_bytes());
    info.push(full_len);
    info.extend_from_slice(b"tls13 ");
    info.extend_from_slice(label.as_bytes());
    info.push(0);
    prk.expand(&info, out).ok()
}

fn initial_keys(salt: &[u8; 20], dcid: &[u8], v2_labels: bool) -> Option<InitialKeys> {
    let (_, initial) = Hkdf::<Sha256>::extract(Some(salt), dcid);
    let mut client = [0u8; 32];
    expand_label(&initial, "client in", &mut client)?;
    let client = Hkdf::<Sha256>::from_prk(&client).ok()?;
    let (lk, liv, lhp) = if v2_labels {
        ("quicv2 key", "quicv2 iv", "quicv2 hp")
    } else {
        ("quic key", "quic iv", "quic hp")
    };
    let mut keys = InitialKeys {
        key: [0; 16],
        iv: [0; 12],
        hp: [0; 16],
    };
    expand_label(&client, lk, &mut keys.key)?;
    expand_label(&client, liv, &mut keys.iv)?;
    expand_label(&client, lhp, &mut keys.hp)?;
    Some(keys)
}

/// Removes header protection and opens the payload of one Initial packet
/// (`packet` = exactly this packet), trying each salt of the version.
fn decrypt_initial(header: &LongHeader<'_>, dcid: &[u8], packet: &[u8]) -> Option<Vec<u8>> {
    header.suite.salts.iter().find_map(|salt| {
        decrypt_with(
            header,
            &initial_keys(salt, dcid, header.suite.v2_labels)?,
            packet,
        )
    })
}

fn decrypt_with(header: &LongHeader<'_>, keys: &InitialKeys, packet: &[u8]) -> Option<Vec<u8>> {
    let pn_offset = header.pn_offset;
    // The sample assumes a 4-byte packet number (RFC 9001 §5.4.2).
    let sample = packet.get(pn_offset + 4..pn_offset + 4 + SAMPLE_LEN)?;
    let mut mask = aes::Block::default();
    mask.copy_from_slice(sample);
    aes::Aes128::new(&keys.hp.into()).encrypt_block(&mut mask);
    let b0 = *packet.first()? ^ (mask.first()? & 0x0f);
    let pn_len = usize::from(b0 & 0x03) + 1;
    let header_end = pn_offset + pn_len;
    let mut aad = packet.get(..header_end)?.to_vec();
    *aad.first_mut()? = b0;
    let mut pn = 0u64;
    for i in 0..pn_len {
        let byte = aad.get_mut(pn_offset + i)?;
        *byte ^= *mask.get(1 + i)?;
        pn = pn << 8 | u64::from(*byte);
    }
    let mut nonce = keys.iv;
    for (n, p) in nonce.iter_mut().skip(4).zip(pn.to_be_bytes()) {
        *n ^= p;
    }
    let body = packet.get(header_end..)?;
    let tag_at = body.len().checked_sub(TAG_LEN)?;
    let (ciphertext, tag) = body.split_at_checked(tag_at)?;
    let mut plain = ciphertext.to_vec();
    let tag: [u8; TAG_LEN] = tag.try_into().ok()?;
    Aes128Gcm::new(&keys.key.into())
        .decrypt_in_place_detached(&nonce.into(), &aad, &mut plain, &tag.into())
        .ok()?;
    Some(plain)
}

/// Frame types allowed in Initial packets (RFC 9000 §12.4, §19).
const FRAME_PADDING: u64 = 0x00;
const FRAME_PING: u64 = 0x01;
const FRAME_ACK: u64 = 0x02;
const FRAME_ACK_ECN: u64 = 0x03;
const FRAME_CRYPTO: u64 = 0x06;
const FRAME_CLOSE_TRANSPORT: u64 = 0x1c;
const FRAME_CLOSE_APP: u64 = 0x1d;
/// Google QUIC T05x/Q050 CRYPTO frame (nDPI quic.c).
const FRAME_GOOGLE_CRYPTO: u64 = 0x08;

/// The CRYPTO frames of a decrypted Initial payload as (offset, data); stops
/// at the first unknown or malformed frame. `google`: frame 0x08 is CRYPTO.
fn crypto_frames(plain: &[u8], google: bool) -> Vec<(usize, &[u8])> {
    let mut out = Vec::new();
    let mut rest = plain;
    while let Some((ty, n)) = varint(rest) {
        rest = rest.get(n..).unwrap_or_default();
        let step = match ty {
            FRAME_PADDING | FRAME_PING => Some(rest),
            FRAME_ACK | FRAME_ACK_ECN => skip_ack(rest, ty == FRAME_ACK_ECN),
            t if t == FRAME_CRYPTO || (google && t == FRAME_GOOGLE_CRYPTO) => (|| {
                let (offset, a) = varint(rest)?;
                let (len, b) = varint(rest.get(a..)?)?;
                let start = a + b;
                let end = start.checked_add(usize::try_from(len).ok()?)?;
                let data = rest.get(start..end)?;
                out.push((usize::try_from(offset).ok()?, data));
                rest.get(end..)
            })(),
            FRAME_CLOSE_TRANSPORT | FRAME_CLOSE_APP => (|| {
                let mut r = skip_varints(rest, if ty == FRAME_CLOSE_TRANSPORT { 2 } else { 1 })?;
                let (len, n) = varint(r)?;
                r = r.get(n..)?;
                r.get(usize::try_from(len).ok()?..)
            })(),
            _ => None,
        };
        match step {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

fn skip_varints(mut b: &[u8], count: u64) -> Option<&[u8]> {
    for _ in 0..count {
        let (_, n) = varint(b)?;
        b = b.get(n..)?;
    }
    Some(b)
}

/// ACK frame body (RFC 9000 §19.3): largest, delay, range count, first
/// range, then count × (gap, length), then 3 ECN counts for type 0x03.
fn skip_ack(b: &[u8], ecn: bool) -> Option<&[u8]> {
    let b = skip_varints(b, 2)?;
    let (ranges, n) = varint(b)?;
    let b = b.get(n..)?;
    let b = skip_varints(b, 1)?;
    // Each range needs at least 2 bytes: bound the loop by the input.
    if ranges > b.len() as u64 {
        return None;
    }
    let b = skip_varints(b, ranges * 2)?;
    if ecn {
        skip_varints(b, 3)
    } else {
        Some(b)
    }
}

/// QUIC-crypto handshake message "CHLO" (Google QUIC crypto protocol doc):
/// tag "CHLO", u16 LE tag count, u16 padding, then (tag, u32 LE end offset)
/// pairs, then the values. Returns `Some(sni)` once a CHLO is found.
fn find_chlo_sni(data: &[u8]) -> Option<Option<String>> {
    let at = memchr::memmem::find(data, b"CHLO")?;
    let msg = data.get(at + 4..)?;
    let count = usize::from(u16::from_le_bytes([*msg.first()?, *msg.get(1)?]));
    let table = msg.get(4..4 + count * 8)?;
    let values = msg.get(4 + count * 8..)?;
    let mut start = 0usize;
    for entry in table.chunks_exact(8) {
        let end = u32::from_le_bytes(entry.get(4..8)?.try_into().ok()?) as usize;
        if entry.get(..4) == Some(b"SNI\0") {
            let name = values.get(start..end)?;
            return Some(std::str::from_utf8(name).ok().map(str::to_owned));
        }
        start = end;
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{hex, lcg_bytes, payloads};

    /// First server name found per client flow (by source port), in order,
    /// pushing every datagram of the flow to its own assembler.
    fn names(file: &str) -> Option<Vec<String>> {
        let ps = payloads(file)?;
        let mut flows: Vec<(u16, u16, QuicInitialAssembler)> = Vec::new();
        let mut out = Vec::new();
        for p in ps.iter().filter(|p| !p.tcp) {
            let i = match flows
                .iter()
                .position(|(s, d, _)| *s == p.src_port && *d == p.dst_port)
            {
                Some(i) => i,
                None => {
                    flows.push((p.src_port, p.dst_port, QuicInitialAssembler::new()));
                    flows.len() - 1
                }
            };
            if let Some(n) = flows[i].2.push(&p.data) {
                out.push(n);
            }
        }
        Some(out)
    }

    /// Expected names from `tshark -Y quic -e tls.handshake.extensions_server_name`
    /// (and `gquic.tag.sni` for Google QUIC) on the same captures.
    #[test]
    fn corpus_names_match_tshark() {
        let cases: &[(&str, &[&str])] = &[
            ("quic-23.pcap", &["quic.aiortc.org"]),
            ("quic-27.pcap", &["play.google.com"]),
            ("quic-28.pcap", &["www.wireshark.org"]),
            ("quic-29.pcap", &["localhost"]),
            ("quic-mvfst-22.pcap", &["graph.facebook.com"]),
            ("quic-mvfst-27.pcapng", &["graph.facebook.com"]),
            ("quic-mvfst-exp.pcap", &["video.fmct2-3.fna.fbcdn.net"]),
            ("quic-v2.pcapng", &["test"]),
            ("quic_t50.pcap", &["fonts.googleapis.com"]),
            ("quic_t51.pcap", &["www.google.com"]),
            ("quic_q50.pcap", &["www.googletagmanager.com"]),
            ("gquic.pcap", &["www.gstatic.com"]),
            ("quic_q39.pcap", &["s.youtube.com"]),
            ("quic_q43.pcap", &["dns.google.com"]),
            ("quic_q46.pcap", &["play.google.com"]),
            ("quic046.pcap", &["i.ytimg.com"]),
            (
                "quic_frags_different_dcid.pcapng",
                &["cdnjs.cloudflare.com"],
            ),
            ("quic_interop_V.pcapng", &["nghttp2.org", "quic.aiortc.org"]),
            ("quic_0RTT.pcap", &["abcd", "ssl.gstatic.com"]),
            (
                "quic.pcap",
                &["mail.google.com", "www.google.com", "www.youtube.com"],
            ),
            (
                "youtube_quic.pcap",
                &["pagead2.googlesyndication.com", "yt3.ggpht.com"],
            ),
            (
                "quic_crypto_aes_auth_size.pcap",
                &["app-analytics-v2.snapchat.com", "gcp.api.snapchat.com"],
            ),
        ];
        for (file, want) in cases {
            let Some(got) = names(file) else {
                return;
            };
            for w in *want {
                assert!(got.iter().any(|g| g == w), "{file}: {w} not in {got:?}");
            }
        }
    }

    #[test]
    fn out_of_order_crypto_in_one_packet() {
        // Chrome-style scrambled CRYPTO frames; tshark: three flows.
        let Some(got) = names("quic_frags_ch_out_of_order_same_packet_craziness.pcapng") else {
            return;
        };
        for w in [
            "update.googleapis.com",
            "sb-ssl.google.com",
            "www.google.com",
        ] {
            assert!(got.iter().any(|g| g == w), "{w} not in {got:?}");
        }
    }

    #[test]
    fn hello_spanning_two_datagrams() {
        // ClientHello over two Initials (frames 1-2); it carries no SNI (nDPI:
        // "Missing SNI"), but the assembler must see it complete only after both.
        let Some(ps) = payloads("quic_frags_ch_in_multiple_packets.pcapng") else {
            return;
        };
        let mut a = QuicInitialAssembler::new();
        assert_eq!(a.push(&ps[0].data), None);
        assert!(!a.is_complete());
        assert_eq!(a.push(&ps[1].data), None);
        assert!(a.is_complete());
        assert_eq!(a.alpn_first(), Some(&b"h3-34"[..]));
    }

    #[test]
    fn probe_corpus() {
        let Some(ps) = payloads("quic-29.pcap") else {
            return;
        };
        assert_eq!(probe(&ps[0].data), Probe::Certain);
        assert_eq!(
            initial_server_name(&ps[0].data).as_deref(),
            Some("localhost")
        );
        assert_eq!(probe(b"\x40\x00\x00"), Probe::NotForUs);
        assert_eq!(probe(&hex("c0 12 34 56 78 08")), Probe::NotForUs);
    }

    #[test]
    fn rfc9001_key_derivation() {
        // RFC 9001 Appendix A.1, DCID 0x8394c8f03e515708.
        let k = initial_keys(&SALT_V1, &hex("8394c8f03e515708"), false).unwrap();
        assert_eq!(k.key.to_vec(), hex("1f369613dd76d5467730efcbe3b1a22d"));
        assert_eq!(k.iv.to_vec(), hex("fa044b2f42a3fd3b46fb255c"));
        assert_eq!(k.hp.to_vec(), hex("9f50449e04a0e810283a1e9933adedd2"));
    }

    #[test]
    fn varints() {
        // RFC 9000 §A.1 examples.
        assert_eq!(
            varint(&hex("c2197c5eff14e88c")),
            Some((151288809941952652, 8))
        );
        assert_eq!(varint(&hex("9d7f3e7d")), Some((494878333, 4)));
        assert_eq!(varint(&hex("7bbd")), Some((15293, 2)));
        assert_eq!(varint(&hex("25")), Some((37, 1)));
        assert_eq!(varint(&hex("40")), None);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let Some(ps) = payloads("quic-29.pcap") else {
            return;
        };
        let d = &ps[0].data;
        for cut in 0..d.len() {
            let _ = probe(&d[..cut]);
            assert_eq!(initial_server_name(&d[..cut]), None, "cut {cut}");
        }
        let Some(gq) = payloads("quic_q43.pcap") else {
            return;
        };
        for cut in 0..gq[0].data.len() {
            let _ = initial_server_name(&gq[0].data[..cut]);
        }
        let mut a = QuicInitialAssembler::new();
        for seed in 0..400u64 {
            let mut g = lcg_bytes(seed, (seed as usize * 7) % 1400);
            if seed % 2 == 0 && g.len() > 6 {
                g[0] = 0xc0;
                g[1..5].copy_from_slice(&V1.to_be_bytes());
                g[5] = 8;
            }
            let _ = probe(&g);
            let _ = a.push(&g);
            let _ = crypto_frames(&g, seed % 3 == 0);
            let _ = find_chlo_sni(&g);
        }
    }
}
