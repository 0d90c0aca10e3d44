//! DTLS record layer (RFC 6347 §4.1, RFC 9147 §4 plaintext form) and the
//! ClientHello facts a media classifier wants: does it offer DTLS-SRTP
//! (`use_srtp`, RFC 5764) and does it name a server (SNI)?
//!
//! A datagram may carry several records; each is bounded by its length
//! field. DTLS 1.3 encrypted records use the variable "unified header"
//! (first bits 001, RFC 9147 §4) whose length may be absent; the walk stops
//! there.

use crate::dissect::Probe;

/// Record header: type, version, epoch, 48-bit sequence, length.
pub const RECORD_HEADER_LEN: usize = 13;
/// Content types (IANA TLS registry).
pub const CHANGE_CIPHER_SPEC: u8 = 20;
pub const ALERT: u8 = 21;
pub const HANDSHAKE: u8 = 22;
pub const APPLICATION_DATA: u8 = 23;
pub const HEARTBEAT: u8 = 24;
/// tls12_cid (RFC 9146).
pub const TLS12_CID: u8 = 25;
/// ClientHello handshake type.
const CLIENT_HELLO: u8 = 1;
/// DTLS handshake header: type, length(3), message_seq(2),
/// fragment_offset(3), fragment_length(3).
const HANDSHAKE_HEADER_LEN: usize = 12;
/// Extension numbers (IANA): server_name (RFC 6066), use_srtp (RFC 5764).
const EXT_SERVER_NAME: u16 = 0;
const EXT_USE_SRTP: u16 = 14;

/// One DTLS record borrowed from the datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DtlsRecord<'a> {
    pub content_type: u8,
    /// 0xFEFF = DTLS 1.0, 0xFEFD = 1.2 (and 1.3 plaintext), 0x0100 =
    /// OpenSSL's pre-RFC DTLS (dtls_old_version.pcapng).
    pub version: u16,
    pub epoch: u16,
    /// 48-bit record sequence number.
    pub sequence: u64,
    pub fragment: &'a [u8],
}

impl DtlsRecord<'_> {
    pub fn is_handshake(&self) -> bool {
        self.content_type == HANDSHAKE
    }

    pub fn is_application_data(&self) -> bool {
        self.content_type == APPLICATION_DATA
    }
}

/// Facts from a ClientHello.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ClientHelloInfo {
    /// Offers the use_srtp extension (DTLS-SRTP keying for RTP).
    pub use_srtp: bool,
    /// Carries a server_name extension.
    pub has_sni: bool,
}

fn known_version(v: u16) -> bool {
    matches!(v, 0xFEFF | 0xFEFD | 0xFEFC | 0x0100)
}

fn known_content_type(t: u8) -> bool {
    (CHANGE_CIPHER_SPEC..=TLS12_CID).contains(&t)
}

/// Iterator over the records of a datagram.
#[derive(Clone, Debug)]
pub struct DtlsRecords<'a> {
    rest: &'a [u8],
}

impl DtlsRecords<'_> {
    /// Bytes not consumed (non-empty after a stop on malformed data).
    pub fn remainder(&self) -> &[u8] {
        self.rest
    }
}

/// Walks the records of a datagram; stops at the first that is malformed
/// (unknown type or version) or does not fit.
pub fn records(payload: &[u8]) -> DtlsRecords<'_> {
    DtlsRecords { rest: payload }
}

impl<'a> Iterator for DtlsRecords<'a> {
    type Item = DtlsRecord<'a>;

    fn next(&mut self) -> Option<DtlsRecord<'a>> {
        let (header, body) = self.rest.split_at_checked(RECORD_HEADER_LEN)?;
        let content_type = *header.first()?;
        let version = be16(header, 1)?;
        if !known_content_type(content_type) || !known_version(version) {
            return None;
        }
        let epoch = be16(header, 3)?;
        let seq_bytes: [u8; 6] = header.get(5..11)?.try_into().ok()?;
        let mut seq8 = [0u8; 8];
        if let Some(dst) = seq8.get_mut(2..) {
            dst.copy_from_slice(&seq_bytes);
        }
        let len = usize::from(be16(header, 11)?);
        let (fragment, rest) = body.split_at_checked(len)?;
        self.rest = rest;
        Some(DtlsRecord {
            content_type,
            version,
            epoch,
            sequence: u64::from_be_bytes(seq8),
            fragment,
        })
    }
}

/// Whether a datagram is DTLS: `Certain` when its records chain exactly to
/// the end, `Unsure` when the first header is sound but a record overruns
/// or trailing bytes are not a record, `NotForUs` otherwise.
pub fn probe(payload: &[u8]) -> Probe {
    let mut it = records(payload);
    if it.next().is_none() {
        // A sound header whose length overruns the datagram: maybe cut.
        let header_ok = payload.first().is_some_and(|&t| known_content_type(t))
            && be16(payload, 1).is_some_and(known_version)
            && payload.len() >= RECORD_HEADER_LEN;
        return if header_ok {
            Probe::Unsure
        } else {
            Probe::NotForUs
        };
    }
    for _ in it.by_ref() {}
    if it.remainder().is_empty() {
        Probe::Certain
    } else {
        Probe::Unsure
    }
}

/// Reads a ClientHello from a handshake record (its first fragment, offset
/// 0) and walks the extensions present. `None` if the record is not a
/// ClientHello or its fixed part is cut short; a fragment that ends inside
/// the extensions reports what it holds.
pub fn client_hello_info(record: &DtlsRecord) -> Option<ClientHelloInfo> {
    if !record.is_handshake() {
        return None;
    }
    let f = record.fragment;
    if *f.first()? != CLIENT_HELLO || be24(f, 6)? != 0 {
        return None;
    }
    let frag_len = usize::try_from(be24(f, 9)?).ok()?;
    let body = f.get(HANDSHAKE_HEADER_LEN..)?;
    let body = body.get(..frag_len).unwrap_or(body);
    // client_version(2) random(32), then session_id<0..32>, cookie<0..255>,
    // cipher_suites<2..2^16-2>, compression_methods<1..255>.
    let mut off: usize = 2 + 32;
    off = skip_vec8(body, off)?;
    off = skip_vec8(body, off)?;
    off = skip_vec16(body, off)?;
    off = skip_vec8(body, off)?;
    let mut info = ClientHelloInfo::default();
    let Some(ext_len) = be16(body, off) else {
        // No extensions block at all: a valid, extension-less hello.
        return (off == body.len()).then_some(info);
    };
    let start = off.checked_add(2)?;
    let exts = body.get(start..)?;
    let exts = exts.get(..usize::from(ext_len)).unwrap_or(exts);
    let mut rest = exts;
    while let (Some(t), Some(l)) = (be16(rest, 0), be16(rest, 2)) {
        match t {
            EXT_SERVER_NAME => info.has_sni = true,
            EXT_USE_SRTP => info.use_srtp = true,
            _ => {}
        }
        let next = 4usize.checked_add(usize::from(l))?;
        match rest.get(next..) {
            Some(r) => rest = r,
            None => break,
        }
    }
    Some(info)
}

fn skip_vec8(buf: &[u8], off: usize) -> Option<usize> {
    let len = usize::from(*buf.get(off)?);
    let end = off.checked_add(1)?.checked_add(len)?;
    (end <= buf.len()).then_some(end)
}

fn skip_vec16(buf: &[u8], off: usize) -> Option<usize> {
    let len = usize::from(be16(buf, off)?);
    let end = off.checked_add(2)?.checked_add(len)?;
    (end <= buf.len()).then_some(end)
}

fn be16(buf: &[u8], off: usize) -> Option<u16> {
    let end = off.checked_add(2)?;
    Some(u16::from_be_bytes(buf.get(off..end)?.try_into().ok()?))
}

fn be24(buf: &[u8], off: usize) -> Option<u32> {
    let end = off.checked_add(3)?;
    let b: [u8; 3] = buf.get(off..end)?.try_into().ok()?;
    Some(u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // dtls.pcap frame 1: DTLS 1.0 record, ClientHello offering use_srtp.
    const CLIENT_HELLO_SRTP: &str = "16feff0000000000000000008e010000820000000000000082fefdceb06d2a04cb2a1517c2e266ed6db6936e6e7a5772aacdd0e2dbd068ce26737e00000018c02bc02fcca9cca8c009c013c00ac014009c002f0035000a01000040ff010001000017000000230000000d00140012040308040401050308050501080606010201000e00050002000100000b00020100000a00080006001d00170018";
    // dtls_session_id_and_coockie_both.pcap frame 4: ServerHello,
    // ChangeCipherSpec and an encrypted Finished (epoch 1) in one datagram.
    const THREE_RECORDS: &str = "16fefd00000000000000010052020000460001000000000046fefd87d32576f1aa0f82fb79365ad8d1e1450175be58a4dd65721328f1a5462d10d7203832002f8393c761e3b64aae0df27f5c9b5716b19e1f7e852712a5a45e6d493ec02c0014fefd000000000000000200010116fefd00010000000000000030618aa4f2e94ab0ce109808fb65e5aa146820da2ba7840cb58a603f4f42eccfddf52b338f1ccd0ac65f5826b9bc05c7ae";

    #[test]
    fn client_hello_use_srtp() {
        let b = hex(CLIENT_HELLO_SRTP);
        let recs: Vec<_> = records(&b).collect();
        assert_eq!(recs.len(), 1);
        let r = recs[0];
        assert!(r.is_handshake() && !r.is_application_data());
        assert_eq!((r.version, r.epoch, r.sequence), (0xfeff, 0, 0));
        assert_eq!(r.fragment.len(), 0x8e);
        assert_eq!(
            client_hello_info(&r),
            Some(ClientHelloInfo {
                use_srtp: true,
                has_sni: false
            })
        );
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn several_records_per_datagram() {
        let b = hex(THREE_RECORDS);
        let recs: Vec<_> = records(&b).collect();
        // Wireshark: epochs 0,0,1; sequence 1,2,0; lengths 82,1,48.
        let got: Vec<_> = recs
            .iter()
            .map(|r| (r.content_type, r.epoch, r.sequence, r.fragment.len()))
            .collect();
        assert_eq!(got, vec![(22, 0, 1, 82), (20, 0, 2, 1), (22, 1, 0, 48)]);
        assert_eq!(client_hello_info(&recs[0]), None); // ServerHello
        assert_eq!(probe(&b), Probe::Certain);
    }

    #[test]
    fn synthetic_sni_hello() {
        // DTLS 1.2 ClientHello: empty session id and cookie, one suite,
        // null compression, extensions server_name ("abc"), use_srtp, then a
        // truncated trailing byte the walk must ignore.
        let mut exts = hex("000000080006000003616263");
        exts.extend_from_slice(&hex("000e000500020001"));
        exts.push(0);
        let mut hello = hex("fefd");
        hello.extend_from_slice(&[0u8; 32]);
        hello.extend_from_slice(&hex("00000002c02b0100"));
        hello.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        hello.extend_from_slice(&exts);
        let mut frag = vec![1u8];
        let l = hello.len() as u32;
        frag.extend_from_slice(&l.to_be_bytes()[1..]);
        frag.extend_from_slice(&[0, 0, 0, 0, 0]);
        frag.extend_from_slice(&l.to_be_bytes()[1..]);
        frag.extend_from_slice(&hello);
        let mut rec = hex("16fefd0000000000000000");
        rec.extend_from_slice(&(frag.len() as u16).to_be_bytes());
        rec.extend_from_slice(&frag);
        let r = records(&rec).next().unwrap();
        assert_eq!(
            client_hello_info(&r),
            Some(ClientHelloInfo {
                use_srtp: true,
                has_sni: true
            })
        );
        // A later fragment (offset != 0) is not read.
        let mut later = rec.clone();
        later[13 + 8] = 1;
        let r = records(&later).next().unwrap();
        assert_eq!(client_hello_info(&r), None);
    }

    #[test]
    fn old_openssl_version_and_probe_rules() {
        let mut b = hex(CLIENT_HELLO_SRTP);
        b[1] = 0x01;
        b[2] = 0x00;
        assert_eq!(records(&b).next().unwrap().version, 0x0100);
        assert_eq!(probe(&b), Probe::Certain);
        let b = hex(CLIENT_HELLO_SRTP);
        // Cut: header sound, length overruns.
        assert_eq!(probe(&b[..100]), Probe::Unsure);
        // Trailing junk after a good record.
        let mut t = b.clone();
        t.extend_from_slice(&[0x99, 1, 2]);
        assert_eq!(probe(&t), Probe::Unsure);
        // TLS version, not DTLS.
        let mut v = b.clone();
        v[1] = 0x03;
        v[2] = 0x03;
        assert_eq!(probe(&v), Probe::NotForUs);
        assert_eq!(probe(&hex("000100082112a442")), Probe::NotForUs);
    }

    #[test]
    fn never_panics_on_prefixes_and_garbage() {
        for h in [CLIENT_HELLO_SRTP, THREE_RECORDS] {
            let b = hex(h);
            for n in 0..=b.len() {
                let _ = probe(&b[..n]);
                for r in records(&b[..n]) {
                    let _ = client_hello_info(&r);
                }
                // Also a hello whose record is cut inside its fragment.
                let mut fixed = b[..n.max(13)].to_vec();
                if fixed.len() >= 13 {
                    let l = (fixed.len() - 13) as u16;
                    fixed[11..13].copy_from_slice(&l.to_be_bytes());
                    if let Some(r) = records(&fixed).next() {
                        let _ = client_hello_info(&r);
                    }
                }
            }
        }
        let mut x: u32 = 11;
        let mut buf = [0u8; 160];
        for _ in 0..5000 {
            for v in buf.iter_mut() {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                *v = (x >> 16) as u8;
            }
            buf[0] = 22;
            buf[1] = 0xfe;
            buf[2] = 0xfd;
            buf[11] = 0;
            buf[13] = 1;
            buf[19..22].copy_from_slice(&[0, 0, 0]);
            let n = (x as usize) % (buf.len() + 1);
            let _ = probe(&buf[..n]);
            for r in records(&buf[..n]) {
                let _ = client_hello_info(&r);
            }
        }
    }
}
