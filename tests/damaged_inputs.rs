//! Damaged inputs, made by damaging a real capture (samples/direct-call.pcap
//! and a pcapng written from it): each must give one clear line naming the
//! file and byte offset, keep what was read before the damage, and exit
//! with the documented code (0 clean, 1 damaged but results written, 2
//! nothing readable).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const EXIT_CLEAN: i32 = 0;
const EXIT_DAMAGED: i32 = 1;
const EXIT_UNUSABLE: i32 = 2;

fn sample() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/direct-call.pcap");
    std::fs::read(path).expect("sample capture")
}

/// A little-endian microsecond classic pcap, split into its records.
struct Classic {
    header: Vec<u8>,
    records: Vec<Vec<u8>>,
}

impl Classic {
    fn parse(bytes: &[u8]) -> Classic {
        assert_eq!(
            &bytes[..4],
            &[0xd4, 0xc3, 0xb2, 0xa1],
            "sample is LE usec pcap"
        );
        let mut records = Vec::new();
        let mut off = 24;
        while off < bytes.len() {
            let caplen = u32_le(&bytes[off + 8..off + 12]) as usize;
            records.push(bytes[off..off + 16 + caplen].to_vec());
            off += 16 + caplen;
        }
        Classic {
            header: bytes[..24].to_vec(),
            records,
        }
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        for r in &self.records {
            out.extend_from_slice(r);
        }
        out
    }

    /// Byte offset of record `k` in [`Classic::bytes`].
    fn offset_of(&self, k: usize) -> usize {
        24 + self.records[..k].iter().map(Vec::len).sum::<usize>()
    }

    fn link_type(&self) -> u32 {
        u32_le(&self.header[20..24])
    }

    /// The same packets as pcapng: section header, one interface, one
    /// enhanced packet block per record. Returns the bytes and the offset
    /// of each packet block.
    fn to_pcapng(&self) -> (Vec<u8>, Vec<usize>) {
        let mut out = Vec::new();
        // Section header block: magic, length, byte-order magic, version 1.0, section length -1.
        block(&mut out, 0x0a0d0d0a, &{
            let mut b = 0x1a2b3c4du32.to_le_bytes().to_vec();
            b.extend_from_slice(&[1, 0, 0, 0]);
            b.extend_from_slice(&u64::MAX.to_le_bytes());
            b
        });
        // Interface description block: link type, reserved, snap length.
        block(&mut out, 1, &{
            let mut b = (self.link_type() as u16).to_le_bytes().to_vec();
            b.extend_from_slice(&[0, 0]);
            b.extend_from_slice(&262_144u32.to_le_bytes());
            b
        });
        let mut offsets = Vec::new();
        for r in &self.records {
            let ts = u64::from(u32_le(&r[0..4])) * 1_000_000 + u64::from(u32_le(&r[4..8]));
            let mut b = 0u32.to_le_bytes().to_vec();
            b.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            b.extend_from_slice(&(ts as u32).to_le_bytes());
            b.extend_from_slice(&r[8..16]);
            b.extend_from_slice(&r[16..]);
            while b.len() % 4 != 0 {
                b.push(0);
            }
            offsets.push(out.len());
            block(&mut out, 6, &b);
        }
        (out, offsets)
    }
}

fn block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let len = (12 + body.len()) as u32;
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&len.to_le_bytes());
}

fn u32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().unwrap())
}

fn set_u32_le(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn flows(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with(r#"{"type":"flow""#))
            .collect()
    }
    fn summary(&self) -> serde_json::Value {
        let line = self
            .stdout
            .lines()
            .find(|l| l.starts_with(r#"{"type":"summary""#))
            .unwrap_or_else(|| panic!("no summary in output; stderr: {}", self.stderr));
        serde_json::from_str(line).unwrap()
    }
    fn stderr_lines(&self) -> Vec<&str> {
        self.stderr.lines().collect()
    }
}

fn callpath(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_callpath"));
    cmd.args(["analyze", "--format", "ndjson", "--no-progress"])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run callpath");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        // Write from a thread so a full stdout pipe cannot deadlock us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    let run = Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "callpath panicked: {}",
        run.stderr
    );
    run
}

fn write_temp(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn file_run(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> (Run, String) {
    let path = write_temp(dir, name, bytes);
    let shown = path.display().to_string();
    (callpath(&[&shown], None), shown)
}

/// The run's damage report: exactly one stderr line naming the input and
/// the offset, exit 1, and the summary marking it.
fn assert_damaged_at(run: &Run, input: &str, offset: usize, words: &str) {
    assert_eq!(run.code, EXIT_DAMAGED, "stderr: {}", run.stderr);
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "one line: {lines:?}");
    let line = lines[0];
    assert!(line.starts_with(&format!("callpath: {input}: ")), "{line}");
    assert!(
        line.contains(&format!("at byte offset {offset}:")),
        "{line}"
    );
    assert!(line.contains(words), "expected {words:?} in {line}");
    let summary = run.summary();
    assert_eq!(summary["truncated"], true);
    assert_eq!(summary["inputs"][0]["damage_offset"], offset as u64);
    // What was read whole: everything before the damage.
    assert_eq!(summary["inputs"][0]["bytes"], offset as u64);
}

/// What a clean capture of the same first `k` records gives, flow lines only.
fn clean_prefix_flows(cap: &Classic, k: usize) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let prefix = Classic {
        header: cap.header.clone(),
        records: cap.records[..k].to_vec(),
    };
    let (run, _) = file_run(&dir, "prefix.pcap", &prefix.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    run.flows().iter().map(|s| s.to_string()).collect()
}

#[test]
fn pcap_cut_in_the_middle_of_a_record_keeps_the_flows_before_it() {
    let cap = Classic::parse(&sample());
    let k = cap.records.len() / 2;
    let cut = cap.offset_of(k) + 20;
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "cut.pcap", &cap.bytes()[..cut]);
    assert_damaged_at(&run, &name, cap.offset_of(k), "cut short");
    assert_eq!(run.summary()["packets_read"], k as u64);
    let flows = run.flows();
    assert!(!flows.is_empty());
    assert_eq!(flows, clean_prefix_flows(&cap, k));
}

#[test]
fn pcapng_cut_in_the_middle_of_a_block_keeps_the_flows_before_it() {
    let cap = Classic::parse(&sample());
    let (ng, offsets) = cap.to_pcapng();
    let dir = tempfile::tempdir().unwrap();
    // The converted capture reads exactly like the original.
    let (whole, _) = file_run(&dir, "whole.pcapng", &ng);
    assert_eq!(whole.code, EXIT_CLEAN, "{}", whole.stderr);
    assert_eq!(whole.summary()["packets_read"], cap.records.len() as u64);

    let k = cap.records.len() / 3;
    let (run, name) = file_run(&dir, "cut.pcapng", &ng[..offsets[k] + 30]);
    assert_damaged_at(&run, &name, offsets[k], "cut short");
    assert_eq!(run.summary()["packets_read"], k as u64);
    assert!(!run.flows().is_empty());
}

#[test]
fn pcapng_block_with_a_bogus_length_stops_there() {
    let cap = Classic::parse(&sample());
    let (mut ng, offsets) = cap.to_pcapng();
    let k = 100;
    set_u32_le(&mut ng, offsets[k] + 4, 0x7fff_fff1);
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "badlen.pcapng", &ng);
    assert_damaged_at(&run, &name, offsets[k], "impossible length");
    assert_eq!(run.summary()["packets_read"], k as u64);

    // A plausible length that runs past the end of the file.
    let (mut ng, offsets) = cap.to_pcapng();
    let last = *offsets.last().unwrap();
    set_u32_le(&mut ng, last + 4, 4096);
    let (run, name) = file_run(&dir, "pastend.pcapng", &ng);
    assert_damaged_at(&run, &name, last, "claims 4096 bytes");
}

#[test]
fn pcapng_section_header_cut_short_is_unreadable() {
    let (ng, _) = Classic::parse(&sample()).to_pcapng();
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "shb.pcapng", &ng[..20]);
    assert_eq!(run.code, EXIT_UNUSABLE, "{}", run.stderr);
    assert_eq!(
        run.stderr_lines(),
        [format!(
            "callpath: {name}: at byte offset 0: pcapng section header block claims 28 bytes but the file holds 20"
        )]
    );
}

#[test]
fn caplen_larger_than_the_snap_length_is_corrupt_unless_records_line_up() {
    let cap = Classic::parse(&sample());
    let dir = tempfile::tempdir().unwrap();

    // A writer that put a small snap length in the header but wrote whole
    // packets: every record still lines up, so it is read, with a warning.
    let mut small_snap = Classic::parse(&sample());
    set_u32_le(&mut small_snap.header, 16, 100);
    let over = cap
        .records
        .iter()
        .filter(|r| u32_le(&r[8..12]) > 100)
        .count();
    let first_over = (0..cap.records.len())
        .find(|&k| u32_le(&cap.records[k][8..12]) > 100)
        .unwrap();
    let (run, name) = file_run(&dir, "smallsnap.pcap", &small_snap.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    assert_eq!(run.summary()["packets_read"], cap.records.len() as u64);
    assert_eq!(
        run.stderr_lines(),
        [format!(
            "callpath: {name}: warning: {over} records longer than the file's snap length, read as written (first at byte offset {})",
            cap.offset_of(first_over)
        )]
    );

    // A record whose length field was damaged: longer than the snap length
    // and what follows is not a record.
    let mut bad = Classic::parse(&sample());
    set_u32_le(&mut bad.header, 16, 1514);
    let k = 200;
    set_u32_le(&mut bad.records[k], 8, 1600);
    let (run, name) = file_run(&dir, "overcap.pcap", &bad.bytes());
    assert_damaged_at(&run, &name, cap.offset_of(k), "more than the snap length");
    assert_eq!(run.summary()["packets_read"], k as u64);
    assert_eq!(run.flows(), clean_prefix_flows(&cap, k));
}

#[test]
fn caplen_larger_than_the_file_is_a_cut_capture() {
    let mut cap = Classic::parse(&sample());
    let k = cap.records.len() - 3;
    let remaining: usize = cap.records[k..].iter().map(Vec::len).sum();
    set_u32_le(&mut cap.records[k], 8, remaining as u32 + 100);
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "pastend.pcap", &cap.bytes());
    assert_damaged_at(&run, &name, cap.offset_of(k), "cut short");
    assert_eq!(run.summary()["packets_read"], k as u64);
}

#[test]
fn absurd_caplen_is_corrupt() {
    let mut cap = Classic::parse(&sample());
    set_u32_le(&mut cap.records[5], 8, 0xffff_fff0);
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "absurd.pcap", &cap.bytes());
    assert_damaged_at(&run, &name, cap.offset_of(5), "more than any capture holds");
}

#[test]
fn zero_length_packets_are_skipped_with_a_warning() {
    let mut cap = Classic::parse(&sample());
    for k in [10, 11, 500] {
        let r = &mut cap.records[k];
        r.truncate(16);
        set_u32_le(r, 8, 0);
    }
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "zero.pcap", &cap.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    assert_eq!(run.summary()["packets_read"], cap.records.len() as u64);
    assert_eq!(run.summary()["packets_skipped"]["truncated"], 3);
    assert_eq!(
        run.stderr_lines(),
        [format!(
            "callpath: {name}: warning: 3 zero-length packets, skipped (nothing was captured for them) (first at byte offset {})",
            cap.offset_of(10)
        )]
    );
}

#[test]
fn timestamps_going_backwards_are_read_with_a_warning() {
    let mut cap = Classic::parse(&sample());
    let n = cap.records.len();
    // One packet an hour in the past, and the second half of the capture
    // swapped in front of the first.
    let t = u32_le(&cap.records[50][0..4]);
    set_u32_le(&mut cap.records[50], 0, t - 3600);
    let tail = cap.records.split_off(n / 2);
    let first_half = std::mem::replace(&mut cap.records, tail);
    cap.records.extend(first_half);
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "backwards.pcap", &cap.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    assert_eq!(run.summary()["packets_read"], n as u64);
    assert!(!run.flows().is_empty());
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            "callpath: {name}: warning: {} packets with a timestamp earlier",
            n - n / 2
        )),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(&format!(
        "(first at byte offset {})",
        cap.offset_of(n - n / 2)
    )));
}

/// Flow lines without the fields a changed byte offset would move.
fn flow_lines(run: &Run) -> Vec<String> {
    run.flows().iter().map(|s| s.to_string()).collect()
}

#[test]
fn one_wild_timestamp_is_timed_as_the_packet_before_it() {
    // As in a capture of the Wireshark wiki whose second packet says 2041:
    // read by its own time, it moved the clock past every flow (all split,
    // durations of decades). Here a mid-call packet 24 years ahead and
    // another with its seconds zeroed, in pcap, pcapng and a stream.
    let clean = Classic::parse(&sample());
    let mut cap = Classic::parse(&sample());
    let (ahead, behind) = (40, 400);
    let t = u32_le(&cap.records[ahead][0..4]);
    set_u32_le(&mut cap.records[ahead], 0, t + 24 * 365 * 86_400);
    set_u32_le(&mut cap.records[behind], 0, 0);
    let dir = tempfile::tempdir().unwrap();
    let (want, _) = file_run(&dir, "clean.pcap", &clean.bytes());
    let (run, name) = file_run(&dir, "wild.pcap", &cap.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    let line = format!(
        "callpath: {name}: warning: 2 packets with a timestamp more than a day away from the packets around them, timed as the packet before them (first at byte offset {})",
        cap.offset_of(ahead)
    );
    assert_eq!(run.stderr_lines(), [line.as_str()]);
    // The same flows as the clean capture but for the two packets' times,
    // each within a second of the packet before it.
    let keys = |run: &Run| -> Vec<(String, u64)> {
        run.flows()
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    format!("{} {} {}", v["src"], v["dst"], v["role"]),
                    v["packets"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&run), keys(&want));
    let span = |run: &Run| {
        let s = run.summary();
        (s["first_packet"].clone(), s["last_packet"].clone())
    };
    assert_eq!(span(&run), span(&want));
    let stdin = callpath(&["-"], Some(&cap.bytes()));
    assert_eq!(flow_lines(&stdin), flow_lines(&run));
    let (ng, _) = cap.to_pcapng();
    let (ng_run, _) = file_run(&dir, "wild.pcapng", &ng);
    assert_eq!(keys(&ng_run), keys(&want));
}

#[test]
fn a_long_pause_inside_a_capture_keeps_its_times() {
    // A capture that goes quiet for three days: the first packet after the
    // pause is held until the next one, which does not come back to the
    // time before; it keeps its own time.
    let mut cap = Classic::parse(&sample());
    let n = cap.records.len();
    let pause = 3 * 86_400;
    for r in &mut cap.records[n / 2..] {
        let t = u32_le(&r[0..4]);
        set_u32_le(r, 0, t + pause);
    }
    // Its time to the microsecond, as flows report it.
    let first_after = f64::from(u32_le(&cap.records[n / 2][0..4]))
        + f64::from(u32_le(&cap.records[n / 2][4..8])) / 1e6;
    let dir = tempfile::tempdir().unwrap();
    let (run, _) = file_run(&dir, "pause.pcap", &cap.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert_eq!(run.summary()["packets_read"], n as u64);
    let starts: Vec<f64> = run
        .flows()
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["first_seen"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert!(
        starts.iter().any(|t| (t - first_after).abs() < 2e-6),
        "a flow starts with the first packet after the pause: {starts:?}"
    );
    let last = run.summary()["last_packet"].as_f64().unwrap();
    assert!(last > first_after, "{last}");
}

#[test]
fn inputs_out_of_time_order_get_a_warning() {
    // The sample split in two rotated files, given in both orders.
    let cap = Classic::parse(&sample());
    let half = cap.records.len() / 2;
    let part = |records: &[Vec<u8>]| Classic {
        header: cap.header.clone(),
        records: records.to_vec(),
    };
    let dir = tempfile::tempdir().unwrap();
    let first = write_temp(&dir, "rotated-1.pcap", &part(&cap.records[..half]).bytes());
    let second = write_temp(&dir, "rotated-2.pcap", &part(&cap.records[half..]).bytes());
    let (first, second) = (first.display().to_string(), second.display().to_string());

    let in_order = callpath(&[&first, &second], None);
    assert_eq!(in_order.code, EXIT_CLEAN, "{}", in_order.stderr);
    assert_eq!(in_order.stderr, "");

    let reversed = callpath(&[&second, &first], None);
    assert_eq!(reversed.code, EXIT_CLEAN, "{}", reversed.stderr);
    let lines = reversed.stderr_lines();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!("callpath: {first}: warning: its first packet is ")),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("give the inputs in time order"),
        "{}",
        lines[0]
    );
    let inputs = reversed.summary()["inputs"].clone();
    assert_eq!(inputs[0]["warnings"].as_array().unwrap().len(), 0);
    assert_eq!(inputs[1]["warnings"].as_array().unwrap().len(), 1);
    // Nothing is lost: every packet is still read.
    assert_eq!(reversed.summary()["packets_read"], cap.records.len() as u64);
}

#[test]
fn unknown_link_type_is_skipped_with_a_warning() {
    let mut cap = Classic::parse(&sample());
    set_u32_le(&mut cap.header, 20, 147);
    let dir = tempfile::tempdir().unwrap();
    let (run, name) = file_run(&dir, "dlt147.pcap", &cap.bytes());
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    let n = cap.records.len();
    assert_eq!(
        run.summary()["packets_skipped"]["unsupported_link_type"],
        n as u64
    );
    assert!(run.flows().is_empty());
    assert_eq!(
        run.stderr_lines(),
        [format!(
            "callpath: {name}: warning: {n} packets skipped: link type 147 ({n} packets) is not decoded by callpath (first at byte offset 24)"
        )]
    );
}

#[test]
fn unreadable_inputs_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write_temp(&dir, "empty.pcap", b"");
    let text = write_temp(&dir, "notes.txt", b"these are not packets\n");
    let short = write_temp(&dir, "short.pcap", &sample()[..10]);
    let missing = dir.path().join("missing.pcap");
    let cases: [(&Path, &str); 5] = [
        (&empty, "file is empty"),
        (dir.path(), "is a directory, not a capture file"),
        (
            &text,
            "not a pcap or pcapng capture (unknown magic number at offset 0)",
        ),
        (
            &short,
            "at byte offset 0: pcap file header is cut short (10 of 24 bytes)",
        ),
        (&missing, "No such file or directory"),
    ];
    for (path, words) in cases {
        let shown = path.display().to_string();
        let run = callpath(&[&shown], None);
        assert_eq!(run.code, EXIT_UNUSABLE, "{shown}: {}", run.stderr);
        let lines = run.stderr_lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with(&format!("callpath: {shown}: ")) && lines[0].contains(words),
            "{}",
            lines[0]
        );
        // Nothing was read, so no report: an empty one would read as an
        // empty capture.
        assert_eq!(run.stdout, "", "{shown}");
    }
}

#[test]
fn nothing_readable_writes_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pcap").display().to_string();
    let empty = write_temp(&dir, "empty.pcap", b"").display().to_string();
    let fresh = dir.path().join("new.ndjson");
    let run = callpath(&[&missing, &empty, "-o", fresh.to_str().unwrap()], None);
    assert_eq!(run.code, EXIT_UNUSABLE, "{}", run.stderr);
    assert_eq!(run.stderr_lines().len(), 2, "{}", run.stderr);
    assert!(!fresh.exists(), "no file created");
    // An existing file is left as it was, not emptied.
    let old = write_temp(&dir, "old.txt", b"last week's report\n");
    let run = callpath(&[&missing, "-o", old.to_str().unwrap()], None);
    assert_eq!(run.code, EXIT_UNUSABLE);
    assert_eq!(std::fs::read(&old).unwrap(), b"last week's report\n");
    // And replaced as a whole when there is something to write.
    let good = write_temp(&dir, "good.pcap", &sample())
        .display()
        .to_string();
    let run = callpath(&[&good, "-o", old.to_str().unwrap()], None);
    assert_eq!(run.code, EXIT_CLEAN, "{}", run.stderr);
    let text = std::fs::read_to_string(&old).unwrap();
    assert!(text.starts_with(r#"{"type":"flow""#), "{text}");
    assert!(!text.contains("last week"), "{text}");
}

#[test]
fn one_unreadable_input_among_good_ones_exits_1_with_the_good_results() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_temp(&dir, "good.pcap", &sample());
    let missing = dir.path().join("missing.pcap");
    let run = callpath(
        &[&good.display().to_string(), &missing.display().to_string()],
        None,
    );
    assert_eq!(run.code, EXIT_DAMAGED, "{}", run.stderr);
    assert_eq!(run.stderr_lines().len(), 1);
    assert!(!run.flows().is_empty());
}

#[test]
fn truncated_stream_on_stdin_reports_like_a_file() {
    let cap = Classic::parse(&sample());
    let k = cap.records.len() / 2;
    let cut = cap.offset_of(k) + 20;
    let run = callpath(&["-"], Some(&cap.bytes()[..cut]));
    assert_damaged_at(&run, "standard input", cap.offset_of(k), "cut short");
    assert_eq!(run.flows(), clean_prefix_flows(&cap, k));

    let (ng, offsets) = cap.to_pcapng();
    let run = callpath(&["-"], Some(&ng[..offsets[k] + 30]));
    assert_damaged_at(
        &run,
        "standard input",
        offsets[k],
        "ends in the middle of a record",
    );
    assert_eq!(run.summary()["packets_read"], k as u64);

    let run = callpath(&["-"], Some(&cap.bytes()[..10]));
    assert_eq!(run.code, EXIT_UNUSABLE);
    assert_eq!(
        run.stderr_lines(),
        ["callpath: standard input: at byte offset 0: pcap file header is cut short (10 of 24 bytes)"]
    );

    let run = callpath(&["-"], Some(b""));
    assert_eq!(run.code, EXIT_UNUSABLE);
    assert_eq!(run.stdout, "", "no report of nothing");
    assert_eq!(
        run.stderr_lines(),
        ["callpath: standard input: file is empty"]
    );
}

#[test]
fn stdin_reads_a_clean_stream_like_the_file() {
    let bytes = sample();
    let dir = tempfile::tempdir().unwrap();
    let (from_file, _) = file_run(&dir, "clean.pcap", &bytes);
    let from_stdin = callpath(&["-"], Some(&bytes));
    assert_eq!(from_file.code, EXIT_CLEAN);
    assert_eq!(from_stdin.code, EXIT_CLEAN, "{}", from_stdin.stderr);
    assert_eq!(from_file.flows(), from_stdin.flows());
}

/// A whole capture, from a file or a pipe, is read to its last byte.
#[test]
fn a_whole_capture_counts_every_byte_read() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/direct-call.pcap");
    let bytes = std::fs::read(path).unwrap();
    for run in [callpath(&[path], None), callpath(&["-"], Some(&bytes))] {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.summary()["inputs"][0]["bytes"], bytes.len() as u64);
    }
}
