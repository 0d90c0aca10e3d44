//! A finished flow record packed small while it waits for its call.
//!
//! Call-related records are held until their device has been quiet for
//! minutes (`classify::calls`): at the heap's peak on the reference capture
//! 24,150 of them waited, and their 312-byte structs, evidence lists, frame
//! lists and media summaries came to 10.5 MB (massif). Packed, the numbers
//! go into one byte string as variable-length integers (floats as the
//! integer of their rounding when that gives back the same bits), while the
//! shared texts and the far end's network stay shared: 2.9 MB. Unpacking
//! gives back the record exactly; a record the packer cannot express
//! exactly is kept whole.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::community_id::CommunityId;
use super::flow_record::{EvidenceFrame, FlowRecord, FlowRecordType, LearnedAddress};
use super::media_summary::{MediaSummary, RtpStreamSummary, STREAM_DIRECTIONS};
use super::remote::Remote;
use crate::classify::verdict::Role;
use crate::decode::L4Proto;
use crate::dissect::facts::MEDIA_FRAMINGS;
use crate::flow::{EndReason, Endpoint};
use crate::geo::{DescribedNetwork, FarEnd, ServiceOperator};
use crate::prefetch::prefetch_lines;

/// Seconds are rounded to microseconds, milliseconds and confidences to
/// thousandths (`round6`, `round3`).
const MICROS: f64 = 1e6;
const THOUSANDTHS: f64 = 1e3;

// Presence bits of the first byte.
const FLOW_UPDATE: u8 = 1;
const HAS_APP: u8 = 1 << 1;
const HAS_SERVER_NAME: u8 = 1 << 2;
const HAS_FILE: u8 = 1 << 3;
const HAS_REMOTE: u8 = 1 << 4;
const HAS_MEDIA: u8 = 1 << 5;
const HAS_CALL: u8 = 1 << 6;
const HAS_LEARNED: u8 = 1 << 7;

#[derive(Debug)]
pub enum PackedRecord {
    Packed {
        bytes: Box<[u8]>,
        /// App, server name and file (those present), then the evidence,
        /// then what each evidence frame shows.
        texts: Box<[Arc<str>]>,
        network: Option<Arc<DescribedNetwork>>,
        /// Shared like the network: who runs the app's server there.
        service: Option<Arc<ServiceOperator>>,
    },
    /// A record with a value the packing has no code for.
    Whole(Box<FlowRecord>),
}

impl PackedRecord {
    /// `scratch`: a buffer the bytes are written in first, then copied
    /// from at their exact size.
    pub fn pack(record: Box<FlowRecord>, scratch: &mut Vec<u8>) -> PackedRecord {
        if record.device_app.is_some() || record.tunnel.is_some() {
            // Only PCAPdroid captures name an app, a tunnel is no call's
            // flow, and both are rare.
            return PackedRecord::Whole(record);
        }
        scratch.clear();
        let mut w = Writer(std::mem::take(scratch));
        let packed = write_numbers(&mut w, &record).is_some();
        *scratch = w.0;
        if !packed {
            return PackedRecord::Whole(record);
        }
        // The texts move, in the order the numbers expect them.
        let r = *record;
        let mut texts = Vec::with_capacity(
            usize::from(r.app.is_some())
                + usize::from(r.server_name.is_some())
                + usize::from(r.file.is_some())
                + r.evidence.len()
                + r.evidence_frames.len(),
        );
        texts.extend(r.app.into_iter().chain(r.server_name).chain(r.file));
        texts.extend(r.evidence.into_vec());
        texts.extend(r.evidence_frames.into_vec().into_iter().map(|f| f.what));
        PackedRecord::Packed {
            bytes: Box::from(scratch.as_slice()),
            texts: texts.into_boxed_slice(),
            network: r.remote.map(|r| r.far_end.described),
            service: r.service_operator,
        }
    }

    /// Asks for the record's memory ahead of `unpack`.
    pub fn prefetch(&self) {
        match self {
            PackedRecord::Packed { bytes, texts, .. } => {
                prefetch_lines(&**bytes);
                prefetch_lines(&**texts);
            }
            PackedRecord::Whole(record) => prefetch_lines(&**record),
        }
    }

    pub fn unpack(self) -> Box<FlowRecord> {
        match self {
            PackedRecord::Packed {
                bytes,
                texts,
                network,
                service,
            } => {
                let mut record = unpack_parts(&bytes, texts.into_vec(), network);
                record.service_operator = service;
                Box::new(record)
            }
            PackedRecord::Whole(record) => record,
        }
    }
}

/// Writes everything but the texts and the network; `None` if a value has
/// no code.
fn write_numbers(w: &mut Writer, r: &FlowRecord) -> Option<()> {
    let mut flags = 0;
    for (present, bit) in [
        (r.record_type == FlowRecordType::FlowUpdate, FLOW_UPDATE),
        (r.app.is_some(), HAS_APP),
        (r.server_name.is_some(), HAS_SERVER_NAME),
        (r.file.is_some(), HAS_FILE),
        (r.remote.is_some(), HAS_REMOTE),
        (r.media.is_some(), HAS_MEDIA),
        (r.call.is_some(), HAS_CALL),
        (r.public_address_learned.is_some(), HAS_LEARNED),
    ] {
        if present {
            flags |= bit;
        }
    }
    w.byte(flags);
    if L4Proto::from_number(r.l4.number()) != r.l4 {
        return None;
    }
    w.byte(r.l4.number());
    w.endpoint(&r.src);
    w.endpoint(&r.dst);
    let first = w.float(Some(r.first_seen), MICROS, 0);
    w.float(Some(r.last_seen), MICROS, first.unwrap_or(0));
    w.float(Some(r.duration), MICROS, 0);
    for n in [
        r.packets,
        r.bytes,
        r.packets_src_to_dst,
        r.packets_dst_to_src,
        r.bytes_src_to_dst,
        r.bytes_dst_to_src,
    ] {
        w.uint(n);
    }
    w.0.extend_from_slice(r.community_id.as_bytes());
    w.byte(match r.role {
        None => 0,
        Some(name) => index_of(name, Role::ALL.iter().map(|r| r.name()))?,
    });
    w.float(r.confidence, THOUSANDTHS, 0);
    w.uint(r.evidence.len() as u64);
    if let Some(remote) = &r.remote {
        w.ip(remote.far_end.ip);
    }
    if let Some(call) = r.call {
        w.uint(u64::from(call));
    }
    if let Some(learned) = &r.public_address_learned {
        w.endpoint(&learned.by);
        w.endpoint(&learned.address);
    }
    w.byte(match r.end_reason {
        None => 0,
        Some(reason) => index_of(reason, EndReason::ALL)?,
    });
    w.uint(r.first_frame);
    w.uint(u64::from(r.file_index));
    w.uint(r.evidence_frames.len() as u64);
    for frame in &r.evidence_frames {
        w.uint(frame.frame);
    }
    if let Some(m) = &r.media {
        pack_media(w, m)?;
    }
    Some(())
}

fn pack_media(w: &mut Writer, m: &MediaSummary) -> Option<()> {
    w.uint(u64::from(m.rtp_packets));
    w.uint(u64::from(m.rtcp_packets));
    w.byte(match m.framing {
        None => 0,
        Some(name) => index_of(name, MEDIA_FRAMINGS)?,
    });
    w.uint(m.streams.len() as u64);
    for s in &m.streams {
        w.uint(u64::from(s.ssrc));
        w.byte(index_of(s.direction, STREAM_DIRECTIONS)?);
        w.byte(s.payload_type);
        w.uint(s.packets);
        w.uint(s.expected);
        w.int(s.lost);
        w.uint(s.sequence_errors);
        w.float(s.jitter_ms, THOUSANDTHS, 0);
        w.float(s.max_jitter_ms, THOUSANDTHS, 0);
    }
    for size in m.median_payload_bytes {
        // 0 for none, else the size plus one.
        w.uint(size.map_or(Some(0), |s| s.checked_add(1))?);
    }
    for gap in m.median_gap_ms {
        w.float(gap, THOUSANDTHS, 0);
    }
    Some(())
}

/// 1 + the position of `value` in `known` (0 stands for none).
fn index_of<T: PartialEq>(value: T, known: impl IntoIterator<Item = T>) -> Option<u8> {
    let i = known.into_iter().position(|k| k == value)?;
    u8::try_from(i + 1).ok()
}

/// The value at code `code` of `index_of` (none for 0 or an unknown code).
fn at_index<T: Copy>(code: u8, known: &[T]) -> Option<T> {
    known.get(usize::from(code).checked_sub(1)?).copied()
}

fn unpack_parts(
    bytes: &[u8],
    texts: Vec<Arc<str>>,
    network: Option<Arc<DescribedNetwork>>,
) -> FlowRecord {
    let mut r = Reader(bytes);
    let mut texts = texts.into_iter();
    let flags = r.byte();
    let has = |bit: u8| flags & bit != 0;
    let l4 = L4Proto::from_number(r.byte());
    let src = r.endpoint();
    let dst = r.endpoint();
    let (first_seen, first) = r.float(MICROS, 0);
    let (last_seen, _) = r.float(MICROS, first.unwrap_or(0));
    let (duration, _) = r.float(MICROS, 0);
    let [packets, bytes, packets_src_to_dst, packets_dst_to_src, bytes_src_to_dst, bytes_dst_to_src] =
        [(); 6].map(|()| r.uint());
    let community_id = CommunityId::from_bytes(r.array());
    let roles = Role::ALL.map(Role::name);
    let role = at_index(r.byte(), &roles);
    let (confidence, _) = r.float(THOUSANDTHS, 0);
    let app = if has(HAS_APP) { texts.next() } else { None };
    let server_name = if has(HAS_SERVER_NAME) {
        texts.next()
    } else {
        None
    };
    let file = if has(HAS_FILE) { texts.next() } else { None };
    let evidence_count = r.uint();
    let evidence: Box<[Arc<str>]> = texts
        .by_ref()
        .take(usize::try_from(evidence_count).unwrap_or(0))
        .collect();
    let remote_ip = has(HAS_REMOTE).then(|| r.ip());
    let remote = remote_ip
        .zip(network)
        .map(|(ip, described)| Remote::new(FarEnd::new(ip, described)));
    let call = has(HAS_CALL).then(|| u32::try_from(r.uint()).unwrap_or(u32::MAX));
    let public_address_learned = has(HAS_LEARNED).then(|| {
        Box::new(LearnedAddress {
            by: r.endpoint(),
            address: r.endpoint(),
        })
    });
    let end_reason = at_index(r.byte(), &EndReason::ALL);
    let first_frame = r.uint();
    let file_index = u32::try_from(r.uint()).unwrap_or(u32::MAX);
    let frame_count = r.uint();
    // The frames' texts are the last ones: the count is exact.
    let evidence_frames: Box<[EvidenceFrame]> = texts
        .take(usize::try_from(frame_count).unwrap_or(0))
        .map(|what| EvidenceFrame {
            frame: r.uint(),
            what,
        })
        .collect();
    let media = has(HAS_MEDIA).then(|| Box::new(unpack_media(&mut r)));
    FlowRecord {
        record_type: if has(FLOW_UPDATE) {
            FlowRecordType::FlowUpdate
        } else {
            FlowRecordType::Flow
        },
        l4,
        src,
        dst,
        first_seen: first_seen.unwrap_or_default(),
        last_seen: last_seen.unwrap_or_default(),
        duration: duration.unwrap_or_default(),
        packets,
        bytes,
        packets_src_to_dst,
        packets_dst_to_src,
        bytes_src_to_dst,
        bytes_dst_to_src,
        community_id,
        app,
        role,
        confidence,
        evidence,
        remote,
        call,
        server_name,
        device_app: None,
        service_operator: None,
        tunnel: None,
        tunnel_stream: None,
        public_address_learned,
        media,
        end_reason,
        first_frame,
        file,
        evidence_frames,
        file_index,
    }
}

fn unpack_media(r: &mut Reader) -> MediaSummary {
    let rtp_packets = u32::try_from(r.uint()).unwrap_or(u32::MAX);
    let rtcp_packets = u32::try_from(r.uint()).unwrap_or(u32::MAX);
    let framing = at_index(r.byte(), &MEDIA_FRAMINGS);
    let count = r.uint();
    // Sized exactly, as `MediaSummary::from_flow` makes it.
    let mut streams = Vec::with_capacity(usize::try_from(count.min(64)).unwrap_or(0));
    for _ in 0..count {
        if r.0.is_empty() {
            break;
        }
        streams.push(RtpStreamSummary {
            ssrc: u32::try_from(r.uint()).unwrap_or(u32::MAX),
            direction: at_index(r.byte(), &STREAM_DIRECTIONS).unwrap_or(STREAM_DIRECTIONS[0]),
            payload_type: r.byte(),
            packets: r.uint(),
            expected: r.uint(),
            lost: r.int(),
            sequence_errors: r.uint(),
            jitter_ms: r.float(THOUSANDTHS, 0).0,
            max_jitter_ms: r.float(THOUSANDTHS, 0).0,
        });
    }
    let median_payload_bytes = [(); 2].map(|()| r.uint().checked_sub(1));
    let median_gap_ms = [(); 2].map(|()| r.float(THOUSANDTHS, 0).0);
    MediaSummary {
        rtp_packets,
        rtcp_packets,
        framing,
        streams,
        median_payload_bytes,
        median_gap_ms,
    }
}

// Float codes: the integer of its rounding (from a base), its bits, or none.
const FLOAT_SCALED: u8 = 0;
const FLOAT_BITS: u8 = 1;
const FLOAT_NONE: u8 = 2;

/// Appends values to a byte string.
struct Writer(Vec<u8>);

impl Writer {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// LEB128: seven bits a byte, low first.
    fn uint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }

    /// Zigzag, so small negative numbers stay short.
    fn int(&mut self, n: i64) {
        self.uint(((n << 1) ^ (n >> 63)) as u64);
    }

    /// Writes `x` as `round(x * scale) - base` when dividing that integer
    /// (plus `base`) by `scale` gives `x` back bit for bit, else its bits.
    /// Returns the integer when it was used, as a base for a later value.
    fn float(&mut self, x: Option<f64>, scale: f64, base: i64) -> Option<i64> {
        let Some(x) = x else {
            self.byte(FLOAT_NONE);
            return None;
        };
        let scaled = x * scale;
        // Integers up to 2^53 convert to and from f64 exactly.
        if scaled.abs() < 9.0e15 {
            // Rounded half away from zero without a call to libm's
            // `round`; the check below makes any rounding exact anyway.
            let n = (scaled + 0.5f64.copysign(scaled)) as i64;
            if ((n as f64) / scale).to_bits() == x.to_bits() {
                self.byte(FLOAT_SCALED);
                self.int(n.wrapping_sub(base));
                return Some(n);
            }
        }
        self.byte(FLOAT_BITS);
        self.0.extend_from_slice(&x.to_bits().to_le_bytes());
        None
    }

    fn ip(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(v4) => {
                self.byte(4);
                self.0.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                self.byte(6);
                self.0.extend_from_slice(&v6.octets());
            }
        }
    }

    fn endpoint(&mut self, e: &Endpoint) {
        self.ip(e.ip);
        self.uint(u64::from(e.port));
    }
}

/// Reads what `Writer` wrote. The bytes are callpath's own, so a short
/// read cannot happen; if it did, the missing values read as zero.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        if let Some((head, rest)) = self.0.split_first_chunk::<N>() {
            out = *head;
            self.0 = rest;
        } else {
            self.0 = &[];
        }
        out
    }

    fn uint(&mut self) -> u64 {
        let mut n = 0u64;
        let mut shift = 0u32;
        while let Some((&b, rest)) = self.0.split_first() {
            self.0 = rest;
            n |= u64::from(b & 0x7f) << shift;
            if b < 0x80 || shift >= 63 {
                break;
            }
            shift += 7;
        }
        n
    }

    fn int(&mut self) -> i64 {
        let z = self.uint();
        ((z >> 1) as i64) ^ -((z & 1) as i64)
    }

    /// The value and, when it was written scaled, its integer.
    fn float(&mut self, scale: f64, base: i64) -> (Option<f64>, Option<i64>) {
        match self.byte() {
            FLOAT_SCALED => {
                let n = self.int().wrapping_add(base);
                (Some((n as f64) / scale), Some(n))
            }
            FLOAT_BITS => (Some(f64::from_bits(u64::from_le_bytes(self.array()))), None),
            _ => (None, None),
        }
    }

    fn ip(&mut self) -> IpAddr {
        match self.byte() {
            6 => IpAddr::V6(Ipv6Addr::from(self.array::<16>())),
            _ => IpAddr::V4(Ipv4Addr::from(self.array::<4>())),
        }
    }

    fn endpoint(&mut self) -> Endpoint {
        let ip = self.ip();
        let port = u16::try_from(self.uint()).unwrap_or(u16::MAX);
        Endpoint { ip, port }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::far_end::Network;
    use crate::report::community_id::community_id;

    fn ep(text: &str) -> Endpoint {
        let addr: std::net::SocketAddr = text.parse().unwrap();
        Endpoint {
            ip: addr.ip(),
            port: addr.port(),
        }
    }

    fn stream(direction: &'static str, jitter: Option<f64>) -> RtpStreamSummary {
        RtpStreamSummary {
            ssrc: 0xdead_beef,
            direction,
            payload_type: 111,
            packets: 1_500,
            expected: 1_503,
            lost: -2,
            sequence_errors: 1,
            jitter_ms: jitter,
            max_jitter_ms: Some(41.25),
        }
    }

    /// A record as the classifier leaves a call's relayed media flow.
    fn relayed_media() -> FlowRecord {
        let (src, dst) = (ep("192.168.1.20:50000"), ep("52.114.77.20:3478"));
        let network = Network {
            country: Some("IE".into()),
            asn: Some(8075),
            org: Some("Microsoft Corporation".into()),
            ..Network::default()
        };
        let evidence_text: Arc<str> = Arc::from("TURN ChannelData to a Microsoft relay");
        FlowRecord {
            record_type: FlowRecordType::Flow,
            l4: L4Proto::Udp,
            src,
            dst,
            first_seen: 1_700_000_000.123456,
            last_seen: 1_700_000_061.5,
            duration: 61.376544,
            packets: 3_000,
            bytes: 600_000,
            packets_src_to_dst: 1_600,
            packets_dst_to_src: 1_400,
            bytes_src_to_dst: 320_000,
            bytes_dst_to_src: 280_000,
            community_id: community_id(L4Proto::Udp, &src, &dst),
            app: Some(Arc::from("teams")),
            role: Some("relay"),
            confidence: Some(0.9),
            evidence: vec![Arc::clone(&evidence_text), Arc::from("RTP inside TURN")].into(),
            remote: Some(Remote::new(FarEnd::new(
                dst.ip,
                Arc::new(DescribedNetwork::new(network)),
            ))),
            call: None,
            server_name: Some(Arc::from("relay.teams.microsoft.com")),
            service_operator: None,
            device_app: None,
            tunnel: None,
            tunnel_stream: None,
            public_address_learned: Some(Box::new(LearnedAddress {
                by: dst,
                address: ep("198.51.100.11:50308"),
            })),
            media: Some(Box::new(MediaSummary {
                rtp_packets: 2_900,
                rtcp_packets: 40,
                framing: Some(MEDIA_FRAMINGS[1]),
                streams: vec![
                    stream(STREAM_DIRECTIONS[0], Some(3.125)),
                    stream(STREAM_DIRECTIONS[1], None),
                ],
                median_payload_bytes: [Some(160), None],
                median_gap_ms: [Some(20.0), Some(19.997)],
            })),
            end_reason: Some(EndReason::Idle),
            first_frame: 1_234_567,
            file: Some(Arc::from("call.pcapng")),
            evidence_frames: vec![EvidenceFrame {
                frame: 1_234_570,
                what: evidence_text,
            }]
            .into(),
            file_index: 2,
        }
    }

    /// Every field, floats to the bit, and the shared texts still shared.
    fn assert_same(a: &FlowRecord, b: &FlowRecord) {
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        let floats = |r: &FlowRecord| {
            [
                r.first_seen,
                r.last_seen,
                r.duration,
                r.confidence.unwrap_or(7.0),
            ]
            .map(f64::to_bits)
        };
        assert_eq!(floats(a), floats(b));
        for (x, y) in a.evidence.iter().zip(b.evidence.iter()) {
            assert!(Arc::ptr_eq(x, y));
        }
    }

    fn round_trip(record: FlowRecord) -> (bool, FlowRecord) {
        let packed = PackedRecord::pack(Box::new(record), &mut Vec::new());
        let was_packed = matches!(packed, PackedRecord::Packed { .. });
        (was_packed, *packed.unpack())
    }

    #[test]
    fn a_relayed_media_record_comes_back_exactly() {
        let record = relayed_media();
        let (packed, back) = round_trip(record.clone());
        assert!(packed);
        assert_same(&record, &back);
        let remote = back.remote.as_ref().unwrap();
        assert_eq!(remote.summary(), record.remote.unwrap().summary());
    }

    #[test]
    fn a_service_operator_comes_back_shared() {
        let mut record = relayed_media();
        let geo = crate::geo::GeoResolver::embedded().unwrap();
        let service = geo
            .service_operator(&Arc::from("teams"), "Teams", "Microsoft")
            .unwrap();
        record.service_operator = Some(Arc::new(service));
        let (packed, back) = round_trip(record.clone());
        assert!(packed);
        assert_same(&record, &back);
        let (a, b) = (
            record.service_operator.unwrap(),
            back.service_operator.unwrap(),
        );
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn packing_takes_less_than_half_of_the_record() {
        let PackedRecord::Packed { bytes, texts, .. } =
            PackedRecord::pack(Box::new(relayed_media()), &mut Vec::new())
        else {
            panic!("not packed");
        };
        // The whole record: its struct, evidence and frame lists, media summary and streams.
        let whole = std::mem::size_of::<FlowRecord>()
            + 2 * 16
            + 24
            + std::mem::size_of::<MediaSummary>()
            + 2 * std::mem::size_of::<RtpStreamSummary>();
        let packed = bytes.len() + texts.len() * 16;
        assert!(2 * packed < whole, "{packed} of {whole}");
    }

    #[test]
    fn ipv6_bare_and_odd_values_come_back_exactly() {
        let mut r = relayed_media();
        r.record_type = FlowRecordType::FlowUpdate;
        r.l4 = L4Proto::Other(47);
        r.src = ep("[2001:db8::1]:0");
        r.dst = ep("[fe80::2]:0");
        r.app = None;
        r.server_name = None;
        r.file = None;
        r.remote = None;
        r.public_address_learned = None;
        r.media = None;
        r.evidence = Box::default();
        r.evidence_frames = Box::default();
        r.role = None;
        r.end_reason = None;
        r.call = Some(u32::MAX);
        // Times that are not whole microseconds, and floats with no short form.
        r.first_seen = 1.0 / 3.0;
        r.last_seen = -0.0;
        r.duration = f64::MAX;
        r.confidence = Some(f64::NAN);
        r.packets = u64::MAX;
        r.file_index = u32::MAX;
        let (packed, back) = round_trip(r);
        assert!(packed);
        assert_eq!(back.record_type, FlowRecordType::FlowUpdate);
        assert_eq!(back.l4, L4Proto::Other(47));
        assert_eq!(back.src, ep("[2001:db8::1]:0"));
        assert_eq!(back.first_seen.to_bits(), (1.0f64 / 3.0).to_bits());
        assert_eq!(back.last_seen.to_bits(), (-0.0f64).to_bits());
        assert_eq!(back.duration, f64::MAX);
        assert!(back.confidence.unwrap().is_nan());
        assert_eq!(
            (back.packets, back.call, back.file_index),
            (u64::MAX, Some(u32::MAX), u32::MAX)
        );
        assert!(back.remote.is_none() && back.media.is_none() && back.role.is_none());
        assert!(back.public_address_learned.is_none());
    }

    #[test]
    fn every_role_end_reason_and_framing_comes_back() {
        for role in Role::ALL {
            for reason in EndReason::ALL {
                for framing in MEDIA_FRAMINGS {
                    let mut r = relayed_media();
                    r.role = Some(role.name());
                    r.end_reason = Some(reason);
                    r.media.as_mut().unwrap().framing = Some(framing);
                    let (packed, back) = round_trip(r.clone());
                    assert!(packed);
                    assert_same(&r, &back);
                }
            }
        }
    }

    #[test]
    fn a_value_without_a_code_keeps_the_record_whole() {
        let mut r = relayed_media();
        r.role = Some("supernode");
        let (packed, back) = round_trip(r.clone());
        assert!(!packed);
        assert_same(&r, &back);
        let mut r = relayed_media();
        r.media.as_mut().unwrap().framing = Some("a framing added later");
        let (packed, back) = round_trip(r.clone());
        assert!(!packed);
        assert_same(&r, &back);
    }
}
