//! `--threads 2`, 3 and 4 write exactly what `--threads 1` writes: the same
//! flows, calls and summary, in the same order. Two threads run the output
//! between reading batches, three give it a thread (with two and three the
//! one worker classifies flows as they end while it keeps up), four also
//! split the flows between two workers. Also when facts learned across
//! flows are forgotten every quarter second (`--knowledge-window 1`).

mod common;

use std::process::Command;

use common::*;

fn ndjson(capture: &std::path::Path, threads: &str, extra: &[&str]) -> Vec<u8> {
    let out = Command::new(bin())
        .args(["analyze", "--format", "ndjson", "--threads", threads])
        .args(extra)
        .arg(capture)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}: {:?}",
        capture.display(),
        out.status
    );
    out.stdout
}

/// The samples, and the call captures of the reference corpus (the
/// labelled ones), where cross-flow knowledge and call grouping are
/// exercised.
fn call_captures() -> Vec<std::path::PathBuf> {
    let mut captures: Vec<std::path::PathBuf> = std::fs::read_dir(repo().join("samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "pcap"))
        .collect();
    if let Some(corpus) = corpus() {
        let labels = std::fs::read_to_string(corpus.join("labels.jsonl")).unwrap();
        let mut names: Vec<String> = labels
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["pcap"].as_str().map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        captures.extend(names.iter().map(|n| corpus.join("ndpi").join(n)));
    }
    captures.sort();
    captures
}

/// Captures whose output with `threads` differs from one thread's.
fn differing(extra: &[&str], threads: &[&str]) -> Vec<String> {
    let mut different = Vec::new();
    for cap in &call_captures() {
        let one = ndjson(cap, "1", extra);
        for &t in threads {
            if ndjson(cap, t, extra) != one {
                different.push(format!("{} (--threads {t})", cap.display()));
            }
        }
    }
    different
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let different = differing(&[], &["2", "3", "4"]);
    assert!(different.is_empty(), "output differs: {different:?}");
}

#[test]
fn forgetting_does_not_depend_on_the_thread_count() {
    let different = differing(&["--knowledge-window", "1"], &["2", "4"]);
    assert!(different.is_empty(), "output differs: {different:?}");
}
