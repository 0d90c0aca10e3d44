//! Captures that say which app owns each packet's socket: made on an
//! Android phone by PCAPdroid (its trailer or pcapng extension), or on a
//! Mac on the `pktap` interface (the kernel's header names the process).
//! The lab's direct call, re-written so, keeps its flows, roles and path;
//! each flow names its app on the device, the call lists them, and the
//! device's word names the app of the call traffic.

mod common;

use std::process::Command;

use common::capture_edit::Capture;
use common::{bin, classic_pcap_of, repo, texts};
use serde_json::Value;

/// The frame as PCAPdroid writes it: a made-up Ethernet header (zero MAC
/// addresses), the IP packet, padding to four bytes, then the trailer
/// (magic, UID, 20-byte name, CRC-32 of the frame before it).
fn pcapdroid_frame(ethernet: &[u8], uid: i32, name: &str) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&ethernet[12..]);
    f.resize(f.len().next_multiple_of(4), 0);
    f.extend_from_slice(&0x0107_2021_u32.to_be_bytes());
    f.extend_from_slice(&uid.to_be_bytes());
    let mut field = [0u8; 20];
    field[..name.len()].copy_from_slice(name.as_bytes());
    f.extend_from_slice(&field);
    let crc = crc32fast::hash(&f);
    f.extend_from_slice(&crc.to_be_bytes());
    f
}

/// UDP source and destination ports of an Ethernet/IPv4 frame.
fn udp_ports(ethernet: &[u8]) -> Option<(u16, u16)> {
    let ip = ethernet.get(14..)?;
    if ip.first()? >> 4 != 4 || *ip.get(9)? != 17 {
        return None;
    }
    let at = usize::from(ip[0] & 0x0f) * 4;
    let port = |i: usize| u16::from_be_bytes([ip[at + i], ip[at + i + 1]]);
    Some((port(0), port(2)))
}

fn run(capture: &[u8], name: &str, args: &[&str]) -> (Vec<Value>, String) {
    let dir =
        std::env::temp_dir().join(format!("callpath-pcapdroid-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcap");
    std::fs::write(&path, capture).unwrap();
    let mut records = Vec::new();
    let mut text = String::new();
    for format in ["ndjson", "table"] {
        let out = Command::new(bin())
            .args(["analyze", "--format", format])
            .args(args)
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8(out.stdout).unwrap();
        if format == "ndjson" {
            records = stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
        } else {
            text = stdout;
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    (records, text)
}

fn of_type<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == kind).collect()
}

/// How one kind of capture names the app of a packet.
struct Tagging {
    /// The capture's link type.
    link: u32,
    /// A frame of the lab's direct call as the device writes it, from its
    /// index, its Ethernet frame and whether it is SIP.
    frame: fn(usize, &[u8], bool) -> Vec<u8>,
    /// The `device_app` field of the owner's number ("uid", "pid").
    id_field: &'static str,
    /// The owner's number and name, for SIP or not.
    owner: fn(bool) -> (i64, &'static str),
    source: &'static str,
    /// The call's `device_apps`, sorted.
    listed: [&'static str; 2],
}

/// The lab's direct call written as `tagging` says keeps the original's
/// flows, roles and path; each flow names its app on the device, the call
/// lists them, and the device's word names the app of the call traffic
/// (SIP, from a softphone callpath has no signature for, stays the
/// protocol family's). Returns the capture, its records and its table.
fn check_tagged_call(tagging: &Tagging, name: &str) -> (Vec<u8>, Vec<Value>, String) {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let sip = udp_ports(&r.data).is_some_and(|(s, d)| s == 5060 || d == 5060);
            (r.micros as u64, (tagging.frame)(i, &r.data, sip))
        })
        .collect();
    let capture = classic_pcap_of(tagging.link, &frames);
    let (records, table) = run(&capture, name, &["--threads", "1"]);
    let (plain, _) = run(&original.bytes(), &format!("{name}-plain"), &[]);
    let (flows, plain_flows) = (of_type(&records, "flow"), of_type(&plain, "flow"));
    assert_eq!(flows.len(), plain_flows.len());
    for (f, p) in flows.iter().zip(&plain_flows) {
        // Same flows and roles as the Ethernet original.
        for key in ["src", "dst", "packets", "role", "call"] {
            assert_eq!(f[key], p[key], "{key}: {f}");
        }
        assert!(p.get("device_app").is_none(), "{p}");
        let app = &f["device_app"];
        assert_eq!(app["source"], tagging.source, "{f}");
        let sip = f["src"].as_str().unwrap().ends_with(":5060");
        let (id, name) = (tagging.owner)(sip);
        assert_eq!(
            (app[tagging.id_field].as_i64(), app["name"].as_str()),
            (Some(id), Some(name)),
            "{f}"
        );
        let said = f["evidence"].as_array().unwrap().iter().any(|e| {
            e.as_str()
                .unwrap()
                .contains(&format!("names the app that owns this flow: {name}"))
        });
        assert!(said, "{f}");
        let expected_app = match (sip, p["role"].as_str()) {
            (_, Some("other")) | (true, _) => p["app"].clone(),
            (false, _) => Value::from("signal"),
        };
        assert_eq!(f["app"], expected_app, "{f}");
    }
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["app"], "signal");
    assert_eq!(calls[0]["path"], of_type(&plain, "call")[0]["path"]);
    let mut apps = texts(&calls[0]["device_apps"]);
    apps.sort_unstable();
    assert_eq!(apps, tagging.listed);
    assert!(
        table.contains("App on the device (its own capture says): "),
        "{table}"
    );
    (capture, records, table)
}

/// The app on the phone of the lab call's SIP frames and of the others.
fn phone_owner(sip: bool) -> (i64, &'static str) {
    if sip {
        (10_050, "Linphone")
    } else {
        (10_123, "Signal")
    }
}

#[test]
fn each_flow_names_its_app_on_the_phone() {
    let tagging = Tagging {
        link: 1,
        frame: |_, ethernet, sip| {
            let (uid, name) = phone_owner(sip);
            pcapdroid_frame(ethernet, uid as i32, name)
        },
        id_field: "uid",
        owner: phone_owner,
        source: "PCAPdroid trailer",
        listed: ["Linphone (Android uid 10050)", "Signal (Android uid 10123)"],
    };
    let (capture, records, _) = check_tagged_call(&tagging, "tags");
    // Two threads read the tags the same way (the summary names the
    // input's path, which differs).
    let (two, _) = run(&capture, "tags-2", &["--threads", "2"]);
    let without_summary = |r: &[Value]| -> Vec<Value> {
        r.iter()
            .filter(|r| r["type"] != "summary")
            .cloned()
            .collect()
    };
    assert_eq!(without_summary(&two), without_summary(&records));
}

#[test]
fn tags_in_a_csv_and_none_from_other_captures() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let frames: Vec<(u64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| {
            (
                r.micros as u64,
                pcapdroid_frame(&r.data, 10_123, "WhatsApp"),
            )
        })
        .collect();
    let dir = std::env::temp_dir().join(format!("callpath-pcapdroid-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcap");
    std::fs::write(&path, classic_pcap_of(1, &frames)).unwrap();
    let out = Command::new(bin())
        .args(["analyze", "--format", "csv"])
        .arg(&path)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "device_app").unwrap();
    let mut rows = 0;
    for line in lines {
        // No field of these rows is quoted before the device app's.
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[column], "WhatsApp (Android uid 10123)", "{line}");
        rows += 1;
    }
    assert!(rows >= 4, "{text}");
}

/// A pcapng block: type, length, body padded to 32 bits, length again
/// (little-endian, as PCAPdroid writes on a phone).
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().next_multiple_of(4);
    let len = (12 + padded) as u32;
    let mut b = Vec::new();
    b.extend_from_slice(&kind.to_le_bytes());
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.resize(8 + padded, 0);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// One option: code, length, value padded to 32 bits.
fn option(code: u16, value: &[u8]) -> Vec<u8> {
    let mut o = code.to_le_bytes().to_vec();
    o.extend_from_slice(&(value.len() as u16).to_le_bytes());
    o.extend_from_slice(value);
    o.resize(4 + value.len().next_multiple_of(4), 0);
    o
}

/// PCAPdroid's UID map custom block (PEN 62652): version 1, type 1, a
/// reserved byte, the UID, both names' lengths, the names.
fn uid_map_block(uid: i32, package: &str, name: &str) -> Vec<u8> {
    let mut body = 62_652_u32.to_le_bytes().to_vec();
    body.extend_from_slice(&1_u16.to_le_bytes());
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&uid.to_le_bytes());
    body.extend_from_slice(&[package.len() as u8, name.len() as u8]);
    body.extend_from_slice(package.as_bytes());
    body.extend_from_slice(name.as_bytes());
    block(0x0000_0BAD, &body)
}

/// A capture as PCAPdroid writes it in pcapng with its extensions: IP
/// packets (link type RAW), each UID mapped once before its first packet,
/// each packet's comment naming its UID.
fn pcapdroid_pcapng(
    records: &[(i64, Vec<u8>)],
    app_of: impl Fn(&[u8]) -> (i32, &'static str, &'static str),
) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4d_u32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0]);
    shb.extend_from_slice(&(-1_i64).to_le_bytes());
    shb.extend_from_slice(&option(4, b"PCAPdroid v1.8.2"));
    shb.extend_from_slice(&option(0, b""));
    let mut out = block(0x0A0D_0D0A, &shb);
    let mut idb = 101_u16.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&65_535_u32.to_le_bytes());
    out.extend_from_slice(&block(1, &idb));
    let mut mapped = Vec::new();
    for (micros, ethernet) in records {
        let (uid, package, name) = app_of(ethernet);
        if !mapped.contains(&uid) {
            mapped.push(uid);
            out.extend_from_slice(&uid_map_block(uid, package, name));
        }
        let ip = &ethernet[14..];
        let mut epb = 0_u32.to_le_bytes().to_vec();
        let ts = *micros as u64;
        epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ts as u32).to_le_bytes());
        epb.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(ip.len() as u32).to_le_bytes());
        epb.extend_from_slice(ip);
        epb.resize(20 + ip.len().next_multiple_of(4), 0);
        epb.extend_from_slice(&option(1, format!("u-{uid}").as_bytes()));
        epb.extend_from_slice(&option(0, b""));
        out.extend_from_slice(&block(6, &epb));
    }
    out
}

/// UID, package and name of the app that owns a packet in the pcapng
/// test: a softphone for SIP, Signal for the rest (its package names the
/// app even where its name would not).
fn phone_app(sip: bool) -> (i32, &'static str, &'static str) {
    if sip {
        (10_050, "org.linphone", "Linphone")
    } else {
        (
            10_123,
            "org.thoughtcrime.securesms",
            "Signal Private Messenger",
        )
    }
}

#[test]
fn the_pcapng_extension_names_each_flows_app_and_package() {
    let original = Capture::read(&repo().join("samples/direct-call.pcap"));
    let records: Vec<(i64, Vec<u8>)> = original
        .records
        .iter()
        .map(|r| (r.micros, r.data.clone()))
        .collect();
    let app_of = |ethernet: &[u8]| {
        phone_app(udp_ports(ethernet).is_some_and(|(s, d)| s == 5060 || d == 5060))
    };
    let capture = pcapdroid_pcapng(&records, app_of);
    let dir = std::env::temp_dir().join(format!("callpath-pcapdroid-ng-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcapng");
    std::fs::write(&path, &capture).unwrap();
    let (records, _) = common::analyze_ndjson(&path);
    // Through the stream reader too (standard input).
    let piped = Command::new(bin())
        .args(["analyze", "--format", "ndjson", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(piped.status.success(), "{piped:?}");

    let (plain, _) = run(&original.bytes(), "ng-plain", &[]);
    let (flows, plain_flows) = (of_type(&records, "flow"), of_type(&plain, "flow"));
    assert_eq!(flows.len(), plain_flows.len());
    for (f, p) in flows.iter().zip(&plain_flows) {
        for key in ["src", "dst", "packets", "role", "call"] {
            assert_eq!(f[key], p[key], "{key}: {f}");
        }
        let app = &f["device_app"];
        assert_eq!(app["source"], "PCAPdroid pcapng extension", "{f}");
        let sip = f["src"].as_str().unwrap().ends_with(":5060");
        let (uid, package, name) = phone_app(sip);
        assert_eq!(
            (
                app["uid"].as_i64(),
                app["package"].as_str(),
                app["name"].as_str()
            ),
            (Some(i64::from(uid)), Some(package), Some(name)),
            "{f}"
        );
        if !sip && p["role"] != "other" {
            assert_eq!(f["app"], "signal", "{f}");
        }
    }
    let calls = of_type(&records, "call");
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["app"], "signal");
    let apps = calls[0]["device_apps"].to_string();
    assert!(
        apps.contains("Signal Private Messenger (org.thoughtcrime.securesms, Android uid 10123)"),
        "{apps}"
    );
    let streamed: Vec<Value> = String::from_utf8(piped.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|r: &Value| r["type"] != "summary")
        .collect();
    let read: Vec<Value> = records
        .into_iter()
        .filter(|r| r["type"] != "summary")
        .collect();
    assert_eq!(streamed, read);
}

/// LINKTYPE_PKTAP.
const PKTAP: u32 = 258;

/// A PKTAP header (xnu bsd/net/pktap.h, packed, little-endian: 108 bytes,
/// record type 1, the packet's link type) naming the process `pid`, `comm`
/// (0 and "" for the kernel's own packets), then the Ethernet frame.
fn pktap_frame(ethernet: &[u8], pid: i32, comm: &str) -> Vec<u8> {
    let mut f = vec![0u8; 108];
    f[..4].copy_from_slice(&108u32.to_le_bytes());
    f[4..8].copy_from_slice(&1u32.to_le_bytes());
    f[8..12].copy_from_slice(&1u32.to_le_bytes());
    f[12..15].copy_from_slice(b"en0");
    f[52..56].copy_from_slice(&pid.to_le_bytes());
    f[56..56 + comm.len()].copy_from_slice(comm.as_bytes());
    f.extend_from_slice(ethernet);
    f
}

/// The process on the Mac of the lab call's SIP frames and of the others.
fn mac_owner(sip: bool) -> (i64, &'static str) {
    if sip {
        (700, "baresip")
    } else {
        (844, "Signal")
    }
}

#[test]
fn a_mac_pktap_capture_names_each_flows_process() {
    let tagging = Tagging {
        link: PKTAP,
        // The first packet is the kernel's own (no process): the capture
        // is still read for processes.
        frame: |i, ethernet, sip| {
            let (pid, comm) = if i == 0 { (0, "") } else { mac_owner(sip) };
            pktap_frame(ethernet, pid as i32, comm)
        },
        id_field: "pid",
        owner: mac_owner,
        source: "macOS PKTAP header",
        listed: ["Signal (macOS process 844)", "baresip (macOS process 700)"],
    };
    let (_, records, _) = check_tagged_call(&tagging, "pktap");
    for f in of_type(&records, "flow") {
        assert!(f["device_app"].get("uid").is_none(), "{f}");
    }
}
