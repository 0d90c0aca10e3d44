//! Floods: captures generated on the fly (classic pcap, raw IPv4 link
//! type, tiny packets) of random 5-tuples, tiny IP fragments and half-open
//! TCP SYNs. With `--max-flows` the table must stay at the cap, count its
//! evictions, and memory must not follow the number of flows.
//!
//! Debug builds generate a tenth of the packets to stay fast; the full
//! one-million-tuple flood runs with
//! `cargo test --release --test floods -- --ignored`.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const CAP: u64 = 10_000;

fn flood_size() -> u32 {
    if cfg!(debug_assertions) {
        100_000
    } else {
        1_000_000
    }
}

/// xorshift64*: reproducible random bytes without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn addr(&mut self) -> [u8; 4] {
        // Unicast, outside 0/8, 10/8, 127/8 and multicast: any public-looking address.
        let mut a = (self.next() as u32).to_be_bytes();
        a[0] = 11 + a[0] % 200;
        a
    }
}

/// A classic pcap (microseconds, LINKTYPE_IPV4 = 228) written to `path`;
/// `packet(i)` gives the IPv4 packet of record `i`, one per microsecond.
fn write_capture(path: &Path, n: u32, mut packet: impl FnMut(u32) -> Vec<u8>) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut header = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    header.extend_from_slice(&[0; 8]);
    header.extend_from_slice(&65535u32.to_le_bytes());
    header.extend_from_slice(&228u32.to_le_bytes());
    out.write_all(&header).unwrap();
    for i in 0..n {
        let p = packet(i);
        let (secs, usecs) = (1_700_000_000 + i / 1_000_000, i % 1_000_000);
        for v in [secs, usecs, p.len() as u32, p.len() as u32] {
            out.write_all(&v.to_le_bytes()).unwrap();
        }
        out.write_all(&p).unwrap();
    }
    out.flush().unwrap();
}

/// An IPv4 header (no options) for `proto` with `payload_len` bytes after it.
fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, id: u16, frag: u16, payload_len: usize) -> Vec<u8> {
    let total = (20 + payload_len) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&frag.to_be_bytes());
    h.extend_from_slice(&[64, proto, 0, 0]);
    h.extend_from_slice(&src);
    h.extend_from_slice(&dst);
    h
}

fn udp(rng: &mut Rng) -> Vec<u8> {
    let (src, dst) = (rng.addr(), rng.addr());
    let ports = rng.next();
    let mut p = ipv4(src, dst, 17, 0, 0x4000, 12);
    p.extend_from_slice(&(ports as u16 | 1024).to_be_bytes());
    p.extend_from_slice(&((ports >> 16) as u16 | 1024).to_be_bytes());
    p.extend_from_slice(&12u16.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0xde, 0xad, 0xbe, 0xef]);
    p
}

fn syn(rng: &mut Rng) -> Vec<u8> {
    let src = rng.addr();
    let mut p = ipv4(src, [93, 184, 216, 34], 6, 0, 0x4000, 20);
    p.extend_from_slice(&(rng.next() as u16 | 1024).to_be_bytes());
    p.extend_from_slice(&443u16.to_be_bytes());
    p.extend_from_slice(&(rng.next() as u32).to_be_bytes());
    // ack 0, data offset 5, SYN, window, checksum, urgent
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    p
}

/// A first fragment (UDP header plus 8 bytes, MF set) or a later one
/// (8 bytes at a random offset), each of its own datagram.
fn fragment(rng: &mut Rng, first: bool) -> Vec<u8> {
    let (src, dst) = (rng.addr(), rng.addr());
    let id = rng.next() as u16;
    if first {
        let mut p = ipv4(src, dst, 17, id, 0x2000, 16);
        let ports = rng.next();
        p.extend_from_slice(&(ports as u16 | 1024).to_be_bytes());
        p.extend_from_slice(&((ports >> 16) as u16 | 1024).to_be_bytes());
        p.extend_from_slice(&1000u16.to_be_bytes());
        p.extend_from_slice(&[0; 10]);
        p
    } else {
        let offset = 1 + (rng.next() as u16) % 100;
        let mut p = ipv4(src, dst, 17, id, 0x2000 | offset, 8);
        p.extend_from_slice(&[0; 8]);
        p
    }
}

struct FloodRun {
    summary: serde_json::Value,
    flow_lines: u64,
    /// Peak resident memory in KiB, when /usr/bin/time is there to tell.
    max_rss_kib: Option<u64>,
}

/// Runs callpath on `capture`, reading its NDJSON as it streams so the
/// output never has to be stored.
fn run(capture: &Path, max_flows: u64) -> FloodRun {
    let bin = env!("CARGO_BIN_EXE_callpath");
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(bin);
        c
    } else {
        Command::new(bin)
    };
    let mut child = cmd
        .args([
            "analyze",
            "--format",
            "ndjson",
            "--no-progress",
            "--max-flows",
        ])
        .arg(max_flows.to_string())
        .arg(capture)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap());
    let mut summary = None;
    let mut flow_lines = 0;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with(r#"{"type":"flow""#) {
            flow_lines += 1;
        } else if line.starts_with(r#"{"type":"summary""#) {
            summary = Some(serde_json::from_str(&line).unwrap());
        }
    }
    let status = child.wait().unwrap();
    let stderr = err_reader.join().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(status.success(), "{status}: {stderr}");
    let max_rss_kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.parse().ok());
    FloodRun {
        summary: summary.expect("a summary record"),
        flow_lines,
        max_rss_kib,
    }
}

fn stat(run: &FloodRun, field: &str) -> u64 {
    run.summary["flow_table"][field].as_u64().unwrap()
}

/// Every flow is written (evicted early or at the end) and the table
/// never held more than the cap.
fn assert_capped(run: &FloodRun, created_at_least: u64) {
    let created = stat(run, "flows_created");
    assert!(created >= created_at_least, "created {created}");
    assert!(stat(run, "max_active_flows") <= CAP);
    assert!(stat(run, "flows_evicted") >= created - CAP);
    assert_eq!(run.summary["flows"].as_u64().unwrap(), created);
    assert_eq!(run.flow_lines, created);
}

fn random_tuple_flood(n: u32) {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.pcap");
    let big = dir.path().join("big.pcap");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    write_capture(&small, n / 4, |_| udp(&mut rng));
    write_capture(&big, n, |_| udp(&mut rng));
    let small_run = run(&small, CAP);
    let big_run = run(&big, CAP);
    // Random 5-tuples hardly ever repeat: nearly every packet is a flow.
    assert_capped(&big_run, u64::from(n) * 99 / 100);
    assert_eq!(big_run.summary["packets_decoded"], u64::from(n));
    // Four times the flows through a table of the same size: memory must
    // not grow with them (allow a quarter for allocator slack).
    if let (Some(small_kib), Some(big_kib)) = (small_run.max_rss_kib, big_run.max_rss_kib) {
        eprintln!(
            "max RSS: {small_kib} KiB for {} flows, {big_kib} KiB for {n}",
            n / 4
        );
        assert!(
            big_kib <= small_kib + small_kib / 4,
            "memory follows the flood: {small_kib} KiB → {big_kib} KiB"
        );
    }
}

#[test]
fn random_five_tuple_flood_stays_at_the_flow_cap() {
    random_tuple_flood(flood_size());
}

/// The full million-tuple flood (slow in debug builds; run it with
/// `cargo test --release --test floods -- --ignored`).
#[test]
#[ignore]
fn one_million_random_five_tuples() {
    random_tuple_flood(1_000_000);
}

#[test]
fn half_open_syn_flood_stays_at_the_flow_cap() {
    let n = flood_size() / 2;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("syn.pcap");
    let mut rng = Rng(42);
    write_capture(&path, n, |_| syn(&mut rng));
    let run = run(&path, CAP);
    assert_capped(&run, u64::from(n) * 99 / 100);
}

#[test]
fn tiny_fragment_flood_is_bounded() {
    let n = flood_size() / 2;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("frag.pcap");
    let mut rng = Rng(7);
    // Every fourth packet starts a datagram whose rest never comes; the
    // others are later fragments of datagrams never started.
    write_capture(&path, n, |i| fragment(&mut rng, i % 4 == 0));
    let run = run(&path, CAP);
    let firsts = u64::from(n).div_ceil(4);
    assert_capped(&run, firsts * 99 / 100);
    assert_eq!(stat(&run, "fragments_unattributed"), u64::from(n) - firsts);
    assert_eq!(stat(&run, "fragments_attributed"), 0);
}
