//! How many voices one side of a flow sends at once. Every participant's
//! audio is an RTP stream of its own (its SSRC), and a peer sends its one
//! voice; a server that forwards the streams of a group call (an SFU)
//! sends each speaker's. Nothing here depends on addresses, so it also
//! finds a conference server on a local network, where no vendor range or
//! data-centre network says "server".

use super::facts::RtpStream;
use crate::flow::Direction;

/// In-sequence packets that make a stream a voice (two seconds of 20 ms
/// audio frames): a stream that came and went is not counted.
const MIN_VOICE_PACKETS: u32 = 100;
/// How long two voices must have run at the same time: a source that
/// replaced another (a new SSRC after a renegotiation, a transfer) is not
/// a second speaker.
const MIN_OVERLAP_NANOS: i64 = 2_000_000_000;
/// Video's RTP clock (RFC 3551): every audio codec's clock is slower.
const VIDEO_CLOCK_HZ: u32 = 90_000;
/// A voice's mean interarrival jitter stays under this with its clock
/// right; a video stream whose clock was inferred wrong (frames sent late
/// under load) reads as hundreds of milliseconds.
const MAX_VOICE_JITTER_MS: f64 = 60.0;
/// Voices are counted again each time a stream has this many more
/// in-sequence packets (a second of audio), not on every packet.
const RECOUNT_EVERY: u32 = 50;

/// Whether a stream with `in_sequence` packets is where voices are counted
/// again.
pub fn recount_at(in_sequence: u32) -> bool {
    in_sequence >= MIN_VOICE_PACKETS && in_sequence % RECOUNT_EVERY == 0
}

/// The most audio streams from `from` that were live together (each with
/// any one of them, for at least two seconds) in one codec (payload type):
/// a group's voices come in the codec the call agreed on, while a peer's
/// voice and its video differ even where the video's clock was misread.
pub fn at_once(streams: &[RtpStream], from: Direction) -> usize {
    let is_voice = |s: &&RtpStream| {
        s.direction == from
            && s.in_sequence >= MIN_VOICE_PACKETS
            && s.quality.clock_rate().is_some_and(|hz| hz < VIDEO_CLOCK_HZ)
            && s.quality
                .mean_jitter_ms()
                .is_some_and(|ms| ms < MAX_VOICE_JITTER_MS)
    };
    streams
        .iter()
        .filter(is_voice)
        .map(|a| {
            streams
                .iter()
                .filter(is_voice)
                .filter(|b| b.payload_type == a.payload_type)
                .filter(|b| {
                    let overlap = a
                        .last_ns
                        .min(b.last_ns)
                        .saturating_sub(a.first_ns.max(b.first_ns));
                    overlap >= MIN_OVERLAP_NANOS
                })
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::rtp_quality::RtpStreamQuality;

    const SECOND: i64 = 1_000_000_000;

    /// `packets` 20 ms packets from `start_s`, from the responder, with an
    /// RTP clock of `clock` Hz.
    fn stream(ssrc: u32, start_s: i64, packets: u16, clock: u32) -> RtpStream {
        let mut quality = RtpStreamQuality::new(ssrc, 0, Some(clock));
        let first_ns = start_s * SECOND;
        for i in 0..packets {
            quality.update(
                i,
                u32::from(i) * clock / 50,
                first_ns + i64::from(i) * SECOND / 50,
            );
        }
        RtpStream {
            ssrc,
            direction: Direction::FromResp,
            payload_type: 111,
            last_sequence: packets - 1,
            in_sequence: u32::from(packets) - 1,
            first_ns,
            last_ns: first_ns + i64::from(packets - 1) * SECOND / 50,
            quality,
        }
    }

    #[test]
    fn two_voices_live_together_are_counted() {
        let streams = [stream(1, 0, 500, 48_000), stream(2, 3, 500, 48_000)];
        assert_eq!(at_once(&streams, Direction::FromResp), 2);
        // None from the other side.
        assert_eq!(at_once(&streams, Direction::FromOrig), 0);
    }

    #[test]
    fn a_peer_voice_and_video_are_one_voice() {
        let streams = [stream(1, 0, 500, 48_000), stream(2, 0, 500, 90_000)];
        assert_eq!(at_once(&streams, Direction::FromResp), 1);
    }

    #[test]
    fn a_voice_that_replaced_another_is_not_a_second_one() {
        // The second source starts a second before the first ends.
        let streams = [stream(1, 0, 500, 8_000), stream(2, 9, 500, 8_000)];
        assert_eq!(at_once(&streams, Direction::FromResp), 1);
    }

    #[test]
    fn a_voice_and_a_video_with_a_misread_clock_are_one_voice() {
        let mut video = stream(2, 0, 500, 48_000);
        video.payload_type = 96;
        let streams = [stream(1, 0, 500, 48_000), video];
        assert_eq!(at_once(&streams, Direction::FromResp), 1);
    }

    #[test]
    fn a_stream_whose_clock_reads_as_seconds_of_jitter_is_no_voice() {
        // 20 ms frames whose timestamps advance as if 60 ms passed each.
        let mut wrong = stream(2, 0, 500, 48_000);
        let mut quality = RtpStreamQuality::new(2, 0, Some(16_000));
        for i in 0..500u16 {
            quality.update(i, u32::from(i) * 960 * 3, i64::from(i) * SECOND / 50);
        }
        wrong.quality = quality;
        let streams = [stream(1, 0, 500, 48_000), wrong];
        assert_eq!(at_once(&streams, Direction::FromResp), 1);
    }

    #[test]
    fn a_short_burst_is_not_a_voice() {
        let streams = [stream(1, 0, 500, 48_000), stream(2, 1, 60, 48_000)];
        assert_eq!(at_once(&streams, Direction::FromResp), 1);
    }

    #[test]
    fn voices_are_counted_again_once_a_second() {
        assert!(!recount_at(50));
        assert!(recount_at(100));
        assert!(!recount_at(101));
        assert!(recount_at(150));
    }
}
