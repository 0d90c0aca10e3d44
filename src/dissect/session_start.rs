//! Whether a packet opens a new session on a UDP flow that already carried
//! one: the next call of a device that reused its socket towards the same
//! far end (the same TURN server, the same peer). The flow table ends the
//! old flow there, so each call gets flows of its own.
//!
//! A pause alone is never enough (hold, mute and silence suppression pause
//! media within a call): the packet must also start something the flow's
//! earlier session cannot continue.

use super::demux::{self, FirstByteKind};
use super::facts::FlowFacts;
use super::ice_session::IceSession;
// RFC 3550 A.1: a sequence number MAX_DROPOUT ahead of the last, or more
// than MAX_MISORDER behind it, means the source restarted.
use super::rtp_quality::{MAX_DROPOUT, MAX_MISORDER};
use super::stun::{self, StunAttr, StunClass};
use super::{dtls, rtp, turn_channel};
use crate::capture::Timestamp;
use crate::flow::Direction;

/// A new session only starts after the flow's media (or, on a flow without
/// media, the flow itself) has been quiet this long.
pub const QUIET_NANOS: i64 = 2 * 1_000_000_000;

/// What opened the new session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionStart {
    /// A TURN Allocate on a flow whose earlier allocation succeeded, after
    /// that one was released (Refresh, LIFETIME 0), or opening a new
    /// exchange of credentials (no MESSAGE-INTEGRITY: the server's 401
    /// gives the nonce). A server keeps one allocation per socket pair;
    /// WhatsApp's relays answer authenticated Allocates again and again
    /// within a call.
    TurnAllocate,
    /// ICE checks with a ufrag pair other than the flow's.
    IceSession,
    /// A DTLS ClientHello on a flow whose earlier handshake already
    /// carried media: a new association.
    DtlsHandshake,
    /// RTP from a source the flow's established streams do not continue:
    /// a new SSRC with their payload type, or one of their SSRCs with its
    /// sequence numbers started over.
    RtpSource,
}

impl SessionStart {
    pub fn describe(self) -> &'static str {
        match self {
            SessionStart::TurnAllocate => "a TURN Allocate after the earlier allocation",
            SessionStart::IceSession => "ICE checks of a new ICE session (other ufrags)",
            SessionStart::DtlsHandshake => "a new DTLS handshake after media",
            SessionStart::RtpSource => "RTP from a new source after a media silence",
        }
    }
}

/// Whether a packet at `ts`, on a flow with `facts` whose last packet was
/// at `last_seen`, comes late enough to open a new session: asked first,
/// of every UDP packet of a known flow, so it reads nothing but the two
/// times.
pub fn quiet_long_enough(facts: &FlowFacts, last_seen: Timestamp, ts: Timestamp) -> bool {
    let quiet_since = facts.media_last_seen().unwrap_or(last_seen);
    ts.nanos_since(quiet_since) >= QUIET_NANOS
}

/// Whether `payload`, travelling in `dir` on a flow with `facts` that has
/// been quiet long enough (`quiet_long_enough`), opens a new session.
pub fn opened_by(facts: &FlowFacts, dir: Direction, payload: &[u8]) -> Option<SessionStart> {
    opens(facts, dir, payload, true)
}

fn opens(facts: &FlowFacts, dir: Direction, payload: &[u8], outer: bool) -> Option<SessionStart> {
    match demux::classify(*payload.first()?) {
        FirstByteKind::Stun => stun_opens(facts, payload, outer),
        // What a TURN channel carries: the peer's checks, handshake, media.
        FirstByteKind::TurnChannel if outer => {
            let cd = turn_channel::parse(payload)?;
            opens(facts, dir, cd.data, false)
        }
        FirstByteKind::Dtls => dtls_opens(facts, payload),
        FirstByteKind::RtpRtcp => rtp_opens(facts, dir, payload),
        _ => None,
    }
}

fn stun_opens(facts: &FlowFacts, payload: &[u8], outer: bool) -> Option<SessionStart> {
    let s = facts.stun.as_deref()?;
    let msg = stun::parse(payload).ok()?;
    if msg.class != StunClass::Request {
        return None;
    }
    if msg.method == stun::ALLOCATE && outer && s.allocate_success > 0 {
        let fresh = !msg
            .attributes()
            .any(|a| matches!(a, StunAttr::MessageIntegrity));
        return (s.released || fresh).then_some(SessionStart::TurnAllocate);
    }
    if msg.method != stun::BINDING {
        return None;
    }
    let known = s.ice_session?;
    let mut username = None;
    let mut ice_check = false;
    for attr in msg.attributes() {
        match attr {
            StunAttr::Username(u) => username = Some(u),
            StunAttr::Priority(_)
            | StunAttr::UseCandidate
            | StunAttr::IceControlling(_)
            | StunAttr::IceControlled(_) => ice_check = true,
            _ => {}
        }
    }
    let session = IceSession::from_username(username?)?;
    (ice_check && session != known).then_some(SessionStart::IceSession)
}

fn dtls_opens(facts: &FlowFacts, payload: &[u8]) -> Option<SessionStart> {
    let d = facts.dtls.as_deref()?;
    let carried_media = d.application_data.iter().any(|n| *n > 0)
        || facts
            .media
            .as_deref()
            .is_some_and(|m| m.streams.iter().any(|s| s.in_sequence > 0));
    if !(d.client_hello && carried_media) {
        return None;
    }
    dtls::records(payload)
        .any(|r| dtls::client_hello_info(&r).is_some())
        .then_some(SessionStart::DtlsHandshake)
}

fn rtp_opens(facts: &FlowFacts, dir: Direction, payload: &[u8]) -> Option<SessionStart> {
    if rtp::is_rtcp_payload_type(*payload.get(1)?) {
        return None;
    }
    let h = rtp::parse(payload)?;
    let media = facts.media.as_deref()?;
    let mut established = media
        .streams
        .iter()
        .filter(|s| s.direction == dir && s.in_sequence > 0)
        .peekable();
    established.peek()?;
    if let Some(same) = media
        .streams
        .iter()
        .find(|s| s.direction == dir && s.ssrc == h.ssrc)
    {
        let ahead = h.sequence.wrapping_sub(same.last_sequence);
        let restarted =
            same.in_sequence > 0 && ahead > MAX_DROPOUT && ahead < 0u16.wrapping_sub(MAX_MISORDER);
        return restarted.then_some(SessionStart::RtpSource);
    }
    // A full list has no room to tell a new source from one it dropped;
    // random bytes rarely match an established stream's payload type.
    let room = media.streams.len() < super::facts::MAX_RTP_STREAMS;
    (room && established.any(|s| s.payload_type == h.payload_type))
        .then_some(SessionStart::RtpSource)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::facts::{DtlsFacts, MediaFacts, RtpStream, StunFacts};
    use crate::dissect::rtp_quality::RtpStreamQuality;

    const USERNAME: u16 = 0x0006;
    const MESSAGE_INTEGRITY: u16 = 0x0008;
    const PRIORITY: u16 = 0x0024;
    const ALLOCATE_REQUEST: u16 = 0x0003;
    const BINDING_REQUEST: u16 = 0x0001;

    fn stun_message(msg_type: u16, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (t, v) in attrs {
            body.extend_from_slice(&t.to_be_bytes());
            body.extend_from_slice(&(v.len() as u16).to_be_bytes());
            body.extend_from_slice(v);
            body.resize(body.len().next_multiple_of(4), 0);
        }
        let mut m = msg_type.to_be_bytes().to_vec();
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&stun::MAGIC_COOKIE.to_be_bytes());
        m.extend_from_slice(&[7; 12]);
        m.extend_from_slice(&body);
        m
    }

    fn rtp_packet(payload_type: u8, sequence: u16, ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, payload_type];
        p.extend_from_slice(&sequence.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 160]);
        p.extend_from_slice(&ssrc.to_be_bytes());
        p.extend_from_slice(&[0xd5; 160]);
        p
    }

    fn secs(s: i64) -> Timestamp {
        Timestamp(s * 1_000_000_000)
    }

    /// A flow whose last packet, and media, came at 10 s.
    fn flow_with(stun: Option<StunFacts>, media: Option<MediaFacts>) -> FlowFacts {
        let mut facts = FlowFacts::default();
        facts.stun = stun.map(Box::new);
        if let Some(m) = media {
            *facts.media_seen_at(secs(10)) = m;
        }
        facts
    }

    fn opened(facts: &FlowFacts, payload: &[u8], at: i64) -> Option<SessionStart> {
        quiet_long_enough(facts, secs(10), secs(at))
            .then(|| opened_by(facts, Direction::FromOrig, payload))
            .flatten()
    }

    fn allocated() -> StunFacts {
        StunFacts {
            allocate_success: 1,
            ..StunFacts::default()
        }
    }

    #[test]
    fn turn_allocate_opens_only_after_a_release_or_with_fresh_credentials() {
        let fresh = stun_message(ALLOCATE_REQUEST, &[]);
        let authenticated = stun_message(ALLOCATE_REQUEST, &[(MESSAGE_INTEGRITY, &[0; 20])]);
        let flow = flow_with(Some(allocated()), None);
        assert_eq!(opened(&flow, &fresh, 13), Some(SessionStart::TurnAllocate));
        // Too soon: the same session's retry.
        assert_eq!(opened(&flow, &fresh, 11), None);
        // WhatsApp re-allocates with credentials within its calls.
        assert_eq!(opened(&flow, &authenticated, 13), None);
        let released = flow_with(
            Some(StunFacts {
                released: true,
                ..allocated()
            }),
            None,
        );
        assert_eq!(
            opened(&released, &authenticated, 13),
            Some(SessionStart::TurnAllocate)
        );
        // No earlier allocation: the first one of the flow's session.
        assert_eq!(opened(&flow_with(None, None), &fresh, 13), None);
    }

    #[test]
    fn ice_checks_open_a_session_only_with_other_ufrags() {
        let check = |username: &[u8]| {
            stun_message(
                BINDING_REQUEST,
                &[(USERNAME, username), (PRIORITY, &[0, 0, 0, 1])],
            )
        };
        let flow = flow_with(
            Some(StunFacts {
                ice_session: IceSession::from_username(b"abcd:efgh"),
                ..StunFacts::default()
            }),
            None,
        );
        // The other side's checks name the same pair the other way round.
        assert_eq!(opened(&flow, &check(b"efgh:abcd"), 15), None);
        assert_eq!(
            opened(&flow, &check(b"wxyz:efgh"), 15),
            Some(SessionStart::IceSession)
        );
        // A plain Binding request (keepalive, discovery) is no ICE check.
        let plain = stun_message(BINDING_REQUEST, &[(USERNAME, b"wxyz:efgh")]);
        assert_eq!(opened(&flow, &plain, 15), None);
    }

    fn streams(established: &[(u32, u8, u16)]) -> MediaFacts {
        MediaFacts {
            streams: established
                .iter()
                .map(|&(ssrc, payload_type, last_sequence)| RtpStream {
                    ssrc,
                    direction: Direction::FromOrig,
                    payload_type,
                    last_sequence,
                    in_sequence: 50,
                    first_ns: 0,
                    last_ns: 0,
                    quality: RtpStreamQuality::new(ssrc, 0, Some(8000)),
                })
                .collect(),
            ..MediaFacts::default()
        }
    }

    #[test]
    fn rtp_opens_a_session_from_a_new_or_restarted_source_after_silence() {
        let flow = flow_with(None, Some(streams(&[(0x1111, 0, 500)])));
        // Hold, mute: the same source carries on.
        assert_eq!(opened(&flow, &rtp_packet(0, 501, 0x1111), 20), None);
        assert_eq!(opened(&flow, &rtp_packet(0, 520, 0x1111), 20), None);
        // Started over, or a new source of the same kind.
        assert_eq!(
            opened(&flow, &rtp_packet(0, 40_000, 0x1111), 20),
            Some(SessionStart::RtpSource)
        );
        assert_eq!(
            opened(&flow, &rtp_packet(0, 7, 0x2222), 20),
            Some(SessionStart::RtpSource)
        );
        // Not while media flows, nor from bytes of another payload type.
        assert_eq!(opened(&flow, &rtp_packet(0, 7, 0x2222), 11), None);
        assert_eq!(opened(&flow, &rtp_packet(96, 7, 0x2222), 20), None);
    }

    #[test]
    fn a_client_hello_opens_a_session_only_after_media() {
        // A DTLS 1.2 record holding a ClientHello's handshake header.
        let mut hello = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut body = vec![1, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 60];
        body.extend_from_slice(&[0xfe, 0xfd]);
        body.extend_from_slice(&[0; 32]);
        body.extend_from_slice(&[0, 0, 0, 2, 0, 1, 1, 0]);
        body.resize(12 + 60, 0);
        hello[11..13].copy_from_slice(&(body.len() as u16).to_be_bytes());
        hello.extend_from_slice(&body);
        let mut handshake_only = flow_with(None, None);
        handshake_only.dtls = Some(Box::new(DtlsFacts {
            client_hello: true,
            ..DtlsFacts::default()
        }));
        // A retransmitted hello of a handshake still under way.
        assert_eq!(opened(&handshake_only, &hello, 15), None);
        let mut after_media = flow_with(None, Some(MediaFacts::default()));
        after_media.dtls = Some(Box::new(DtlsFacts {
            client_hello: true,
            application_data: [3, 3],
            ..DtlsFacts::default()
        }));
        assert_eq!(
            opened(&after_media, &hello, 15),
            Some(SessionStart::DtlsHandshake)
        );
    }
}
