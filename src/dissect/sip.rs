//! SIP messages (RFC 3261) over UDP or TCP: start line, the headers that
//! identify a call and its software, and the body (usually SDP).
//!
//! Header values are borrowed as the first line of each header (folded
//! continuation lines, deprecated by RFC 3261 §7.3.1, are not joined).
//! Over TCP, Content-Length frames messages (§18.3), so several may share a
//! segment: see [`messages`].

use super::text_lines::{lines, split_at_byte};
use super::{DissectError, Probe};

/// Methods of RFC 3261 and its extensions (RFC 3262 PRACK, 3265/6665
/// SUBSCRIBE/NOTIFY, 3311 UPDATE, 3428 MESSAGE, 3515 REFER, 3903 PUBLISH,
/// 6086 INFO).
const METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "PUBLISH",
    "INFO",
    "REFER",
    "MESSAGE",
    "UPDATE",
];
const VERSION: &str = "SIP/2.0";

/// First line of a SIP message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SipStart<'a> {
    Request { method: &'a str, uri: &'a str },
    Response { code: u16, reason: &'a str },
}

/// A parsed SIP message; header values are trimmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipMessage<'a> {
    pub start: SipStart<'a>,
    pub call_id: Option<&'a str>,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub server: Option<&'a str>,
    pub content_type: Option<&'a str>,
    pub cseq: Option<&'a str>,
    /// Bounded by Content-Length when present, else the rest of the payload.
    pub body: &'a [u8],
}

/// Cheap check: a request line with a known method ending in "SIP/2.0", or a
/// status line "SIP/2.0 NNN". A short keep-alive of CRLFs (RFC 5626
/// §3.5.1) or spaces (some phones, sip.pcap frame 19) is `Unsure`. HTTP and
/// everything else is `NotForUs`.
pub fn probe(payload: &[u8]) -> Probe {
    if !payload.is_empty()
        && payload.len() <= 8
        && payload.iter().all(|b| matches!(b, b'\r' | b'\n' | b' '))
    {
        return Probe::Unsure;
    }
    // Methods and "SIP/2.0" are upper case: most payloads stop here, before
    // the line is searched.
    if !payload.first().is_some_and(u8::is_ascii_uppercase) {
        return Probe::NotForUs;
    }
    let line_end = payload
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(payload.len());
    let Some(line) = payload.get(..line_end) else {
        return Probe::NotForUs;
    };
    match std::str::from_utf8(line).ok().and_then(start_line) {
        Some(_) => Probe::Certain,
        None => Probe::NotForUs,
    }
}

fn start_line(line: &str) -> Option<SipStart<'_>> {
    if let Some(rest) = line.strip_prefix("SIP/2.0 ") {
        let code_str = rest.get(..3)?;
        if !code_str.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let code: u16 = code_str.parse().ok()?;
        if !(100..=699).contains(&code) {
            return None;
        }
        let reason = rest.get(3..)?.trim();
        return Some(SipStart::Response { code, reason });
    }
    let mut parts = line.splitn(3, ' ');
    let method = parts.next()?;
    let uri = parts.next()?;
    let version = parts.next()?.trim_end();
    if version != VERSION || !METHODS.contains(&method) || uri.is_empty() {
        return None;
    }
    Some(SipStart::Request { method, uri })
}

/// Parses one message at the start of `payload`.
pub fn parse(payload: &[u8]) -> Result<SipMessage<'_>, DissectError> {
    parse_framed(payload).map(|(m, _)| m)
}

/// Parses one message and returns it with the number of bytes it used.
fn parse_framed(payload: &[u8]) -> Result<(SipMessage<'_>, usize), DissectError> {
    let (head_len, body_at) = header_end(payload).ok_or(DissectError::Truncated {
        need: payload.len() + 1,
        have: payload.len(),
    })?;
    let head = payload
        .get(..head_len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or(DissectError::Malformed("sip: header not UTF-8"))?;
    let mut lines = lines(head);
    let start = lines
        .next()
        .and_then(start_line)
        .ok_or(DissectError::NotForUs)?;
    let mut msg = SipMessage {
        start,
        call_id: None,
        from: None,
        to: None,
        user_agent: None,
        server: None,
        content_type: None,
        cseq: None,
        body: &[],
    };
    let mut content_length: Option<usize> = None;
    for line in lines {
        if line.starts_with([' ', '\t']) {
            continue; // folded continuation
        }
        let Some((name, value)) = split_at_byte(line, b':') else {
            continue;
        };
        // Header whitespace is ASCII (RFC 3261 §25.1); `trim` would test
        // every end character for Unicode whitespace.
        let value = value.trim_ascii();
        let slot = match canonical(name.trim_ascii()) {
            Some(Header::CallId) => &mut msg.call_id,
            Some(Header::From) => &mut msg.from,
            Some(Header::To) => &mut msg.to,
            Some(Header::UserAgent) => &mut msg.user_agent,
            Some(Header::Server) => &mut msg.server,
            Some(Header::ContentType) => &mut msg.content_type,
            Some(Header::CSeq) => &mut msg.cseq,
            Some(Header::ContentLength) => {
                content_length = Some(
                    value
                        .parse()
                        .map_err(|_| DissectError::Malformed("sip: Content-Length"))?,
                );
                continue;
            }
            None => continue,
        };
        if slot.is_none() {
            *slot = Some(value);
        }
    }
    let rest = payload.get(body_at..).unwrap_or_default();
    let used = match content_length {
        Some(len) => {
            msg.body = rest.get(..len).ok_or(DissectError::Truncated {
                need: body_at + len,
                have: payload.len(),
            })?;
            body_at + len
        }
        None => {
            msg.body = rest;
            payload.len()
        }
    };
    Ok((msg, used))
}

/// End of the header block: (length of the header text, start of the body).
/// Accepts CRLFCRLF and, leniently, LFLF.
fn header_end(p: &[u8]) -> Option<(usize, usize)> {
    // Only line ends can end the headers: jump from one to the next
    // (memchr) instead of testing every byte of the message.
    for i in memchr::memchr_iter(b'\n', p) {
        match p.get(i + 1) {
            Some(b'\n') => return Some((i, i + 2)),
            Some(b'\r')
                if p.get(i + 2) == Some(&b'\n') && i > 0 && p.get(i - 1) == Some(&b'\r') =>
            {
                return Some((i - 1, i + 3));
            }
            _ => {}
        }
    }
    None
}

enum Header {
    CallId,
    From,
    To,
    UserAgent,
    Server,
    ContentType,
    CSeq,
    ContentLength,
}

/// Header names are case-insensitive; compact forms per RFC 3261 §7.3.3
/// (i, f, t, c, l).
fn canonical(name: &str) -> Option<Header> {
    let is = |full: &str| name.eq_ignore_ascii_case(full);
    if is("call-id") || is("i") {
        Some(Header::CallId)
    } else if is("from") || is("f") {
        Some(Header::From)
    } else if is("to") || is("t") {
        Some(Header::To)
    } else if is("user-agent") {
        Some(Header::UserAgent)
    } else if is("server") {
        Some(Header::Server)
    } else if is("content-type") || is("c") {
        Some(Header::ContentType)
    } else if is("cseq") {
        Some(Header::CSeq)
    } else if is("content-length") || is("l") {
        Some(Header::ContentLength)
    } else {
        None
    }
}

/// The whole messages in a TCP segment (or reassembled stream chunk), in
/// order; stops at the first incomplete or invalid one. CRLF keep-alives
/// between messages are skipped.
pub fn messages(segment: &[u8]) -> impl Iterator<Item = SipMessage<'_>> {
    framed_messages(segment).map(|(msg, _)| msg)
}

/// `messages`, each with the offset in `segment` where it ends: past the
/// last one begins what a later segment may go on with.
pub fn framed_messages(segment: &[u8]) -> impl Iterator<Item = (SipMessage<'_>, usize)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = segment.get(at..)?;
        let skip = rest
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .unwrap_or(rest.len());
        let (msg, used) = parse_framed(rest.get(skip..)?).ok()?;
        // Over TCP a message without Content-Length takes the rest (§18.3
        // makes the header mandatory there).
        at += skip + used.max(1);
        Some((msg, at.min(segment.len())))
    })
}

/// The method of a request, or "SIP response", whose start line begins
/// `payload` (after CRLF keep-alives; complete up to its end of line).
pub fn message_name(payload: &[u8]) -> Option<&str> {
    let skip = payload.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let payload = payload.get(skip..)?;
    let line_end = payload.iter().position(|&b| b == b'\r' || b == b'\n')?;
    let line = std::str::from_utf8(payload.get(..line_end)?).ok()?;
    Some(match start_line(line)? {
        SipStart::Request { method, .. } => method,
        SipStart::Response { .. } => "SIP response",
    })
}

/// The user part of a From or To header's address
/// (`"arik" <sip:816666@voip.brurjula.net>;tag=6433ef9` → `816666`), or a
/// `tel:` URI's number; `None` when the address names no user.
pub fn address_user(value: &str) -> Option<&str> {
    // Between angle brackets when the address has them, else up to the
    // header's first parameter; a quoted display name may hold either.
    let value = match value.trim_start().strip_prefix('"') {
        Some(quoted) => quoted.get(closing_quote(quoted)? + 1..)?,
        None => value,
    };
    let uri = match value.find('<') {
        Some(open) => {
            let rest = value.get(open + 1..)?;
            rest.get(..rest.find('>')?)?
        }
        None => value.split(';').next()?,
    };
    let (scheme, rest) = uri.trim().split_once(':')?;
    let user = if scheme.eq_ignore_ascii_case("tel") {
        rest.split(';').next()?
    } else if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        // (User parameters such as `;npdi` are not the user.)
        rest.split_once('@')?.0.split(';').next()?
    } else {
        return None;
    };
    (!user.is_empty()).then_some(user)
}

/// Where a quoted string that began just before `quoted` ends (a
/// backslash escapes the next character).
fn closing_quote(quoted: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in quoted.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i),
            _ => {}
        }
    }
    None
}

/// Whether a To or From header carries a tag: a request whose To has one
/// belongs to a dialog already set up (a re-INVITE), not a new call.
pub fn has_tag(value: &str) -> bool {
    let params = match value.rfind('>') {
        Some(close) => value.get(close..).unwrap_or_default(),
        None => value,
    };
    params.split(';').skip(1).any(|p| {
        p.trim_start()
            .get(..4)
            .is_some_and(|name| name.eq_ignore_ascii_case("tag="))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{lcg_bytes, payloads};

    /// Lines and header splits as `str::split` and `split_once` give them,
    /// on every SIP header block of the samples and corpus and on edge cases.
    #[test]
    fn lines_and_splits_match_std() {
        let mut heads: Vec<String> = [
            "",
            "\n",
            "\r\n",
            "INVITE sip:a@b SIP/2.0",
            "a\r\nb\n\nc\r",
            "x: y\r\nno colon\r\n: empty name\r\nk:\r\n\r\n",
            "é: ü\r\nü:é",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let corpus = ["sip.pcap", "sip_hello.pcapng", "http_on_sip_port.pcap"]
            .into_iter()
            .flat_map(|f| payloads(f).unwrap_or_default());
        for p in corpus {
            if let Some((len, _)) = header_end(&p.data) {
                if let Some(h) = p.data.get(..len).and_then(|h| std::str::from_utf8(h).ok()) {
                    heads.push(h.to_string());
                }
            }
        }
        for head in &heads {
            let std = crate::dissect::text_lines::std_lines(head);
            assert_eq!(lines(head).collect::<Vec<_>>(), std, "{head:?}");
            for line in std {
                assert_eq!(split_at_byte(line, b':'), line.split_once(':'), "{line:?}");
            }
        }
    }

    /// The end of the headers as the first empty line, with either line end.
    fn header_end_by_search(p: &[u8]) -> Option<(usize, usize)> {
        let crlf = p.windows(4).position(|w| w == b"\r\n\r\n");
        let lf = p.windows(2).position(|w| w == b"\n\n");
        match (crlf, lf) {
            (Some(a), Some(b)) if b < a => Some((b, b + 2)),
            (Some(a), _) => Some((a, a + 4)),
            (None, Some(b)) => Some((b, b + 2)),
            (None, None) => None,
        }
    }

    #[test]
    fn header_end_finds_the_first_empty_line() {
        let cases: [&[u8]; 9] = [
            b"INVITE x SIP/2.0\r\nA: b\r\n\r\nbody",
            b"INVITE x SIP/2.0\nA: b\n\nbody\r\n\r\n",
            b"A\r\n\nB",
            b"A\n\r\n\r\n",
            b"\r\n\r\n",
            b"\n\n",
            b"\n\r\n",
            b"no end\r\n",
            b"",
        ];
        for case in cases {
            assert_eq!(header_end(case), header_end_by_search(case), "{case:?}");
        }
        for seed in 0..2000 {
            // Bytes drawn mostly from line ends, to hit every mix.
            let bytes: Vec<u8> = lcg_bytes(seed, 24)
                .into_iter()
                .map(|b| match b % 4 {
                    0 => b'\r',
                    1 => b'\n',
                    2 => b'a',
                    _ => b,
                })
                .collect();
            assert_eq!(
                header_end(&bytes),
                header_end_by_search(&bytes),
                "{bytes:?}"
            );
        }
    }

    fn invite() -> Option<Vec<u8>> {
        // sip.pcap frame 22: INVITE with a 272-byte SDP body.
        let ps = payloads("sip.pcap")?;
        ps.into_iter()
            .find(|p| p.data.starts_with(b"INVITE "))
            .map(|p| p.data)
    }

    #[test]
    fn whole_messages_then_a_cut_one() {
        let one = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\nContent-Length: 0\r\n\r\n";
        let cut = b"INVITE sip:a@b SIP/2.0\r\nCall-ID: 2\r\nContent-Length: 10\r\n\r\nv=0";
        let whole_len = |segment: &[u8]| framed_messages(segment).last().map_or(0, |(_, end)| end);
        let mut segment = b"\r\n".to_vec();
        segment.extend_from_slice(one);
        assert_eq!(whole_len(&segment), segment.len());
        segment.extend_from_slice(b"\r\n");
        segment.extend_from_slice(cut);
        let rest = &segment[whole_len(&segment)..];
        assert_eq!(&rest[2..], cut);
        assert_eq!(message_name(rest), Some("INVITE"));
        assert_eq!(message_name(b"SIP/2.0 200 OK\r\n"), Some("SIP response"));
        assert_eq!(message_name(b"INVITE sip:a@b SIP/2"), None);
        assert_eq!(message_name(b"v=0\r\n"), None);
    }

    #[test]
    fn users_of_addresses_written_every_way() {
        for (value, user) in [
            ("<sip:3002@10.3.0.2>", Some("3002")),
            (
                "\"A <b> \\\"c\\\"\" <sips:alice@example.test;transport=tls>;tag=9",
                Some("alice"),
            ),
            ("sip:bob@example.test;tag=1", Some("bob")),
            (
                "<tel:+15551234567;phone-context=example.test>",
                Some("+15551234567"),
            ),
            (
                "<sip:+15551234567;npdi@gw.example.test;user=phone>",
                Some("+15551234567"),
            ),
            ("<sip:example.test>", None),
            ("<mailto:a@b>", None),
            ("", None),
        ] {
            assert_eq!(address_user(value), user, "{value}");
        }
        assert!(has_tag("<sip:a@b>;TAG=x"));
        assert!(has_tag("sip:a@b; tag=x"));
        assert!(!has_tag("<sip:a@b;tag=x>"));
        assert!(!has_tag("<sip:a@b>;tagged=1"));
    }

    #[test]
    fn invite_from_capture() {
        let Some(inv) = invite() else {
            return;
        };
        assert_eq!(probe(&inv), Probe::Certain);
        let m = parse(&inv).unwrap();
        assert_eq!(
            m.start,
            SipStart::Request {
                method: "INVITE",
                uri: "sip:97239287044@voip.brujula.net"
            }
        );
        assert_eq!(m.call_id, Some("105090259-446faf7a@192.168.1.2"));
        assert_eq!(
            m.from,
            Some("\"arik\" <sip:816666@voip.brurjula.net>;tag=6433ef9")
        );
        assert_eq!(m.to, Some("<sip:97239287044@voip.brujula.net>"));
        assert_eq!(address_user(m.from.unwrap()), Some("816666"));
        assert_eq!(address_user(m.to.unwrap()), Some("97239287044"));
        assert!(has_tag(m.from.unwrap()));
        assert!(!has_tag(m.to.unwrap()));
        assert_eq!(m.user_agent, Some("Nero SIPPS IP Phone Version 2.0.51.16"));
        assert_eq!(m.content_type, Some("application/sdp"));
        assert_eq!(m.cseq, Some("1 INVITE"));
        assert_eq!(m.body.len(), 272);
        assert!(m.body.starts_with(b"v=0"));
    }

    #[test]
    fn all_sip_pcap_messages_parse() {
        // tshark: every UDP payload in sip.pcap on port 5060 is SIP.
        let Some(ps) = payloads("sip.pcap") else {
            return;
        };
        let sip: Vec<_> = ps
            .iter()
            .filter(|p| p.src_port == 5060 || p.dst_port == 5060)
            .filter(|p| !p.data.is_empty())
            .collect();
        let (keepalive, sip): (Vec<_>, Vec<_>) = sip
            .into_iter()
            .partition(|p| p.data.iter().all(|&b| b == b' '));
        // Frame 19 and others: five spaces.
        assert!(!keepalive.is_empty());
        assert!(keepalive.iter().all(|p| probe(&p.data) == Probe::Unsure));
        assert!(!sip.is_empty());
        for p in &sip {
            assert_eq!(probe(&p.data), Probe::Certain, "frame {}", p.frame);
            let m = parse(&p.data).unwrap();
            assert!(m.call_id.is_some(), "frame {} has a Call-ID", p.frame);
        }
        let codes: Vec<u16> = sip
            .iter()
            .filter_map(|p| match parse(&p.data).ok()?.start {
                SipStart::Response { code, .. } => Some(code),
                _ => None,
            })
            .take(3)
            .collect();
        assert_eq!(codes, [401, 100, 403]); // tshark frames 2, 4, 5
    }

    #[test]
    fn hello_keepalive_and_register() {
        // sip_hello.pcapng: "hello" keep-alives (frame 1), REGISTER at frame 9.
        let Some(ps) = payloads("sip_hello.pcapng") else {
            return;
        };
        assert_eq!(ps[0].data, b"hello");
        assert_eq!(probe(&ps[0].data), Probe::NotForUs);
        let reg = ps.iter().find(|p| p.data.starts_with(b"REGISTER")).unwrap();
        let m = parse(&reg.data).unwrap();
        assert_eq!(m.call_id, Some("c15740-ae78e54-13c4-38-3e10ffda-38"));
        assert_eq!(m.cseq, Some("28715 REGISTER"));
        assert!(m.body.is_empty());
    }

    #[test]
    fn http_on_sip_port_is_not_sip() {
        let Some(ps) = payloads("http_on_sip_port.pcap") else {
            return;
        };
        let mut seen = 0;
        for p in ps.iter().filter(|p| !p.data.is_empty()) {
            seen += 1;
            assert_eq!(probe(&p.data), Probe::NotForUs, "frame {}", p.frame);
            assert!(parse(&p.data).is_err());
        }
        assert!(seen >= 2);
    }

    #[test]
    fn compact_headers_and_tcp_framing() {
        let one = b"SIP/2.0 200 OK\r\ni: abc@h\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\nc: application/sdp\r\nl: 4\r\nServer: X/1\r\n\r\nv=0\n";
        let two =
            b"BYE sip:c@d SIP/2.0\r\nCall-ID: abc@h\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
        let mut seg = Vec::new();
        seg.extend_from_slice(one);
        seg.extend_from_slice(b"\r\n\r\n"); // keep-alive between messages
        seg.extend_from_slice(two);
        seg.extend_from_slice(&two[..20]); // a third, cut short
        let ms: Vec<_> = messages(&seg).collect();
        assert_eq!(ms.len(), 2);
        assert_eq!(ms[0].call_id, Some("abc@h"));
        assert_eq!(ms[0].from, Some("<sip:a@b>;tag=1"));
        assert_eq!(ms[0].to, Some("<sip:c@d>"));
        assert_eq!(ms[0].content_type, Some("application/sdp"));
        assert_eq!(ms[0].server, Some("X/1"));
        assert_eq!(ms[0].body, b"v=0\n");
        assert_eq!(
            ms[0].start,
            SipStart::Response {
                code: 200,
                reason: "OK"
            }
        );
        assert_eq!(ms[1].cseq, Some("2 BYE"));
        assert_eq!(
            parse(&one[..one.len() - 1]),
            Err(DissectError::Truncated {
                need: one.len(),
                have: one.len() - 1
            })
        );
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let Some(inv) = invite() else {
            return;
        };
        for cut in 0..inv.len() {
            let p = &inv[..cut];
            let _ = probe(p);
            // Any prefix short of the full body is incomplete.
            assert!(parse(p).is_err(), "cut {cut}");
            assert_eq!(messages(p).count(), 0);
        }
        for seed in 0..2000u64 {
            let mut g = lcg_bytes(seed, (seed % 400) as usize);
            if seed % 2 == 0 {
                let mut v = b"INVITE sip:x SIP/2.0\r\nl: ".to_vec();
                v.append(&mut g);
                g = v;
            }
            let _ = probe(&g);
            let _ = parse(&g);
            let _ = messages(&g).count();
        }
    }
}
