//! The far ends that learned the device's public address outside any
//! call: STUN discovery with no call, keep-alives before or after one, an
//! app checking its servers. A call lists its own; these have no call to
//! list them, so the table and the HTML report name them apart, from the
//! flow records' `public_address_learned`.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::table::plural;
use super::FlowRecord;
use crate::flow::Endpoint;

/// One far end and what it told the device, over its flows outside calls.
#[derive(Clone, Debug, PartialEq)]
pub struct OutsideLearner {
    pub by: Endpoint,
    /// The far end's one line (country, operator, whose law), or empty.
    pub summary: String,
    /// The public addresses it told the device, each once, sorted.
    pub told: Vec<Endpoint>,
    /// The apps its flows were identified as, each once.
    pub apps: Vec<Arc<str>>,
    pub flows: u32,
    /// When its first flow outside calls began (seconds since the epoch).
    pub first_seen: f64,
}

impl OutsideLearner {
    /// "198.51.100.11:10006, 198.51.100.11:10024".
    pub fn told_text(&self) -> String {
        let told: Vec<String> = self.told.iter().map(Endpoint::to_string).collect();
        told.join(", ")
    }

    /// "sip_rtp, 2 flows": the apps of its flows, then how many.
    pub fn apps_and_flows(&self) -> String {
        let mut parts: Vec<String> = self.apps.iter().map(|a| a.to_string()).collect();
        parts.push(format!(
            "{} {}",
            self.flows,
            plural(u64::from(self.flows), "flow", "flows")
        ));
        parts.join(", ")
    }
}

/// The far ends of flows in no call that learned the device's public
/// address, the earliest first.
pub fn learned_outside_calls(flows: &[FlowRecord]) -> Vec<OutsideLearner> {
    let mut by_far_end: BTreeMap<Endpoint, OutsideLearner> = BTreeMap::new();
    for f in flows.iter().filter(|f| f.call.is_none()) {
        let Some(learned) = f.public_address_learned.as_deref() else {
            continue;
        };
        let l = by_far_end
            .entry(learned.by)
            .or_insert_with(|| OutsideLearner {
                by: learned.by,
                summary: String::new(),
                told: Vec::new(),
                apps: Vec::new(),
                flows: 0,
                first_seen: f.first_seen,
            });
        l.flows = l.flows.saturating_add(1);
        l.first_seen = l.first_seen.min(f.first_seen);
        if !l.told.contains(&learned.address) {
            l.told.push(learned.address);
        }
        if let Some(app) = f.app.as_ref().filter(|a| !l.apps.contains(a)) {
            l.apps.push(Arc::clone(app));
        }
        if l.summary.is_empty() {
            if let Some(r) = &f.remote {
                l.summary = r.summary().to_string();
            }
        }
    }
    let mut learners: Vec<OutsideLearner> = by_far_end.into_values().collect();
    for l in &mut learners {
        l.told.sort();
    }
    learners.sort_by(|a, b| a.first_seen.total_cmp(&b.first_seen).then(a.by.cmp(&b.by)));
    learners
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::Timestamp;
    use crate::decode::L4Proto;
    use crate::flow::{Flow, FlowKey};
    use crate::report::flow_record::LearnedAddress;

    fn ep(text: &str) -> Endpoint {
        Endpoint::from(text.parse::<std::net::SocketAddr>().unwrap())
    }

    /// A flow record from `local` to `far`, begun at `at` seconds, in
    /// `call`, whose far end told the device `told`.
    fn record(
        local: &str,
        far: &str,
        at: i64,
        call: Option<u32>,
        told: Option<&str>,
    ) -> FlowRecord {
        let (local, far) = (ep(local), ep(far));
        let (key, _) = FlowKey::new(L4Proto::Udp, local, far);
        let flow = Flow::new(
            key,
            L4Proto::Udp,
            local,
            Timestamp(at * Timestamp::NANOS_PER_SEC),
        );
        let mut r = FlowRecord::from_flow(&flow);
        r.first_seen = at as f64;
        r.call = call;
        r.app = Some(Arc::from("sip_rtp"));
        r.public_address_learned = told.map(|t| {
            Box::new(LearnedAddress {
                by: far,
                address: ep(t),
            })
        });
        r
    }

    #[test]
    fn flows_outside_calls_are_gathered_per_far_end() {
        let flows = [
            record(
                "192.168.1.10:10024",
                "52.114.77.20:3478",
                20,
                None,
                Some("198.51.100.11:10024"),
            ),
            record(
                "192.168.1.10:10006",
                "52.114.77.20:3478",
                10,
                None,
                Some("198.51.100.11:10006"),
            ),
            // The same answer again (a keep-alive on another flow).
            record(
                "192.168.1.10:10006",
                "52.114.77.20:3478",
                30,
                None,
                Some("198.51.100.11:10006"),
            ),
            record(
                "192.168.1.10:5000",
                "74.125.247.128:3478",
                5,
                None,
                Some("198.51.100.11:5000"),
            ),
        ];
        let learners = learned_outside_calls(&flows);
        assert_eq!(learners.len(), 2);
        let (google, teams) = (&learners[0], &learners[1]);
        assert_eq!(google.by, ep("74.125.247.128:3478"));
        assert_eq!(teams.by, ep("52.114.77.20:3478"));
        assert_eq!(teams.flows, 3);
        assert_eq!(teams.first_seen, 10.0);
        assert_eq!(
            teams.told_text(),
            "198.51.100.11:10006, 198.51.100.11:10024"
        );
        assert_eq!(teams.apps, vec![Arc::<str>::from("sip_rtp")]);
    }

    #[test]
    fn calls_and_flows_that_learned_nothing_are_left_out() {
        let flows = [
            record(
                "192.168.1.10:10098",
                "52.114.77.20:3478",
                1,
                Some(1),
                Some("198.51.100.11:10098"),
            ),
            record("192.168.1.10:5060", "52.114.77.10:5060", 2, None, None),
        ];
        assert!(learned_outside_calls(&flows).is_empty());
    }
}
