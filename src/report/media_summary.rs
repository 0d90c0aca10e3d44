//! RTP quality of a flow's media streams, as RFC 3550 defines it (loss
//! from extended sequence numbers, interarrival jitter).

use serde::Serialize;

use crate::dissect::facts::{MediaFacts, RtpStream};
use crate::flow::{Direction, Flow};

/// `RtpStreamSummary::direction`, in the flow record's terms.
pub const SRC_TO_DST: &str = "src_to_dst";
pub const DST_TO_SRC: &str = "dst_to_src";
/// Both, for code that stores them as numbers.
pub const STREAM_DIRECTIONS: [&str; 2] = [SRC_TO_DST, DST_TO_SRC];

#[derive(Clone, Debug, Serialize)]
pub struct RtpStreamSummary {
    /// Written as `0x` and eight hex digits, as Wireshark shows it.
    #[serde(serialize_with = "ssrc_hex")]
    pub ssrc: u32,
    /// `src_to_dst` or `dst_to_src`, in the flow record's terms.
    pub direction: &'static str,
    pub payload_type: u8,
    pub packets: u64,
    pub expected: u64,
    pub lost: i64,
    pub sequence_errors: u64,
    pub jitter_ms: Option<f64>,
    pub max_jitter_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct MediaSummary {
    pub rtp_packets: u32,
    pub rtcp_packets: u32,
    /// Media in an app framing or inside TURN, when not plain RTP.
    pub framing: Option<&'static str>,
    pub streams: Vec<RtpStreamSummary>,
    /// Median payload size per direction (src_to_dst, dst_to_src), from the
    /// flow's histograms.
    pub median_payload_bytes: [Option<u64>; 2],
    /// Median gap between packets per direction, milliseconds: 20 for voice
    /// sent in 20 ms frames.
    pub median_gap_ms: [Option<f64>; 2],
}

fn ssrc_hex<S: serde::Serializer>(ssrc: &u32, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&format_args!("{ssrc:#010x}"))
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

impl MediaSummary {
    pub fn from_flow(flow: &Flow) -> Option<MediaSummary> {
        let m: &MediaFacts = flow.facts.media.as_deref()?;
        let established = |s: &&RtpStream| s.in_sequence > 0;
        // Sized exactly: a record can wait a long time for its call.
        let mut streams = Vec::with_capacity(m.streams.iter().filter(established).count());
        streams.extend(
            m.streams
                .iter()
                .filter(established)
                .map(|s| RtpStreamSummary {
                    ssrc: s.ssrc,
                    direction: match s.direction {
                        Direction::FromOrig => SRC_TO_DST,
                        Direction::FromResp => DST_TO_SRC,
                    },
                    payload_type: s.payload_type,
                    packets: s.quality.received(),
                    expected: s.quality.expected(),
                    lost: s.quality.lost(),
                    sequence_errors: s.quality.sequence_errors(),
                    jitter_ms: s.quality.jitter_ms().map(round3),
                    max_jitter_ms: s.quality.max_jitter_ms().map(round3),
                }),
        );
        let rtp: u32 = m.rtp.iter().sum();
        let rtcp: u32 = m.rtcp.iter().sum();
        if streams.is_empty() && rtcp == 0 && m.framing.is_none() {
            return None;
        }
        let h = flow.histograms.as_deref();
        let dirs = [Direction::FromOrig, Direction::FromResp];
        Some(MediaSummary {
            rtp_packets: rtp,
            rtcp_packets: rtcp,
            framing: m.framing,
            streams,
            median_payload_bytes: dirs.map(|d| h.and_then(|h| h.median_size(d))),
            median_gap_ms: dirs.map(|d| h.and_then(|h| h.median_gap_ms(d)).map(round3)),
        })
    }
}
