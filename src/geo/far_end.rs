//! The far end of a flow as reported: where it is, who runs it, and whose law reaches it.
//!
//! Everything but the address depends only on what the databases answer for
//! it (country, ASN, operator), which thousands of addresses share: that part,
//! its summary line and its NDJSON text are made once per network
//! (`DescribedNetwork`), and a far end is the address plus a pointer to it.

use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;

use serde::Serialize;

/// What callpath says about the network an address belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Network {
    /// Special-range id ("private", "cgnat", …) when the address is not geolocatable.
    pub special: Option<Arc<str>>,
    /// Country where the address is (ISO 3166-1 alpha-2).
    pub country: Option<Arc<str>>,
    pub asn: Option<u32>,
    /// Organisation holding the ASN, as the database names it.
    pub org: Option<Arc<str>>,
    /// Operator display name from signatures/operators.toml.
    pub operator: Option<Arc<str>>,
    /// Operator's home country; for an ASN not in the table, the country where the ASN is registered.
    pub operator_country: Option<Arc<str>>,
    /// Ids of the regimes reaching data at the location.
    pub jurisdiction: Vec<Arc<str>>,
    /// Ids of the regimes following the operator's home country.
    pub operator_jurisdiction: Vec<Arc<str>>,
    /// Alliances of the location country ("Five Eyes", …).
    pub alliances: Vec<Arc<str>>,
    /// The database(s) that answered.
    pub source: Option<Arc<str>>,
    /// Where other databases place the address, when they disagree with
    /// `country` (only present then).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_countries: Vec<OtherCountry>,
    /// Human name of the special range, for summaries.
    #[serde(skip)]
    pub special_name: Option<&'static str>,
    /// Short names matching `jurisdiction`, for summaries.
    #[serde(skip)]
    pub jurisdiction_short: Vec<Arc<str>>,
    /// Short names matching `operator_jurisdiction`, for summaries.
    #[serde(skip)]
    pub operator_jurisdiction_short: Vec<Arc<str>>,
}

/// A country another database gives for a network, and the regimes
/// reaching it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherCountry {
    pub country: Arc<str>,
    /// The database's file name.
    pub source: Arc<str>,
    pub jurisdiction: Vec<Arc<str>>,
    /// Short names matching `jurisdiction`, for summaries.
    #[serde(skip)]
    pub jurisdiction_short: Vec<Arc<str>>,
}

/// A network with its summary line and the text of its `remote` JSON
/// object's members (everything after `"ip"`), written once.
#[derive(Debug)]
pub struct DescribedNetwork {
    pub network: Network,
    pub summary: String,
    /// `,"special":…,"summary":"…"}`: what follows the address in an NDJSON
    /// line (empty if it could not be made).
    json_tail: String,
}

impl PartialEq for DescribedNetwork {
    fn eq(&self, other: &Self) -> bool {
        self.network == other.network
    }
}
impl Eq for DescribedNetwork {}

impl DescribedNetwork {
    pub fn new(network: Network) -> DescribedNetwork {
        let summary = network.summary();
        let json = serde_json::to_string(&RemoteFields {
            ip: None,
            network: &network,
            summary: &summary,
        })
        .unwrap_or_default();
        let json_tail = match json.strip_prefix('{') {
            Some(rest) if rest.len() > 1 => format!(",{rest}"),
            _ => String::new(),
        };
        DescribedNetwork {
            network,
            summary,
            json_tail,
        }
    }
}

/// The far end of a flow: its address and what is known of its network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarEnd {
    pub ip: IpAddr,
    pub described: Arc<DescribedNetwork>,
}

impl Deref for FarEnd {
    type Target = Network;
    fn deref(&self) -> &Network {
        &self.described.network
    }
}

impl FarEnd {
    pub fn new(ip: IpAddr, described: Arc<DescribedNetwork>) -> FarEnd {
        FarEnd { ip, described }
    }

    /// The network's one-line summary, e.g.
    /// "IE (GDPR) · AS8075 Microsoft Corporation · operator home US (CLOUD Act, FISA 702)".
    pub fn summary(&self) -> &str {
        &self.described.summary
    }

    /// Appends the record's `remote` object as JSON text, the network's
    /// members copied as written once (what `serialize_remote` writes).
    pub fn write_remote_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let tail = &self.described.json_tail;
        if tail.is_empty() {
            return serde_json::to_writer(out, &RemoteAsSerde(self));
        }
        out.extend_from_slice(b"{\"ip\":\"");
        // An address's text needs no escaping.
        crate::flow::write_ip_text(out, self.ip);
        out.push(b'"');
        out.extend_from_slice(tail.as_bytes());
        Ok(())
    }

    /// Writes the record's `remote` object: `{"ip":…, the network's fields,
    /// "summary":…}`.
    pub fn serialize_remote<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RemoteFields {
            ip: Some(self.ip),
            network: self,
            summary: self.summary(),
        }
        .serialize(s)
    }
}

/// A far end serialised as its record's `remote` object.
struct RemoteAsSerde<'a>(&'a FarEnd);

impl Serialize for RemoteAsSerde<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_remote(s)
    }
}

/// The `remote` object's layout; without the address, the members a
/// network shares.
#[derive(Serialize)]
struct RemoteFields<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<IpAddr>,
    #[serde(flatten)]
    network: &'a Network,
    summary: &'a str,
}

impl Network {
    /// One line for humans (no address), e.g.
    /// "IE (GDPR) · AS8075 Microsoft Corporation · operator home US (CLOUD Act, FISA 702)".
    pub fn summary(&self) -> String {
        if let Some(name) = self.special_name.or(self.special.as_deref()) {
            if self.country.is_none() && self.asn.is_none() {
                return format!("{name}, not geolocated");
            }
        }
        let with_laws = |code: &str, laws: &[Arc<str>]| {
            if laws.is_empty() {
                code.to_string()
            } else {
                format!("{code} ({})", laws.join(", "))
            }
        };
        let mut parts = Vec::new();
        parts.push(match &self.country {
            Some(c) => with_laws(c, &self.jurisdiction_short),
            None => "country unknown".to_string(),
        });
        for other in &self.other_countries {
            let place = with_laws(&other.country, &other.jurisdiction_short);
            parts.push(format!("{} says {place}", other.source));
        }
        match (self.asn, &self.org) {
            (Some(asn), Some(org)) => parts.push(format!("AS{asn} {org}")),
            (Some(asn), None) => parts.push(format!("AS{asn}")),
            _ => parts.push("ASN unknown".to_string()),
        }
        if let Some(cc) = &self.operator_country {
            let laws = with_laws(cc, &self.operator_jurisdiction_short);
            parts.push(match &self.operator {
                Some(_) => format!("operator home {laws}"),
                None => format!("ASN registered in {laws}"),
            });
        }
        if let Some(name) = self.special_name {
            parts.push(name.to_string());
        }
        parts.join(" · ")
    }
}
