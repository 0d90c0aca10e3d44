//! Without the `live` feature, the live commands say how to get them.
#![cfg(not(feature = "live"))]

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_callpath");

#[test]
fn live_and_interfaces_explain_how_to_enable_them_and_exit_2() {
    for args in [&["live", "-i", "lo"][..], &["interfaces"][..]] {
        let out = Command::new(BIN).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--features live"), "{args:?}: {stderr}");
        assert!(stderr.contains("libpcap-dev"), "{args:?}: {stderr}");
    }
}
