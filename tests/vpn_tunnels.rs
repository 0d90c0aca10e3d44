//! A capture taken outside a VPN shows the tunnel, not the calls in it.
//! On the reference captures of WireGuard, Tailscale, OpenVPN, IPsec,
//! PPTP, Cloudflare WARP and DTLS VPNs, every tunnel flow is named (as nDPI names
//! them), is no call's flow, and the summary, table and CSV say that
//! calls inside cannot be seen; on the hand-labelled call captures no flow
//! is called a tunnel.

mod common;

use std::collections::BTreeMap;

use common::*;
use etherparse::PacketBuilder;
use serde_json::Value;

/// Per capture: how many flows of each tunnel protocol.
const TUNNELS: &[(&str, &[(&str, u64)])] = &[
    // (The first peers went quiet for 128 s, past the UDP timeout, then
    // handshook again: their session is two flows.)
    ("wireguard.pcap", &[("wireguard", 3)]),
    // WireGuard on port 5060, caught mid-stream (no handshake).
    ("mullvad_wireguard.pcap", &[("wireguard", 1)]),
    ("protonvpn.pcap", &[("wireguard", 1)]),
    ("tailscale.pcap", &[("tailscale", 1)]),
    // UDP and TCP, ports 1194 and 443, client and server halves seen
    // apart, with and without HMAC.
    ("openvpn.pcap", &[("openvpn", 10)]),
    ("openvpn-tlscrypt.pcap", &[("openvpn", 1)]),
    ("openvpn_nohmac_tcp.pcapng", &[("openvpn", 1)]),
    // (Some ESP flows go quiet past the UDP timeout and resume: each
    // stretch is a flow.)
    ("ipsec_isakmp_esp.pcap", &[("ipsec", 46)]),
    // IKE on UDP 500 and ESP as IP protocol 50.
    ("esp.pcapng", &[("ipsec", 2)]),
    ("pptp.pcap", &[("pptp", 1)]),
    // Told by Cloudflare's published WARP ingress addresses and port.
    ("cloudflare-warp.pcap", &[("cloudflare_warp", 1)]),
    // DTLS to UDP 443 without SRTP keying: AnyConnect's data channel, and
    // a DTLS 1.0 (Cisco's pre-standard version) session resumed the same way.
    ("anyconnect-vpn.pcap", &[("dtls_vpn", 1)]),
    ("dtls_old_version.pcapng", &[("dtls_vpn", 1)]),
];

fn tunnels(records: &[Value]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in records.iter().filter(|r| r["type"] == "flow") {
        if let Some(t) = r["tunnel"].as_str() {
            *out.entry(t.to_string()).or_default() += 1;
        }
    }
    out
}

#[test]
fn vpn_captures_name_their_tunnels() {
    let Some(corpus) = corpus() else { return };
    for (capture, want) in TUNNELS {
        let (records, out) = analyze_ndjson(&corpus.join("ndpi").join(capture));
        assert!(out.status.success(), "{capture}: {out:?}");
        let want: BTreeMap<String, u64> = want.iter().map(|(t, n)| (t.to_string(), *n)).collect();
        assert_eq!(tunnels(&records), want, "{capture}");
        let summary = records.last().unwrap();
        assert_eq!(summary["type"], "summary");
        let counted: BTreeMap<String, u64> =
            serde_json::from_value(summary["tunnels"].clone()).unwrap();
        assert_eq!(counted, want, "{capture}: summary");
        for r in records.iter().filter(|r| r["tunnel"].is_string()) {
            assert_eq!(r["role"], "other", "{capture}: {r}");
            assert!(r["call"].is_null(), "{capture}: {r}");
            let evidence = r["evidence"][0].as_str().unwrap();
            assert!(
                evidence.contains("VPN tunnel") && evidence.contains("cannot be seen"),
                "{capture}: {evidence}"
            );
            // The frame that settled it, to open in Wireshark.
            assert!(
                r["evidence_frames"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty()),
                "{capture}: {r}"
            );
        }
    }
}

#[test]
fn table_and_csv_say_calls_inside_cannot_be_seen() {
    let Some(corpus) = corpus() else { return };
    let capture = corpus.join("ndpi").join("wireguard.pcap");
    let capture = capture.to_str().unwrap();
    let table = run(&["analyze", capture]);
    assert!(table.status.success(), "{table:?}");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.starts_with("CALLS: none found outside VPN tunnels (3 flows are tunnels"),
        "{text}"
    );
    assert!(text.contains("VPN TUNNELS (3 flows)"), "{text}");
    assert!(
        text.contains("wireguard  139.162.192.157:51820 ↔ 192.168.0.14:36116"),
        "{text}"
    );
    let csv = run(&["analyze", "--format", "csv", capture]);
    assert!(csv.status.success(), "{csv:?}");
    let csv = String::from_utf8(csv.stdout).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header.iter().position(|h| *h == "tunnel").unwrap();
    let values: Vec<String> = lines.map(|l| csv_fields(l).swap_remove(column)).collect();
    assert_eq!(values, ["wireguard", "wireguard", "wireguard"]);
}

#[test]
fn call_captures_have_no_tunnel() {
    let Some(corpus) = corpus() else { return };
    let labels = std::fs::read_to_string(corpus.join("labels.jsonl")).unwrap();
    let mut captures: Vec<String> = labels
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|l| l["pcap"].as_str().unwrap().to_string())
        .filter(|c| c != "wireguard.pcap")
        .collect();
    captures.sort();
    captures.dedup();
    assert!(captures.len() > 30);
    for capture in &captures {
        let (records, _) = analyze_ndjson(&corpus.join("ndpi").join(capture));
        assert!(tunnels(&records).is_empty(), "{capture}");
    }
}

/// A WireGuard tunnel between a device and a VPN server: the handshake,
/// then `packets` transport messages each way as `shape` sets their time
/// (µs after the start) and length for the n-th packet of a direction.
fn wireguard_tunnel(packets: u32, shape: impl Fn(bool, u32) -> (u64, usize)) -> Vec<u8> {
    let (device, server) = ([192, 168, 1, 10], [185, 65, 134, 1]);
    let frame = |from_device: bool, payload: &[u8]| {
        let (src, dst, sport, dport) = if from_device {
            (device, server, 40_000, 51_820)
        } else {
            (server, device, 51_820, 40_000)
        };
        let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .udp(sport, dport);
        let mut f = Vec::new();
        builder.write(&mut f, payload).unwrap();
        f
    };
    let start = 1_700_000_000_000_000u64;
    let mut initiation = vec![1, 0, 0, 0, 0x11, 0x22, 0x33, 0x44];
    initiation.resize(148, 0x5a);
    let mut response = vec![2, 0, 0, 0, 0x99, 0x88, 0x77, 0x66, 0x11, 0x22, 0x33, 0x44];
    response.resize(92, 0xa5);
    let mut frames = vec![
        (start, frame(true, &initiation)),
        (start + 30_000, frame(false, &response)),
    ];
    for n in 0..packets {
        for from_device in [true, false] {
            let (at, len) = shape(from_device, n);
            let receiver: [u8; 4] = if from_device {
                [0x99, 0x88, 0x77, 0x66]
            } else {
                [0x11, 0x22, 0x33, 0x44]
            };
            let mut m = vec![4, 0, 0, 0];
            m.extend_from_slice(&receiver);
            m.extend_from_slice(&u64::from(n).to_le_bytes());
            m.resize(len, 0x3c);
            frames.push((start + 100_000 + at, frame(from_device, &m)));
        }
    }
    frames.sort_by_key(|(t, _)| *t);
    classic_pcap(&frames)
}

#[test]
fn a_call_shaped_stream_inside_a_tunnel_is_described() {
    // Voice: a packet every 20 ms each way for 40 s, 160 and 176 bytes.
    let voice = wireguard_tunnel(2_000, |from_device, n| {
        let jitter = u64::from(n % 3) * 700;
        let len = if from_device { 160 } else { 176 };
        (u64::from(n) * 20_000 + jitter, len)
    });
    let records = analyze_bytes(&voice, "vpn-voice");
    let flows: Vec<&Value> = records.iter().filter(|r| r["type"] == "flow").collect();
    assert_eq!(flows.len(), 1, "{records:?}");
    let tunnel = flows[0];
    assert_eq!(tunnel["tunnel"], "wireguard");
    assert_eq!(tunnel["role"], "other");
    let stream = tunnel["tunnel_stream"].as_str().unwrap();
    // Sizes and gaps as hdrhistogram's buckets (one significant figure)
    // give their medians.
    assert!(
        stream.contains("the shape of a voice call") && stream.contains("for 40 s"),
        "{stream}"
    );
    assert!(stream.contains("one every 21 and 21 ms"), "{stream}");
    assert!(records.iter().all(|r| r["type"] != "call"));
}

#[test]
fn bulk_bursty_and_empty_tunnels_are_not_call_shaped() {
    // A download: full packets every millisecond one way, acks the other.
    let bulk = wireguard_tunnel(20_000, |from_device, n| {
        let at = u64::from(n) * 1_000;
        (at, if from_device { 64 } else { 1_424 })
    });
    // Browsing: bursts of 40 packets each way every 3 s.
    let bursty = wireguard_tunnel(800, |from_device, n| {
        let at = u64::from(n / 40) * 3_000_000 + u64::from(n % 40) * 2_000;
        (at, if from_device { 128 } else { 1_024 })
    });
    // Empty messages only (WireGuard's 32-byte keep-alive size), steady.
    let empty = wireguard_tunnel(1_000, |_, n| (u64::from(n) * 20_000, 32));
    for (capture, name) in [
        (bulk, "vpn-bulk"),
        (bursty, "vpn-bursty"),
        (empty, "vpn-empty"),
    ] {
        let records = analyze_bytes(&capture, name);
        let tunnel = records.iter().find(|r| r["type"] == "flow").unwrap();
        assert_eq!(tunnel["tunnel"], "wireguard", "{name}");
        assert!(tunnel.get("tunnel_stream").is_none(), "{name}: {tunnel}");
    }
}

#[test]
fn claim_checks_say_tunnels_were_not_checked() {
    let Some(corpus) = corpus() else { return };
    let capture = corpus.join("ndpi").join("openvpn.pcap");
    let out = run(&["check", "--claim", "media-p2p", capture.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.starts_with("UNTESTED media-p2p"), "{text}");
    assert!(
        text.contains(
            "10 flows are VPN tunnels (openvpn): calls inside cannot be seen and were not checked"
        ),
        "{text}"
    );
}

#[test]
fn wifi_calling_to_the_operator_is_named() {
    // A phone on Wi-Fi resolves its operator's ePDG, sets up IKEv2 on
    // UDP 4500 and sends a call's voice in ESP: the tunnel's far end is
    // named as the operator's Wi-Fi calling gateway.
    let (phone, resolver, epdg) = ([192, 168, 1, 20], [192, 168, 1, 1], [203, 0, 113, 40]);
    let name = "epdg.epc.mnc260.mcc310.pub.3gppnetwork.org";
    let dns = dns_answer(name, epdg);
    let start = 1_700_000_000_000_000u64;
    let mut frames = vec![(start, udp_frame((resolver, 53), (phone, 40_001), &dns))];
    // IKE_SA_INIT both ways, after the non-ESP marker.
    for (at, from_phone) in [(10_000, true), (40_000, false)] {
        let mut ike = vec![0, 0, 0, 0];
        ike.extend_from_slice(&[0x5a; 8]);
        ike.extend_from_slice(&if from_phone { [0; 8] } else { [0xa5; 8] });
        ike.extend_from_slice(&[0, 0x20, 34, 0x08, 0, 0, 0, 0, 0, 0, 0, 28]);
        let (a, b) = if from_phone {
            ((phone, 4500), (epdg, 4500))
        } else {
            ((epdg, 4500), (phone, 4500))
        };
        frames.push((start + at, udp_frame(a, b, &ike)));
    }
    // Then a voice call: ESP every 20 ms each way for 30 s.
    for n in 0..1_500u32 {
        for (from_phone, spi) in [(true, 0xc001_d00d_u32), (false, 0x0bad_cafe)] {
            let mut esp = spi.to_be_bytes().to_vec();
            esp.extend_from_slice(&(n + 1).to_be_bytes());
            esp.resize(172, 0x77);
            let (a, b) = if from_phone {
                ((phone, 4500), (epdg, 4500))
            } else {
                ((epdg, 4500), (phone, 4500))
            };
            let at = 100_000 + u64::from(n) * 20_000 + u64::from(!from_phone) * 7_000;
            frames.push((start + at, udp_frame(a, b, &esp)));
        }
    }
    let capture = classic_pcap(&frames);
    let records = analyze_bytes(&capture, "vowifi");
    let tunnel = records
        .iter()
        .find(|r| r["type"] == "flow" && r["tunnel"].is_string())
        .unwrap();
    assert_eq!(tunnel["tunnel"], "ipsec", "{tunnel}");
    assert_eq!(tunnel["server_name"], name);
    let evidence: Vec<&str> = tunnel["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(evidence[0].starts_with("IKE message"), "{evidence:?}");
    assert!(
        evidence[1].contains("Wi-Fi calling gateway (ePDG, mobile network MCC 310 MNC 260)"),
        "{evidence:?}"
    );
    assert!(tunnel["tunnel_stream"]
        .as_str()
        .unwrap()
        .contains("the shape of a voice call"));

    // The table says it under the tunnel.
    let dir = std::env::temp_dir().join(format!("callpath-vowifi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("capture.pcap");
    std::fs::write(&path, &capture).unwrap();
    let out = run(&["analyze", path.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!("192.168.1.20:4500 ↔ 203.0.113.40:4500: its far end, {name}, is a mobile operator's Wi-Fi calling gateway")),
        "{text}"
    );
}

#[test]
fn the_html_report_lists_the_tunnels() {
    let Some(corpus) = corpus() else { return };
    let capture = corpus.join("ndpi").join("tailscale.pcap");
    let html =
        std::env::temp_dir().join(format!("callpath-vpn-report-{}.html", std::process::id()));
    let out = run(&[
        "report",
        capture.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let page = std::fs::read_to_string(&html).unwrap();
    std::fs::remove_file(&html).ok();
    assert!(
        page.contains("No call was found outside VPN tunnels"),
        "{page}"
    );
    assert!(page.contains(r#"<section id="tunnels"><h2>VPN tunnels</h2>"#));
    assert!(page.contains(
        "<tr><td>tailscale</td><td class=\"mono\">192.168.88.3:41641 ↔ 18.196.71.179:41641</td>"
    ));
}

/// A DTLS ClientHello that offers SRTP keying (the corpus's dtls.pcap,
/// frame 1, which src/dissect/dtls.rs's unit tests read too) sent to UDP
/// 443 is no VPN: only one that offers none is.
#[test]
fn dtls_to_port_443_is_a_vpn_only_without_srtp_keying() {
    let hello: Vec<u8> = (0..DTLS_SRTP_HELLO.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&DTLS_SRTP_HELLO[i..i + 2], 16).unwrap())
        .collect();
    let builder = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([192, 168, 1, 10], [203, 0, 113, 7], 64)
        .udp(50_000, 443);
    let mut frame = Vec::new();
    builder.write(&mut frame, &hello).unwrap();
    let records = analyze_bytes(
        &classic_pcap(&[(1_700_000_000_000_000, frame)]),
        "dtls-srtp-443",
    );
    let flow = records.iter().find(|r| r["type"] == "flow").unwrap();
    assert!(flow["tunnel"].is_null(), "{flow}");
}

const DTLS_SRTP_HELLO: &str = "16feff0000000000000000008e010000820000000000000082fefdceb06d2a04cb2a1517c2e266ed6db6936e6e7a5772aacdd0e2dbd068ce26737e00000018c02bc02fcca9cca8c009c013c00ac014009c002f0035000a01000040ff010001000017000000230000000d00140012040308040401050308050501080606010201000e00050002000100000b00020100000a00080006001d00170018";
