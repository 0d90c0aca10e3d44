//! One MMDB record read generically across the schemas users have: MaxMind GeoLite2/GeoIP2
//! (City, Country, ASN), DB-IP lite (MaxMind-compatible), IPinfo (country/asn/as_name) and
//! ip-location-db / callpath's own embedded DB (country_code, asn_country_code).
//!
//! Every field is optional; unknown fields are skipped, so one struct reads them all.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

// The field types below read the database's bytes in place (strings are
// borrowed) and tell their shapes apart with a visitor rather than serde's
// `untagged`, which copies every value into a buffer first: a capture with
// tens of thousands of far ends makes as many lookups.

/// `country` is a map `{iso_code, names…}` in MaxMind/DB-IP, a code string ("US") in IPinfo's
/// country_asn DB, and a country *name* in IPinfo Lite (which puts the code in `country_code`).
#[derive(Debug)]
struct CountryField<'a>(Option<&'a str>);

impl<'de: 'a, 'a> Deserialize<'de> for CountryField<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CountryField<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a country record or a country code")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CountryField(Some(v)))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut code = None;
                while let Some(key) = map.next_key::<&'de str>()? {
                    if key == "iso_code" {
                        code = map.next_value::<Option<&'de str>>()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(CountryField(code))
            }
        }
        d.deserialize_any(V)
    }
}

/// ASN as a number (MaxMind, DB-IP) or as "AS15169" (IPinfo).
#[derive(Debug)]
struct AsnField(Option<u32>);

impl<'de> Deserialize<'de> for AsnField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AsnField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AS number or \"AS<number>\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(AsnField(u32::try_from(v).ok()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(AsnField(u32::try_from(v).ok()))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                let digits = s
                    .strip_prefix("AS")
                    .or_else(|| s.strip_prefix("as"))
                    .unwrap_or(s);
                Ok(AsnField(digits.parse().ok()))
            }
        }
        d.deserialize_any(V)
    }
}

/// MaxMind Enterprise/ISP put ASN data under `traits`.
#[derive(Debug, Default, Deserialize)]
struct Traits<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
struct RawRecord<'a> {
    #[serde(borrow)]
    country: Option<CountryField<'a>>,
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(alias = "asn")]
    autonomous_system_number: Option<AsnField>,
    #[serde(alias = "as_name", borrow)]
    autonomous_system_organization: Option<&'a str>,
    #[serde(borrow)]
    asn_country_code: Option<&'a str>,
    #[serde(borrow)]
    traits: Option<Traits<'a>>,
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
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawRecord::deserialize(d)?;
        let traits = raw.traits.unwrap_or_default();
        let code = |s: &str| iso_code_of(s.to_string());
        Ok(GeoRecord {
            country: raw
                .country_code
                .and_then(code)
                .or_else(|| raw.country.and_then(|c| c.0).and_then(code)),
            asn: raw
                .autonomous_system_number
                .and_then(|a| a.0)
                .or(traits.autonomous_system_number)
                .filter(|&n| n != 0),
            org: raw
                .autonomous_system_organization
                .or(traits.autonomous_system_organization)
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            asn_country: raw.asn_country_code.and_then(code),
        })
    }
}

/// Accepts a two-letter code (any case) and returns it upper-cased; anything else is not a code.
pub(crate) fn iso_code_of(s: String) -> Option<String> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())).then(|| s.to_ascii_uppercase())
}
