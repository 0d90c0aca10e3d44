//! SDP bodies (RFC 8866) from SIP or other signalling: where each media
//! stream will flow (c= and m= lines), its codecs (a=rtpmap), RTCP port
//! (a=rtcp, RFC 3605) and ICE candidates (a=candidate, RFC 8839 §5.1).
//! These endpoints let the flow code tie later RTP flows to a call.

use std::net::{IpAddr, SocketAddr};

use super::text_lines::{lines, split_at_byte};
use super::DissectError;

/// Lines kept per body, against crafted input.
const MAX_ITEMS: usize = 512;

/// A parsed session description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SdpSession {
    /// Unicast address of the o= line (when it is an IP literal).
    pub origin_addr: Option<IpAddr>,
    /// Session-level c= address.
    pub connection: Option<IpAddr>,
    pub media: Vec<SdpMedia>,
    /// Session-level a=candidate lines (rare; usually per media).
    pub candidates: Vec<IceCandidate>,
}

/// One m= section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SdpMedia {
    /// audio, video, application, ...
    pub kind: String,
    /// 0 means the stream is disabled (RFC 3264 §5.1).
    pub port: u16,
    /// RTP/AVP, UDP/TLS/RTP/SAVPF, ...
    pub proto: String,
    pub formats: Vec<String>,
    /// Media-level c= address; overrides the session's.
    pub connection: Option<IpAddr>,
    /// a=rtcp port (RFC 3605).
    pub rtcp_port: Option<u16>,
    pub candidates: Vec<IceCandidate>,
    /// a=rtpmap: (payload type, encoding name, clock rate).
    pub rtpmap: Vec<(u8, String, u32)>,
}

/// ICE candidate type (RFC 8445 §5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CandidateKind {
    Host,
    Srflx,
    Prflx,
    Relay,
    Other,
}

/// One a=candidate line with an IP literal address (mDNS `.local` names,
/// RFC 8839 §5.1 / draft-ietf-mmusic-mdns-ice-candidates, are skipped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceCandidate {
    pub addr: SocketAddr,
    /// Lowercase: udp, tcp.
    pub transport: String,
    pub kind: CandidateKind,
    /// raddr/rport: the base of a srflx/relay candidate.
    pub related: Option<SocketAddr>,
}

impl SdpSession {
    /// Where RTP is to be sent: each enabled m= port at its media-level c=,
    /// else the session-level c=. Unspecified addresses (0.0.0.0 = hold,
    /// RFC 3264 §8.4) are left out.
    pub fn media_endpoints(&self) -> Vec<SocketAddr> {
        self.media
            .iter()
            .filter(|m| m.port != 0)
            .filter_map(|m| {
                let ip = m.connection.or(self.connection)?;
                (!ip.is_unspecified()).then_some(SocketAddr::new(ip, m.port))
            })
            .collect()
    }
}

/// Parses an SDP body. Unknown lines are ignored; the body must start with
/// `v=` (RFC 8866 §5) to be taken as SDP.
pub fn parse(body: &[u8]) -> Result<SdpSession, DissectError> {
    let text = std::str::from_utf8(body).map_err(|_| DissectError::Malformed("sdp: not UTF-8"))?;
    let text = text.trim_start();
    if !text.starts_with("v=") {
        return Err(DissectError::NotForUs);
    }
    let mut s = SdpSession::default();
    for line in lines(text).take(MAX_ITEMS * 4) {
        let line = line.trim_ascii_end();
        let Some((kind, value)) = split_at_byte(line, b'=') else {
            continue;
        };
        match kind {
            "o" => s.origin_addr = addr_of(value.split_whitespace().skip(3)),
            "c" => {
                let addr = addr_of(value.split_whitespace());
                match s.media.last_mut() {
                    Some(m) => m.connection = addr,
                    None => s.connection = addr,
                }
            }
            "m" if s.media.len() < MAX_ITEMS => {
                if let Some(m) = media_line(value) {
                    s.media.push(m);
                }
            }
            "a" => attribute(&mut s, value),
            _ => {}
        }
    }
    Ok(s)
}

/// `<nettype> <addrtype> <address>[/ttl[/count]]` → the address when it is
/// an IP literal.
fn addr_of<'a>(mut parts: impl Iterator<Item = &'a str>) -> Option<IpAddr> {
    let _net = parts.next()?;
    let _addrtype = parts.next()?;
    let addr = parts.next()?;
    addr.split('/').next()?.parse().ok()
}

/// `m=<media> <port>[/<count>] <proto> <fmt> ...`
fn media_line(value: &str) -> Option<SdpMedia> {
    let mut parts = value.split_whitespace();
    let kind = parts.next()?.to_owned();
    let port = parts.next()?.split('/').next()?.parse().ok()?;
    let proto = parts.next()?.to_owned();
    let formats = parts.take(MAX_ITEMS).map(str::to_owned).collect();
    Some(SdpMedia {
        kind,
        port,
        proto,
        formats,
        ..SdpMedia::default()
    })
}

fn attribute(s: &mut SdpSession, value: &str) {
    let (name, arg) = value.split_once(':').unwrap_or((value, ""));
    match name {
        "candidate" => {
            if let Some(c) = parse_candidate(arg) {
                let list = match s.media.last_mut() {
                    Some(m) => &mut m.candidates,
                    None => &mut s.candidates,
                };
                if list.len() < MAX_ITEMS {
                    list.push(c);
                }
            }
        }
        "rtcp" => {
            if let Some(m) = s.media.last_mut() {
                m.rtcp_port = arg.split_whitespace().next().and_then(|p| p.parse().ok());
            }
        }
        "rtpmap" => {
            if let (Some(m), Some(map)) = (s.media.last_mut(), rtpmap(arg)) {
                if m.rtpmap.len() < MAX_ITEMS {
                    m.rtpmap.push(map);
                }
            }
        }
        _ => {}
    }
}

/// `<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
fn rtpmap(arg: &str) -> Option<(u8, String, u32)> {
    let (pt, rest) = arg.trim().split_once(' ')?;
    let pt = pt.parse().ok()?;
    let mut enc = rest.trim().split('/');
    let name = enc.next()?.to_owned();
    let rate = enc.next()?.parse().ok()?;
    Some((pt, name, rate))
}

/// `<foundation> <component> <transport> <priority> <address> <port> typ
/// <type> [raddr <addr>] [rport <port>] *(<ext> <value>)` (RFC 8839 §5.1).
/// One ICE candidate (RFC 8839 §5.1), the text after `candidate:`. Also
/// used for candidates trickled outside SDP by WebRTC signalling.
pub fn parse_candidate(arg: &str) -> Option<IceCandidate> {
    let mut p = arg.split_whitespace();
    let _foundation = p.next()?;
    let _component = p.next()?;
    let transport = p.next()?.to_ascii_lowercase();
    let _priority = p.next()?;
    let ip: IpAddr = p.next()?.parse().ok()?;
    let port: u16 = p.next()?.parse().ok()?;
    let mut kind = CandidateKind::Other;
    let mut raddr: Option<IpAddr> = None;
    let mut rport: Option<u16> = None;
    while let (Some(k), Some(v)) = (p.next(), p.next()) {
        match k {
            "typ" => {
                kind = match v {
                    "host" => CandidateKind::Host,
                    "srflx" => CandidateKind::Srflx,
                    "prflx" => CandidateKind::Prflx,
                    "relay" => CandidateKind::Relay,
                    _ => CandidateKind::Other,
                }
            }
            "raddr" => raddr = v.parse().ok(),
            "rport" => rport = v.parse().ok(),
            _ => {}
        }
    }
    Some(IceCandidate {
        addr: SocketAddr::new(ip, port),
        transport,
        kind,
        related: raddr.zip(rport).map(|(a, p)| SocketAddr::new(a, p)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::test_corpus::{lcg_bytes, payloads};

    /// sip.pcap frame 22: the SDP body of the INVITE.
    fn invite_sdp() -> Option<Vec<u8>> {
        let ps = payloads("sip.pcap")?;
        let inv = ps.into_iter().find(|p| p.data.starts_with(b"INVITE "))?;
        let msg = super::super::sip::parse(&inv.data).ok()?;
        Some(msg.body.to_vec())
    }

    #[test]
    fn sip_invite_sdp() {
        let Some(body) = invite_sdp() else {
            return;
        };
        let s = parse(&body).unwrap();
        // tshark: c=IN IP4 192.168.1.2, m=audio 30000 RTP/AVP 0 8 97 2 3.
        let ip: IpAddr = "192.168.1.2".parse().unwrap();
        assert_eq!(s.origin_addr, Some(ip));
        assert_eq!(s.connection, Some(ip));
        assert_eq!(s.media.len(), 1);
        let m = &s.media[0];
        assert_eq!(
            (m.kind.as_str(), m.port, m.proto.as_str()),
            ("audio", 30000, "RTP/AVP")
        );
        assert_eq!(m.formats, ["0", "8", "97", "2", "3"]);
        assert_eq!(m.rtpmap[2], (97, "iLBC".to_owned(), 8000));
        assert_eq!(m.rtpmap.len(), 5);
        assert_eq!(s.media_endpoints(), ["192.168.1.2:30000".parse().unwrap()]);
    }

    #[test]
    fn webrtc_candidates_and_overrides() {
        let body = b"v=0\r\n\
o=- 46117 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n\
t=0 0\r\n\
a=candidate:9 1 udp 100 198.51.100.9 4000 typ relay raddr 203.0.113.5 rport 5000\r\n\
m=audio 54400 UDP/TLS/RTP/SAVPF 111 0\r\n\
c=IN IP4 203.0.113.5\r\n\
a=rtcp:54401 IN IP4 203.0.113.5\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=candidate:1 1 UDP 2122260223 192.168.1.10 54400 typ host generation 0\r\n\
a=candidate:2 1 udp 1686052607 203.0.113.5 54400 typ srflx raddr 192.168.1.10 rport 54400\r\n\
a=candidate:3 1 udp 2122 abcd-1234.local 5555 typ host\r\n\
a=candidate:4 1 tcp 1518 2001:db8::7 9 typ host tcptype active\r\n\
m=video 0 UDP/TLS/RTP/SAVPF 96\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
        let s = parse(body).unwrap();
        assert_eq!(s.origin_addr, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(s.candidates.len(), 1);
        assert_eq!(s.candidates[0].kind, CandidateKind::Relay);
        let a = &s.media[0];
        assert_eq!(a.rtcp_port, Some(54401));
        assert_eq!(a.rtpmap, [(111, "opus".to_owned(), 48000)]);
        assert_eq!(a.candidates.len(), 3, "mDNS name skipped");
        assert_eq!(a.candidates[0].transport, "udp");
        assert_eq!(a.candidates[1].kind, CandidateKind::Srflx);
        assert_eq!(
            a.candidates[1].related,
            Some("192.168.1.10:54400".parse().unwrap())
        );
        assert_eq!(a.candidates[2].addr, "[2001:db8::7]:9".parse().unwrap());
        // Video disabled (port 0); application uses session c= 0.0.0.0: left out.
        assert_eq!(s.media_endpoints(), ["203.0.113.5:54400".parse().unwrap()]);
        assert_eq!(parse(b"GET / HTTP/1.1\r\n"), Err(DissectError::NotForUs));
    }

    #[test]
    fn total_on_prefixes_and_garbage() {
        let Some(body) = invite_sdp() else {
            return;
        };
        for cut in 0..body.len() {
            let r = parse(&body[..cut]);
            if cut >= 2 {
                assert!(r.is_ok(), "cut {cut}"); // SDP is line-oriented
            }
            if let Ok(s) = r {
                let _ = s.media_endpoints();
            }
        }
        for seed in 0..2000u64 {
            let mut g = lcg_bytes(seed, (seed % 300) as usize);
            if seed % 2 == 0 {
                // Printable garbage after a valid start, with line breaks.
                for b in g.iter_mut() {
                    *b = b" =:/.0123456789abcmtypv\r\n"[(*b as usize) % 25];
                }
                let mut v = b"v=0\nm=audio 1 RTP/AVP 0\na=candidate:".to_vec();
                v.extend_from_slice(&g);
                g = v;
            }
            if let Ok(s) = parse(&g) {
                let _ = s.media_endpoints();
            }
        }
    }
}
