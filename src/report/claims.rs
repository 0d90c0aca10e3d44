//! Vendor claims checked against a capture's records (`callpath check`).
//!
//! - `media-p2p`: call media never passes through a server;
//! - `two-party-p2p`: the media of calls between two parties never passes
//!   through a server (group calls, whose server forwarded several voices
//!   at once, are left out);
//! - `no-relay-outside:<CC|GROUP>`: every media relay is located in the
//!   country or group (`EU`, `EEA`, from signatures/jurisdictions.toml);
//! - `no-operator:<CC>`: no relay or lookup server is run by an operator
//!   answering to that country;
//! - `no-lookup-to:<CC>`: no lookup/signalling server is located there.
//!
//! Each claim passes, fails (with the calls and flows that break it), or
//! stays untested when the capture cannot decide it (no call media for the
//! media claims, no call traffic for the server claims, or a far end that
//! could not be located or that two geolocation databases place on both
//! sides of the claim's border).

use std::collections::BTreeSet;
use std::fmt;

use super::{CallRecord, Collected, FlowRecord};
use crate::geo::Jurisdictions;

/// ISO 3166-1 alpha-2 country codes (Debian iso-codes 4.15.0), and XK
/// (Kosovo), which geolocation databases use: the codes a claim may name.
const COUNTRY_CODES: &str = concat!(
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE ",
    "BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD ",
    "CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM ",
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF ",
    "GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ",
    "ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN ",
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME ",
    "MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ",
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ",
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI ",
    "SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK ",
    "TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI ",
    "VN VU WF WS YE YT ZA ZM ZW",
    " XK"
);

fn is_country_code(code: &str) -> bool {
    code.len() == 2 && COUNTRY_CODES.split(' ').any(|c| c == code)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    MediaP2p,
    TwoPartyP2p,
    NoRelayOutside(String),
    NoOperator(String),
    NoLookupTo(String),
}

/// The claim language, for error messages.
const CLAIM_FORMS: &str = "media-p2p, two-party-p2p, no-relay-outside:<CC|EU|EEA>, no-operator:<CC> or no-lookup-to:<CC|EU|EEA> (CC: an ISO 3166-1 alpha-2 country code such as US, DE or IE)";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown claim {0:?}: expected {CLAIM_FORMS}")]
pub struct ClaimParseError(pub String);

/// A claim naming a place it cannot be about: checking it could only give
/// a vacuous or undecidable answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("claim {claim:?}: {code:?} is not {expected}; expected {CLAIM_FORMS}")]
pub struct ClaimPlaceError {
    pub claim: String,
    pub code: String,
    expected: String,
}

impl std::str::FromStr for Claim {
    type Err = ClaimParseError;

    fn from_str(s: &str) -> Result<Claim, ClaimParseError> {
        let bad = || ClaimParseError(s.to_string());
        let code = |v: &str| {
            let v = v.trim().to_ascii_uppercase();
            if (2..=3).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphabetic()) {
                Ok(v)
            } else {
                Err(bad())
            }
        };
        match s.trim().split_once(':') {
            None if s.trim() == "media-p2p" => Ok(Claim::MediaP2p),
            None if s.trim() == "two-party-p2p" => Ok(Claim::TwoPartyP2p),
            Some(("no-relay-outside", v)) => Ok(Claim::NoRelayOutside(code(v)?)),
            Some(("no-operator", v)) => Ok(Claim::NoOperator(code(v)?)),
            Some(("no-lookup-to", v)) => Ok(Claim::NoLookupTo(code(v)?)),
            _ => Err(bad()),
        }
    }
}

impl Claim {
    /// Checks that the claim's place is a country code, or a group of
    /// `jurisdictions` where the claim compares locations (an operator's
    /// home is one country).
    pub fn check_place(&self, jurisdictions: &Jurisdictions) -> Result<(), ClaimPlaceError> {
        let (code, groups_allowed) = match self {
            Claim::MediaP2p | Claim::TwoPartyP2p => return Ok(()),
            Claim::NoRelayOutside(c) | Claim::NoLookupTo(c) => (c, true),
            Claim::NoOperator(c) => (c, false),
        };
        let group = jurisdictions.group_members(code).is_some();
        if is_country_code(code) || (groups_allowed && group) {
            return Ok(());
        }
        let expected = if groups_allowed {
            let groups: Vec<&str> = jurisdictions.group_names().collect();
            format!("a country code or one of {}", groups.join(", "))
        } else if group {
            "a country code (an operator's home is one country)".to_string()
        } else {
            "a country code".to_string()
        };
        Err(ClaimPlaceError {
            claim: self.to_string(),
            code: code.clone(),
            expected,
        })
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::MediaP2p => write!(f, "media-p2p"),
            Claim::TwoPartyP2p => write!(f, "two-party-p2p"),
            Claim::NoRelayOutside(c) => write!(f, "no-relay-outside:{c}"),
            Claim::NoOperator(c) => write!(f, "no-operator:{c}"),
            Claim::NoLookupTo(c) => write!(f, "no-lookup-to:{c}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Pass,
    /// The capture holds nothing that could decide the claim, or the data
    /// cannot (the far end's location unknown, or databases disagreeing on it).
    Untested,
    Fail,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Pass => "PASS",
            Outcome::Untested => "UNTESTED",
            Outcome::Fail => "FAIL",
        }
    }
}

/// A claim's result and the lines that decide it.
#[derive(Clone, Debug)]
pub struct ClaimResult {
    pub claim: Claim,
    pub outcome: Outcome,
    /// What the claim means, in one sentence.
    pub meaning: String,
    /// The calls and flows that decide the outcome.
    pub because: Vec<String>,
}

fn flow_line(r: &FlowRecord) -> String {
    let call = r.call.map(|c| format!("call {c}, ")).unwrap_or_default();
    let far = r.remote.as_ref().map_or("far end unknown", |x| x.summary());
    format!(
        "flow {} {} -> {} ({call}{}, first frame {}): {far}",
        r.l4,
        r.src,
        r.dst,
        r.role.unwrap_or("?"),
        r.first_frame
    )
}

fn call_line(c: &CallRecord) -> String {
    format!(
        "call {} ({}): {}",
        c.call,
        c.app.as_deref().unwrap_or("unknown app"),
        c.verdict
    )
}

/// A far end is "placed" when its location (or operator) is known; private
/// and documentation ranges are never placed.
fn country(r: &FlowRecord) -> Option<&str> {
    r.remote.as_ref().and_then(|x| x.far_end.country.as_deref())
}

/// Where other databases place the far end, when they disagree with
/// `country`: a claim about location cannot pass on one database's word.
fn other_countries(r: &FlowRecord) -> impl Iterator<Item = &str> {
    r.remote
        .iter()
        .flat_map(|x| x.far_end.other_countries.iter())
        .map(|o| &*o.country)
}

fn operator_country(r: &FlowRecord) -> Option<&str> {
    r.remote
        .as_ref()
        .and_then(|x| x.far_end.operator_country.as_deref())
}

/// The far end of a flow as "ip:port", as call records write parties.
fn far_endpoint(r: &FlowRecord) -> Option<String> {
    let ip = r.remote.as_ref()?.far_end.ip;
    [r.dst, r.src]
        .into_iter()
        .find(|e| e.ip == ip)
        .map(|e| e.to_string())
}

fn is_private(r: &FlowRecord) -> bool {
    r.remote
        .as_ref()
        .and_then(|x| x.far_end.special.as_deref())
        .is_some_and(|s| {
            matches!(
                s,
                "private" | "loopback" | "link-local" | "cgnat" | "unique-local"
            )
        })
}

fn untested(claim: &Claim, meaning: String, because: Vec<String>) -> ClaimResult {
    ClaimResult {
        claim: claim.clone(),
        outcome: Outcome::Untested,
        meaning,
        because,
    }
}

/// Checks one claim against the records of an analysis. Calls inside VPN
/// tunnels cannot be seen: when the capture has tunnels, the result says
/// so, whatever the visible traffic decided.
pub fn check(claim: &Claim, records: &Collected, jurisdictions: &Jurisdictions) -> ClaimResult {
    let mut result = check_visible(claim, records, jurisdictions);
    let tunnels: BTreeSet<&str> = records.flows.iter().filter_map(|r| r.tunnel).collect();
    if !tunnels.is_empty() {
        let n = records.flows.iter().filter(|r| r.tunnel.is_some()).count();
        let names: Vec<&str> = tunnels.into_iter().collect();
        result.because.push(format!(
            "{n} {} VPN {} ({}): calls inside cannot be seen and were not checked",
            if n == 1 { "flow is a" } else { "flows are" },
            if n == 1 { "tunnel" } else { "tunnels" },
            names.join(", ")
        ));
    }
    result
}

/// `check` on what the capture shows outside tunnels.
fn check_visible(claim: &Claim, records: &Collected, jurisdictions: &Jurisdictions) -> ClaimResult {
    let flows = &records.flows;
    let with_role = |role: &'static str| flows.iter().filter(move |r| r.role == Some(role));
    // A capture without call media (or without any call traffic) shows
    // nothing about where media or servers would be: such claims are
    // untested, not passed.
    let has_media = records.calls.iter().any(CallRecord::has_media)
        || flows
            .iter()
            .any(|r| matches!(r.role, Some("relay" | "p2p")));
    let has_call_traffic = has_media || with_role("lookup").next().is_some();
    // Lookups that only checked another party's address (or the device's
    // own public one) are no server: they decide no server claim.
    let candidates: BTreeSet<&str> = records
        .calls
        .iter()
        .flat_map(|c| c.candidates_checked.iter().map(|p| p.endpoint.as_str()))
        .collect();
    let server = |r: &&FlowRecord| {
        r.role != Some("lookup")
            || !far_endpoint(r).is_some_and(|e| candidates.contains(e.as_str()))
    };
    let mut because = Vec::new();
    let (meaning, outcome) = match claim {
        Claim::MediaP2p => {
            let meaning = "call media goes straight between the two devices and never passes through a server".to_string();
            let media_calls: Vec<&CallRecord> =
                records.calls.iter().filter(|c| c.has_media()).collect();
            let relayed: Vec<&&CallRecord> =
                media_calls.iter().filter(|c| c.path != "direct").collect();
            let relay_flows: Vec<&FlowRecord> = with_role("relay").collect();
            if !relayed.is_empty() || !relay_flows.is_empty() {
                because.extend(relayed.iter().map(|c| call_line(c)));
                because.extend(relay_flows.iter().map(|r| flow_line(r)));
                (meaning, Outcome::Fail)
            } else if media_calls.is_empty() {
                because.push(
                    "no call media in the capture: nothing shows where media would go".into(),
                );
                (meaning, Outcome::Untested)
            } else {
                because.extend(media_calls.iter().map(|c| call_line(c)));
                because.extend(with_role("p2p").map(flow_line));
                (meaning, Outcome::Pass)
            }
        }
        Claim::TwoPartyP2p => {
            let meaning = "the media of a call between two parties goes straight between their devices; group calls may pass through a server".to_string();
            let (group, two_party): (Vec<&CallRecord>, Vec<&CallRecord>) = records
                .calls
                .iter()
                .filter(|c| c.has_media())
                .partition(|c| c.voices_at_once.is_some());
            because.extend(group.iter().map(|c| {
                format!(
                    "a group call, not what the claim is about: {}",
                    call_line(c)
                )
            }));
            let relayed: Vec<&&CallRecord> =
                two_party.iter().filter(|c| c.path != "direct").collect();
            if !relayed.is_empty() {
                because.extend(relayed.iter().map(|c| call_line(c)));
                (meaning, Outcome::Fail)
            } else if two_party.is_empty() {
                because.push(
                    "no call between two parties with media in the capture: nothing shows where their media would go".into(),
                );
                (meaning, Outcome::Untested)
            } else {
                because.extend(two_party.iter().map(|c| call_line(c)));
                (meaning, Outcome::Pass)
            }
        }
        Claim::NoRelayOutside(place) => {
            let meaning = format!("every server that relays call media is located in {place}");
            if !has_media {
                because.push(
                    "no call media in the capture: nothing shows where media would go".into(),
                );
                return untested(claim, meaning, because);
            }
            let mut outcome = Outcome::Pass;
            for r in with_role("relay") {
                let inside = |cc: &str| jurisdictions.in_group(cc, place);
                match country(r) {
                    Some(cc) if other_countries(r).any(|o| inside(o) != inside(cc)) => {
                        outcome = outcome.max(Outcome::Untested);
                        because.push(format!(
                            "databases disagree on its location: {}",
                            flow_line(r)
                        ));
                    }
                    Some(cc) if inside(cc) => because.push(flow_line(r)),
                    Some(_) => {
                        outcome = outcome.max(Outcome::Fail);
                        because.push(format!("outside {place}: {}", flow_line(r)));
                    }
                    None => {
                        outcome = outcome.max(Outcome::Untested);
                        because.push(format!("location unknown: {}", flow_line(r)));
                    }
                }
            }
            if because.is_empty() {
                because.push("no media relay in the capture".into());
            }
            (meaning, outcome)
        }
        Claim::NoOperator(cc) => {
            let meaning = format!(
                "no relay or lookup server is run by an operator whose home country is {cc}"
            );
            if !has_call_traffic {
                because.push("no call traffic in the capture: no server to check".into());
                return untested(claim, meaning, because);
            }
            let mut outcome = Outcome::Pass;
            let mut checked = 0usize;
            for r in flows
                .iter()
                .filter(|r| matches!(r.role, Some("relay" | "lookup")) && !is_private(r))
                .filter(server)
            {
                checked += 1;
                // The network's operator and the company that runs the
                // app's server there (Meta's relay in an ISP's network)
                // both answer for what it sees.
                let service = r.service_operator.as_deref();
                let network_home = operator_country(r);
                if network_home.is_some_and(|home| home.eq_ignore_ascii_case(cc)) {
                    outcome = outcome.max(Outcome::Fail);
                    because.push(format!("operator answers to {cc}: {}", flow_line(r)));
                } else if let Some(s) =
                    service.filter(|s| s.operator_country.eq_ignore_ascii_case(cc))
                {
                    outcome = outcome.max(Outcome::Fail);
                    because.push(format!(
                        "run by {}, which answers to {cc}: {}",
                        s.operator,
                        flow_line(r)
                    ));
                } else if network_home.is_none() && service.is_none() {
                    outcome = outcome.max(Outcome::Untested);
                    because.push(format!("operator unknown: {}", flow_line(r)));
                }
            }
            if outcome == Outcome::Pass {
                because.push(format!(
                    "{checked} relay/lookup flows, none with an operator from {cc}"
                ));
            }
            (meaning, outcome)
        }
        Claim::NoLookupTo(cc) => {
            let meaning = format!("no lookup, directory or signalling server is located in {cc}");
            if !has_call_traffic {
                because.push("no call traffic in the capture: no server to check".into());
                return untested(claim, meaning, because);
            }
            let mut outcome = Outcome::Pass;
            let mut checked = 0usize;
            for r in with_role("lookup")
                .filter(|r| !is_private(r))
                .filter(server)
            {
                checked += 1;
                let inside = |c: &str| jurisdictions.in_group(c, cc);
                match country(r) {
                    Some(c) if other_countries(r).any(|o| inside(o) != inside(c)) => {
                        outcome = outcome.max(Outcome::Untested);
                        because.push(format!(
                            "databases disagree on whether it is in {cc}: {}",
                            flow_line(r)
                        ));
                    }
                    Some(c) if inside(c) => {
                        outcome = outcome.max(Outcome::Fail);
                        because.push(format!("lookup in {cc}: {}", flow_line(r)));
                    }
                    Some(_) => {}
                    None => {
                        outcome = outcome.max(Outcome::Untested);
                        because.push(format!("location unknown: {}", flow_line(r)));
                    }
                }
            }
            if outcome == Outcome::Pass {
                because.push(format!("{checked} lookup flows, none located in {cc}"));
            }
            (meaning, outcome)
        }
    };
    ClaimResult {
        claim: claim.clone(),
        outcome,
        meaning,
        because,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_claim_language() {
        assert_eq!("media-p2p".parse::<Claim>(), Ok(Claim::MediaP2p));
        assert_eq!("two-party-p2p".parse::<Claim>(), Ok(Claim::TwoPartyP2p));
        assert_eq!(
            "no-relay-outside:eu".parse::<Claim>(),
            Ok(Claim::NoRelayOutside("EU".into()))
        );
        assert_eq!(
            "no-operator:US".parse::<Claim>(),
            Ok(Claim::NoOperator("US".into()))
        );
        assert_eq!(
            "no-lookup-to:CN".parse::<Claim>(),
            Ok(Claim::NoLookupTo("CN".into()))
        );
        assert!("no-operator:".parse::<Claim>().is_err());
        assert!("no-operator:U5".parse::<Claim>().is_err());
        assert!("media-p2p:US".parse::<Claim>().is_err());
        assert!("p2p".parse::<Claim>().is_err());
    }

    /// A flow of `role` to a far end that the databases place in
    /// `country`, and (when they disagree) in `others`.
    fn flow_to(role: &'static str, country: &str, others: &[&str]) -> FlowRecord {
        use crate::capture::Timestamp;
        use crate::decode::L4Proto;
        use crate::flow::{Endpoint, Flow, FlowKey};
        use crate::geo::{DescribedNetwork, FarEnd, OtherCountry};
        use crate::report::remote::Remote;
        use std::sync::Arc;

        let ep = |t: &str| Endpoint::from(t.parse::<std::net::SocketAddr>().unwrap());
        let (local, far) = (ep("192.168.1.10:10014"), ep("52.114.77.20:3478"));
        let (key, _) = FlowKey::new(L4Proto::Udp, local, far);
        let mut r = FlowRecord::from_flow(&Flow::new(key, L4Proto::Udp, local, Timestamp(0)));
        r.role = Some(role);
        let network = crate::geo::far_end::Network {
            country: Some(Arc::from(country)),
            other_countries: others
                .iter()
                .map(|c| OtherCountry {
                    country: Arc::from(*c),
                    source: Arc::from("GeoLite2-City.mmdb"),
                    jurisdiction: Vec::new(),
                    jurisdiction_short: Vec::new(),
                })
                .collect(),
            ..Default::default()
        };
        r.remote = Some(Remote::new(FarEnd::new(
            far.ip,
            Arc::new(DescribedNetwork::new(network)),
        )));
        r
    }

    fn outcome(claim: &str, flows: Vec<FlowRecord>) -> (Outcome, Vec<String>) {
        let records = Collected {
            flows,
            calls: Vec::new(),
            summary: None,
        };
        let jurisdictions = Jurisdictions::embedded().unwrap();
        let result = check(&claim.parse().unwrap(), &records, &jurisdictions);
        (result.outcome, result.because)
    }

    /// A location claim passes or fails on the databases' agreement only:
    /// one placing the far end inside the claim's border and another
    /// outside it leave the claim untested, whichever database is preferred.
    #[test]
    fn databases_that_disagree_across_the_border_decide_nothing() {
        use Outcome::{Fail, Pass, Untested};
        for (claim, role, country, others, expected) in [
            ("no-relay-outside:EU", "relay", "IE", &[][..], Pass),
            ("no-relay-outside:EU", "relay", "IE", &["NL"][..], Pass),
            ("no-relay-outside:EU", "relay", "US", &[][..], Fail),
            ("no-relay-outside:EU", "relay", "IE", &["US"][..], Untested),
            ("no-relay-outside:EU", "relay", "US", &["IE"][..], Untested),
            ("no-lookup-to:US", "lookup", "IE", &[][..], Pass),
            ("no-lookup-to:US", "lookup", "US", &[][..], Fail),
            ("no-lookup-to:US", "lookup", "IE", &["US"][..], Untested),
            ("no-lookup-to:US", "lookup", "US", &["IE"][..], Untested),
        ] {
            let (o, because) = outcome(claim, vec![flow_to(role, country, others)]);
            assert_eq!(o, expected, "{claim} {country} {others:?}: {because:?}");
        }
        let (_, because) = outcome("no-relay-outside:EU", vec![flow_to("relay", "IE", &["US"])]);
        assert!(because[0].starts_with("databases disagree"), "{because:?}");
        assert!(
            because[0].contains("GeoLite2-City.mmdb says US"),
            "{because:?}"
        );
    }
}
