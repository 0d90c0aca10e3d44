//! `callpath check`: claims against the lab samples, and exit codes.

mod common;

use std::process::{Command, Output};

fn check(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_callpath"))
        .arg("check")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn direct_call_keeps_media_p2p() {
    let o = check(&["samples/direct-call.pcap", "--claim", "media-p2p"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("PASS"), "{out}");
    // The deciding call and its direct media flow are named.
    assert!(out.contains("call 1"), "{out}");
    assert!(out.contains("198.51.100.12:10040"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn relayed_call_fails_media_p2p_and_names_the_relay() {
    let o = check(&["samples/relayed-call.pcap", "--claim", "media-p2p"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.starts_with("FAIL"), "{out}");
    assert!(out.contains("203.0.113.20:3478"), "{out}");
    assert!(out.contains("relay"), "{out}");
}

/// Microsoft's 2012 claim, in its own terms: calls between two users stay
/// peer-to-peer, group calls pass through its servers. A group call (its
/// server forwarded several voices at once) neither passes nor breaks the
/// two-party claim, while it breaks `media-p2p`.
#[test]
fn group_calls_are_left_out_of_the_two_party_claim() {
    let o = check(&["samples/group-call.pcap", "--claim", "two-party-p2p"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.starts_with("UNTESTED two-party-p2p "), "{out}");
    assert!(
        out.contains("a group call, not what the claim is about: call 1"),
        "{out}"
    );
    assert!(
        out.contains("the server forwarded 2 participants' voices at once"),
        "{out}"
    );

    let o = check(&["samples/group-call.pcap", "--claim", "media-p2p"]);
    assert!(stdout(&o).starts_with("FAIL"), "{}", stdout(&o));

    // With a direct two-party call beside it, the claim holds.
    let o = check(&[
        "samples/direct-call.pcap",
        "samples/group-call.pcap",
        "--claim",
        "two-party-p2p",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("PASS     two-party-p2p "), "{out}");

    // A relayed two-party call breaks it.
    let o = check(&["samples/relayed-call.pcap", "--claim", "two-party-p2p"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.starts_with("FAIL     two-party-p2p "), "{out}");
    assert!(out.contains("203.0.113.20:3478"), "{out}");
}

#[test]
fn jurisdiction_claims_on_the_cloud_range_copy() {
    // The rewritten copy puts the TURN server in Microsoft's range (IE,
    // operator home US).
    let o = check(&[
        "samples/rewritten/relayed-call.pcap",
        "--claim",
        "no-relay-outside:EU",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("52.114.77.20:3478"));

    let o = check(&[
        "samples/rewritten/relayed-call.pcap",
        "--claim",
        "no-relay-outside:US",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));

    let o = check(&[
        "samples/rewritten/relayed-call.pcap",
        "--claim",
        "no-operator:US",
        "--claim",
        "no-relay-outside:EU",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with(' ')).collect();
    assert!(
        lines[0].starts_with("FAIL") && lines[0].contains("no-operator:US"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("PASS") && lines[1].contains("no-relay-outside:EU"),
        "{out}"
    );
    assert!(out.contains("operator answers to US"), "{out}");
}

#[test]
fn undecidable_claims_are_untested_not_passed() {
    // Documentation-range servers have no country: nothing can show where they are.
    let o = check(&[
        "samples/relayed-call.pcap",
        "--claim",
        "no-relay-outside:EU",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("UNTESTED"), "{}", stdout(&o));
    // No call media at all: media-p2p cannot be shown.
    let o = check(&["samples/lookups-only.pcap", "--claim", "media-p2p"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).starts_with("UNTESTED"), "{}", stdout(&o));
}

#[test]
fn bad_input_and_usage_exit_2() {
    let o = check(&["samples/direct-call.pcap", "--claim", "media-everywhere"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown claim"));
    let o = check(&["samples/direct-call.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    let o = check(&["samples/no-such-file.pcap", "--claim", "media-p2p"]);
    assert_eq!(o.status.code(), Some(2));
    let o = check(&["Cargo.toml", "--claim", "media-p2p"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn claims_about_media_or_servers_are_untested_without_them() {
    // Registration and STUN only: no media, so no relay to place either.
    let o = check(&[
        "samples/lookups-only.pcap",
        "--claim",
        "no-relay-outside:EU",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).starts_with("UNTESTED"), "{}", stdout(&o));
    assert!(stdout(&o).contains("no call media"), "{}", stdout(&o));

    // A capture with no packets at all: no server of any kind.
    let dir = tempfile::tempdir().unwrap();
    let header = &std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/direct-call.pcap"),
    )
    .unwrap()[..24];
    let empty = dir.path().join("no-packets.pcap");
    std::fs::write(&empty, header).unwrap();
    for claim in [
        "media-p2p",
        "no-relay-outside:EU",
        "no-operator:US",
        "no-lookup-to:US",
    ] {
        let o = check(&[empty.to_str().unwrap(), "--claim", claim]);
        assert_eq!(o.status.code(), Some(1), "{claim}: {}", stdout(&o));
        assert!(
            stdout(&o).starts_with("UNTESTED"),
            "{claim}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn unknown_places_are_usage_errors_naming_the_forms() {
    for claim in [
        "no-relay-outside:ZZ",
        "no-lookup-to:QQ",
        "no-operator:EU",
        "no-operator:XX",
    ] {
        let o = check(&["samples/direct-call.pcap", "--claim", claim]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{claim}: {err}");
        assert!(o.stdout.is_empty(), "{claim}: no verdict");
        assert!(err.contains("is not a country code"), "{claim}: {err}");
        assert!(err.contains("no-relay-outside:<CC|EU|EEA>"), "{err}");
    }
    // Known codes and groups, in any case, are accepted.
    for claim in [
        "no-relay-outside:de",
        "no-relay-outside:EEA",
        "no-lookup-to:EU",
        "no-operator:us",
    ] {
        let o = check(&["samples/direct-call.pcap", "--claim", claim]);
        assert_ne!(
            o.status.code(),
            Some(2),
            "{claim}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// The device's own public address (a party behind the same NAT, tried
/// for a direct path) is no lookup server: it decides no claim about
/// where servers are.
#[test]
fn checks_to_the_devices_own_public_address_are_no_server() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let capture = corpus.join("ndpi/telegram.pcap");
    let out = check(&[
        capture.to_str().unwrap(),
        "--claim",
        "no-lookup-to:IT",
        "--claim",
        "no-operator:IT",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("87.11.205.195"), "{text}");
}

/// A reader that goes away before the verdicts are written (`| head -1`)
/// gets no panic: the verdicts still decide the exit code.
#[test]
fn a_closed_output_pipe_is_no_crash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_callpath"))
        .args(["check", "samples/relayed-call.pcap", "--claim", "media-p2p"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the capture is read, so every write meets a closed pipe.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(o.status.code(), Some(1), "{err}");
}
