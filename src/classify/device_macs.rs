//! Which MAC addresses are one host's. A device's flows leave its network
//! card with its MAC address whichever IP address they use, so the MAC
//! ties a dual-stack device's IPv4 and IPv6 addresses, and its temporary
//! IPv6 addresses, when only some of its flows carry ICE checks (a
//! voice gateway's WebSocket over IPv6 while the media runs over IPv4).
//! A router's MAC is on every address behind it, and a capture replayed
//! with new addresses keeps its MACs: a MAC seen with a second IPv4
//! address, or IPv6 addresses of a second network, ties nothing more.

use foldhash::fast::RandomState;
use std::collections::HashMap;
use std::net::IpAddr;

use super::sides::ipv6_link_prefix;

#[derive(Default)]
pub struct DeviceMacs {
    hosts: HashMap<[u8; 6], MacHosts, RandomState>,
}

/// The device-side addresses a MAC address was seen with.
#[derive(Clone, Copy, Debug, Default)]
struct MacHosts {
    v4: Option<std::net::Ipv4Addr>,
    /// The network (/64) of its global IPv6 addresses.
    v6_network: Option<[u16; 4]>,
    /// Seen with two IPv4 addresses or two IPv6 networks: not one host's.
    shared: bool,
}

impl DeviceMacs {
    /// Notes that the device end of a flow had address `ip` behind `mac`;
    /// whether `mac` has been one host's so far.
    pub fn one_host(&mut self, mac: [u8; 6], ip: IpAddr) -> bool {
        let hosts = self.hosts.entry(mac).or_default();
        let differs = match ip {
            IpAddr::V4(v4) => *hosts.v4.get_or_insert(v4) != v4,
            // A link-local address is on every interface's own network.
            IpAddr::V6(v6) if v6.is_unicast_link_local() => false,
            IpAddr::V6(v6) => {
                let network = ipv6_link_prefix(v6);
                *hosts.v6_network.get_or_insert(network) != network
            }
        };
        hosts.shared |= differs;
        !hosts.shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x3c, 0x22, 0xfb, 0x01, 0x02, 0x03];

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_dual_stack_host_and_its_temporary_addresses_are_one_host() {
        let mut macs = DeviceMacs::default();
        assert!(macs.one_host(MAC, ip("192.168.178.162")));
        assert!(macs.one_host(MAC, ip("2001:7e8:c46d:f601:2614:eb2d:c755:fe17")));
        assert!(macs.one_host(MAC, ip("2001:7e8:c46d:f601:aabd:7ca6:e75b:178f")));
        assert!(macs.one_host(MAC, ip("fe80::e577:4e63:2984:992")));
        assert!(macs.one_host(MAC, ip("192.168.178.162")));
    }

    #[test]
    fn a_mac_seen_with_a_second_ipv4_address_or_ipv6_network_ties_no_more() {
        let mut macs = DeviceMacs::default();
        assert!(macs.one_host(MAC, ip("10.0.0.2")));
        assert!(!macs.one_host(MAC, ip("10.0.0.3")));
        assert!(!macs.one_host(MAC, ip("10.0.0.2")));
        let other = [0x3c, 0x22, 0xfb, 0x01, 0x02, 0x04];
        assert!(macs.one_host(other, ip("2001:db8:1:2::5")));
        assert!(!macs.one_host(other, ip("2001:db8:1:3::5")));
    }
}
