//! The far end of a flow as reported: where it is, who runs it, and whose law reaches it.

use std::net::IpAddr;

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;

/// The `remote` object of every output record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FarEnd {
    pub ip: IpAddr,
    /// Special-range id ("private", "cgnat", …) when the address is not geolocatable.
    pub special: Option<String>,
    /// Country where the address is (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    pub asn: Option<u32>,
    /// Organisation holding the ASN, as the database names it.
    pub org: Option<String>,
    /// Operator display name from signatures/operators.toml.
    pub operator: Option<String>,
    /// Operator's home country; for an ASN not in the table, the country where the ASN is registered.
    pub operator_country: Option<String>,
    /// Ids of the regimes reaching data at the location.
    pub jurisdiction: Vec<String>,
    /// Ids of the regimes following the operator's home country.
    pub operator_jurisdiction: Vec<String>,
    /// Alliances of the location country ("Five Eyes", …).
    pub alliances: Vec<String>,
    /// The database(s) that answered.
    pub source: Option<String>,
    /// Human name of the special range, for summaries.
    #[serde(skip)]
    pub special_name: Option<&'static str>,
    /// Short names matching `jurisdiction`, for summaries.
    #[serde(skip)]
    pub jurisdiction_short: Vec<String>,
    /// Short names matching `operator_jurisdiction`, for summaries.
    #[serde(skip)]
    pub operator_jurisdiction_short: Vec<String>,
    /// The summary and the record's `remote` JSON, made once per address
    /// (see `rendered`): most flows of a capture share their far end.
    #[serde(skip)]
    pub rendered: Option<Arc<Rendered>>,
}

/// What every record about one far end repeats, written once.
#[derive(Debug)]
pub struct Rendered {
    pub summary: String,
    /// The `remote` object: the far end's fields plus `summary`.
    pub remote_json: Box<RawValue>,
}

impl PartialEq for Rendered {
    fn eq(&self, other: &Self) -> bool {
        self.remote_json.get() == other.remote_json.get()
    }
}
impl Eq for Rendered {}

/// The `remote` object's layout: the far end's fields, then its summary.
#[derive(Serialize)]
pub struct RemoteFields<'a> {
    #[serde(flatten)]
    pub far_end: &'a FarEnd,
    pub summary: &'a str,
}

impl FarEnd {
    /// The same far end with its summary and `remote` JSON written out.
    pub fn rendered(mut self) -> FarEnd {
        let summary = self.summary();
        let json = serde_json::to_string(&RemoteFields {
            far_end: &self,
            summary: &summary,
        })
        .ok()
        .and_then(|j| RawValue::from_string(j).ok());
        self.rendered = json.map(|remote_json| {
            Arc::new(Rendered {
                summary,
                remote_json,
            })
        });
        self
    }

    /// The one-line summary, written once per address when rendered.
    pub fn summary_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.rendered {
            Some(r) => std::borrow::Cow::Borrowed(&r.summary),
            None => std::borrow::Cow::Owned(self.summary()),
        }
    }

    /// One line for humans, e.g.
    /// "IE (GDPR) · AS8075 Microsoft Corporation · operator home US (CLOUD Act, FISA 702)".
    pub fn summary(&self) -> String {
        if let Some(name) = self.special_name.or(self.special.as_deref()) {
            if self.country.is_none() && self.asn.is_none() {
                return format!("{name}, not geolocated");
            }
        }
        let with_laws = |code: &str, laws: &[String]| {
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
