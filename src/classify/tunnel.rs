//! Flows that are VPN tunnels: what the dissectors found on their packets
//! (`dissect::vpn_tunnel`), or an IP protocol that is a tunnel by
//! definition. Nothing inside a tunnel can be read, calls included: the
//! verdict says so, and where the tunnel comes out.

use crate::decode::L4Proto;
use crate::dissect::vpn_tunnel::{TunnelProtocol, TunnelSighting};
use crate::flow::Flow;

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
    format!(
        "{}: a VPN tunnel. What travels inside it, calls included, cannot be seen in this capture; it leaves the tunnel at the far end, on that network",
        t.why
    )
}
