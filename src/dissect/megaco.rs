//! Megaco / H.248 (RFC 3525, ITU-T H.248.1): a call agent's control of a
//! media gateway, the way carriers and PBXs bridge calls to the telephone
//! network (text form on UDP 2944, binary on 2945). Only the text form's
//! header is read: `MEGACO/1` or its short form `!/1`, whitespace, then
//! the sender's message ID: an address in brackets, a domain name in
//! angle brackets or an MTP address (RFC 3525 annex B.2, `mId`).

/// Whether `payload` begins a text-encoded Megaco message.
pub fn is_text_message(payload: &[u8]) -> bool {
    // Leading whitespace (LWSP) is allowed before the message.
    let start = payload
        .iter()
        .take(16)
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(payload.len());
    let Some(p) = payload.get(start..) else {
        return false;
    };
    let after_token = if p.first() == Some(&b'!') {
        1
    } else if p
        .get(..6)
        .is_some_and(|t| t.eq_ignore_ascii_case(b"MEGACO"))
    {
        6
    } else {
        return false;
    };
    let Some(rest) = p.get(after_token..) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(b"/") else {
        return false;
    };
    // Version: one or two digits.
    let digits = rest
        .iter()
        .take(3)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if !(1..=2).contains(&digits) {
        return false;
    }
    let Some(rest) = rest.get(digits..) else {
        return false;
    };
    let spaces = rest
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count();
    if spaces == 0 {
        return false;
    }
    match rest.get(spaces..) {
        Some([b'[' | b'<', ..]) => true,
        Some(m) => m.get(..4).is_some_and(|t| t.eq_ignore_ascii_case(b"MTP{")),
        None => false,
    }
}

/// The SDP sessions of a message's Local descriptors (`L{...}` or
/// `Local{...}`, RFC 3525 annex B.2 `localDescriptor`): each describes a
/// termination of the media gateway itself, where its media are sent and
/// received. Values the gateway is still to choose are `$` and do not
/// parse as addresses.
pub fn local_descriptors(message: &[u8]) -> Vec<&[u8]> {
    let mut sessions = Vec::new();
    let mut at = 0;
    while let Some(open) = message
        .get(at..)
        .and_then(|m| m.iter().position(|b| *b == b'{'))
    {
        let open = at + open;
        at = open + 1;
        // The descriptor's name: the word before the brace.
        let word_start = message
            .get(..open)
            .unwrap_or_default()
            .iter()
            .rposition(|b| !b.is_ascii_alphabetic())
            .map_or(0, |i| i + 1);
        let word = message.get(word_start..open).unwrap_or_default();
        if !(word.eq_ignore_ascii_case(b"L") || word.eq_ignore_ascii_case(b"Local")) {
            continue;
        }
        let Some(len) = message
            .get(at..)
            .and_then(|m| m.iter().position(|b| *b == b'}'))
        else {
            break;
        };
        let body = message.get(at..at + len).unwrap_or_default();
        // One descriptor may hold several sessions, each from its "v=".
        let mut starts: Vec<usize> = body
            .windows(2)
            .enumerate()
            .filter(|(i, w)| {
                *w == b"v=" && (*i == 0 || matches!(body.get(i - 1), Some(b'\n' | b'\r')))
            })
            .map(|(i, _)| i)
            .collect();
        starts.push(body.len());
        sessions.extend(starts.windows(2).filter_map(|w| match w {
            [from, to] => body.get(*from..*to),
            _ => None,
        }));
        at += len + 1;
    }
    sessions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::lcg_bytes;

    #[test]
    fn text_messages() {
        // Short form from a gateway named by domain (RFC 3525 annex B
        // examples use the long form; the short token is "!").
        assert!(is_text_message(
            b"!/1 <iMSS>\nT=555282713{C=-{AV=DS/1/5{AT{M}}}}"
        ));
        assert!(is_text_message(
            b"MEGACO/1 [124.124.124.222]:55555\nTransaction = 9998 {\n"
        ));
        assert!(is_text_message(b"\r\nmegaco/1\t[2001:db8::1]:2944 P=1{}"));
        assert!(is_text_message(b"!/2 MTP{0A1B}\nP=7{}"));
    }

    #[test]
    fn other_payloads_are_not_megaco() {
        for p in [
            &b"!/1<iMSS>"[..],
            b"!/ <iMSS>",
            b"!/123 <iMSS>",
            b"MEGACO1 [1.2.3.4]",
            b"MEGACO/1 gateway",
            b"RSIP 1 aaln/1@gw MGCP 1.0\r\n",
            b"INVITE sip:a@b SIP/2.0\r\n",
            b"!",
            b"",
        ] {
            assert!(!is_text_message(p), "{:?}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn local_descriptors_hold_the_gateways_sessions() {
        // As a gateway answers an Add: its own address and ports, two
        // sessions in one descriptor; the Remote one is the other end's.
        let reply = b"!/1 <mg1>\nP=7{C=1{A=RTP/7{M{O{MO=RC},L{v=0\r\nc=IN IP4 10.23.1.52\r\nm=audio 16756 RTP/AVP 8\r\nv=0\r\nc=IN IP4 10.23.1.52\r\nm=image 16758 udptl t38\r\n},R{v=0\r\nc=IN IP4 10.35.60.100\r\nm=audio 15580 RTP/AVP 8\r\n}}}}}";
        let sessions = local_descriptors(reply);
        assert_eq!(sessions.len(), 2);
        assert!(sessions[0].starts_with(b"v=0") && sessions[0].ends_with(b"RTP/AVP 8\r\n"));
        assert!(sessions[1].ends_with(b"udptl t38\r\n"));
        // The long name; an unfinished descriptor.
        assert_eq!(
            local_descriptors(b"Local{v=0\nc=IN IP4 1.2.3.4\n}").len(),
            1
        );
        assert!(local_descriptors(b"L{v=0\nc=IN IP4 1.2.3.4").is_empty());
        assert!(local_descriptors(b"Remote{v=0\n}").is_empty());
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let m = b"MEGACO/1 [124.124.124.222]:55555\nT=1{}";
        for n in 0..=m.len() {
            let _ = is_text_message(&m[..n]);
        }
        let l = b"!/1 <g>\nP=1{C=1{A=x{M{L{v=0\nc=IN IP4 1.2.3.4\nm=audio 5 RTP/AVP 0\n}}}}}";
        for n in 0..=l.len() {
            let _ = local_descriptors(&l[..n]);
        }
        for seed in 0..2000 {
            let mut g = lcg_bytes(seed, (seed % 24) as usize);
            if let Some(b) = g.first_mut() {
                *b = b'!';
            }
            let _ = is_text_message(&g);
            let _ = local_descriptors(&g);
        }
    }
}
