//! Whose law reaches a call's servers, per country: where each server is,
//! where the company operating its network is based, and where the
//! company running the app's server there is based. What a journalist
//! asks of a call: which states can compel the servers that carried it
//! (its media) or knew of it (its lookups and signalling).

use std::sync::Arc;

use serde::Serialize;

use super::call_record::CallParty;

/// The laws over a call's servers; peers (people's devices) are no
/// servers and are left out.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CallLaws {
    /// Over the relays that carried its media.
    pub media_servers: Vec<LawReach>,
    /// Over its lookup and signalling servers.
    pub lookup_servers: Vec<LawReach>,
}

/// One country whose law reaches some of the servers, and why.
#[derive(Clone, Debug, Serialize)]
pub struct LawReach {
    /// ISO 3166-1 alpha-2 code.
    pub country: Arc<str>,
    /// Ids of the regimes that follow it (signatures/jurisdictions.toml).
    pub regimes: Vec<Arc<str>>,
    /// Their short names, for the one-line summary.
    #[serde(skip)]
    pub regimes_short: Vec<Arc<str>>,
    /// Why, each once: "server location", "home of Microsoft, the
    /// network's operator", "home of Meta, which runs the app's server",
    /// "where the network's ASN is registered".
    pub because: Vec<String>,
}

impl CallLaws {
    /// From a call's relays and lookup servers (with what the far ends'
    /// networks and the app's company say).
    pub fn of(relays: &[CallParty], lookups: &[CallParty]) -> CallLaws {
        CallLaws {
            media_servers: reach(relays),
            lookup_servers: reach(lookups),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.media_servers.is_empty() && self.lookup_servers.is_empty()
    }
}

fn reach(parties: &[CallParty]) -> Vec<LawReach> {
    let mut out: Vec<LawReach> = Vec::new();
    let mut add = |country: &Arc<str>, regimes: &[Arc<str>], short: &[Arc<str>], why: String| {
        let at = match out.iter().position(|r| r.country == *country) {
            Some(at) => at,
            None => {
                out.push(LawReach {
                    country: Arc::clone(country),
                    regimes: Vec::new(),
                    regimes_short: Vec::new(),
                    because: Vec::new(),
                });
                out.len() - 1
            }
        };
        let Some(r) = out.get_mut(at) else { return };
        for (id, name) in regimes.iter().zip(short) {
            if !r.regimes.contains(id) {
                r.regimes.push(Arc::clone(id));
                r.regimes_short.push(Arc::clone(name));
            }
        }
        if !r.because.contains(&why) {
            r.because.push(why);
        }
    };
    for p in parties {
        let Some(far) = p.remote.as_ref().map(|r| &r.far_end) else {
            continue;
        };
        // A private or other special address: the site's own server.
        if far.special.is_some() {
            continue;
        }
        if let Some(c) = &far.country {
            add(
                c,
                &far.jurisdiction,
                &far.jurisdiction_short,
                "server location".into(),
            );
        }
        if let Some(c) = &far.operator_country {
            let why = match &far.operator {
                Some(op) => format!("home of {op}, the network's operator"),
                None => "where the network's ASN is registered".into(),
            };
            add(
                c,
                &far.operator_jurisdiction,
                &far.operator_jurisdiction_short,
                why,
            );
        }
        if let Some(s) = &p.service_operator {
            add(
                &s.operator_country,
                &s.operator_jurisdiction,
                &s.operator_jurisdiction_short,
                format!("home of {}, which runs the app's server", s.operator),
            );
        }
    }
    out
}

impl LawReach {
    /// "US (CLOUD Act, FISA 702): home of Microsoft, the network's
    /// operator".
    pub fn summary(&self) -> String {
        let laws = if self.regimes_short.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.regimes_short.join(", "))
        };
        format!("{}{laws}: {}", self.country, self.because.join(", "))
    }
}
