//! Every capture of the nDPI corpus (`ndpi/` of ../shared/corpus next to
//! the repository, or of `CALLPATH_CORPUS`) must be read without a panic and
//! end with exit code 0 or 1. Skipped, with a message, when the corpus is
//! absent.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

fn captures(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| e == "pcap" || e == "pcapng" || e == "cap")
        })
        .collect();
    files.sort();
    files
}

/// Why a capture failed, or `None` when callpath handled it.
fn check(capture: &Path) -> Option<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(["analyze", "--format", "ndjson", "--no-progress"])
        .arg(capture)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let code = out.status.code();
    if stderr.contains("panicked") || !matches!(code, Some(0 | 1)) {
        Some(format!("{}: exit {code:?}: {stderr}", capture.display()))
    } else if !String::from_utf8_lossy(&out.stdout).contains(r#"{"type":"summary""#) {
        Some(format!("{}: no summary record", capture.display()))
    } else {
        None
    }
}

#[test]
fn every_corpus_capture_is_read_without_a_panic() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let dir = corpus.join("ndpi");
    let files = captures(&dir);
    assert!(!files.is_empty(), "no captures in {}", dir.display());
    let queue = Mutex::new(files.iter());
    let failures = Mutex::new(Vec::new());
    // Two workers: the machines running this have few cores.
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let next = queue.lock().unwrap().next();
                let Some(capture) = next else { break };
                if let Some(why) = check(capture) {
                    failures.lock().unwrap().push(why);
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} captures failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
