//! MGCP (RFC 3435), the gateway-control protocol of cable/enterprise VoIP:
//! UDP 2427 (gateway) and 2727 (call agent).
//!
//! A command's first line is `VERB tid endpoint MGCP version` (RFC 3435
//! §3.2.1; version "1.0" — mgcp.pcap also has Cisco's "0.1"); a response's
//! is `code tid [commentary]` (§3.3). Parameter lines follow; an empty line
//! separates an optional SDP body (§3.1), which tells where the RTP goes.

use crate::dissect::Probe;

/// Gateway port (RFC 3435 §3.6).
pub const GATEWAY_PORT: u16 = 2427;
/// Call-agent port.
pub const CALL_AGENT_PORT: u16 = 2727;

/// Command verbs (RFC 3435 §2.3; MESG is an extension seen in the wild).
pub const VERBS: [&str; 10] = [
    "EPCF", "CRCX", "MDCX", "DLCX", "RQNT", "NTFY", "AUEP", "AUCX", "RSIP", "MESG",
];

/// The first line of an MGCP message plus where its SDP starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MgcpMessage<'a> {
    /// The verb ("CRCX") or the response code text ("200").
    pub verb_or_code: &'a str,
    /// Response code, `None` for commands.
    pub code: Option<u16>,
    /// Transaction id (1..=999999999, §3.2.1).
    pub transaction_id: u32,
    /// Endpoint name (commands only), e.g. "aaln/1@gw.example.net".
    pub endpoint: Option<&'a str>,
    /// Protocol version after "MGCP" (commands only).
    pub version: Option<&'a str>,
    /// Byte offset of the SDP body in the payload, when one follows the
    /// empty line.
    pub sdp_offset: Option<usize>,
}

/// Offset just after the first blank line (CRLF CRLF or LF LF) and whether
/// anything follows it.
fn body_offset(p: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut line_start = true;
    while let Some(&b) = p.get(i) {
        if b == b'\n' {
            if line_start {
                let off = i.checked_add(1)?;
                return (off < p.len()).then_some(off);
            }
            line_start = true;
        } else if b != b'\r' {
            line_start = false;
        }
        i = i.checked_add(1)?;
    }
    None
}

/// Parses the first line; `None` when it is not MGCP.
pub fn parse(payload: &[u8]) -> Option<MgcpMessage<'_>> {
    // Every packet of an unknown UDP flow comes here: a verb (upper case)
    // or a response code must start the text before the line is searched.
    let starts_like_mgcp = payload
        .iter()
        .find(|&&b| b != b' ' && b != b'\t')
        .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !starts_like_mgcp {
        return None;
    }
    let line_end = payload
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(payload.len());
    let line = std::str::from_utf8(payload.get(..line_end)?).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut words = line.split([' ', '\t']).filter(|w| !w.is_empty());
    let first = words.next()?;
    let tid_text = words.next()?;
    if tid_text.is_empty() || tid_text.len() > 9 || !tid_text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let transaction_id: u32 = tid_text.parse().ok()?;
    // The body is looked for only once the line is known to be MGCP: a SIP
    // status line ("SIP/2.0 200 OK") passes the checks above.
    if first.len() == 3 && first.bytes().all(|b| b.is_ascii_digit()) {
        let code: u16 = first.parse().ok()?;
        if !(100..=999).contains(&code) {
            return None;
        }
        return Some(MgcpMessage {
            verb_or_code: first,
            code: Some(code),
            transaction_id,
            endpoint: None,
            version: None,
            sdp_offset: body_offset(payload),
        });
    }
    let known = VERBS.contains(&first);
    // Unknown 4-letter verbs are allowed (extensions start with X).
    let extension = first.len() == 4 && first.starts_with('X');
    if !(known || extension) {
        return None;
    }
    let endpoint = words.next()?;
    if words.next()? != "MGCP" {
        return None;
    }
    let version = words.next()?;
    Some(MgcpMessage {
        verb_or_code: first,
        code: None,
        transaction_id,
        endpoint: Some(endpoint),
        version: Some(version),
        sdp_offset: body_offset(payload),
    })
}

/// Certain for a command line (verb, tid, endpoint, "MGCP", version);
/// Unsure for a response line `code tid` (short, generic text); NotForUs
/// otherwise.
pub fn probe(payload: &[u8]) -> Probe {
    match parse(payload) {
        Some(m) if m.code.is_none() => Probe::Certain,
        Some(_) => Probe::Unsure,
        None => Probe::NotForUs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::hex;

    // mgcp.pcap frame 3: 172.16.1.116:2427 → 172.16.1.119:2427,
    // "RQNT 1 *@gateway44.myplace.com MGCP 0.1\r\nR: l/hd(n)\r\nX: 2\r\n\r\n".
    const RQNT: &str = "52514e542031202a406761746577617934342e6d79706c6163652e636f6d204d47435020302e310d0a523a206c2f6864286e290d0a583a20320d0a0d0a";
    // mgcp.pcap frame 7: "RSIP 31656860 *@gateway44.myplace.com MGCP 1.0\nRM: restart\n".
    const RSIP: &str = "52534950203331363536383630202a406761746577617934342e6d79706c6163652e636f6d204d47435020312e300a524d3a20726573746172740a";
    // mgcp.pcap frame 8: "200 31656860 ok\r\n\r\n".
    const OK: &str = "323030203331363536383630206f6b0d0a0d0a";

    #[test]
    fn real_messages() {
        let rqnt = hex(RQNT);
        let m = parse(&rqnt).unwrap();
        assert_eq!(m.verb_or_code, "RQNT");
        assert_eq!(m.transaction_id, 1);
        assert_eq!(m.endpoint, Some("*@gateway44.myplace.com"));
        assert_eq!(m.version, Some("0.1"));
        assert_eq!(m.sdp_offset, None);
        let rsip = hex(RSIP);
        let r = parse(&rsip).unwrap();
        assert_eq!((r.verb_or_code, r.transaction_id), ("RSIP", 31656860));
        assert_eq!(r.version, Some("1.0"));
        let okb = hex(OK);
        let ok = parse(&okb).unwrap();
        assert_eq!(ok.code, Some(200));
        assert_eq!(ok.transaction_id, 31656860);
        assert_eq!(probe(&hex(RQNT)), Probe::Certain);
        assert_eq!(probe(&hex(OK)), Probe::Unsure);
    }

    #[test]
    fn sdp_offset_of_crcx() {
        // RFC 3435 §2.3.5-style CRCX with an SDP body (no CRCX in corpus).
        let m = b"CRCX 1204 aaln/1@rgw-2567.whatever.net MGCP 1.0\r\nC: A3C47F21456789F0\r\nM: recvonly\r\n\r\nv=0\r\nc=IN IP4 128.96.41.1\r\nm=audio 3456 RTP/AVP 0\r\n";
        let p = parse(m).unwrap();
        let off = p.sdp_offset.unwrap();
        assert!(m[off..].starts_with(b"v=0"));
    }

    #[test]
    fn other_protocols_not_for_us() {
        assert_eq!(
            probe(b"INVITE sip:bob@example.com SIP/2.0\r\n"),
            Probe::NotForUs
        );
        assert_eq!(probe(b"SIP/2.0 200 OK\r\n"), Probe::NotForUs);
        assert_eq!(probe(b"GET / HTTP/1.1\r\n"), Probe::NotForUs);
        // iax.pcap frame 2 (binary).
        assert_eq!(probe(&hex("801700040000000100010604")), Probe::NotForUs);
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        for f in [RQNT, RSIP, OK] {
            let p = hex(f);
            for n in 0..=p.len() {
                let _ = parse(&p[..n]);
                let _ = probe(&p[..n]);
            }
        }
        let mut seed: u64 = 17;
        let alphabet = b"CRX0123456789 \r\n.MGCP@*";
        for n in 0..3000 {
            let g: Vec<u8> = (0..n % 60)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let r = (seed >> 33) as usize;
                    if n % 2 == 0 {
                        alphabet[r % alphabet.len()]
                    } else {
                        r as u8
                    }
                })
                .collect();
            let _ = parse(&g);
            let _ = probe(&g);
        }
    }
}
