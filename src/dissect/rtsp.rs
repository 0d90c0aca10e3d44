//! RTSP (RFC 2326; RTSP 2.0, RFC 7826), the control protocol of IP cameras
//! and media servers. A DESCRIBE answer carries SDP and a SETUP sets up RTP
//! streams, as a call's signalling does: recognising RTSP keeps a camera
//! feed from reading as a call's signalling, and its streams as a call.
//!
//! A request's first line is `METHOD rtsp://... RTSP/1.0` (§6.1), a
//! response's `RTSP/1.0 code reason` (§7.1). The `Transport` header
//! (§12.39) of a SETUP and of its answer names the UDP ports of the streams.

use std::net::IpAddr;

use crate::dissect::text_lines::{lines, split_at_byte};
use crate::dissect::Probe;

/// Methods (RFC 2326 §10, RFC 7826 §13), as evidence names.
const METHODS: [&str; 12] = [
    "OPTIONS",
    "DESCRIBE",
    "ANNOUNCE",
    "SETUP",
    "PLAY",
    "PLAY_NOTIFY",
    "PAUSE",
    "TEARDOWN",
    "GET_PARAMETER",
    "SET_PARAMETER",
    "REDIRECT",
    "RECORD",
];

/// One RTSP message's first line and header text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtspMessage<'a> {
    /// The method of a request (`None` for a response).
    pub method: Option<&'static str>,
    /// The lines after the first, up to the end of the segment (a body
    /// may follow; only header lines are read from it).
    headers: &'a str,
}

/// One transport the `Transport` header offers or confirms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StreamTransport {
    /// Ports at the RTSP client's end (`client_port`, or a multicast
    /// group's `port`): RTP's and RTCP's.
    pub client_ports: Option<(u16, u16)>,
    /// Ports at the server's end (`server_port`).
    pub server_ports: Option<(u16, u16)>,
    /// Where the stream goes, when not to the client (`destination`).
    pub destination: Option<IpAddr>,
    /// Where it comes from, when not from the server (`source`).
    pub source: Option<IpAddr>,
}

/// Whether a TCP payload starts an RTSP message.
pub fn probe(payload: &[u8]) -> Probe {
    if parse(payload).is_some() {
        Probe::Certain
    } else {
        Probe::NotForUs
    }
}

/// The message a payload starts with; `None` when it is not RTSP.
pub fn parse(payload: &[u8]) -> Option<RtspMessage<'_>> {
    // Cheap refusal first: every early TCP payload of a flow comes here.
    let first = *payload.first()?;
    if !first.is_ascii_uppercase() {
        return None;
    }
    let line_end = memchr::memchr(b'\n', payload).unwrap_or(payload.len());
    let line = std::str::from_utf8(payload.get(..line_end)?).ok()?;
    let line = line.strip_suffix('\r').unwrap_or(line);
    let method = if let Some(status) = line.strip_prefix("RTSP/") {
        // `RTSP/1.0 200 OK`: a version, then a three-digit code.
        let (version, rest) = split_at_byte(status, b' ')?;
        let code = rest.get(..3)?;
        if !is_version(version) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        None
    } else {
        let mut words = line.split(' ');
        let verb = words.next()?;
        let uri = words.next()?;
        let version = words.next()?.strip_prefix("RTSP/")?;
        let method = METHODS.iter().find(|m| **m == verb)?;
        if words.next().is_some() || !is_version(version) || !is_rtsp_uri(uri) {
            return None;
        }
        Some(*method)
    };
    let rest = payload
        .get(line_end.saturating_add(1)..)
        .unwrap_or_default();
    // Headers are text; a body after them need not be (only the headers'
    // valid prefix is kept).
    let headers = match std::str::from_utf8(rest) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(rest.get(..e.valid_up_to())?).ok()?,
    };
    Some(RtspMessage { method, headers })
}

/// `1.0` or `2.0`.
fn is_version(v: &str) -> bool {
    matches!(v, "1.0" | "2.0")
}

/// A request URI: an `rtsp:`/`rtsps:`/`rtspu:` URL, or `*` (OPTIONS).
fn is_rtsp_uri(uri: &str) -> bool {
    uri == "*"
        || ["rtsp://", "rtsps://", "rtspu://"].iter().any(|scheme| {
            uri.get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme))
        })
}

impl<'a> RtspMessage<'a> {
    /// The transports of the message's `Transport` headers (none outside
    /// SETUP and its answer), in order, at most `MAX_TRANSPORTS`.
    pub fn transports(&self) -> Vec<StreamTransport> {
        const MAX_TRANSPORTS: usize = 8;
        let mut out = Vec::new();
        for line in lines(self.headers) {
            if line.is_empty() {
                break; // the end of the headers
            }
            let Some((name, value)) = split_at_byte(line, b':') else {
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("transport") {
                continue;
            }
            for spec in value.split(',') {
                if out.len() >= MAX_TRANSPORTS {
                    return out;
                }
                if let Some(t) = parse_transport(spec) {
                    out.push(t);
                }
            }
        }
        out
    }
}

/// One transport spec, `RTP/AVP[/UDP];unicast;client_port=a-b;...`; `None`
/// for streams interleaved in the RTSP connection (they need no socket)
/// or a spec that names no port.
fn parse_transport(spec: &str) -> Option<StreamTransport> {
    let mut params = spec.trim().split(';');
    let protocol = params.next()?;
    if protocol.to_ascii_uppercase().ends_with("/TCP") {
        return None;
    }
    let mut t = StreamTransport::default();
    for param in params {
        let (name, value) = split_at_byte(param.trim(), b'=').unwrap_or((param.trim(), ""));
        let value = value.trim().trim_matches('"');
        match name.to_ascii_lowercase().as_str() {
            "client_port" | "port" => t.client_ports = port_range(value),
            "server_port" => t.server_ports = port_range(value),
            "destination" => t.destination = value.parse().ok(),
            "source" => t.source = value.parse().ok(),
            "interleaved" => return None,
            _ => {}
        }
    }
    (t.client_ports.is_some() || t.server_ports.is_some()).then_some(t)
}

/// `a-b` or `a` (RTCP then on a+1, RFC 2326 §12.39); no port 0.
fn port_range(value: &str) -> Option<(u16, u16)> {
    let (low, high) = match split_at_byte(value, b'-') {
        Some((low, high)) => (low.parse::<u16>().ok()?, high.parse::<u16>().ok()?),
        None => {
            let low = value.parse::<u16>().ok()?;
            (low, low.saturating_add(1))
        }
    };
    (low != 0 && high >= low).then_some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::payloads;

    #[test]
    fn requests_and_responses() {
        let m = parse(b"SETUP rtsp://10.2.2.2:8554/trackID=0 RTSP/1.0\r\nCSeq: 4\r\nTransport: RTP/AVP;unicast;client_port=55664-55665\r\n\r\n").unwrap();
        assert_eq!(m.method, Some("SETUP"));
        assert_eq!(
            m.transports(),
            vec![StreamTransport {
                client_ports: Some((55664, 55665)),
                ..StreamTransport::default()
            }]
        );
        let r = parse(b"RTSP/1.0 200 OK\r\nTransport: RTP/AVP/UDP;unicast;client_port=55664-55665;server_port=58547-58548;ssrc=B1964B48;mode=play\r\n\r\n").unwrap();
        assert_eq!(r.method, None);
        assert_eq!(
            r.transports(),
            vec![StreamTransport {
                client_ports: Some((55664, 55665)),
                server_ports: Some((58547, 58548)),
                ..StreamTransport::default()
            }]
        );
        assert!(parse(b"OPTIONS * RTSP/1.0\r\n\r\n").is_some());
        assert!(parse(b"PLAY rtsp://cam/ RTSP/2.0\r\n").is_some());
    }

    #[test]
    fn multicast_and_interleaved_transports() {
        let m = parse(b"RTSP/1.0 200 OK\r\ntransport: RTP/AVP;multicast;destination=232.0.1.2;port=5000-5001;ttl=4,RTP/AVP/TCP;interleaved=0-1\r\n").unwrap();
        assert_eq!(
            m.transports(),
            vec![StreamTransport {
                client_ports: Some((5000, 5001)),
                destination: "232.0.1.2".parse().ok(),
                ..StreamTransport::default()
            }]
        );
        let t =
            parse(b"SETUP rtsp://cam/1 RTSP/1.0\r\nTransport: RTP/AVP;unicast;interleaved=0-1\r\n")
                .unwrap();
        assert!(t.transports().is_empty());
    }

    #[test]
    fn other_text_protocols_are_not_rtsp() {
        for text in [
            &b"INVITE sip:bob@example.com SIP/2.0\r\n"[..],
            b"SIP/2.0 200 OK\r\n",
            b"GET / HTTP/1.1\r\n",
            b"HTTP/1.1 200 OK\r\n",
            b"DESCRIBE http://cam/ RTSP/1.0\r\n",
            b"SETUP rtsp://cam/ HTTP/1.1\r\n",
            b"RTSP/1.0 OK\r\n",
            b"",
        ] {
            assert_eq!(
                probe(text),
                Probe::NotForUs,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn total_on_prefixes() {
        let m =
            b"RTSP/1.0 200 OK\r\nTransport: RTP/AVP;unicast;client_port=1-2;server_port=3\r\n\r\n";
        for n in 0..=m.len() {
            if let Some(p) = parse(&m[..n]) {
                let _ = p.transports();
            }
        }
        assert_eq!(port_range("3"), Some((3, 4)));
        assert_eq!(port_range("0-1"), None);
        assert_eq!(port_range("9-8"), None);
        assert_eq!(port_range("65535"), Some((65535, 65535)));
    }

    /// The real session of rtsp.pcap (VLC's server): every message its
    /// client and server exchange is RTSP, and the SETUPs name the streams.
    #[test]
    fn corpus_session() {
        let Some(all) = payloads("rtsp.pcap") else {
            return;
        };
        let messages: Vec<_> = all
            .iter()
            .filter(|p| p.tcp && (p.src_port == 8554 || p.dst_port == 8554))
            .filter_map(|p| parse(&p.data))
            .collect();
        assert!(messages.iter().any(|m| m.method == Some("DESCRIBE")));
        let ports: Vec<_> = messages
            .iter()
            .flat_map(|m| m.transports())
            .filter_map(|t| t.server_ports)
            .collect();
        assert!(ports.contains(&(58547, 58548)), "{ports:?}");
    }
}
