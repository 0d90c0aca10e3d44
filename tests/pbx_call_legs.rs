//! A capture taken at a PBX (or on a network both phones use) holds both
//! legs of a call the PBX passed on: the caller's INVITE to the PBX, and
//! the PBX's own INVITE to the callee under another Call-ID, naming the
//! same caller and callee. Each leg is a call of its phone; each now
//! names the other leg's far end and how the server joined them, and two
//! calls that merely ran at once through the same PBX are not joined.

mod common;

use common::*;
use serde_json::Value;

const PBX: [u8; 4] = [10, 3, 0, 2];
const START: u64 = 1_700_000_000_000_000;

/// An INVITE-opening message, or an answer to it, of dialog `call_id`
/// between the users `from` and `to`, with an SDP body putting the
/// sender's media at `media`.
fn sip(
    first_line: &str,
    (from, to): (&str, &str),
    call_id: &str,
    media: ([u8; 4], u16),
) -> Vec<u8> {
    // The PBX names itself, as Asterisk does in every message it sends.
    let agent = if media.0 == PBX {
        "User-Agent: Asterisk PBX 18.10.0\r\n"
    } else {
        ""
    };
    let sdp = sdp_audio(media, 0);
    let to_tag = if first_line.starts_with("SIP/2.0") {
        ";tag=answer"
    } else {
        ""
    };
    format!(
        "{first_line}\r\nVia: SIP/2.0/UDP 10.3.0.9:5060;branch=z9hG4bK{call_id}\r\n\
         From: \"{from}\" <sip:{from}@pbx.example>;tag=caller\r\nTo: <sip:{to}@pbx.example>{to_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 INVITE\r\n{agent}Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

/// `caller` dials `callee_user` at the PBX, which passes the call on to
/// the phone `callee` `delay` microseconds later under a Call-ID of its
/// own (`passed_as`: the users its INVITE names); six seconds of voice
/// on each leg, the PBX in the middle. Starts at `at`. The Call-IDs are
/// `{id}-a` and `{id}-b`, or `{id}` for both when `id` ends in "=" (a
/// proxy that passes the INVITE itself on).
fn bridged_call(
    at: u64,
    (caller, callee): ([u8; 4], [u8; 4]),
    users: (&str, &str),
    passed_as: (&str, &str),
    delay: u64,
    id: &str,
) -> Vec<(u64, Vec<u8>)> {
    let (caller_sip, callee_sip, pbx_sip) = ((caller, 5060), (callee, 5060), (PBX, 5060));
    let (caller_rtp, callee_rtp) = ((caller, 40_000), (callee, 40_000));
    let (pbx_a, pbx_b) = (
        (PBX, 10_000 + delay as u16 % 1000 * 2),
        (PBX, 12_000 + delay as u16 % 1000 * 2),
    );
    let (a, b) = match id.strip_suffix('=') {
        Some(same) => (same.to_string(), same.to_string()),
        None => (format!("{id}-a"), format!("{id}-b")),
    };
    let mut frames = vec![
        (
            at,
            udp_frame(
                caller_sip,
                pbx_sip,
                &sip(
                    &format!("INVITE sip:{}@pbx.example SIP/2.0", users.1),
                    users,
                    &a,
                    caller_rtp,
                ),
            ),
        ),
        (
            at + delay,
            udp_frame(
                pbx_sip,
                callee_sip,
                &sip(
                    &format!("INVITE sip:{}@10.3.0.9:5060 SIP/2.0", passed_as.1),
                    passed_as,
                    &b,
                    pbx_b,
                ),
            ),
        ),
        (
            at + delay + 300_000,
            udp_frame(
                callee_sip,
                pbx_sip,
                &sip("SIP/2.0 200 OK", passed_as, &b, callee_rtp),
            ),
        ),
        (
            at + delay + 310_000,
            udp_frame(
                pbx_sip,
                caller_sip,
                &sip("SIP/2.0 200 OK", users, &a, pbx_a),
            ),
        ),
    ];
    let media_at = at + delay + 400_000;
    frames.extend(rtp_both_ways(caller_rtp, pbx_a, 0, 300, media_at, 172));
    frames.extend(rtp_both_ways(
        pbx_b,
        callee_rtp,
        0,
        300,
        media_at + 5_000,
        172,
    ));
    frames
}

fn calls(frames: Vec<(u64, Vec<u8>)>, name: &str) -> Vec<Value> {
    let mut frames = frames;
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
        .into_iter()
        .filter(|r| r["type"] == "call")
        .collect()
}

fn call_of<'a>(calls: &'a [Value], device: &str) -> &'a Value {
    calls
        .iter()
        .find(|c| texts(&c["local"]).iter().any(|l| l.starts_with(device)))
        .unwrap_or_else(|| panic!("a call of {device}: {calls:?}"))
}

/// Asserts the callee's verdict says its call came from the caller's
/// phone through the PBX.
fn assert_came_through_the_pbx_from_the_caller(callee: &Value) {
    let verdict = callee["verdict"].as_str().unwrap_or_default();
    assert!(
        verdict.contains("Through the SIP server 10.3.0.2:5060, the call came from 10.3.0.3:5060"),
        "{verdict}"
    );
}

/// Asserts the other legs the call of `device` names.
fn assert_other_legs(calls: &[Value], device: &str, other_legs: &[&str]) {
    let call = call_of(calls, device);
    assert_eq!(party_endpoints(&call["other_legs"]), other_legs, "{call}");
}

#[test]
fn each_leg_names_the_other() {
    let (phone_a, phone_b) = ([10, 3, 0, 3], [10, 3, 2, 3]);
    let calls = calls(
        bridged_call(
            START,
            (phone_a, phone_b),
            ("3001", "3002"),
            ("3001", "3002"),
            120_000,
            "x",
        ),
        "pbx-legs",
    );
    assert_eq!(calls.len(), 2, "{calls:?}");
    let caller = call_of(&calls, "10.3.0.3:");
    assert_eq!(
        party_endpoints(&caller["other_legs"]),
        ["10.3.2.3:5060"],
        "{caller}"
    );
    let verdict = caller["verdict"].as_str().unwrap_or_default();
    assert!(
        verdict.contains("Through the SIP server 10.3.0.2:5060, the call went on to 10.3.2.3:5060"),
        "{verdict}"
    );
    assert!(verdict.contains("0.120 s later"), "{verdict}");
    let callee = call_of(&calls, "10.3.2.3:");
    assert_eq!(
        party_endpoints(&callee["other_legs"]),
        ["10.3.0.3:5060"],
        "{callee}"
    );
    assert_came_through_the_pbx_from_the_caller(callee);
    assert!(
        texts(&callee["evidence"])
            .iter()
            .any(|e| e.starts_with("INVITE 10.3.0.3:5060 → 10.3.0.2:5060, 0.120 s earlier")),
        "{callee}"
    );
}

#[test]
fn calls_through_one_pbx_at_once_stay_apart() {
    // Two phones each call a third, at the same moment: the PBX's INVITEs
    // name other callers and callees than the leg beside them.
    let mut frames = bridged_call(
        START,
        ([10, 3, 0, 3], [10, 3, 2, 3]),
        ("3001", "3002"),
        ("3001", "3002"),
        120_000,
        "x",
    );
    frames.extend(bridged_call(
        START + 50_000,
        ([10, 3, 0, 4], [10, 3, 2, 4]),
        ("3003", "3004"),
        ("3003", "3004"),
        150_000,
        "y",
    ));
    let calls = calls(frames, "pbx-two-calls");
    assert_eq!(calls.len(), 4, "{calls:?}");
    for (device, other) in [
        ("10.3.0.3:", "10.3.2.3:5060"),
        ("10.3.2.3:", "10.3.0.3:5060"),
        ("10.3.0.4:", "10.3.2.4:5060"),
        ("10.3.2.4:", "10.3.0.4:5060"),
    ] {
        assert_other_legs(&calls, device, &[other]);
    }
    // A call passed on under other names (a different callee) is no leg
    // of this one.
    let calls = self::calls(
        bridged_call(
            START,
            ([10, 3, 0, 3], [10, 3, 2, 3]),
            ("3001", "3002"),
            ("3001", "3005"),
            120_000,
            "z",
        ),
        "pbx-other-callee",
    );
    assert_eq!(calls.len(), 2, "{calls:?}");
    for call in &calls {
        assert!(call.get("other_legs").is_none(), "{call}");
    }
}

#[test]
fn legs_are_named_when_the_phones_signalling_outlasts_the_call() {
    // The PBX asks each phone every minute whether it is still there
    // (SIP OPTIONS on the same sockets as the call's INVITEs), so both
    // signalling flows run on for ten minutes after the call; another
    // host's flow ending meanwhile closes the phones' sessions first.
    let (phone_a, phone_b) = ([10, 3, 0, 3], [10, 3, 2, 3]);
    let mut frames = bridged_call(
        START,
        (phone_a, phone_b),
        ("3001", "3002"),
        ("3001", "3002"),
        120_000,
        "x",
    );
    for minute in 1..=10u64 {
        let at = START + minute * 60_000_000;
        for phone in [phone_a, phone_b] {
            let options = sip_message(
                "OPTIONS sip:phone@10.3.0.9 SIP/2.0",
                "UDP 10.3.0.2:5060",
                &format!("qualify-{minute}"),
                "102 OPTIONS",
                "",
            );
            frames.push((at, udp_frame((PBX, 5060), (phone, 5060), &options)));
        }
    }
    let other_host = ([10, 3, 0, 50], 33_000);
    frames.push((
        START + 200_000_000,
        udp_frame(other_host, ([10, 3, 0, 1], 53), b"lookup"),
    ));
    let calls = calls(frames, "pbx-legs-kept-registration");
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_other_legs(&calls, "10.3.0.3:", &["10.3.2.3:5060"]);
    // The SIP server is still among the call's servers, its law with it.
    for device in ["10.3.0.3:", "10.3.2.3:"] {
        let call = call_of(&calls, device);
        assert_eq!(
            party_endpoints(&call["lookup_servers"]),
            ["10.3.0.2:5060"],
            "{call}"
        );
        assert!(
            texts(&call["evidence"])
                .iter()
                .any(|e| e.starts_with("SIP server 10.3.0.2:5060 signalled this call")),
            "{call}"
        );
    }
    let callee = call_of(&calls, "10.3.2.3:");
    assert_came_through_the_pbx_from_the_caller(callee);
}

#[test]
fn a_later_call_on_the_same_ports_names_no_earlier_calls_legs() {
    // The caller's phone takes its media on the same port every call, and
    // its signalling flow outlasts both: ten minutes after the first call
    // to one phone, a second call to another.
    let caller = [10, 3, 0, 3];
    let mut frames = bridged_call(
        START,
        (caller, [10, 3, 2, 3]),
        ("3001", "3002"),
        ("3001", "3002"),
        120_000,
        "x",
    );
    frames.extend(bridged_call(
        START + 600_000_000,
        (caller, [10, 3, 2, 4]),
        ("3001", "3004"),
        ("3001", "3004"),
        120_000,
        "y",
    ));
    for minute in 1..=20u64 {
        let options = sip_message(
            "OPTIONS sip:phone@10.3.0.9 SIP/2.0",
            "UDP 10.3.0.2:5060",
            &format!("qualify-{minute}"),
            "102 OPTIONS",
            "",
        );
        let at = START + minute * 60_000_000;
        frames.push((at, udp_frame((PBX, 5060), (caller, 5060), &options)));
    }
    frames.push((
        START + 400_000_000,
        udp_frame(([10, 3, 0, 50], 33_000), ([10, 3, 0, 1], 53), b"lookup"),
    ));
    let calls = calls(frames, "pbx-ports-reused");
    let of_caller: Vec<&Value> = calls
        .iter()
        .filter(|c| {
            texts(&c["local"])
                .iter()
                .any(|l| l.starts_with("10.3.0.3:"))
        })
        .collect();
    assert_eq!(of_caller.len(), 2, "{calls:?}");
    let later = of_caller
        .iter()
        .max_by(|a, b| {
            a["start"]
                .as_f64()
                .partial_cmp(&b["start"].as_f64())
                .unwrap()
        })
        .unwrap();
    let legs = later.get("other_legs").map(party_endpoints);
    assert!(
        !legs.unwrap_or_default().contains(&"10.3.2.3:5060"),
        "{later}"
    );
}

#[test]
fn a_call_rung_on_two_phones_names_the_one_that_answered() {
    // The PBX rings both of the callee's phones (a ring group, or one
    // user on two devices); the second one answers.
    let (caller, first, second) = ([10, 3, 0, 3], [10, 3, 2, 3], [10, 3, 2, 4]);
    let users = ("3001", "3002");
    let invite = |to: &str, call_id: &str, media| {
        sip(
            &format!("INVITE sip:{to}@pbx.example SIP/2.0"),
            users,
            call_id,
            media,
        )
    };
    let (caller_rtp, second_rtp) = ((caller, 40_000), (second, 40_000));
    let (pbx_a, pbx_b) = ((PBX, 10_000), (PBX, 12_000));
    let mut frames = vec![
        (
            START,
            udp_frame(
                (caller, 5060),
                (PBX, 5060),
                &invite("3002", "in", caller_rtp),
            ),
        ),
        (
            START + 100_000,
            udp_frame((PBX, 5060), (first, 5060), &invite("3002", "ring-1", pbx_b)),
        ),
        (
            START + 101_000,
            udp_frame(
                (PBX, 5060),
                (second, 5060),
                &invite("3002", "ring-2", pbx_b),
            ),
        ),
        (
            START + 3_000_000,
            udp_frame(
                (second, 5060),
                (PBX, 5060),
                &sip("SIP/2.0 200 OK", users, "ring-2", second_rtp),
            ),
        ),
        (
            START + 3_010_000,
            udp_frame(
                (PBX, 5060),
                (caller, 5060),
                &sip("SIP/2.0 200 OK", users, "in", pbx_a),
            ),
        ),
    ];
    frames.extend(rtp_both_ways(
        caller_rtp,
        pbx_a,
        0,
        300,
        START + 3_100_000,
        172,
    ));
    frames.extend(rtp_both_ways(
        pbx_b,
        second_rtp,
        0,
        300,
        START + 3_105_000,
        172,
    ));
    let calls = calls(frames, "pbx-forked");
    assert_other_legs(&calls, "10.3.0.3:", &["10.3.2.4:5060"]);
    assert_other_legs(&calls, "10.3.2.4:", &["10.3.0.3:5060"]);
}

#[test]
fn a_proxy_passes_the_invite_itself_on() {
    let calls = calls(
        bridged_call(
            START,
            ([10, 3, 0, 3], [10, 3, 2, 3]),
            ("3001", "3002"),
            ("3001", "3002"),
            2_000,
            "p=",
        ),
        "proxy-legs",
    );
    let caller = call_of(&calls, "10.3.0.3:");
    let verdict = caller["verdict"].as_str().unwrap_or_default();
    assert!(
        verdict.contains(
            "Through the SIP proxy 10.3.0.2:5060, the call went on to 10.3.2.3:5060 \
             (private network (RFC 1918), not geolocated; the same INVITE, passed on 0.002 s later)"
        ),
        "{verdict}"
    );
    assert!(
        texts(&caller["evidence"])
            .iter()
            .any(|e| e.contains("same Call-ID")),
        "{caller}"
    );
}
