//! Media sent to a SIP server's own address goes through the server (a
//! PBX, B2BUA or gateway anchoring the call), not to the other phone, on a
//! company's network as on the internet. What shows a host to be a SIP
//! server: it took a REGISTER, it names itself a server product
//! (`server_agents` in signatures/sip_rtp.toml), or its SDP put the media
//! at another host of its scope (it signals for others). As in the TH
//! Köln Asterisk lab's captures: an Asterisk in "proxy mode" relays every
//! call's RTP, one in direct-media mode only the first seconds.
//! A media gateway a provider's SIP server announced is one host: its
//! other ports carry others' media too (Wireshark's SIP_CALL_RTP_G711),
//! and so is a public media address a proxy on the device's private
//! network hands out (Wireshark's nb6-telephone: an ISP box's line).

mod common;

use common::*;
use serde_json::Value;

const PHONE_A: [u8; 4] = [10, 3, 0, 3];
const PHONE_C: [u8; 4] = [10, 3, 2, 3];
const PBX: [u8; 4] = [10, 3, 0, 2];
const START: u64 = 1_700_000_000_000_000;

/// A SIP message (request line or status line, extra headers) with an SDP
/// body whose media is at `media`.
fn sip_with_sdp(first_line: &str, headers: &str, media: ([u8; 4], u16)) -> Vec<u8> {
    let sdp = sdp_audio(media, 0);
    format!(
        "{first_line}\r\nVia: SIP/2.0/UDP 10.3.0.3:5060;branch=z9hG4bK7\r\n\
         From: <sip:201@pbx.example>;tag=7\r\nTo: <sip:203@pbx.example>\r\n\
         Call-ID: lab-call-7\r\nCSeq: 1 INVITE\r\n{headers}\
         Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

/// How the PBX shows itself in the call's signalling.
#[derive(Clone, Copy)]
enum Shown {
    /// Its answers carry `Server: Asterisk PBX 18.10.0`.
    ProductName,
    /// The phone registered with it first.
    Registrar,
    /// Nothing: the "PBX" could as well be the other phone.
    Nothing,
}

/// Phone A calls through 10.3.0.2, which answers with media at its own
/// address; five seconds of voice between the phone and that address.
fn call_to_the_pbx(shown: Shown, name: &str) -> Vec<Value> {
    let mut frames = pbx_call_frames(shown);
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
}

/// The frames of `call_to_the_pbx`, in no order.
fn pbx_call_frames(shown: Shown) -> Vec<(u64, Vec<u8>)> {
    let (phone_sip, pbx_sip) = ((PHONE_A, 5060), (PBX, 5060));
    let (phone_rtp, pbx_rtp) = ((PHONE_A, 50_040), (PBX, 13_250));
    let mut frames = Vec::new();
    if let Shown::Registrar = shown {
        let register = b"REGISTER sip:pbx.example SIP/2.0\r\nCall-ID: reg-7\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
        frames.push((START - 2_000_000, udp_frame(phone_sip, pbx_sip, register)));
    }
    let server = match shown {
        Shown::ProductName => "Server: Asterisk PBX 18.10.0\r\n",
        _ => "",
    };
    frames.push((
        START,
        udp_frame(
            phone_sip,
            pbx_sip,
            &sip_with_sdp("INVITE sip:203@pbx.example SIP/2.0", "", phone_rtp),
        ),
    ));
    frames.push((
        START + 200_000,
        udp_frame(
            pbx_sip,
            phone_sip,
            &sip_with_sdp("SIP/2.0 200 OK", server, pbx_rtp),
        ),
    ));
    frames.extend(rtp_both_ways(
        phone_rtp,
        pbx_rtp,
        0,
        250,
        START + 300_000,
        172,
    ));
    frames
}

fn media_flow(records: &[Value], far: &str) -> Value {
    records
        .iter()
        .find(|r| {
            r["type"] == "flow"
                && r["app"] == "sip_rtp"
                && (r["src"] == far || r["dst"] == far)
                && r["media"]["rtp_packets"].as_u64() > Some(0)
        })
        .cloned()
        .unwrap_or_else(|| panic!("no media flow with {far}: {records:?}"))
}

fn calls(records: &[Value]) -> Vec<&Value> {
    records.iter().filter(|r| r["type"] == "call").collect()
}

#[test]
fn media_to_a_pbx_that_names_itself_is_relayed() {
    let records = call_to_the_pbx(Shown::ProductName, "sip-server-product");
    let flow = media_flow(&records, "10.3.0.2:13250");
    assert_eq!(flow["role"], "relay", "{flow}");
    let why = flow["evidence"][0].as_str().unwrap();
    assert!(
        why.contains("is a SIP server") && why.contains("Asterisk PBX"),
        "{why}"
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
    assert_eq!(
        party_endpoints(&calls[0]["relays"]),
        ["10.3.0.2:13250"],
        "{}",
        calls[0]
    );
    assert!(
        texts(&calls[0]["local"]).contains(&"10.3.0.3:50040"),
        "{}",
        calls[0]
    );
}

/// A SIP phone behind a NAT keeps its binding open with STUN Binding
/// requests on its SIP flow (RFC 5626 §4.4.2; classic RFC 3489 ones, as a
/// desk phone in the TH Köln lab sends every 20 s): SIP's, not WebRTC's.
#[test]
fn stun_keep_alives_to_the_pbx_sip_port_are_sip() {
    let mut frames = pbx_call_frames(Shown::ProductName);
    let (phone, pbx_sip) = (([10, 3, 1, 2], 5064), (PBX, 5060));
    for n in 0..3u8 {
        let mut binding = vec![0, 1, 0, 0];
        binding.extend_from_slice(&[n; 16]);
        frames.push((
            START + 1_000_000 + u64::from(n) * 1_000_000,
            udp_frame(phone, pbx_sip, &binding),
        ));
    }
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "sip-stun-keep-alive");
    let flow = flow_with(&records, "10.3.1.2:5064");
    assert_eq!(flow["app"], "sip_rtp", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    assert!(
        texts(&flow["evidence"])
            .contains(&"10.3.0.2:5060 carried SIP / RTP (standard VoIP) signalling"),
        "{flow}"
    );
}

#[test]
fn media_to_the_registrar_is_relayed() {
    let records = call_to_the_pbx(Shown::Registrar, "sip-server-registrar");
    let flow = media_flow(&records, "10.3.0.2:13250");
    assert_eq!(flow["role"], "relay", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap()
            .contains("took REGISTER from 10.3.0.3"),
        "{flow}"
    );
}

#[test]
fn media_to_a_host_that_showed_no_server_is_direct() {
    let records = call_to_the_pbx(Shown::Nothing, "sip-server-none");
    let flow = media_flow(&records, "10.3.0.2:13250");
    assert_eq!(flow["role"], "p2p", "{flow}");
}

/// Direct media after a B2BUA's re-INVITE: phone C talks to the PBX for
/// three seconds, then the PBX re-INVITEs it with phone A's media address
/// (it signals for another host) and the voice goes straight to phone A.
#[test]
fn relayed_first_then_direct_after_the_reinvite() {
    let (c_sip, pbx_sip) = ((PHONE_C, 5060), (PBX, 5060));
    let (c_rtp, pbx_rtp, a_rtp) = ((PHONE_C, 5004), (PBX, 11_784), (PHONE_A, 50_040));
    let mut frames = vec![
        (
            START,
            udp_frame(
                c_sip,
                pbx_sip,
                &sip_with_sdp("INVITE sip:201@pbx.example SIP/2.0", "", c_rtp),
            ),
        ),
        (
            START + 200_000,
            udp_frame(pbx_sip, c_sip, &sip_with_sdp("SIP/2.0 200 OK", "", pbx_rtp)),
        ),
        (
            START + 3_400_000,
            udp_frame(
                pbx_sip,
                c_sip,
                &sip_with_sdp("INVITE sip:203@10.3.2.3 SIP/2.0", "", a_rtp),
            ),
        ),
    ];
    frames.extend(rtp_both_ways(c_rtp, pbx_rtp, 0, 150, START + 300_000, 172));
    frames.extend(rtp_both_ways(c_rtp, a_rtp, 0, 250, START + 3_500_000, 172));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "sip-server-reinvite");
    let through_pbx = media_flow(&records, "10.3.0.2:11784");
    assert_eq!(through_pbx["role"], "relay", "{through_pbx}");
    assert!(
        through_pbx["evidence"][0]
            .as_str()
            .unwrap()
            .contains("put the media at another host, 10.3.0.3"),
        "{through_pbx}"
    );
    assert_eq!(media_flow(&records, "10.3.0.3:50040")["role"], "p2p");
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed_then_direct", "{}", calls[0]);
}

/// A provider's SIP server announced its media gateway (next to it) for
/// one call; the gateway's other port carrying another phone's voice is
/// the gateway too, and that phone is the device.
#[test]
fn another_port_of_an_announced_media_gateway_is_the_gateway() {
    let proxy = ([203, 0, 113, 195], 5060);
    let phone = ([203, 0, 113, 204], 5061);
    let gateway_port = ([203, 0, 113, 196], 40_376);
    let other_gateway_port = ([203, 0, 113, 196], 40_378);
    let other_phone = ([198, 51, 100, 199], 4800);
    let mut frames = vec![(
        START,
        udp_frame(
            proxy,
            phone,
            &sip_with_sdp("INVITE sip:204@203.0.113.204 SIP/2.0", "", gateway_port),
        ),
    )];
    frames.extend(rtp_both_ways(
        other_gateway_port,
        other_phone,
        8,
        250,
        START + 500_000,
        172,
    ));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "sip-gateway-host");
    let flow = media_flow(&records, "203.0.113.196:40378");
    assert_eq!(flow["role"], "relay", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap()
            .contains("far host 203.0.113.196 was announced as a media address"),
        "{flow}"
    );
    // The other phone's call; the INVITE to the first phone, which no
    // answer followed in the capture, is an attempt of its own.
    let calls = calls(&records);
    let (attempts, with_media): (Vec<&Value>, Vec<&Value>) =
        calls.iter().partition(|c| c["path"] == "not_answered");
    assert_eq!(with_media.len(), 1, "{records:?}");
    assert_eq!(
        texts(&with_media[0]["local"]),
        ["198.51.100.199:4800"],
        "{}",
        with_media[0]
    );
    assert_eq!(attempts.len(), 1, "{calls:?}");
    assert_eq!(texts(&attempts[0]["local"]), ["203.0.113.204:5061"]);
}

/// A phone on its operator's private voice network (an ISP's box)
/// calls through a proxy on that network, which answers with a public
/// media address: `proxy` then the public host's voice with the phone
/// (after ICE checks both ways on the media path when `ice`).
fn call_through_proxy(proxy: [u8; 4], ice: bool, name: &str) -> Vec<Value> {
    let mut frames = proxy_call_frames(proxy, ice);
    frames.sort_by_key(|(t, _)| *t);
    analyze_bytes(&classic_pcap(&frames), name)
}

/// The frames of `call_through_proxy`.
fn proxy_call_frames(proxy: [u8; 4], ice: bool) -> Vec<(u64, Vec<u8>)> {
    let phone_sip = ([10, 251, 23, 139], 5060);
    let proxy_sip = (proxy, 5062);
    let phone_rtp = ([10, 251, 23, 139], 35_560);
    let media = ([198, 51, 100, 137], 44_344);
    let mut frames = vec![
        (
            START,
            udp_frame(
                phone_sip,
                proxy_sip,
                &sip_with_sdp("INVITE sip:0123456789@voip.example SIP/2.0", "", phone_rtp),
            ),
        ),
        (
            START + 300_000,
            udp_frame(
                proxy_sip,
                phone_sip,
                &sip_with_sdp("SIP/2.0 200 OK", "", media),
            ),
        ),
    ];
    if ice {
        for (i, (from, to)) in [(phone_rtp, media), (media, phone_rtp)]
            .into_iter()
            .enumerate()
        {
            let at = START + 350_000 + i as u64 * 10_000;
            let id = i as u8 + 1;
            frames.push((at, udp_frame(from, to, &stun(0x0001, id, &[]))));
            frames.push((at + 5_000, udp_frame(to, from, &stun(0x0101, id, &[]))));
        }
    }
    frames.extend(rtp_both_ways(
        media,
        phone_rtp,
        8,
        250,
        START + 400_000,
        172,
    ));
    frames
}

/// Wireshark's nb6-telephone.pcap: a proxy inside the private network
/// hands out a public media address, which is the operator's media
/// gateway (no phone's own address comes from inside).
#[test]
fn public_media_handed_out_by_a_private_proxy_is_a_gateway() {
    let records = call_through_proxy([172, 22, 75, 71], false, "sip-private-proxy");
    let flow = media_flow(&records, "198.51.100.137:44344");
    assert_eq!(flow["role"], "relay", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap()
            .contains("a SIP server inside the device's private network"),
        "{flow}"
    );
    let calls = calls(&records);
    assert_eq!(calls.len(), 1, "{records:?}");
    assert_eq!(calls[0]["path"], "relayed", "{}", calls[0]);
}

/// A proxy on the internet passing on the other phone's public address
/// is no evidence of a gateway: the media stays direct.
#[test]
fn public_media_passed_on_by_a_public_proxy_stays_direct() {
    let records = call_through_proxy([203, 0, 113, 71], false, "sip-public-proxy");
    let flow = media_flow(&records, "198.51.100.137:44344");
    assert_eq!(flow["role"], "p2p", "{flow}");
}

/// A peer whose ICE checked back on the media path is a peer, though a
/// private proxy handed out its address (SIP over WebSocket to a PBX).
#[test]
fn an_ice_peer_announced_by_a_private_proxy_stays_direct() {
    let records = call_through_proxy([172, 22, 75, 71], true, "sip-private-proxy-ice");
    let flow = media_flow(&records, "198.51.100.137:44344");
    assert_eq!(flow["role"], "p2p", "{flow}");
}

/// The public address handed out is the one a STUN server told the
/// phone its own network has: the other phone sits behind the same NAT,
/// and media sent there loops back through it. No gateway.
#[test]
fn media_to_the_networks_own_public_address_is_a_peer_behind_the_same_nat() {
    let mut frames = proxy_call_frames([172, 22, 75, 71], false);
    let (phone_rtp, stun_server) = (([10, 251, 23, 139], 35_560), ([203, 0, 113, 9], 3478));
    frames.push((
        START + 100_000,
        udp_frame(phone_rtp, stun_server, &stun(0x0001, 9, &[])),
    ));
    frames.push((
        START + 120_000,
        udp_frame(
            stun_server,
            phone_rtp,
            &stun(0x0101, 9, &xor_mapped(([198, 51, 100, 137], 1060))),
        ),
    ));
    frames.sort_by_key(|(t, _)| *t);
    let records = analyze_bytes(&classic_pcap(&frames), "sip-same-nat");
    let flow = media_flow(&records, "198.51.100.137:44344");
    assert_eq!(flow["role"], "p2p", "{flow}");
    assert!(
        flow["evidence"][0]
            .as_str()
            .unwrap_or_default()
            .contains("a peer behind the same NAT"),
        "{flow}"
    );
}
