//! TLS ClientHello: the server name (SNI), first ALPN protocol and offered
//! version, read from the first bytes a client sends on a TCP stream; and,
//! when the client named no server, the name in the server's certificate
//! (TLS 1.2 and before send it in clear).
//!
//! The handshake message may span several TLS records (RFC 8446 §5.1 lets a
//! sender fragment handshake messages freely) and several TCP segments. The
//! flow code accumulates up to 16 KiB of the client's first bytes and calls
//! [`scan_client_hello`] again while it answers [`ClientHelloScan::NeedMore`].
//!
//! The ClientHello body parser ([`parse_client_hello_message`]) is shared with
//! QUIC, whose CRYPTO frames carry the same handshake message without records.

use std::ops::Range;

use super::{DissectError, Probe};

/// TLS record content types (RFC 8446 §5.1; 24 = heartbeat, RFC 6520).
const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
const CONTENT_HEARTBEAT: u8 = 24;
const CONTENT_HANDSHAKE: u8 = 22;
/// Handshake message types (RFC 8446 §4).
const HANDSHAKE_CLIENT_HELLO: u8 = 1;
const HANDSHAKE_SERVER_HELLO: u8 = 2;
const HANDSHAKE_CERTIFICATE: u8 = 11;
/// Extension codes (RFC 6066 §3, RFC 7301 §3.1, RFC 8446 §4.2.1).
const EXT_SERVER_NAME: u16 = 0;
const EXT_ALPN: u16 = 16;
const EXT_SUPPORTED_VERSIONS: u16 = 43;
/// SNI name type host_name (RFC 6066 §3).
const SNI_HOST_NAME: u8 = 0;
/// TLSPlaintext.length may not exceed 2^14 (RFC 8446 §5.1); TLS 1.2
/// ciphertext may add 2048 (RFC 5246 §6.2.3).
const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
const RECORD_HEADER_LEN: usize = 5;
const HANDSHAKE_HEADER_LEN: usize = 4;

/// What the client's first bytes say about a ClientHello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientHelloScan<'a> {
    /// The stream does not start with a TLS handshake record holding a ClientHello.
    NotTls,
    /// A ClientHello has begun; at least `total_len` stream bytes are needed
    /// (a lower bound: more record headers may follow).
    NeedMore { total_len: usize },
    /// The whole ClientHello was read.
    Hello(ClientHello<'a>),
}

/// The facts a ClientHello gives away in clear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// host_name from the server_name extension, if valid UTF-8. `None` also
    /// when, in a ClientHello fragmented over records, the name straddles a
    /// record boundary (use [`scan_client_hello_with`] to get it then).
    pub sni: Option<&'a str>,
    /// First protocol of the ALPN extension (e.g. `h2`, `h3`).
    pub alpn_first: Option<&'a [u8]>,
    /// Highest non-GREASE version in supported_versions, else legacy_version.
    pub version: u16,
}

/// Cheap check: a TLS record header (known content type, version 3.x,
/// plausible length). Handshake records that start a Client/ServerHello are
/// `Certain`; other record starts are `Unsure`.
pub fn probe(payload: &[u8]) -> Probe {
    if !is_tls_record_start(payload) {
        return Probe::NotForUs;
    }
    let is_hello = payload.first() == Some(&CONTENT_HANDSHAKE)
        && matches!(
            payload.get(RECORD_HEADER_LEN),
            Some(&HANDSHAKE_CLIENT_HELLO) | Some(&HANDSHAKE_SERVER_HELLO)
        );
    if is_hello {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

/// True when `payload` begins with a plausible TLS record header: content
/// type 20..=24, version 3.0..=3.4, 0 < length ≤ 2^14 + 2048.
pub fn is_tls_record_start(payload: &[u8]) -> bool {
    match record_header(payload) {
        Some((content, major, minor, len)) => {
            (CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_HEARTBEAT).contains(&content)
                && major == 3
                && minor <= 4
                && len > 0
                && len <= MAX_RECORD_LEN
        }
        None => false,
    }
}

fn record_header(b: &[u8]) -> Option<(u8, u8, u8, usize)> {
    let content = *b.first()?;
    let major = *b.get(1)?;
    let minor = *b.get(2)?;
    let len = u16::from_be_bytes([*b.get(3)?, *b.get(4)?]) as usize;
    Some((content, major, minor, len))
}

/// Handshake bytes gathered from consecutive records: each fragment is a
/// range of `stream_start`, in order.
struct Fragments {
    parts: Vec<Range<usize>>,
    gathered: usize,
}

enum Gather {
    NotTls,
    NeedMore(usize),
    /// The complete handshake message (header included) spans `parts`.
    Done(Fragments),
}

/// Walks handshake records from the stream start until `4 + length` bytes of
/// the first handshake message are gathered.
fn gather(stream: &[u8]) -> Gather {
    let mut frags = Fragments {
        parts: Vec::new(),
        gathered: 0,
    };
    let mut pos = 0usize;
    let mut msg_total: Option<usize> = None;
    loop {
        let header = stream.get(pos..).and_then(record_header);
        let Some((content, major, _minor, len)) = header else {
            // Next record header not yet here.
            let missing = msg_total
                .map_or(HANDSHAKE_HEADER_LEN.saturating_sub(frags.gathered), |t| {
                    t - frags.gathered
                });
            return Gather::NeedMore(pos + RECORD_HEADER_LEN + missing);
        };
        if content != CONTENT_HANDSHAKE || major != 3 || len == 0 || len > MAX_RECORD_LEN {
            return Gather::NotTls;
        }
        let body_start = pos + RECORD_HEADER_LEN;
        let body_end = body_start + len;
        let avail_end = body_end.min(stream.len());
        let wanted = msg_total.map_or(usize::MAX, |t| t - frags.gathered);
        let take_end = avail_end.min(body_start.saturating_add(wanted));
        if take_end > body_start {
            frags.parts.push(body_start..take_end);
            frags.gathered += take_end - body_start;
        }
        if msg_total.is_none() && frags.gathered >= HANDSHAKE_HEADER_LEN {
            let mut hdr = [0u8; HANDSHAKE_HEADER_LEN];
            for (i, slot) in hdr.iter_mut().enumerate() {
                match logical_byte(stream, &frags.parts, i) {
                    Some(b) => *slot = b,
                    None => return Gather::NotTls,
                }
            }
            if hdr[0] != HANDSHAKE_CLIENT_HELLO {
                return Gather::NotTls;
            }
            let total = HANDSHAKE_HEADER_LEN + hdr.get(1..).and_then(be24).unwrap_or(0);
            msg_total = Some(total);
            // Trim what was taken past the message end.
            if frags.gathered > total {
                let excess = frags.gathered - total;
                if let Some(last) = frags.parts.last_mut() {
                    last.end -= excess;
                }
                frags.gathered = total;
            }
        }
        if let Some(total) = msg_total {
            if frags.gathered >= total {
                return Gather::Done(frags);
            }
        }
        if avail_end < body_end {
            // This record is cut short by the end of the captured bytes.
            let missing = msg_total
                .map_or(HANDSHAKE_HEADER_LEN.saturating_sub(frags.gathered), |t| {
                    t - frags.gathered
                });
            let need_in_record = body_end - avail_end;
            let need = if missing <= need_in_record {
                avail_end + missing
            } else {
                body_end + RECORD_HEADER_LEN + (missing - need_in_record)
            };
            return Gather::NeedMore(need);
        }
        pos = body_end;
    }
}

fn logical_byte(stream: &[u8], parts: &[Range<usize>], mut idx: usize) -> Option<u8> {
    for p in parts {
        let len = p.end - p.start;
        if idx < len {
            return stream.get(p.start + idx).copied();
        }
        idx -= len;
    }
    None
}

/// Maps a logical range of the reassembled message onto `stream_start` when
/// it lies inside one fragment.
fn physical_range(parts: &[Range<usize>], logical: &Range<usize>) -> Option<Range<usize>> {
    let mut base = 0usize;
    for p in parts {
        let len = p.end - p.start;
        if logical.start >= base && logical.end <= base + len {
            let start = p.start + (logical.start - base);
            return Some(start..start + (logical.end - logical.start));
        }
        base += len;
    }
    None
}

/// Reads the ClientHello from the first bytes of a TCP stream (client side),
/// borrowing from `stream_start`.
pub fn scan_client_hello(stream_start: &[u8]) -> ClientHelloScan<'_> {
    let frags = match gather(stream_start) {
        Gather::NotTls => return ClientHelloScan::NotTls,
        Gather::NeedMore(total_len) => return ClientHelloScan::NeedMore { total_len },
        Gather::Done(f) => f,
    };
    let layout = if let [only] = frags.parts.as_slice() {
        stream_start
            .get(only.clone())
            .and_then(|m| layout_of(m).ok())
    } else {
        // Rare: copy the fragments to parse, then borrow back from the stream.
        let mut msg = Vec::with_capacity(frags.gathered);
        for p in &frags.parts {
            msg.extend_from_slice(stream_start.get(p.clone()).unwrap_or_default());
        }
        layout_of(&msg).ok().map(|l| HelloLayout {
            version: l.version,
            sni: l.sni.and_then(|r| physical_range(&frags.parts, &r)),
            alpn_first: l.alpn_first.and_then(|r| physical_range(&frags.parts, &r)),
        })
    };
    let base = frags.parts.first().map_or(0, |p| p.start);
    match layout {
        // Single fragment: ranges are relative to its start.
        Some(l) if frags.parts.len() == 1 => {
            ClientHelloScan::Hello(l.shifted(base).resolve(stream_start))
        }
        Some(l) => ClientHelloScan::Hello(l.resolve(stream_start)),
        None => ClientHelloScan::NotTls,
    }
}

/// Like [`scan_client_hello`], but when the ClientHello is fragmented over
/// records it is copied into `scratch` so that no field is lost.
pub fn scan_client_hello_with<'a>(
    stream_start: &'a [u8],
    scratch: &'a mut Vec<u8>,
) -> ClientHelloScan<'a> {
    let frags = match gather(stream_start) {
        Gather::NotTls => return ClientHelloScan::NotTls,
        Gather::NeedMore(total_len) => return ClientHelloScan::NeedMore { total_len },
        Gather::Done(f) => f,
    };
    scratch.clear();
    for p in &frags.parts {
        scratch.extend_from_slice(stream_start.get(p.clone()).unwrap_or_default());
    }
    match parse_client_hello_message(scratch) {
        Ok(h) => ClientHelloScan::Hello(h),
        Err(_) => ClientHelloScan::NotTls,
    }
}

/// What a server's first bytes say about the name in its certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCertificateScan {
    /// The handshake has begun but the first certificate is not whole yet.
    NeedMore,
    /// The host name the server's certificate is for.
    Name(String),
    /// No readable certificate: not TLS, TLS 1.3 (whose certificate is
    /// encrypted: anything but handshake records follows the ServerHello),
    /// or a certificate without a host name.
    Nothing,
}

/// Reads the host name of the server's certificate from the first bytes a
/// TLS server sends (TLS 1.2 and before send it in clear, RFC 5246
/// §7.4.2): the subject's common name, else the first DNS name of its
/// subjectAltName, without a wildcard label.
pub fn scan_server_certificate(stream_start: &[u8]) -> ServerCertificateScan {
    // Handshake bytes of the records, in order: messages span records.
    let mut handshake: Vec<u8> = Vec::new();
    let mut at = 0;
    // A record other than handshake came (before the certificate).
    let mut handshake_over = false;
    while let Some((content, major, _, len)) = stream_start.get(at..).and_then(record_header) {
        if major != 3 || len == 0 || len > MAX_RECORD_LEN {
            return ServerCertificateScan::Nothing;
        }
        if content != CONTENT_HANDSHAKE {
            handshake_over = true;
            break;
        }
        let body = at + RECORD_HEADER_LEN;
        match stream_start.get(body..body + len) {
            Some(b) => handshake.extend_from_slice(b),
            None => {
                handshake.extend_from_slice(stream_start.get(body..).unwrap_or_default());
                break;
            }
        }
        at = body + len;
    }
    let mut msg = handshake.as_slice();
    while let Some((&kind, rest)) = msg.split_first() {
        let Some(len) = be24(rest) else {
            break;
        };
        let Some(body) = rest.get(3..3 + len) else {
            break;
        };
        if kind == HANDSHAKE_CERTIFICATE {
            return first_certificate_name(body);
        }
        msg = rest.get(3 + len..).unwrap_or_default();
    }
    if handshake_over {
        ServerCertificateScan::Nothing
    } else {
        ServerCertificateScan::NeedMore
    }
}

/// The host name in the first certificate of a Certificate message body
/// (a u24 list length, then u24-prefixed DER certificates).
fn first_certificate_name(body: &[u8]) -> ServerCertificateScan {
    let Some(len) = body.get(3..).and_then(be24) else {
        return ServerCertificateScan::Nothing;
    };
    let Some(der) = body.get(6..6 + len) else {
        return ServerCertificateScan::Nothing;
    };
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return ServerCertificateScan::Nothing;
    };
    let common_name = cert
        .subject()
        .iter_common_name()
        .filter_map(|cn| cn.as_str().ok())
        .find_map(host_name);
    let alt_name = || {
        let san = cert.subject_alternative_name().ok().flatten()?;
        san.value.general_names.iter().find_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => host_name(d),
            _ => None,
        })
    };
    match common_name.or_else(alt_name) {
        Some(name) => ServerCertificateScan::Name(name),
        None => ServerCertificateScan::Nothing,
    }
}

/// A 24-bit big-endian length at the start of `b`.
fn be24(b: &[u8]) -> Option<usize> {
    let [hi, mid, lo]: [u8; 3] = b.get(..3)?.try_into().ok()?;
    Some(usize::from(hi) << 16 | usize::from(mid) << 8 | usize::from(lo))
}

/// `name` as a host name (a wildcard's first label dropped), if it is one.
fn host_name(name: &str) -> Option<String> {
    let name = name.strip_prefix("*.").unwrap_or(name);
    let valid = name.contains('.')
        && name.parse::<std::net::IpAddr>().is_err()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'));
    valid.then(|| name.to_string())
}

/// Parses one handshake message (4-byte header: type 1, u24 length, then the
/// ClientHello body) as carried in TLS records or QUIC CRYPTO frames.
pub fn parse_client_hello_message(msg: &[u8]) -> Result<ClientHello<'_>, DissectError> {
    Ok(layout_of(msg)?.resolve(msg))
}

/// Where the interesting fields lie inside the handshake message.
#[derive(Debug)]
struct HelloLayout {
    version: u16,
    sni: Option<Range<usize>>,
    alpn_first: Option<Range<usize>>,
}

impl HelloLayout {
    fn shifted(self, by: usize) -> Self {
        HelloLayout {
            version: self.version,
            sni: self.sni.map(|r| r.start + by..r.end + by),
            alpn_first: self.alpn_first.map(|r| r.start + by..r.end + by),
        }
    }

    fn resolve(self, buf: &[u8]) -> ClientHello<'_> {
        ClientHello {
            sni: self
                .sni
                .and_then(|r| buf.get(r))
                .and_then(|b| std::str::from_utf8(b).ok()),
            alpn_first: self.alpn_first.and_then(|r| buf.get(r)),
            version: self.version,
        }
    }
}

/// A bounds-checked reader over a byte slice that remembers its position, so
/// fields can be reported as ranges.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8], start: usize, end: usize) -> Self {
        Reader {
            buf,
            pos: start,
            end: end.min(buf.len()),
        }
    }
    fn truncated(&self, n: usize) -> DissectError {
        DissectError::Truncated {
            need: self.pos + n,
            have: self.end,
        }
    }
    fn range(&mut self, n: usize) -> Result<Range<usize>, DissectError> {
        if self.end.saturating_sub(self.pos) < n {
            return Err(self.truncated(n));
        }
        let r = self.pos..self.pos + n;
        self.pos += n;
        Ok(r)
    }
    fn u8(&mut self) -> Result<u8, DissectError> {
        let r = self.range(1)?;
        self.buf
            .get(r.start)
            .copied()
            .ok_or(DissectError::Malformed("tls: read past end"))
    }
    fn u16(&mut self) -> Result<u16, DissectError> {
        Ok(u16::from(self.u8()?) << 8 | u16::from(self.u8()?))
    }
    /// A sub-reader over the next `n` bytes; self skips them.
    fn sub(&mut self, n: usize) -> Result<Reader<'a>, DissectError> {
        let r = self.range(n)?;
        Ok(Reader::new(self.buf, r.start, r.end))
    }
    fn remaining(&self) -> usize {
        self.end.saturating_sub(self.pos)
    }
}

/// GREASE values look like 0x?a?a (RFC 8701 §2).
fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

fn layout_of(msg: &[u8]) -> Result<HelloLayout, DissectError> {
    let mut r = Reader::new(msg, 0, msg.len());
    if r.u8()? != HANDSHAKE_CLIENT_HELLO {
        return Err(DissectError::NotForUs);
    }
    let len = usize::from(r.u8()?) << 16 | usize::from(r.u16()?);
    let mut body = r.sub(len)?;
    let legacy_version = body.u16()?;
    body.range(32)?; // random
    let sid_len = usize::from(body.u8()?);
    body.range(sid_len)?;
    let suites_len = usize::from(body.u16()?);
    body.range(suites_len)?;
    let comp_len = usize::from(body.u8()?);
    body.range(comp_len)?;
    let mut layout = HelloLayout {
        version: legacy_version,
        sni: None,
        alpn_first: None,
    };
    if body.remaining() == 0 {
        return Ok(layout); // no extensions (SSL 3 / early TLS)
    }
    let ext_len = usize::from(body.u16()?);
    let mut exts = body.sub(ext_len)?;
    while exts.remaining() >= 4 {
        let ext_type = exts.u16()?;
        let len = usize::from(exts.u16()?);
        let mut data = exts.sub(len)?;
        match ext_type {
            EXT_SERVER_NAME => layout.sni = server_name(&mut data).ok().flatten(),
            EXT_ALPN => {
                let list_len = usize::from(data.u16()?);
                let mut list = data.sub(list_len)?;
                let first_len = usize::from(list.u8()?);
                layout.alpn_first = Some(list.range(first_len)?);
            }
            EXT_SUPPORTED_VERSIONS => {
                let list_len = usize::from(data.u8()?);
                let mut list = data.sub(list_len)?;
                while list.remaining() >= 2 {
                    let v = list.u16()?;
                    if !is_grease(v) && v > layout.version {
                        layout.version = v;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(layout)
}

/// ServerNameList (RFC 6066 §3): the first host_name entry.
fn server_name(data: &mut Reader<'_>) -> Result<Option<Range<usize>>, DissectError> {
    let list_len = usize::from(data.u16()?);
    let mut list = data.sub(list_len)?;
    while list.remaining() >= 3 {
        let name_type = list.u8()?;
        let len = usize::from(list.u16()?);
        let name = list.range(len)?;
        if name_type == SNI_HOST_NAME && len > 0 {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Reads payloads out of corpus captures for tests across the dissectors.
#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{hex, lcg_bytes, payloads};

    fn first_client_hello(file: &str) -> Option<Vec<u8>> {
        payloads(file)?
            .into_iter()
            .find(|p| p.tcp && p.data.first() == Some(&22) && p.data.get(5) == Some(&1))
            .map(|p| p.data)
    }

    /// Re-frames a single-record ClientHello into records of `chunk` bytes.
    fn refragment(one_record: &[u8], chunk: usize) -> Vec<u8> {
        let len = u16::from_be_bytes([one_record[3], one_record[4]]) as usize;
        let msg = &one_record[5..5 + len];
        let mut out = Vec::new();
        for c in msg.chunks(chunk) {
            out.extend_from_slice(&[22, 3, 1]);
            out.extend_from_slice(&(c.len() as u16).to_be_bytes());
            out.extend_from_slice(c);
        }
        out
    }

    #[test]
    fn esni_capture_gives_sni() {
        let Some(ch) = first_client_hello("tls_esni_sni_both.pcap") else {
            return;
        };
        assert_eq!(probe(&ch), Probe::Certain);
        match scan_client_hello(&ch) {
            ClientHelloScan::Hello(h) => {
                assert_eq!(
                    h.sni,
                    Some("these-are-not-the-droids-youre-looking-for.com")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn split_records_and_segments() {
        let Some(ch) = first_client_hello("tls_esni_sni_both.pcap") else {
            return;
        };
        let ClientHelloScan::Hello(whole) = scan_client_hello(&ch) else {
            panic!()
        };
        for chunk in [1usize, 7, 50, 100, 300] {
            let frag = refragment(&ch, chunk);
            let mut scratch = Vec::new();
            let ClientHelloScan::Hello(h) = scan_client_hello_with(&frag, &mut scratch) else {
                panic!("chunk {chunk}")
            };
            assert_eq!(h, whole, "chunk {chunk}");
            // Without scratch, fields straddling records may be None, others equal.
            let ClientHelloScan::Hello(h2) = scan_client_hello(&frag) else {
                panic!()
            };
            assert_eq!(h2.version, whole.version);
            if chunk >= 300 {
                assert_eq!(h2.sni, whole.sni);
            }
            // Every shorter prefix asks for more, with a bound past the prefix.
            for cut in (0..frag.len()).step_by(13) {
                match scan_client_hello(&frag[..cut]) {
                    ClientHelloScan::NeedMore { total_len } => {
                        assert!(
                            total_len > cut && total_len <= frag.len(),
                            "{cut} {total_len}"
                        )
                    }
                    other => panic!("cut {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn huge_client_hello_over_tcp_segments() {
        // tls_with_huge_ch.pcapng: one 11418-byte record spread over segments.
        let Some(ps) = payloads("tls_with_huge_ch.pcapng") else {
            return;
        };
        let first = ps
            .iter()
            .position(|p| p.tcp && p.data.first() == Some(&22) && p.data.get(5) == Some(&1))
            .expect("a ClientHello");
        let (sport, dport) = (ps[first].src_port, ps[first].dst_port);
        let mut stream = Vec::new();
        let mut result = None;
        for p in ps[first..]
            .iter()
            .filter(|p| p.tcp && p.src_port == sport && p.dst_port == dport)
        {
            stream.extend_from_slice(&p.data);
            match scan_client_hello(&stream) {
                ClientHelloScan::NeedMore { total_len } => assert!(total_len > stream.len()),
                ClientHelloScan::Hello(h) => {
                    result = Some((h.sni.map(str::to_owned), h.version));
                    break;
                }
                ClientHelloScan::NotTls => panic!("not tls"),
            }
        }
        let (sni, version) = result.expect("hello completed");
        // tshark: no server_name, supported_versions 0x0304..0x0301.
        assert_eq!(version, 0x0304);
        assert_eq!(sni, None);
        assert!(stream.len() >= 11418 + 5);
    }

    #[test]
    fn alpn_and_version_from_chrome() {
        // chrome.pcap frames 4, 24, 57-60: www.iit.cnr.it, ALPN h2,http/1.1,
        // supported_versions 0x6a6a (GREASE), 0x0304, ... (per tshark).
        let Some(ps) = payloads("chrome.pcap") else {
            return;
        };
        let hellos: Vec<_> = ps
            .iter()
            .filter(|p| p.tcp)
            .filter_map(|p| match scan_client_hello(&p.data) {
                ClientHelloScan::Hello(h) => Some(h),
                _ => None,
            })
            .collect();
        assert_eq!(hellos.len(), 6);
        for h in hellos {
            assert_eq!(h.sni, Some("www.iit.cnr.it"));
            assert_eq!(h.alpn_first, Some(&b"h2"[..]));
            assert_eq!(h.version, 0x0304);
        }
    }

    #[test]
    fn not_tls() {
        assert_eq!(
            scan_client_hello(b"GET / HTTP/1.1\r\n"),
            ClientHelloScan::NotTls
        );
        assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
        // Application data record: a record start, but no hello.
        let appdata = hex("17 03 03 00 20 00");
        assert!(is_tls_record_start(&appdata));
        assert_eq!(probe(&appdata), Probe::Unsure);
        assert_eq!(scan_client_hello(&appdata), ClientHelloScan::NotTls);
        assert!(!is_tls_record_start(&hex("16 03 03 ff ff")));
    }

    #[test]
    fn grease() {
        assert!(is_grease(0x0a0a) && is_grease(0xfafa));
        assert!(!is_grease(0x0304) && !is_grease(0x0a1a));
    }

    /// The server's bytes of the TCP connection to its `server_port` from
    /// the client's `client_port`, in capture order.
    fn server_stream(file: &str, server_port: u16, client_port: u16) -> Option<Vec<u8>> {
        let bytes: Vec<u8> = payloads(file)?
            .into_iter()
            .filter(|p| p.tcp && p.src_port == server_port && p.dst_port == client_port)
            .flat_map(|p| p.data)
            .collect();
        Some(bytes)
    }

    #[test]
    fn a_tls12_servers_certificate_names_it() {
        // KakaoTalk_chat.pcap: 10.24.82.188:37821 -> 210.103.240.15:443,
        // TLS 1.2, a certificate for kakao.com.
        let Some(stream) = server_stream("KakaoTalk_chat.pcap", 443, 37821) else {
            return;
        };
        assert_eq!(
            scan_server_certificate(&stream),
            ServerCertificateScan::Name("kakao.com".into())
        );
        // Every cut before the certificate's end needs more; split into
        // small records it reads the same.
        let end = (1..stream.len())
            .find(|&n| scan_server_certificate(&stream[..n]) != ServerCertificateScan::NeedMore)
            .unwrap();
        assert!(end > 1000, "{end}");
        let mut records = Vec::new();
        let mut at = 0;
        while at + 5 <= stream.len() && stream[at] == 22 {
            let len = u16::from_be_bytes([stream[at + 3], stream[at + 4]]) as usize;
            let body = &stream[at + 5..(at + 5 + len).min(stream.len())];
            for c in body.chunks(100) {
                records.extend_from_slice(&[22, 3, 3]);
                records.extend_from_slice(&(c.len() as u16).to_be_bytes());
                records.extend_from_slice(c);
            }
            at += 5 + len;
        }
        assert_eq!(
            scan_server_certificate(&records),
            ServerCertificateScan::Name("kakao.com".into())
        );
    }

    #[test]
    fn a_tls13_servers_certificate_is_not_read() {
        // tls_esni_sni_both.pcap's server answers with TLS 1.3: after the
        // ServerHello come ChangeCipherSpec and encrypted records.
        let Some(ch) = first_client_hello("tls_esni_sni_both.pcap") else {
            return;
        };
        let Some(p) = payloads("tls_esni_sni_both.pcap") else {
            return;
        };
        let hello = p.iter().find(|q| q.data == ch).unwrap();
        let stream =
            server_stream("tls_esni_sni_both.pcap", hello.dst_port, hello.src_port).unwrap();
        assert_eq!(
            scan_server_certificate(&stream),
            ServerCertificateScan::Nothing
        );
        assert_eq!(
            scan_server_certificate(b"HTTP/1.1 200 OK\r\n"),
            ServerCertificateScan::Nothing
        );
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let Some(ch) = first_client_hello("tls_esni_sni_both.pcap") else {
            return;
        };
        for cut in 0..ch.len() {
            let p = &ch[..cut];
            let _ = probe(p);
            let _ = is_tls_record_start(p);
            assert!(matches!(
                scan_client_hello(p),
                ClientHelloScan::NeedMore { .. }
            ));
            let _ = parse_client_hello_message(&p[5.min(p.len())..]);
        }
        for seed in 0..3000u64 {
            let mut g = lcg_bytes(seed, (seed % 700) as usize);
            if seed % 2 == 0 && g.len() > 6 {
                // Make some garbage look like a handshake record start.
                g[0] = 22;
                g[1] = 3;
                g[5] = 1;
            }
            let _ = probe(&g);
            let _ = scan_client_hello(&g);
            let mut s = Vec::new();
            let _ = scan_client_hello_with(&g, &mut s);
            if seed % 2 == 0 && g.len() > 6 {
                g[5] = 11;
            }
            let _ = scan_server_certificate(&g);
            let _ = parse_client_hello_message(&g);
        }
    }
}
