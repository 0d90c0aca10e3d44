//! Option values without a meaning are usage errors (exit 2, the option
//! named), not silently accepted.

mod common;

#[test]
fn zero_counts_and_timeouts_are_refused() {
    let sample = common::repo().join("samples/direct-call.pcap");
    let sample = sample.to_str().unwrap();
    for option in [
        "--udp-timeout",
        "--tcp-timeout",
        "--max-flows",
        "--threads",
        "--knowledge-window",
    ] {
        let out = common::run(&["analyze", option, "0", sample]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{option} 0: {err}");
        assert!(out.stdout.is_empty(), "{option} 0: no output");
        assert!(
            err.contains(option) && err.contains("must be 1 or more"),
            "{option} 0: {err}"
        );
        // The smallest meaningful value is taken.
        let out = common::run(&["analyze", option, "1", sample]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{option} 1: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
