//! The lookups no call holds, per app and network: where a device went to
//! find people, log in and learn its address when it was not calling (the
//! directory of peer-to-peer era Skype: users' supernodes, then
//! Microsoft's). A call lists its own lookups; these would otherwise be
//! only rows among the flows.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;

use super::FlowRecord;
use crate::classify::network::data_centre_reason;

/// Networks named one by one per app; the rest are counted together.
pub const NAMED_NETWORKS: usize = 4;

/// One network's share of an app's lookups.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkLookups {
    /// "AS8075 Microsoft Corporation", "private network (RFC 1918)", …
    pub network: String,
    pub flows: u32,
    pub hosts: u32,
    /// Countries of those hosts, with how many flows, most first.
    pub countries: Vec<(Arc<str>, u32)>,
}

/// An app's lookups outside calls.
#[derive(Clone, Debug, PartialEq)]
pub struct AppLookups {
    pub app: Arc<str>,
    pub flows: u32,
    pub hosts: u32,
    /// Its networks, most flows first (ties by name).
    pub networks: Vec<NetworkLookups>,
}

#[derive(Default)]
struct Tally {
    flows: u32,
    hosts: BTreeSet<IpAddr>,
    countries: BTreeMap<Arc<str>, u32>,
}

/// The lookups of flows in no call, per app (most flows first).
pub fn lookups_outside_calls(flows: &[FlowRecord]) -> Vec<AppLookups> {
    let mut by_app: BTreeMap<Arc<str>, BTreeMap<String, Tally>> = BTreeMap::new();
    for f in flows
        .iter()
        .filter(|f| f.call.is_none() && f.role == Some("lookup"))
    {
        let (Some(app), Some(remote)) = (&f.app, &f.remote) else {
            continue;
        };
        let far = &remote.far_end;
        let mut network = match (far.asn, &far.org, far.special_name) {
            (_, _, Some(special)) => special.to_string(),
            (Some(asn), Some(org), None) => format!("AS{asn} {org}"),
            (Some(asn), None, None) => format!("AS{asn}"),
            (None, _, None) => "network unknown".to_string(),
        };
        // (Only a network known to host servers is marked: an unmarked one
        // may be a home's, a carrier's or a small host's.)
        if data_centre_reason(far).is_some() {
            network.push_str(" (a data-centre network)");
        }
        // The app's company runs its servers there (Meta in an ISP's
        // network).
        if let Some(s) = &f.service_operator {
            network.push_str(", servers run by ");
            network.push_str(&s.operator);
        }
        let t = by_app
            .entry(app.clone())
            .or_default()
            .entry(network)
            .or_default();
        t.flows += 1;
        t.hosts.insert(far.ip);
        if let Some(c) = &far.country {
            *t.countries.entry(c.clone()).or_default() += 1;
        }
    }
    let mut apps: Vec<AppLookups> = by_app
        .into_iter()
        .map(|(app, networks)| {
            let all_hosts: BTreeSet<IpAddr> = networks
                .values()
                .flat_map(|t| t.hosts.iter().copied())
                .collect();
            let mut networks: Vec<NetworkLookups> = networks
                .into_iter()
                .map(|(network, t)| {
                    let mut countries: Vec<(Arc<str>, u32)> = t.countries.into_iter().collect();
                    countries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    NetworkLookups {
                        network,
                        flows: t.flows,
                        hosts: count(t.hosts.len()),
                        countries,
                    }
                })
                .collect();
            networks.sort_by(|a, b| {
                b.flows
                    .cmp(&a.flows)
                    .then_with(|| a.network.cmp(&b.network))
            });
            AppLookups {
                app,
                flows: networks.iter().map(|n| n.flows).sum(),
                hosts: count(all_hosts.len()),
                networks,
            }
        })
        .collect();
    apps.sort_by(|a, b| b.flows.cmp(&a.flows).then_with(|| a.app.cmp(&b.app)));
    apps
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// "US 70, IE 20, SG 15 and 2 more".
pub fn countries_text(countries: &[(Arc<str>, u32)]) -> String {
    const SHOWN: usize = 4;
    let mut parts: Vec<String> = countries
        .iter()
        .take(SHOWN)
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    if countries.len() > SHOWN {
        parts.push(format!("{} more", countries.len() - SHOWN));
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    use crate::capture::Timestamp;
    use crate::decode::L4Proto;
    use crate::flow::{Endpoint, Flow, FlowKey};
    use crate::geo::far_end::{DescribedNetwork, FarEnd, Network};
    use crate::report::remote::Remote;

    /// A Skype flow to `far`, whose network is `asn` in `country`.
    fn record(
        far: &str,
        asn: u32,
        country: &str,
        role: &'static str,
        call: Option<u32>,
    ) -> FlowRecord {
        let local: Endpoint = "192.168.1.34:13021".parse::<SocketAddr>().unwrap().into();
        let far: Endpoint = far.parse::<SocketAddr>().unwrap().into();
        let (key, _) = FlowKey::new(L4Proto::Udp, local, far);
        let flow = Flow::new(key, L4Proto::Udp, local, Timestamp(0));
        let mut r = FlowRecord::from_flow(&flow);
        r.app = Some(Arc::from("skype_teams"));
        r.role = Some(role);
        r.call = call;
        let network = Network {
            country: Some(Arc::from(country)),
            asn: Some(asn),
            org: Some(Arc::from(if asn == 8075 {
                "Microsoft Corporation"
            } else {
                "Orange S.A."
            })),
            ..Network::default()
        };
        r.remote = Some(Remote::new(FarEnd::new(
            far.ip,
            Arc::new(DescribedNetwork::new(network)),
        )));
        r
    }

    #[test]
    fn lookups_in_no_call_are_counted_per_app_and_network() {
        let flows = [
            record("157.55.130.155:40020", 8075, "US", "lookup", None),
            record("157.55.130.155:443", 8075, "US", "lookup", None),
            record("111.221.74.15:40024", 8075, "SG", "lookup", None),
            record("86.197.95.238:44019", 3215, "FR", "lookup", None),
            // In a call, or not a lookup: left out.
            record("65.55.223.16:40026", 8075, "US", "lookup", Some(1)),
            record("65.55.223.17:40026", 8075, "US", "relay", None),
        ];
        let apps = lookups_outside_calls(&flows);
        assert_eq!(apps.len(), 1);
        let skype = &apps[0];
        assert_eq!(
            (&*skype.app, skype.flows, skype.hosts),
            ("skype_teams", 4, 3)
        );
        let microsoft = &skype.networks[0];
        assert_eq!(
            microsoft.network,
            "AS8075 Microsoft Corporation (a data-centre network)"
        );
        assert_eq!((microsoft.flows, microsoft.hosts), (3, 2));
        assert_eq!(countries_text(&microsoft.countries), "US 2, SG 1");
        assert_eq!(skype.networks[1].network, "AS3215 Orange S.A.");
    }

    #[test]
    fn countries_beyond_four_are_counted() {
        let c: Vec<(Arc<str>, u32)> = ["US", "IE", "SG", "GB", "NL", "JP"]
            .iter()
            .zip([70, 20, 15, 15, 3, 1])
            .map(|(c, n)| (Arc::from(*c), n))
            .collect();
        assert_eq!(countries_text(&c), "US 70, IE 20, SG 15, GB 15, 2 more");
    }
}
