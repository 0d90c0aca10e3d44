//! Whether a flow's far end learned the device's public address: it
//! answered the device's STUN request on the flow (or, as a Telegram
//! reflector, sent it its own address) and so told the device what it is.
//! Written on every flow record, in a call or not, so that "who learned my
//! public address" has an answer outside calls too.

use super::app::has_call_protocol;
use super::knowledge::{AsOf, Knowledge, Reflection};
use super::sides::{is_site_local, Sides};
use crate::flow::{Endpoint, Flow};

/// The far end and the public address it told the device, if it did.
///
/// The flow's own STUN answer comes first: the knowledge keeps only the
/// first answer a local socket got (per epoch), and a socket that asked
/// two servers (an app's STUN server, then its TURN server) was told by
/// both. The knowledge adds what STUN facts do not hold (a Telegram
/// reflector's self-info), when this flow's far end is the one that told
/// it. An address inside a local network (a STUN answer between two
/// devices of one network) is not a public one.
pub fn learned_by_far_end(
    flow: &Flow,
    knowledge: &Knowledge,
    sides: &Sides,
    as_of: AsOf,
) -> Option<Reflection> {
    let answered_the_device = flow
        .facts
        .stun
        .as_ref()
        .and_then(|s| s.mapped)
        .filter(|(_, requester_sends)| *requester_sends == sides.local_sends)
        .map(|(public, _)| Endpoint::from(public));
    // Only a flow with a call protocol (a Telegram reflector's framing)
    // can have told the device without STUN: the others skip the lookup.
    let public = answered_the_device.or_else(|| {
        has_call_protocol(&flow.facts).then_some(())?;
        knowledge
            .reflection(sides.local, as_of)
            .filter(|r| r.reflector == sides.far)
            .map(|r| r.public)
    })?;
    (!is_site_local(public.ip)).then_some(Reflection {
        public,
        reflector: sides.far,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::decode::L4Proto;
    use crate::flow::{Direction, FlowKey};

    fn ep(text: &str) -> Endpoint {
        Endpoint::from(text.parse::<std::net::SocketAddr>().unwrap())
    }

    const DEVICE: &str = "192.168.1.10:10006";
    const SERVER: &str = "52.114.77.20:3478";

    /// A flow the device opened to the server, and its sides.
    fn device_to_server() -> (Flow, Sides) {
        let (device, server) = (ep(DEVICE), ep(SERVER));
        let (key, _) = FlowKey::new(L4Proto::Udp, device, server);
        let flow = Flow::new(key, L4Proto::Udp, device, Timestamp(1_000));
        let sides = Sides {
            local: device,
            far: server,
            local_sends: Direction::FromOrig,
        };
        (flow, sides)
    }

    fn asked_late(k: &Knowledge) -> AsOf {
        k.as_of(Timestamp(5_000), Timestamp(5_000))
    }

    #[test]
    fn a_stun_answer_to_the_device_names_its_far_end() {
        let k = Knowledge::default();
        let (mut flow, sides) = device_to_server();
        // The answer came back to the device, which sent the request.
        flow.facts.stun_mut().mapped =
            Some(("198.51.100.11:10006".parse().unwrap(), Direction::FromOrig));
        let learned = learned_by_far_end(&flow, &k, &sides, asked_late(&k)).unwrap();
        assert_eq!(learned.reflector, ep(SERVER));
        assert_eq!(learned.public, ep("198.51.100.11:10006"));
    }

    #[test]
    fn the_device_answering_a_peer_is_not_the_peer_learning_its_address() {
        let k = Knowledge::default();
        let (mut flow, sides) = device_to_server();
        // The far end asked; the device's answer named the far end's address.
        flow.facts.stun_mut().mapped =
            Some(("203.0.113.9:4000".parse().unwrap(), Direction::FromResp));
        assert!(learned_by_far_end(&flow, &k, &sides, asked_late(&k)).is_none());
    }

    #[test]
    fn an_address_inside_the_local_network_is_not_public() {
        let k = Knowledge::default();
        let (mut flow, sides) = device_to_server();
        flow.facts.stun_mut().mapped = Some((DEVICE.parse().unwrap(), Direction::FromOrig));
        assert!(learned_by_far_end(&flow, &k, &sides, asked_late(&k)).is_none());
    }

    #[test]
    fn the_knowledge_counts_only_when_this_far_end_told_it() {
        let k = Knowledge::default();
        let (mut flow, sides) = device_to_server();
        // Telegram reflector packets: a call protocol without STUN.
        flow.facts.frames_mut().telegram_special = [1, 1];
        assert!(learned_by_far_end(&flow, &k, &sides, asked_late(&k)).is_none());
        // Another server told the device's socket: not this flow's far end.
        k.learn_reflection(
            ep(DEVICE),
            Reflection {
                public: ep("198.51.100.11:10006"),
                reflector: ep("91.108.8.1:533"),
            },
            Timestamp(2_000),
        );
        assert!(learned_by_far_end(&flow, &k, &sides, asked_late(&k)).is_none());
        // This one (a Telegram reflector's self-info has no STUN facts).
        let other = Knowledge::default();
        other.learn_reflection(
            ep(DEVICE),
            Reflection {
                public: ep("198.51.100.11:10006"),
                reflector: ep(SERVER),
            },
            Timestamp(2_000),
        );
        let learned = learned_by_far_end(&flow, &other, &sides, asked_late(&other)).unwrap();
        assert_eq!(learned.public, ep("198.51.100.11:10006"));
        // Not before it was learned.
        let early = other.as_of(Timestamp(2_000), Timestamp(2_000));
        assert!(learned_by_far_end(&flow, &other, &sides, early).is_none());
        // Nor on a flow with no call protocol (never asked).
        flow.facts.frames_mut().telegram_special = [0, 0];
        assert!(learned_by_far_end(&flow, &other, &sides, asked_late(&other)).is_none());
    }
}
