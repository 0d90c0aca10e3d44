//! One MMDB record read generically across the schemas users have: MaxMind GeoLite2/GeoIP2
//! (City, Country, ASN), DB-IP lite (MaxMind-compatible), IPinfo (country/asn/as_name) and
//! ip-location-db / callpath's own embedded DB (country_code, asn_country_code).
//!
//! Every field is optional; unknown fields are skipped, so one struct reads them all.

use serde::Deserialize;

/// `country` is a map `{iso_code, names…}` in MaxMind/DB-IP, a code string ("US") in IPinfo's
/// country_asn DB, and a country *name* in IPinfo Lite (which puts the code in `country_code`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CountryField {
    Record { iso_code: Option<String> },
    Text(String),
}

impl CountryField {
    fn code(self) -> Option<String> {
        match self {
            CountryField::Record { iso_code } => iso_code.and_then(iso_code_of),
            CountryField::Text(s) => iso_code_of(s),
        }
    }
}

/// ASN as a number (MaxMind, DB-IP) or as "AS15169" (IPinfo).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AsnField {
    Number(u32),
    Text(String),
}

impl AsnField {
    fn number(self) -> Option<u32> {
        match self {
            AsnField::Number(n) => Some(n),
            AsnField::Text(s) => {
                let digits = s
                    .strip_prefix("AS")
                    .or_else(|| s.strip_prefix("as"))
                    .unwrap_or(&s);
                digits.parse().ok()
            }
        }
    }
}

/// MaxMind Enterprise/ISP put ASN data under `traits`.
#[derive(Debug, Default, Deserialize)]
struct Traits {
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawRecord {
    country: Option<CountryField>,
    country_code: Option<String>,
    #[serde(alias = "asn")]
    autonomous_system_number: Option<AsnField>,
    #[serde(alias = "as_name")]
    autonomous_system_organization: Option<String>,
    asn_country_code: Option<String>,
    traits: Option<Traits>,
}

/// The fields callpath uses, normalised (country codes upper-case ISO 3166-1 alpha-2).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct GeoRecord {
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub org: Option<String>,
    pub asn_country: Option<String>,
}

impl<'de> Deserialize<'de> for GeoRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawRecord::deserialize(d)?;
        let traits = raw.traits.unwrap_or_default();
        Ok(GeoRecord {
            country: raw
                .country_code
                .and_then(iso_code_of)
                .or_else(|| raw.country.and_then(CountryField::code)),
            asn: raw
                .autonomous_system_number
                .and_then(AsnField::number)
                .or(traits.autonomous_system_number)
                .filter(|&n| n != 0),
            org: raw
                .autonomous_system_organization
                .or(traits.autonomous_system_organization)
                .filter(|s| !s.is_empty()),
            asn_country: raw.asn_country_code.and_then(iso_code_of),
        })
    }
}

/// Accepts a two-letter code (any case) and returns it upper-cased; anything else is not a code.
pub(crate) fn iso_code_of(s: String) -> Option<String> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}
