//! Compressed captures, as archives and Wireshark's "compress with gzip"
//! keep them: gzip is read as the capture inside it (from a file or a
//! pipe), a cut gzip keeps what came before the cut, and other
//! compressors are named with the command that undoes them. Named pipes
//! are read as streams.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{bin, repo, run};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// The records but the summary (which names the input and its size).
fn records(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.starts_with(r#"{"type":"summary""#))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_gzip_capture_reads_as_the_capture_inside() {
    let plain = repo().join("samples/relayed-call.pcap");
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("relayed-call.pcap.gz");
    std::fs::write(&gz, gzip(&std::fs::read(&plain).unwrap())).unwrap();
    let (plain, gz) = (plain.to_str().unwrap(), gz.to_str().unwrap());

    let expected = run(&["analyze", "--format", "ndjson", plain]);
    assert!(expected.status.success());
    let expected = records(&expected.stdout);
    assert!(expected.iter().any(|l| l.contains(r#""role":"relay""#)));
    for threads in ["1", "2"] {
        let out = run(&["analyze", "--format", "ndjson", "--threads", threads, gz]);
        assert!(out.status.success(), "{out:?}");
        assert_eq!(records(&out.stdout), expected, "--threads {threads}");
    }

    // Piped: `zcat` not needed.
    let mut child = Command::new(bin())
        .args(["analyze", "--format", "ndjson", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(gz).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(records(&out.stdout), expected, "stdin");

    // One call's frames come out the same from either file.
    let from = |input: &str, name: &str| {
        let path = dir.path().join(name);
        let out = run(&[
            "extract",
            "--call",
            "1",
            "--write",
            path.to_str().unwrap(),
            input,
        ]);
        assert!(out.status.success(), "{out:?}");
        std::fs::read(path).unwrap()
    };
    assert_eq!(from(gz, "from-gz.pcapng"), from(plain, "from-plain.pcapng"));
}

#[test]
fn a_cut_gzip_keeps_what_came_before_and_says_where() {
    let capture = std::fs::read(repo().join("samples/direct-call.pcap")).unwrap();
    let whole = gzip(&capture);
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.pcap.gz");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let out = run(&["analyze", "--format", "ndjson", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("read error"), "{stderr}");
    let summary: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    let read = summary["packets_read"].as_u64().unwrap();
    assert!(read > 0 && read < 838, "{summary}");
    assert_eq!(summary["truncated"], true);
}

#[test]
fn other_compressors_are_named_with_their_command() {
    let dir = tempfile::tempdir().unwrap();
    for (magic, name, command) in [
        (&[0x28u8, 0xb5, 0x2f, 0xfd][..], "zstd", "zstd -d"),
        (&b"BZh91AY&SY"[..], "bzip2", "bunzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0][..], "xz", "xz -d"),
    ] {
        let path = dir.path().join(format!("capture.{name}"));
        std::fs::write(&path, [magic, &[0u8; 64][..]].concat()).unwrap();
        let out = run(&["analyze", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("compressed with {name}")) && stderr.contains(command),
            "{stderr}"
        );
    }
}

/// A named pipe (or `<(…)` in a shell) cannot be mapped: it is read as a
/// stream, gzip or not.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_as_a_stream() {
    let plain = repo().join("samples/direct-call.pcap");
    let expected = run(&["analyze", "--format", "ndjson", plain.to_str().unwrap()]);
    let bytes = std::fs::read(&plain).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in [("plain", bytes.clone()), ("gzip", gzip(&bytes))] {
        let fifo = dir.path().join(name);
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, data))
        };
        let out = run(&["analyze", "--format", "ndjson", fifo.to_str().unwrap()]);
        writer.join().unwrap().unwrap();
        assert!(out.status.success(), "{name}: {out:?}");
        assert_eq!(records(&out.stdout), records(&expected.stdout), "{name}");
    }
}
