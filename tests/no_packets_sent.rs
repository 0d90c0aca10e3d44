//! callpath only reads captures: run inside a fresh network namespace with
//! no interface up (not even loopback), it must give exactly the output of
//! a normal run. Needs root (for `unshare -n`); skipped otherwise.

use std::path::Path;
use std::process::Command;

fn analyze(prefix: &[&str]) -> std::process::Output {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/relayed-call.pcap");
    let (program, args) = match prefix.split_first() {
        Some((p, rest)) => (*p, rest.to_vec()),
        None => (env!("CARGO_BIN_EXE_callpath"), Vec::new()),
    };
    let mut cmd = Command::new(program);
    cmd.args(args);
    if !prefix.is_empty() {
        cmd.arg(env!("CARGO_BIN_EXE_callpath"));
    }
    cmd.args(["analyze", "--format", "ndjson", "--no-progress"])
        .arg(sample)
        .output()
        .unwrap()
}

#[test]
fn output_is_the_same_without_any_network() {
    // `unshare -n true` fails without the privilege to make a namespace.
    let can_unshare = Command::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !can_unshare {
        eprintln!("skipped: cannot create a network namespace (needs root and unshare)");
        return;
    }
    // The namespace really has no way out: only a loopback that is down.
    let links = Command::new("unshare")
        .args(["-n", "ip", "-o", "link", "show", "up"])
        .output()
        .unwrap();
    if links.status.success() {
        assert!(
            String::from_utf8_lossy(&links.stdout).trim().is_empty(),
            "interfaces up in the namespace: {}",
            String::from_utf8_lossy(&links.stdout)
        );
    }
    let normal = analyze(&[]);
    let isolated = analyze(&["unshare", "-n"]);
    assert_eq!(normal.status.code(), Some(0));
    assert_eq!(isolated.status.code(), normal.status.code());
    assert!(!normal.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&isolated.stdout),
        String::from_utf8_lossy(&normal.stdout)
    );
    assert_eq!(isolated.stderr, normal.stderr);
}
