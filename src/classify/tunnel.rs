//! Flows that are VPN tunnels: what the dissectors found on their packets
//! (`dissect::vpn_tunnel`), or an IP protocol that is a tunnel by
//! definition. Nothing inside a tunnel can be read, calls included: the
//! verdict says so, and where the tunnel comes out.

use crate::decode::L4Proto;
use crate::dissect::vpn_tunnel::{TunnelProtocol, TunnelSighting};
use crate::flow::{Direction, Flow};

/// IPsec's Encapsulating Security Payload (IANA protocol numbers).
const IP_PROTO_ESP: u8 = 50;
/// Generic Routing Encapsulation.
const IP_PROTO_GRE: u8 = 47;

/// The tunnel `flow` is, if it is one.
pub fn tunnel_of(flow: &Flow) -> Option<TunnelSighting> {
    let sighting = |protocol, why| {
        Some(TunnelSighting {
            protocol,
            why,
            frame: flow.first_frame,
        })
    };
    match flow.l4 {
        L4Proto::Other(IP_PROTO_ESP) => sighting(
            TunnelProtocol::Ipsec,
            "IP protocol 50, ESP (IPsec's encrypted payload)",
        ),
        // GRE that carried IP was unwrapped when decoded: what is left
        // could not be read.
        L4Proto::Other(IP_PROTO_GRE) => sighting(
            TunnelProtocol::Gre,
            "GRE whose contents could not be read (PPTP's encrypted PPP, for one)",
        ),
        L4Proto::Udp | L4Proto::Tcp => flow.facts.tunnel.as_deref()?.found(),
        _ => None,
    }
}

/// The evidence line of a tunnel's verdict.
pub fn tunnel_evidence(t: &TunnelSighting) -> String {
    // GRE carries other things than VPNs (a router's links, mirrors).
    let kind = match t.protocol {
        TunnelProtocol::Gre => "a tunnel",
        _ => "a VPN tunnel",
    };
    format!(
        "{}: {kind}. What travels inside it, calls included, cannot be seen in this capture; it leaves the tunnel at the far end, on that network",
        t.why
    )
}

/// A call through a tunnel is a steady two-way stream of small packets:
/// voice codecs send a frame every 10 to 60 ms each way, 60 to 300 bytes
/// once wrapped. Bulk transfers fill packets one way; browsing comes in
/// bursts with long gaps.
const STREAM_MIN_SECS: f64 = 10.0;
const STREAM_MAX_GAP_MS: f64 = 70.0;
const STREAM_MIN_GAP_MS: f64 = 5.0;
const STREAM_MAX_SIZE: u64 = 400;
/// Below this a packet carries no voice frame (a TCP tunnel's bare
/// acknowledgements, WireGuard's 32-byte keep-alives).
const STREAM_MIN_SIZE: u64 = 40;
/// Packets per second each way, on average over the flow.
const STREAM_MIN_RATE: f64 = 8.0;

/// A sentence on the real-time stream a tunnel carried, when its shape
/// is a call's: the only thing a capture outside the tunnel can say of it.
pub fn stream_inside(flow: &Flow) -> Option<String> {
    let h = flow.histograms.as_deref()?;
    let secs = flow.duration_secs();
    if secs < STREAM_MIN_SECS {
        return None;
    }
    let dirs = [Direction::FromOrig, Direction::FromResp];
    let gaps = dirs.map(|d| h.median_gap_ms(d));
    let sizes = dirs.map(|d| h.median_size(d));
    let steady = dirs
        .iter()
        .zip(gaps.iter().zip(&sizes))
        .all(|(d, (gap, size))| {
            let rate = flow.dir(*d).packets as f64 / secs;
            gap.is_some_and(|g| (STREAM_MIN_GAP_MS..=STREAM_MAX_GAP_MS).contains(&g))
                && size.is_some_and(|s| (STREAM_MIN_SIZE..=STREAM_MAX_SIZE).contains(&s))
                && rate >= STREAM_MIN_RATE
        });
    if !steady {
        return None;
    }
    let [Some(gap_a), Some(gap_b)] = gaps else {
        return None;
    };
    let [Some(size_a), Some(size_b)] = sizes else {
        return None;
    };
    Some(format!(
        "a steady two-way stream of small packets for {secs:.0} s (each way, about {size_a} and {size_b} bytes a packet, one every {gap_a:.0} and {gap_b:.0} ms): the shape of a voice call, or of another real-time stream such as a game; which app, and where it went past the tunnel, cannot be seen"
    ))
}

/// A mobile operator's Wi-Fi calling gateway, from the name the device
/// resolved the tunnel's far end with: an ePDG (evolved Packet Data
/// Gateway), which 3GPP TS 23.003 §19.4.2.9 names
/// `epdg.epc.mnc<MNC>.mcc<MCC>.pub.3gppnetwork.org` (operators may use
/// names of their own with an `epdg` label). Phones reach it over IPsec
/// (IKEv2, ESP in UDP 4500) and send their carrier calls and texts over
/// Wi-Fi (VoWiFi) through it. Returns the evidence sentence.
pub fn wifi_calling_gateway(name: &str) -> Option<String> {
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    if !labels.iter().any(|l| l.eq_ignore_ascii_case("epdg")) {
        return None;
    }
    let code = |prefix: &str| {
        labels.iter().find_map(|l| {
            let digits = l
                .get(..prefix.len())?
                .eq_ignore_ascii_case(prefix)
                .then(|| l.get(prefix.len()..))??;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
        })
    };
    let network = match (code("mcc"), code("mnc")) {
        (Some(mcc), Some(mnc)) => format!(", mobile network MCC {mcc} MNC {mnc}"),
        _ => String::new(),
    };
    Some(format!(
        "its far end, {name}, is a mobile operator's Wi-Fi calling gateway (ePDG{network}): the phone's carrier calls and texts over Wi-Fi travel in this tunnel to the operator, and on from there"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epdg_names() {
        let standard = wifi_calling_gateway("epdg.epc.mnc260.mcc310.pub.3gppnetwork.org").unwrap();
        assert!(
            standard.contains("(ePDG, mobile network MCC 310 MNC 260)"),
            "{standard}"
        );
        let own = wifi_calling_gateway("epdg.epc.att.net").unwrap();
        assert!(
            own.contains("epdg.epc.att.net, is a mobile operator's Wi-Fi calling gateway (ePDG):"),
            "{own}"
        );
        assert!(wifi_calling_gateway("ss.epdg.epc.mnc260.mcc310.pub.3gppnetwork.org.").is_some());
        for other in [
            "epdgx.example.com",
            "vpn.example.com",
            "",
            "mcc310.mnc260.example",
        ] {
            assert_eq!(wifi_calling_gateway(other), None, "{other}");
        }
    }
}
