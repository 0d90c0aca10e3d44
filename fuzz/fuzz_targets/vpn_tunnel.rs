//! The VPN tunnel dissector over one flow's worth of packets: each input
//! is split at 0xff bytes into payloads sent alternately by the two sides,
//! on IKE's ports and others.
#![no_main]

use callpath::dissect::vpn_tunnel::{self, TunnelFacts};
use callpath::flow::Direction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut udp = TunnelFacts::default();
    let mut nat_t = TunnelFacts::default();
    let mut tcp = TunnelFacts::default();
    for (n, payload) in data.split(|b| *b == 0xff).enumerate() {
        let dir = if n % 2 == 0 {
            Direction::FromOrig
        } else {
            Direction::FromResp
        };
        let first = n < 2;
        let peer_spoke = n > 0;
        let _ = vpn_tunnel::may_start_udp((40000, 500), payload, first);
        let _ = vpn_tunnel::may_start_tcp(payload, first);
        let _ = vpn_tunnel::wireguard_message(payload);
        let _ = vpn_tunnel::is_ike_message(payload);
        udp.observe_udp(dir, (40000, 51820), payload, first, peer_spoke, n as u64);
        nat_t.observe_udp(dir, (4500, 4500), payload, first, peer_spoke, n as u64);
        tcp.observe_tcp(dir, payload, first, n as u64);
    }
    std::hint::black_box((udp.found(), nat_t.found(), tcp.found()));
});
