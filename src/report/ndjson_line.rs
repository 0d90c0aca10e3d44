//! Flow and call records as NDJSON lines, written member by member.
//! serde_json's generic path was ~15 % of a run on the bench capture: it
//! escapes every key, formats addresses through a string adapter and
//! rebuilds the far end's members for each record (a call record names
//! several far ends). Here keys are constants, strings are escaped only
//! when they need it, and the far end's members are copied as written once
//! per network. The bytes are serde_json's own: fractional numbers still go
//! through it, and tests compare whole lines with `serde_json::to_string`
//! of the same records.

use super::call_laws::LawReach;
use super::call_record::{CallParty, CallRecord};
use super::flow_record::{end_reason_text, EvidenceFrame, FlowRecord};
use super::media_summary::{MediaSummary, RtpStreamSummary};
use super::remote::Remote;
use crate::flow::Endpoint;
use crate::hex_text::HexText;

/// Appends `record` as JSON (no newline) to `out`.
pub fn write_flow(out: &mut Vec<u8>, r: &FlowRecord) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"type\":");
    name(out, r.record_type.name());
    out.extend_from_slice(b",\"l4\":");
    name(out, r.l4.name());
    out.extend_from_slice(b",\"src\":");
    endpoint(out, &r.src);
    out.extend_from_slice(b",\"dst\":");
    endpoint(out, &r.dst);
    out.extend_from_slice(b",\"first_seen\":");
    serde_json::to_writer(&mut *out, &r.first_seen)?;
    out.extend_from_slice(b",\"last_seen\":");
    serde_json::to_writer(&mut *out, &r.last_seen)?;
    out.extend_from_slice(b",\"duration\":");
    serde_json::to_writer(&mut *out, &r.duration)?;
    for (key, value) in [
        (&b",\"packets\":"[..], r.packets),
        (b",\"bytes\":", r.bytes),
        (b",\"packets_src_to_dst\":", r.packets_src_to_dst),
        (b",\"packets_dst_to_src\":", r.packets_dst_to_src),
        (b",\"bytes_src_to_dst\":", r.bytes_src_to_dst),
        (b",\"bytes_dst_to_src\":", r.bytes_dst_to_src),
    ] {
        out.extend_from_slice(key);
        out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }
    out.extend_from_slice(b",\"community_id\":");
    out.push(b'"');
    r.community_id.write_text(out);
    out.push(b'"');
    out.extend_from_slice(b",\"app\":");
    optional_string(out, r.app.as_deref())?;
    out.extend_from_slice(b",\"role\":");
    match r.role {
        Some(role) => name(out, role),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"confidence\":");
    serde_json::to_writer(&mut *out, &r.confidence)?;
    out.extend_from_slice(b",\"evidence\":");
    strings(out, &r.evidence)?;
    out.extend_from_slice(b",\"remote\":");
    remote(out, r.remote.as_ref())?;
    out.extend_from_slice(b",\"call\":");
    match r.call {
        Some(call) => out.extend_from_slice(itoa::Buffer::new().format(call).as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"server_name\":");
    optional_string(out, r.server_name.as_deref())?;
    if let Some(service) = &r.service_operator {
        out.extend_from_slice(b",\"service_operator\":");
        out.extend_from_slice(service.json.as_bytes());
    }
    if let Some(app) = &r.device_app {
        // Rare (PCAPdroid captures): serde's own writer.
        out.extend_from_slice(b",\"device_app\":");
        serde_json::to_writer(&mut *out, &**app)?;
    }
    if let Some(tunnel) = r.tunnel {
        out.extend_from_slice(b",\"tunnel\":");
        name(out, tunnel);
    }
    if let Some(stream) = &r.tunnel_stream {
        out.extend_from_slice(b",\"tunnel_stream\":");
        string(out, stream)?;
    }
    if let Some(learned) = &r.public_address_learned {
        out.extend_from_slice(b",\"public_address_learned\":{\"by\":");
        endpoint(out, &learned.by);
        out.extend_from_slice(b",\"address\":");
        endpoint(out, &learned.address);
        out.push(b'}');
    }
    if let Some(media) = &r.media {
        out.extend_from_slice(b",\"media\":");
        media_summary(out, media)?;
    }
    out.extend_from_slice(b",\"end_reason\":");
    name(out, end_reason_text(r.end_reason));
    out.extend_from_slice(b",\"first_frame\":");
    out.extend_from_slice(itoa::Buffer::new().format(r.first_frame).as_bytes());
    if let Some(file) = &r.file {
        out.extend_from_slice(b",\"file\":");
        string(out, file)?;
    }
    if !r.evidence_frames.is_empty() {
        out.extend_from_slice(b",\"evidence_frames\":");
        array(out, &r.evidence_frames, evidence_frame)?;
    }
    out.push(b'}');
    Ok(())
}

/// Appends `record` as JSON (no newline) to `out`.
pub fn write_call(out: &mut Vec<u8>, r: &CallRecord) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"type\":");
    string(out, r.record_type)?;
    out.extend_from_slice(b",\"call\":");
    out.extend_from_slice(itoa::Buffer::new().format(r.call).as_bytes());
    out.extend_from_slice(b",\"app\":");
    optional_string(out, r.app.as_deref())?;
    if !r.device_apps.is_empty() {
        out.extend_from_slice(b",\"device_apps\":");
        strings(out, &r.device_apps)?;
    }
    for (key, value) in [
        (&b",\"start\":"[..], r.start),
        (b",\"end\":", r.end),
        (b",\"duration\":", r.duration),
    ] {
        out.extend_from_slice(key);
        serde_json::to_writer(&mut *out, &value)?;
    }
    out.extend_from_slice(b",\"local\":");
    strings(out, &r.local)?;
    out.extend_from_slice(b",\"path\":");
    string(out, r.path)?;
    out.extend_from_slice(b",\"verdict\":");
    string(out, &r.verdict)?;
    if let Some(n) = r.voices_at_once {
        out.extend_from_slice(b",\"voices_at_once\":");
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
    for (key, parties) in [
        (&b",\"peers\":"[..], &r.peers),
        (b",\"relays\":", &r.relays),
        (b",\"lookup_servers\":", &r.lookup_servers),
        (b",\"candidates_checked\":", &r.candidates_checked),
    ] {
        out.extend_from_slice(key);
        array(out, parties, call_party)?;
    }
    if !r.announced_media.is_empty() {
        out.extend_from_slice(b",\"announced_media\":");
        array(out, &r.announced_media, call_party)?;
    }
    if !r.other_legs.is_empty() {
        out.extend_from_slice(b",\"other_legs\":");
        array(out, &r.other_legs, call_party)?;
    }
    out.extend_from_slice(b",\"public_address_learned_by\":");
    strings(out, &r.public_address_learned_by)?;
    out.extend_from_slice(b",\"laws\":{\"media_servers\":");
    array(out, &r.laws.media_servers, law_reach)?;
    out.extend_from_slice(b",\"lookup_servers\":");
    array(out, &r.laws.lookup_servers, law_reach)?;
    out.push(b'}');
    out.extend_from_slice(b",\"quality\":");
    serde_json::to_writer(&mut *out, &r.quality)?;
    out.extend_from_slice(b",\"flows\":");
    out.extend_from_slice(itoa::Buffer::new().format(r.flows).as_bytes());
    out.extend_from_slice(b",\"media_flows\":");
    out.extend_from_slice(itoa::Buffer::new().format(r.media_flows).as_bytes());
    out.extend_from_slice(b",\"evidence\":");
    strings(out, &r.evidence)?;
    out.push(b'}');
    Ok(())
}

fn media_summary(out: &mut Vec<u8>, m: &MediaSummary) -> serde_json::Result<()> {
    integer(out, b"{\"rtp_packets\":", m.rtp_packets);
    integer(out, b",\"rtcp_packets\":", m.rtcp_packets);
    out.extend_from_slice(b",\"framing\":");
    optional_string(out, m.framing)?;
    out.extend_from_slice(b",\"streams\":");
    array(out, &m.streams, rtp_stream)?;
    value(out, b",\"median_payload_bytes\":", &m.median_payload_bytes)?;
    value(out, b",\"median_gap_ms\":", &m.median_gap_ms)?;
    out.push(b'}');
    Ok(())
}

fn rtp_stream(out: &mut Vec<u8>, s: &RtpStreamSummary) -> serde_json::Result<()> {
    // The SSRC as `{:#010x}` writes it.
    out.extend_from_slice(b"{\"ssrc\":\"");
    out.extend_from_slice(HexText::new(u64::from(s.ssrc), 10).as_bytes());
    out.extend_from_slice(b"\",\"direction\":");
    string(out, s.direction)?;
    integer(out, b",\"payload_type\":", s.payload_type);
    integer(out, b",\"packets\":", s.packets);
    integer(out, b",\"expected\":", s.expected);
    integer(out, b",\"lost\":", s.lost);
    integer(out, b",\"sequence_errors\":", s.sequence_errors);
    value(out, b",\"jitter_ms\":", &s.jitter_ms)?;
    value(out, b",\"max_jitter_ms\":", &s.max_jitter_ms)?;
    out.push(b'}');
    Ok(())
}

/// `key` (with its quotes, colon and any comma before it) and an integer.
fn integer(out: &mut Vec<u8>, key: &[u8], n: impl itoa::Integer) {
    out.extend_from_slice(key);
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `key` and a value as serde_json writes it (fractions, arrays of them).
fn value<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    key: &[u8],
    v: &T,
) -> serde_json::Result<()> {
    out.extend_from_slice(key);
    serde_json::to_writer(&mut *out, v)
}

fn evidence_frame(out: &mut Vec<u8>, f: &EvidenceFrame) -> serde_json::Result<()> {
    integer(out, b"{\"frame\":", f.frame);
    out.extend_from_slice(b",\"what\":");
    string(out, &f.what)?;
    out.push(b'}');
    Ok(())
}

fn call_party(out: &mut Vec<u8>, p: &CallParty) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"endpoint\":");
    string(out, &p.endpoint)?;
    out.extend_from_slice(b",\"remote\":");
    remote(out, p.remote.as_ref())?;
    out.extend_from_slice(b",\"summary\":");
    string(out, &p.summary)?;
    if let Some(service) = &p.service_operator {
        out.extend_from_slice(b",\"service_operator\":");
        out.extend_from_slice(service.json.as_bytes());
    }
    out.push(b'}');
    Ok(())
}

/// A far end's `remote` object (its network's members as written once per
/// network), or null.
fn remote(out: &mut Vec<u8>, r: Option<&Remote>) -> serde_json::Result<()> {
    match r {
        Some(r) => r.far_end.write_remote_json(out),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// One country of a call's `laws`.
fn law_reach(out: &mut Vec<u8>, r: &LawReach) -> serde_json::Result<()> {
    out.extend_from_slice(b"{\"country\":");
    string(out, &r.country)?;
    out.extend_from_slice(b",\"regimes\":");
    strings(out, &r.regimes)?;
    out.extend_from_slice(b",\"because\":");
    strings(out, &r.because)?;
    out.push(b'}');
    Ok(())
}

/// A JSON array, each item written by `item`.
fn array<T>(
    out: &mut Vec<u8>,
    items: &[T],
    item: impl Fn(&mut Vec<u8>, &T) -> serde_json::Result<()>,
) -> serde_json::Result<()> {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x)?;
    }
    out.push(b']');
    Ok(())
}

/// A JSON array of strings.
fn strings<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) -> serde_json::Result<()> {
    array(out, items, |out, s| string(out, s.as_ref()))
}

/// A JSON string; escaped by serde_json only when some byte needs it.
fn string(out: &mut Vec<u8>, s: &str) -> serde_json::Result<()> {
    // A fold rather than `any`: no early exit, so the check vectorises.
    let needs_escape = s.bytes().fold(false, |acc, b| {
        acc | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if needs_escape {
        return serde_json::to_writer(out, s);
    }
    quoted(out, s);
    Ok(())
}

/// `s` between quotes, as it is: for text known to need no escaping.
fn quoted(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// One of callpath's own names (a record type, protocol, role or end
/// reason: lower-case words), which never need escaping: written without
/// looking for characters to escape, as every record has several.
fn name(out: &mut Vec<u8>, s: &'static str) {
    debug_assert!(!s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\'));
    quoted(out, s);
}

fn optional_string(out: &mut Vec<u8>, s: Option<&str>) -> serde_json::Result<()> {
    match s {
        Some(s) => string(out, s),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// An endpoint's text, which never needs escaping.
fn endpoint(out: &mut Vec<u8>, e: &Endpoint) {
    out.push(b'"');
    e.write_text(out);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{Analysis, AnalysisConfig, Input, NoProgress};
    use crate::report::CollectingSink;

    fn collected(path: &std::path::Path) -> crate::report::Collected {
        let (sink, handle) = CollectingSink::new();
        let mut analysis =
            Analysis::new(&AnalysisConfig::default(), Box::new(sink)).expect("analysis");
        analysis
            .run_input(&Input::File(path.to_path_buf()), &NoProgress)
            .expect("sample reads");
        analysis.finish().expect("finishes");
        handle.take()
    }

    fn records_of(path: &std::path::Path) -> Vec<FlowRecord> {
        collected(path).flows
    }

    /// Every call record of the bundled samples (and each with text that
    /// needs escaping) is written exactly as serde_json writes it.
    #[test]
    fn call_lines_match_serde_json() {
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let (mut checked, mut with_parties) = (0, 0);
        for entry in std::fs::read_dir(samples.join("rewritten")).expect("samples/rewritten") {
            let path = entry.expect("sample").path();
            if path.extension().is_none_or(|e| e != "pcap") {
                continue;
            }
            for mut call in collected(&path).calls {
                with_parties += usize::from(!call.relays.is_empty() || !call.peers.is_empty());
                for _ in 0..2 {
                    let mut line = Vec::new();
                    write_call(&mut line, &call).expect("writes");
                    let expected = serde_json::to_string(&call).expect("serialises");
                    assert_eq!(String::from_utf8(line).expect("utf-8"), expected);
                    checked += 1;
                    call.verdict.push_str(" \"quoted\"\n\u{1}");
                    call.evidence.push("a\\b".to_string());
                    call.device_apps = vec!["W\"hats\"App (Android uid 10123)".into()];
                    call.app = None;
                    call.quality = None;
                }
            }
        }
        assert!(
            checked > 0 && with_parties > 0,
            "{checked} lines, {with_parties} with parties"
        );
    }

    /// The names written unescaped (`name`) are all that serde_json
    /// writes for them.
    #[test]
    fn names_need_no_escaping() {
        use crate::classify::Role;
        use crate::decode::L4Proto;
        use crate::flow::EndReason;
        use crate::report::flow_record::FlowRecordType;
        let l4 = [6, 17, 1, 58, 47].map(|n| L4Proto::from_number(n).name());
        let kinds = [FlowRecordType::Flow, FlowRecordType::FlowUpdate].map(FlowRecordType::name);
        let roles = Role::ALL.map(Role::name);
        let ends = EndReason::ALL.map(|e| end_reason_text(Some(e)));
        for text in l4
            .iter()
            .chain(&kinds)
            .chain(&roles)
            .chain(&ends)
            .chain(&[end_reason_text(None)])
        {
            let mut out = Vec::new();
            name(&mut out, text);
            assert_eq!(out, serde_json::to_vec(text).unwrap(), "{text}");
        }
    }

    /// Every flow record of the bundled samples is written exactly as
    /// serde_json writes it.
    #[test]
    fn lines_match_serde_json() {
        let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut checked = 0;
        let mut with_media = 0;
        let mut with_learned = 0;
        for entry in std::fs::read_dir(samples.join("rewritten")).expect("samples/rewritten") {
            let path = entry.expect("sample").path();
            if path.extension().is_none_or(|e| e != "pcap") {
                continue;
            }
            for mut record in records_of(&path) {
                for file in [None, Some("a \"quoted\"\tname.pcap".into())] {
                    record.file = file;
                    let mut line = Vec::new();
                    write_flow(&mut line, &record).expect("writes");
                    let expected = serde_json::to_string(&record).expect("serialises");
                    assert_eq!(String::from_utf8(line).expect("utf-8"), expected);
                    checked += 1;
                }
                with_media += usize::from(record.media.is_some());
                with_learned += usize::from(record.public_address_learned.is_some());
                // A flow the capturing phone tagged with its app.
                for (name, package) in [
                    (Some("Signal \"beta\""), None),
                    (None, None),
                    (Some("Signal"), Some("org.thoughtcrime.securesms")),
                ] {
                    record.device_app = Some(std::sync::Arc::new(
                        crate::classify::device_apps::DeviceApp {
                            owner: crate::classify::device_apps::Owner::AndroidUid(10_123),
                            name: name.map(std::sync::Arc::from),
                            package: package.map(std::sync::Arc::from),
                            source: "PCAPdroid trailer",
                        },
                    ));
                    let mut line = Vec::new();
                    write_flow(&mut line, &record).expect("writes");
                    let expected = serde_json::to_string(&record).expect("serialises");
                    assert_eq!(String::from_utf8(line).expect("utf-8"), expected);
                }
                record.device_app = None;
                // And the rarer values of a media summary.
                if let Some(media) = record.media.as_deref_mut() {
                    media.framing = Some("TURN \"channel\"");
                    media.median_gap_ms = [Some(20.5), None];
                    for stream in &mut media.streams {
                        (stream.ssrc, stream.lost, stream.jitter_ms) = (0x1, -3, None);
                    }
                    let mut line = Vec::new();
                    write_flow(&mut line, &record).expect("writes");
                    let expected = serde_json::to_string(&record).expect("serialises");
                    assert_eq!(String::from_utf8(line).expect("utf-8"), expected);
                }
            }
        }
        assert!(checked > 50, "only {checked} records checked");
        assert!(with_media > 0, "no record with media checked");
        assert!(with_learned > 0, "no record with a learned address checked");
    }
}
