//! Helpers shared by the integration tests: run the built binary, read its
//! NDJSON, find the reference corpus.
#![allow(dead_code)]

pub mod capture_edit;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_callpath")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The nDPI reference captures, next to the repository (`../shared/corpus`),
/// or where CALLPATH_CORPUS points. `None` (with a message) when absent.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("CALLPATH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"));
    if dir.join("ndpi").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: reference corpus not found at {} (set CALLPATH_CORPUS)",
            dir.display()
        );
        None
    }
}

pub fn run(args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .output()
        .expect("run callpath")
}

/// `analyze --format json` of `capture` with `extra` options: the document.
pub fn analyze_json(capture: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["analyze", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(capture.to_str().unwrap());
    serde_json::from_slice(&run(&args).stdout).expect("a JSON document")
}

/// Packets of the flows in an analysis document that `keep` keeps.
pub fn flow_packets(doc: &Value, keep: impl Fn(&Value) -> bool) -> u64 {
    doc["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| keep(f))
        .map(|f| f["packets"].as_u64().unwrap())
        .sum()
}

/// `extract --call N` of `capture` into `to`, which must succeed.
pub fn extract_call(capture: &Path, call: u32, to: &Path) {
    let out = run(&[
        "extract",
        "--call",
        &call.to_string(),
        "-w",
        to.to_str().unwrap(),
        capture.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `analyze --format ndjson` and returns the parsed records.
pub fn analyze_ndjson(capture: &Path) -> (Vec<Value>, Output) {
    let out = Command::new(bin())
        .args(["analyze", "--format", "ndjson"])
        .arg(capture)
        .output()
        .expect("run callpath");
    let records = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is JSON"))
        .collect();
    (records, out)
}

/// `ip:port` or `[v6]:port` as written by callpath and the label files.
pub fn endpoint(s: &str) -> SocketAddr {
    if let Ok(a) = s.parse::<SocketAddr>() {
        return a;
    }
    let (host, port) = s.rsplit_once(':').expect("host:port");
    SocketAddr::new(
        host.parse::<IpAddr>().expect("address"),
        port.parse().expect("port"),
    )
}

/// Key of a flow independent of direction.
pub type FlowId = (String, SocketAddr, SocketAddr);

pub fn flow_id(l4: &str, a: &str, b: &str) -> FlowId {
    let (a, b) = (endpoint(a), endpoint(b));
    let (lo, hi) = if (a.ip(), a.port()) <= (b.ip(), b.port()) {
        (a, b)
    } else {
        (b, a)
    };
    (l4.to_string(), lo, hi)
}

/// Flow records by unordered endpoints; when a pair has several records
/// (port reuse), the one with most packets, as the corpus scorer does.
pub fn flows_by_id(records: &[Value]) -> HashMap<FlowId, Value> {
    let mut out: HashMap<FlowId, Value> = HashMap::new();
    for r in records.iter().filter(|r| r["type"] == "flow") {
        let id = flow_id(
            r["l4"].as_str().unwrap(),
            r["src"].as_str().unwrap(),
            r["dst"].as_str().unwrap(),
        );
        let keep = out
            .get(&id)
            .is_none_or(|old| old["packets"].as_u64() < r["packets"].as_u64());
        if keep {
            out.insert(id, r.clone());
        }
    }
    out
}

/// Label role names (`p2p_media`, ...) as callpath writes them.
pub fn role_of_label(label: &str) -> Option<&'static str> {
    match label {
        "p2p_media" => Some("p2p"),
        "relay_media" => Some("relay"),
        "lookup" => Some("lookup"),
        "none" => Some("other"),
        _ => None,
    }
}

/// A classic pcap (Ethernet, microseconds) of `frames` at their times,
/// for tests that build their traffic.
pub fn classic_pcap(frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    classic_pcap_of(1, frames)
}

/// `classic_pcap` with another link type.
pub fn classic_pcap_of(link_type: u32, frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    for word in [0u32, 0, 65_535, link_type] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    for (micros, frame) in frames {
        let len = frame.len() as u32;
        for word in [
            (micros / 1_000_000) as u32,
            (micros % 1_000_000) as u32,
            len,
            len,
        ] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out.extend_from_slice(frame);
    }
    out
}

/// Runs `analyze --format ndjson` on a capture built in memory (written
/// to a file of the test's own) and returns the records; the run must
/// succeed.
pub fn analyze_bytes(capture: &[u8], name: &str) -> Vec<Value> {
    let dir = std::env::temp_dir().join(format!("callpath-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcap");
    std::fs::write(&path, capture).unwrap();
    let (records, out) = analyze_ndjson(&path);
    assert!(out.status.success(), "{out:?}");
    std::fs::remove_dir_all(&dir).ok();
    records
}

/// The fields of one CSV line (RFC 4180 quoting, as callpath writes it).
pub fn csv_fields(line: &str) -> Vec<String> {
    let (mut fields, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

/// A STUN attribute, padded to four bytes.
pub fn stun_attribute(kind: u16, value: &[u8]) -> Vec<u8> {
    let mut a = kind.to_be_bytes().to_vec();
    a.extend_from_slice(&(value.len() as u16).to_be_bytes());
    a.extend_from_slice(value);
    a.resize(a.len().div_ceil(4) * 4, 0);
    a
}

/// A STUN message of `method_class` carrying `attributes`, its
/// transaction ID twelve bytes `id`.
pub fn stun(method_class: u16, id: u8, attributes: &[u8]) -> Vec<u8> {
    let mut m = method_class.to_be_bytes().to_vec();
    m.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    m.extend_from_slice(&[id; 12]);
    m.extend_from_slice(attributes);
    m
}

/// XOR-MAPPED-ADDRESS (RFC 5389) of an IPv4 endpoint.
pub fn xor_mapped(addr: ([u8; 4], u16)) -> Vec<u8> {
    let mut v = vec![0, 1];
    v.extend_from_slice(&(addr.1 ^ 0x2112).to_be_bytes());
    v.extend(
        addr.0
            .iter()
            .zip([0x21, 0x12, 0xa4, 0x42])
            .map(|(a, b)| a ^ b),
    );
    stun_attribute(0x0020, &v)
}

/// One Ethernet/IPv4/TCP segment from `a` to `b` (ACK and PSH set).
pub fn tcp_frame(a: ([u8; 4], u16), b: ([u8; 4], u16), seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut frame = Vec::new();
    etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(a.0, b.0, 64)
        .tcp(a.1, b.1, seq, 65_535)
        .ack(1)
        .psh()
        .write(&mut frame, payload)
        .unwrap();
    frame
}

/// One Ethernet/IPv4/UDP frame between `a` and `b`.
pub fn udp_frame(a: ([u8; 4], u16), b: ([u8; 4], u16), payload: &[u8]) -> Vec<u8> {
    let builder = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4(a.0, b.0, 64)
        .udp(a.1, b.1);
    let mut f = Vec::new();
    builder.write(&mut f, payload).unwrap();
    f
}

/// `count` RTP packets each way between `a` and `b` (version 2, payload
/// type `pt`, `len` bytes), one every 20 ms from `start` microseconds:
/// a voice stream as codecs send it.
pub fn rtp_both_ways(
    a: ([u8; 4], u16),
    b: ([u8; 4], u16),
    pt: u8,
    count: u16,
    start: u64,
    len: usize,
) -> Vec<(u64, Vec<u8>)> {
    let mut frames = Vec::new();
    for n in 0..count {
        let at = start + u64::from(n) * 20_000;
        for (from, to, ssrc) in [(a, b, 0x0eaf_0eafu32), (b, a, 0x5eed_0001)] {
            let mut rtp = vec![0x80, pt];
            rtp.extend_from_slice(&n.to_be_bytes());
            rtp.extend_from_slice(&(u32::from(n) * 160).to_be_bytes());
            rtp.extend_from_slice(&ssrc.to_be_bytes());
            rtp.resize(len, 0xd5);
            frames.push((at, udp_frame(from, to, &rtp)));
        }
    }
    frames
}

/// The endpoints of a call record's list of parties (`relays`, `peers`,
/// `lookup_servers`, `candidates_checked`).
pub fn party_endpoints(parties: &Value) -> Vec<&str> {
    parties
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["endpoint"].as_str().unwrap())
        .collect()
}

/// A JSON list of strings, as `&str`s.
pub fn texts(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect()
}

/// A call through the lab's Janus server at `sfu` (samples/group-call and
/// sfu-call): relayed by its two media connections, its API the one lookup
/// server and no candidate address, and what answered the device's checks
/// on both connections a conference server.
pub fn assert_call_through_lab_sfu(call: &Value, sfu: &str) {
    assert_eq!(call["path"], "relayed", "{call}");
    let relays = party_endpoints(&call["relays"]);
    assert_eq!(relays.len(), 2, "{relays:?}");
    assert!(relays.iter().all(|r| r.starts_with(sfu)), "{relays:?}");
    let lookups = party_endpoints(&call["lookup_servers"]);
    assert_eq!(lookups, [format!("{sfu}:8088")], "{call}");
    assert!(
        call["candidates_checked"].as_array().unwrap().is_empty(),
        "{call}"
    );
    let learned = texts(&call["public_address_learned_by"]);
    assert_eq!(learned.len(), 2, "{learned:?}");
    assert!(
        learned
            .iter()
            .all(|l| l.contains("(conference server, told the device it is 198.51.100.11:")),
        "{learned:?}"
    );
}

/// An SDP body (one audio stream, payload type `pt`) whose media is at
/// `media`, as a SIP message carries it.
pub fn sdp_audio(media: ([u8; 4], u16), pt: u8) -> String {
    let ip = std::net::Ipv4Addr::from(media.0);
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {} RTP/AVP {pt}\r\n",
        media.1
    )
}

/// A SIP message of one dialog between alice and bob: `first_line`, the
/// dialog's `call_id`, `cseq` ("1 INVITE"), `via` (the transport and sent-by
/// of its Via header, e.g. "UDP 192.168.1.20:5060") and an SDP `body` (none
/// when empty).
pub fn sip_message(first_line: &str, via: &str, call_id: &str, cseq: &str, body: &str) -> Vec<u8> {
    format!(
        "{first_line}\r\nVia: SIP/2.0/{via};branch=z9hG4bK1\r\n\
         From: <sip:alice@example.org>;tag=1\r\nTo: <sip:bob@example.org>;tag=2\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq}\r\n{}Content-Length: {}\r\n\r\n{body}",
        if body.is_empty() {
            ""
        } else {
            "Content-Type: application/sdp\r\n"
        },
        body.len()
    )
    .into_bytes()
}

/// The one call record among `records` (fails the test if there are
/// none or several).
pub fn the_call(records: &[Value]) -> &Value {
    let calls: Vec<&Value> = records.iter().filter(|r| r["type"] == "call").collect();
    assert_eq!(calls.len(), 1, "{records:?}");
    calls[0]
}

/// The first flow record with `endpoint` at either end.
pub fn flow_with<'a>(records: &'a [Value], endpoint: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["type"] == "flow" && (r["dst"] == endpoint || r["src"] == endpoint))
        .unwrap_or_else(|| panic!("no flow with {endpoint}: {records:?}"))
}

/// A DNS response answering `name` (dotted) with one IPv4 address.
pub fn dns_answer(name: &str, ip: [u8; 4]) -> Vec<u8> {
    let mut m = vec![0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    for label in name.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    m.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
    m.extend_from_slice(&ip);
    m
}
