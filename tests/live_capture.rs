//! Live capture end to end (built only with `--features live`).
//!
//! 1. Two network namespaces joined by a veth pair: `callpath live` listens
//!    on one end while tcpreplay sends samples/relayed-call.pcap into the
//!    other; the flows found live must be those `callpath analyze` finds in
//!    the file. Traffic never leaves the two namespaces.
//! 2. Without privileges, `callpath live` says what is missing (root or
//!    CAP_NET_RAW) and exits 2.
//!
//! Both need root and skip with a message otherwise; the first also needs
//! `ip` (iproute2) and `tcpreplay`.
#![cfg(feature = "live")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_callpath");

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/relayed-call.pcap")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Two namespaces and the veth pair between them; deleted on drop, also
/// when an assertion fails (deleting a namespace deletes its veth end).
struct Lab {
    ns_capture: String,
    ns_replay: String,
    if_capture: String,
    if_replay: String,
}

impl Lab {
    fn new() -> Lab {
        let id = std::process::id();
        let lab = Lab {
            ns_capture: format!("cplive-cap-{id}"),
            ns_replay: format!("cplive-rep-{id}"),
            if_capture: format!("cpc{id}"),
            if_replay: format!("cpr{id}"),
        };
        run(Command::new("ip").args(["netns", "add", &lab.ns_capture]));
        run(Command::new("ip").args(["netns", "add", &lab.ns_replay]));
        run(Command::new("ip").args([
            "link",
            "add",
            &lab.if_capture,
            "netns",
            &lab.ns_capture,
            "type",
            "veth",
            "peer",
            "name",
            &lab.if_replay,
            "netns",
            &lab.ns_replay,
        ]));
        for (ns, iface) in [
            (&lab.ns_capture, &lab.if_capture),
            (&lab.ns_replay, &lab.if_replay),
        ] {
            // No IPv6 (router solicitations, MLD) and no addresses (ARP):
            // the only packets on the link are the replayed ones.
            run(lab.exec(ns).args([
                "sysctl",
                "-qw",
                "net.ipv6.conf.all.disable_ipv6=1",
                "net.ipv6.conf.default.disable_ipv6=1",
            ]));
            run(lab.exec(ns).args(["ip", "link", "set", iface, "up"]));
        }
        lab
    }

    fn exec(&self, ns: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns]);
        c
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for ns in [&self.ns_capture, &self.ns_replay] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}

type FlowKey = (String, String, String);

/// (app, role) of every flow record, keyed by L4 and the unordered pair of
/// endpoints; the summary record.
fn flows_of(
    ndjson: &str,
) -> (
    BTreeMap<FlowKey, (Option<String>, String)>,
    serde_json::Value,
) {
    let mut flows = BTreeMap::new();
    let mut summary = serde_json::Value::Null;
    for line in ndjson.lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        match r["type"].as_str() {
            Some("flow") => {
                let mut ends = [
                    r["src"].as_str().unwrap().to_string(),
                    r["dst"].as_str().unwrap().to_string(),
                ];
                ends.sort();
                let [a, b] = ends;
                let key = (r["l4"].as_str().unwrap().to_string(), a, b);
                let value = (
                    r["app"].as_str().map(str::to_string),
                    r["role"].as_str().unwrap().to_string(),
                );
                assert!(flows.insert(key, value).is_none(), "flow twice: {line}");
            }
            Some("summary") => summary = r,
            _ => {}
        }
    }
    (flows, summary)
}

#[test]
fn live_capture_on_a_veth_finds_the_flows_of_the_replayed_file() {
    if !is_root() {
        eprintln!("SKIP: live capture test needs root (network namespaces and capture)");
        return;
    }
    if !have("ip", "-V") || !have("tcpreplay", "--version") {
        eprintln!("SKIP: live capture test needs `ip` (iproute2) and `tcpreplay`");
        return;
    }
    let expected = run(Command::new(BIN)
        .args(["analyze", "--format", "ndjson"])
        .arg(sample()));
    let (expected_flows, expected_summary) = flows_of(&String::from_utf8(expected.stdout).unwrap());
    assert!(!expected_flows.is_empty());

    let lab = Lab::new();
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("live.pcapng");
    let mut capture = lab
        .exec(&lab.ns_capture)
        .args([
            BIN,
            "live",
            "-i",
            &lab.if_capture,
            "--duration",
            "6",
            "--format",
            "ndjson",
            "-w",
        ])
        .arg(&written)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first line on stderr is written once the interface is open.
    let mut stderr = BufReader::new(capture.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("capturing on"), "callpath live: {first}");

    // A fixed rate rather than --topspeed: a debug build keeps up with it
    // without kernel drops.
    run(lab
        .exec(&lab.ns_replay)
        .args(["tcpreplay", "-q", "-i", &lab.if_replay, "--mbps", "10"])
        .arg(sample()));

    let mut stdout = String::new();
    capture
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = capture.wait().unwrap();
    assert!(status.success(), "callpath live failed: {first}{rest}");

    let (live_flows, live_summary) = flows_of(&stdout);
    let capture_stats = &live_summary["capture"];
    assert_eq!(capture_stats["interface"], lab.if_capture.as_str());
    assert_eq!(capture_stats["queue"], "none");
    assert_eq!(
        live_summary["packets_read"], expected_summary["packets_read"],
        "every replayed packet should be read (kernel drops: {}, interface drops: {})",
        capture_stats["dropped"], capture_stats["if_dropped"]
    );
    assert_eq!(capture_stats["received"], expected_summary["packets_read"]);
    assert_eq!(capture_stats["dropped"], 0);
    assert_eq!(live_flows, expected_flows);

    // The -w file holds the same packets: analysing it gives the same flows.
    let reread = run(Command::new(BIN)
        .args(["analyze", "--format", "ndjson"])
        .arg(&written));
    let (reread_flows, reread_summary) = flows_of(&String::from_utf8(reread.stdout).unwrap());
    assert_eq!(
        reread_summary["packets_read"],
        expected_summary["packets_read"]
    );
    assert_eq!(reread_flows, expected_flows);
}

#[test]
fn without_privileges_live_explains_cap_net_raw_and_exits_2() {
    if !is_root() {
        eprintln!("SKIP: needs root to run callpath as `nobody`");
        return;
    }
    let setpriv = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", BIN])
        .args(["live", "-i", "lo", "--duration", "1"])
        .output();
    let out = match setpriv {
        Ok(o) if !String::from_utf8_lossy(&o.stderr).starts_with("setpriv:") => o,
        // No setpriv, or no `nogroup` group on this system.
        _ => Command::new("su")
            .args(["-s", "/bin/sh", "nobody", "-c"])
            .arg(format!("'{BIN}' live -i lo --duration 1"))
            .output()
            .unwrap(),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("CAP_NET_RAW"), "stderr: {stderr}");
    assert!(stderr.contains("setcap cap_net_raw"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
}
