//! Does a flow carry call media? RTP/SRTP streams, media inside TURN, app
//! framings that carry voice or video, and, for flows already tied to a
//! call app whose media is opaque, the shape of voice: a steady stream of
//! packets for seconds.

use crate::dissect::facts::{both, FlowFacts};
use crate::flow::{Direction, Flow};

/// In-sequence RTP packets that make a flow media (a relay leg the capture
/// caught for only a moment still counts; RTCP alone does not).
const MIN_RTP_PACKETS: u32 = 3;
/// Packets of an app's media framing that make a flow media.
const MIN_FRAMED_PACKETS: u32 = 5;
/// Voice shape for opaque (encrypted, unframed) media: at least this many
/// packets per second one way, for at least this long, this many in all.
const SHAPE_MIN_RATE: f64 = 10.0;
const SHAPE_MIN_SECS: f64 = 2.0;
const SHAPE_MIN_PACKETS: u64 = 30;
const SHAPE_MIN_MEAN_PAYLOAD: u64 = 40;

/// Why a flow is media, or `None`.
/// `median_gap_ms`: the flow's median gap between packets per direction.
pub fn media_evidence(
    flow: &Flow,
    median_gap_ms: [Option<f64>; 2],
    opaque_app_media: bool,
) -> Option<String> {
    let f: &FlowFacts = &flow.facts;
    if let Some(s) = &f.stun {
        let relayed = both(&s.relayed_media);
        if relayed >= MIN_RTP_PACKETS {
            return Some(format!(
                "{relayed} media packets carried inside TURN (ChannelData or Data indications)"
            ));
        }
    }
    if let Some(m) = &f.media {
        let rtp = both(&m.rtp);
        if rtp >= MIN_RTP_PACKETS {
            let [fwd, rev] = m.rtp;
            let how = if m.over_tcp {
                " over TCP (RFC 4571)"
            } else if m.inside_turn > 0 {
                " inside TURN"
            } else {
                ""
            };
            // "{rtp} RTP/SRTP packets{how} ({fwd} one way, {rev} back),
            // payload type {pt/pt...}{pacing}", appended piece by piece.
            let mut line = String::with_capacity(112);
            let mut number = itoa::Buffer::new();
            line.push_str(number.format(rtp));
            line.push_str(" RTP/SRTP packets");
            line.push_str(how);
            line.push_str(" (");
            line.push_str(number.format(fwd));
            line.push_str(" one way, ");
            line.push_str(number.format(rev));
            line.push_str(" back), payload type ");
            for (i, pt) in m.payload_types().into_iter().enumerate() {
                if i > 0 {
                    line.push('/');
                }
                line.push_str(number.format(pt));
            }
            line.push_str(&pacing(median_gap_ms));
            return Some(line);
        }
        let framed = both(&m.framed);
        if framed >= MIN_FRAMED_PACKETS {
            return Some(format!(
                "{framed} media packets in {}",
                m.framing.unwrap_or("an app framing")
            ));
        }
    }
    // Zoom's framings say which packets are media, and callpath reads
    // them: a Zoom flow without media packets carried only its control
    // messages (hellos, keep-alives, bandwidth probes), whatever its pace.
    let zoom_framed = both(&f.frames().zoom_server) + both(&f.frames().zoom_p2p) > 0;
    // QUIC is web and API traffic (HTTP/3), however steady: a page or a
    // call app's own web client loading carries no call media.
    if (both(&f.frames().telegram_reflector) > 0 || opaque_app_media) && !zoom_framed && !f.quic {
        return voice_shape(flow);
    }
    None
}

/// ", one every 20 ms" from the flow's median gaps between packets, if kept.
fn pacing(median_gap_ms: [Option<f64>; 2]) -> String {
    median_gap_ms
        .into_iter()
        .flatten()
        .filter(|g| *g > 0.0)
        .reduce(f64::min)
        .map(|g| {
            if g < 1.0 {
                // Packets of a video frame leave back to back.
                ", in bursts under 1 ms apart".to_string()
            } else {
                format!(", about one every {g:.0} ms")
            }
        })
        .unwrap_or_default()
}

/// The shape of a voice/video stream, for media callpath cannot parse.
fn voice_shape(flow: &Flow) -> Option<String> {
    let secs = flow.duration_secs();
    if secs < SHAPE_MIN_SECS || flow.packets() < SHAPE_MIN_PACKETS {
        return None;
    }
    let best = [Direction::FromOrig, Direction::FromResp]
        .into_iter()
        .map(|d| flow.dir(d))
        .max_by_key(|s| s.packets)?;
    let rate = best.packets as f64 / secs;
    let mean = best.payload_bytes / best.packets.max(1);
    (rate >= SHAPE_MIN_RATE && mean >= SHAPE_MIN_MEAN_PAYLOAD).then(|| {
        format!(
            "steady stream of {} packets in {secs:.1} s ({rate:.0}/s, mean {mean} B): the shape of encrypted voice/video",
            flow.packets()
        )
    })
}
