//! Which end of a flow is the user's device and which is the far end.
//! Captures have no notion of "inside": callpath reasons from address
//! scope, the ICE agent, server behaviour and ports, in that order.

use std::net::{IpAddr, Ipv6Addr};

use crate::classify::knowledge::{AsOf, Knowledge, ServerRole};
use crate::dissect::facts::FlowFacts;
use crate::flow::{Direction, Endpoint, Flow};

/// Addresses that only exist inside a site: RFC 1918, CGNAT, link-local,
/// loopback, unique-local and (deprecated) site-local IPv6. Documentation ranges are not among them:
/// labs (and callpath's own samples) use them as "the internet".
pub fn is_site_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            // fe80::/10 link-local and fec0::/10 site-local.
            v6.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xff80) == 0xfe80
        }
    }
}

/// The /64 an IPv6 address is in: one link's prefix, which a device's
/// temporary addresses (RFC 8981) share with each other and with its
/// neighbours on that link.
pub fn ipv6_link_prefix(v6: Ipv6Addr) -> [u16; 4] {
    let [a, b, c, d, ..] = v6.segments();
    [a, b, c, d]
}

/// Ports on which call servers listen (STUN/TURN, SIP, H.323, MGCP, IAX2,
/// app media servers); a flow's end on one of these is the server.
pub fn is_server_port(port: u16) -> bool {
    matches!(port,
        3478..=3481 | 5349 | 5060 | 5061 | 1719 | 1720 | 2427 | 2727 | 4569 | 2000
        | 19302..=19309 | 8801..=8810 | 50001..=50004 | 443 | 80 | 5222 | 5223 | 1400
        | 64738 | 9987)
}

/// The user's end and the far end of a flow.
#[derive(Clone, Copy, Debug)]
pub struct Sides {
    pub local: Endpoint,
    pub far: Endpoint,
    /// Direction of packets from the local end.
    pub local_sends: Direction,
}

impl Sides {
    fn with_far(flow: &Flow, far_is_resp: bool) -> Sides {
        if far_is_resp {
            Sides {
                local: flow.orig(),
                far: flow.resp(),
                local_sends: Direction::FromOrig,
            }
        } else {
            Sides {
                local: flow.resp(),
                far: flow.orig(),
                local_sends: Direction::FromResp,
            }
        }
    }
}

pub fn sides(flow: &Flow, knowledge: &Knowledge, as_of: AsOf) -> Sides {
    let (o, r) = (flow.orig(), flow.resp());
    let (o_local, r_local) = (is_site_local(o.ip), is_site_local(r.ip));
    if o_local != r_local {
        // The site's end is the device, unless it is a global IPv6
        // device's router: then the router is the far end.
        return Sides::with_far(flow, o_local != global_device_on_site_service(o, r));
    }
    // Both global (IPv6 without NAT) or both inside one site: the end whose
    // ICE agent also checked from inside a site is the device, when only
    // one is (its IPv4 checks from behind the NAT name the agent).
    if let Some(s) = flow.facts.stun.as_deref() {
        let site_agent = |d: Direction| {
            s.sender_ufrags
                .get(d.index())
                .copied()
                .flatten()
                .is_some_and(|u| knowledge.is_site_agent(u, as_of))
        };
        let (o_agent, r_agent) = (
            site_agent(Direction::FromOrig),
            site_agent(Direction::FromResp),
        );
        if o_agent != r_agent {
            return Sides::with_far(flow, o_agent);
        }
    }
    // Both inside one site (two phones on one Wi-Fi, captured on one of
    // them): the end whose socket a host outside told its public address
    // is the capture's device; the other's exchanges with outside servers
    // went past the capture.
    if o_local {
        let told_public = |e: Endpoint| {
            knowledge
                .reflection(e, as_of)
                .is_some_and(|r| !is_site_local(r.public.ip))
        };
        let (o_told, r_told) = (told_public(o), told_public(r));
        if o_told != r_told {
            return Sides::with_far(flow, o_told);
        }
    }
    // A conference server (it sent several voices at once) is the far end,
    // also on a flow where it checked first, as full-ICE servers do.
    let (o_conf, r_conf) = (
        knowledge.conference(o.ip, as_of).is_some(),
        knowledge.conference(r.ip, as_of).is_some(),
    );
    if o_conf != r_conf {
        return Sides::with_far(flow, r_conf);
    }
    // On an ICE-checked flow, so is a host that served the call's
    // signalling or TURN allocations elsewhere (an SFU's API): on a local
    // network, where a full-ICE server may check first, it is no device.
    // (Answering STUN alone does not count: ICE peers answer each other's
    // checks. Other flows keep their own evidence: an H.323 phone that
    // accepts calls is no server of its DHCP exchange.)
    if flow.facts.stun.is_some() {
        let serves = |ip| {
            knowledge
                .server(ip, as_of)
                .is_some_and(|s| s.role != ServerRole::Stun)
        };
        let (o_serves, r_serves) = (serves(o.ip), serves(r.ip));
        if o_serves != r_serves {
            return Sides::with_far(flow, r_serves);
        }
    }
    let (o_own, r_own) = (
        knowledge.is_reflected_address(o.ip, as_of),
        knowledge.is_reflected_address(r.ip, as_of),
    );
    if o_own != r_own {
        return Sides::with_far(flow, o_own);
    }
    // Both were named: an ICE peer learns its own address from the
    // device's answers, the device from a STUN server. (A server's answer
    // names its requester to both tables, so only a tie here can part.)
    if o_own {
        let (o_told, r_told) = (
            knowledge.is_server_reflected_address(o.ip, as_of),
            knowledge.is_server_reflected_address(r.ip, as_of),
        );
        if o_told != r_told {
            return Sides::with_far(flow, o_told);
        }
    }
    // SIP: the end that registered is the phone, and so is the one whose
    // SDP announced media at its own address while the other's did not
    // (ports say little: a phone listens on 5060 too, and a provider's
    // proxy may not).
    if let Some(sg) = flow.facts.signalling.as_deref() {
        if let Some(from) = sg.register_from {
            return Sides::with_far(flow, from == Direction::FromOrig);
        }
        let [o_own, r_own] = sg.own_media_from;
        if o_own != r_own {
            return Sides::with_far(flow, o_own);
        }
    }
    // A SIP server (registrar, PBX, B2BUA, gateway) is the far end of the
    // signalling and media it serves: a phone is no server of its media.
    // (Asked of flows that carry either, not of every other flow.)
    if flow.facts.media.is_some() || flow.facts.signalling.is_some() {
        let sip_server = |ip| {
            knowledge
                .server(ip, as_of)
                .is_some_and(|s| s.role == ServerRole::Sip)
        };
        let (o_sip, r_sip) = (sip_server(o.ip), sip_server(r.ip));
        if o_sip != r_sip {
            return Sides::with_far(flow, r_sip);
        }
        let (o_gw, r_gw) = (
            is_media_gateway(knowledge, o.ip, as_of),
            is_media_gateway(knowledge, r.ip, as_of),
        );
        if o_gw != r_gw {
            return Sides::with_far(flow, r_gw);
        }
    }
    if let Some(server) = stun_server_side(&flow.facts) {
        return Sides::with_far(flow, server == Direction::FromResp);
    }
    let (o_srv, r_srv) = (is_server_port(o.port), is_server_port(r.port));
    if o_srv != r_srv {
        return Sides::with_far(flow, r_srv);
    }
    // The side that opened the connection (or spoke first) is the client.
    Sides::with_far(flow, true)
}

/// Whether a global IPv6 address reaches a host of its own site: a
/// link-local address (the router, on the same link), or a unique-local
/// one serving a well-known port to the global one's ephemeral port (the
/// router's resolver). The global address is then the device, inside the
/// site too. (A unique-local device whose network translates its prefix
/// reaches the internet's services the other way round.)
fn global_device_on_site_service(a: Endpoint, b: Endpoint) -> bool {
    let (IpAddr::V6(x), IpAddr::V6(y)) = (a.ip, b.ip) else {
        return false;
    };
    let (site, global) = match (is_site_local(a.ip), is_site_local(b.ip)) {
        (true, false) => ((x, a.port), (y, b.port)),
        (false, true) => ((y, b.port), (x, a.port)),
        _ => return false,
    };
    // A multicast group is no device.
    if global.0.is_multicast() {
        return false;
    }
    let link_local = (site.0.segments()[0] & 0xffc0) == 0xfe80;
    link_local || (site.1 < 1024 && global.1 >= 1024)
}

/// A public host a SIP server next to it (same /24 or /48) announced as
/// a media address: a provider's media gateway, the far end of what it
/// carries. (`role` asks the network by ASN too.)
fn is_media_gateway(knowledge: &Knowledge, ip: IpAddr, as_of: AsOf) -> bool {
    if is_site_local(ip) {
        return false;
    }
    knowledge
        .sdp_host(ip, as_of)
        .is_some_and(|sdp| match (ip, sdp.signalled_by) {
            (IpAddr::V4(a), IpAddr::V4(b)) => a.octets().get(..3) == b.octets().get(..3),
            (IpAddr::V6(a), IpAddr::V6(b)) => a.segments().get(..3) == b.segments().get(..3),
            _ => false,
        })
}

fn stun_server_side(facts: &FlowFacts) -> Option<Direction> {
    facts.stun.as_ref().and_then(|s| s.server_side())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(text: &str) -> Endpoint {
        Endpoint::from(text.parse::<std::net::SocketAddr>().expect("endpoint"))
    }

    #[test]
    fn a_global_ipv6_device_reaching_its_site_is_inside_it() {
        let device = ep("[2001:7e8:c46d:f601::178f]:57665");
        // The router's resolver at its unique-local address, its
        // link-local one, in either order.
        assert!(global_device_on_site_service(device, ep("[fd00::1]:53")));
        assert!(global_device_on_site_service(ep("[fd00::1]:53"), device));
        assert!(global_device_on_site_service(device, ep("[fe80::1]:0")));
        // A router's neighbour solicitation to a multicast group.
        assert!(!global_device_on_site_service(
            ep("[fe80::1]:0"),
            ep("[ff02::1:ff55:fe17]:0")
        ));
        // A unique-local device whose prefix is translated, reaching an
        // internet service; IPv4; two global addresses.
        assert!(!global_device_on_site_service(
            ep("[fd00::20]:50123"),
            ep("[2606:4700::1]:443")
        ));
        assert!(!global_device_on_site_service(
            ep("192.168.1.2:5000"),
            ep("8.8.8.8:53")
        ));
        assert!(!global_device_on_site_service(
            device,
            ep("[2606:4700::1]:443")
        ));
    }

    #[test]
    fn the_router_is_the_far_end_whichever_spoke_first() {
        use crate::capture::Timestamp;
        use crate::decode::L4Proto;
        use crate::flow::FlowKey;
        let device = ep("[2001:7e8:c46d:f601::178f]:0");
        let router = ep("[fe80::f2b0:14ff:fe66:841b]:0");
        let k = Knowledge::default();
        for (orig, resp) in [(device, router), (router, device)] {
            let (key, _) = FlowKey::new(L4Proto::Icmpv6, orig, resp);
            let flow = Flow::new(key, L4Proto::Icmpv6, orig, Timestamp(1));
            let s = sides(&flow, &k, k.as_of(Timestamp(1), Timestamp(1)));
            assert_eq!((s.local, s.far), (device, router));
        }
    }
}
