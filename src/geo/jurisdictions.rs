//! Which laws reach data in a country, and alliance membership (signatures/jurisdictions.toml).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::error::GeoError;

static EMBEDDED_JURISDICTIONS: &str = include_str!("../../signatures/jurisdictions.toml");

/// A legal regime, with its citation and where to read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Regime {
    /// Stable id ("us-cloud-act").
    pub id: String,
    /// Name ("US CLOUD Act").
    pub name: String,
    /// Name for one-line summaries ("CLOUD Act"); the name when the table gives none.
    pub short: String,
    pub citation: String,
    /// URL of the text or of a reliable summary.
    pub source: String,
    pub note: Option<String>,
}

/// An intelligence-sharing alliance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Alliance {
    pub id: String,
    pub name: String,
    pub source: String,
    pub members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimeEntry {
    id: String,
    short: Option<String>,
    name: String,
    citation: String,
    source: String,
    note: Option<String>,
    #[serde(default)]
    countries: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JurisdictionsFile {
    #[serde(default)]
    groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    regime: Vec<RegimeEntry>,
    #[serde(default)]
    alliance: Vec<Alliance>,
}

/// Country → regimes, alliances and named country groups ("EU", "EEA").
#[derive(Debug, Clone)]
pub struct Jurisdictions {
    regimes: Vec<Regime>,
    by_country: HashMap<String, Vec<usize>>,
    alliances: Vec<Alliance>,
    groups: BTreeMap<String, Vec<String>>,
}

impl Jurisdictions {
    /// The table shipped in signatures/jurisdictions.toml.
    pub fn embedded() -> Result<Jurisdictions, GeoError> {
        Self::from_toml_str(EMBEDDED_JURISDICTIONS, "signatures/jurisdictions.toml")
    }

    /// Parses a table; `file_name` is only used in error messages.
    pub fn from_toml_str(s: &str, file_name: &str) -> Result<Jurisdictions, GeoError> {
        let file: JurisdictionsFile =
            toml::from_str(s).map_err(|e| GeoError::from_toml(file_name, s, &e))?;
        let invalid = |message: String| GeoError::Invalid {
            file: file_name.to_string(),
            message,
        };
        let upper = |v: &[String]| v.iter().map(|c| c.to_ascii_uppercase()).collect::<Vec<_>>();
        let groups: BTreeMap<String, Vec<String>> = file
            .groups
            .iter()
            .map(|(k, v)| (k.clone(), upper(v)))
            .collect();
        let mut regimes = Vec::with_capacity(file.regime.len());
        let mut by_country: HashMap<String, Vec<usize>> = HashMap::new();
        for entry in file.regime {
            if regimes.iter().any(|r: &Regime| r.id == entry.id) {
                return Err(invalid(format!("regime id {:?} appears twice", entry.id)));
            }
            let mut countries = upper(&entry.countries);
            for g in &entry.groups {
                let members = groups.get(g).ok_or_else(|| {
                    invalid(format!("regime {:?} names unknown group {g:?}", entry.id))
                })?;
                countries.extend(members.iter().cloned());
            }
            countries.sort();
            countries.dedup();
            for c in countries {
                by_country.entry(c).or_default().push(regimes.len());
            }
            regimes.push(Regime {
                id: entry.id,
                short: entry.short.unwrap_or_else(|| entry.name.clone()),
                name: entry.name,
                citation: entry.citation,
                source: entry.source,
                note: entry.note,
            });
        }
        let alliances = file
            .alliance
            .into_iter()
            .map(|a| Alliance {
                members: upper(&a.members),
                ..a
            })
            .collect();
        Ok(Jurisdictions {
            regimes,
            by_country,
            alliances,
            groups,
        })
    }

    /// Regimes reaching data located in (or held by a company based in) `country`.
    pub fn regimes_for(&self, country: &str) -> Vec<&Regime> {
        self.by_country
            .get(&country.to_ascii_uppercase())
            .map(|ids| ids.iter().filter_map(|&i| self.regimes.get(i)).collect())
            .unwrap_or_default()
    }

    /// A regime by id.
    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regimes.iter().find(|r| r.id == id)
    }

    /// Names of the alliances `country` belongs to ("Five Eyes", …).
    pub fn alliances_for(&self, country: &str) -> Vec<&str> {
        self.alliances
            .iter()
            .filter(|a| a.members.iter().any(|m| m.eq_ignore_ascii_case(country)))
            .map(|a| a.name.as_str())
            .collect()
    }

    /// Whether `country` is in a named group ("EU", "EEA"); a country code is its own group,
    /// so policies like `no-relay-outside:EU` and `no-relay-outside:CH` read the same way.
    pub fn in_group(&self, country: &str, group: &str) -> bool {
        match self.groups.get(group) {
            Some(members) => members.iter().any(|m| m.eq_ignore_ascii_case(country)),
            None => country.eq_ignore_ascii_case(group),
        }
    }

    /// The names of the country groups ("EEA", "EU").
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }

    /// Members of a named group, if defined.
    pub fn group_members(&self, group: &str) -> Option<&[String]> {
        self.groups.get(group).map(Vec::as_slice)
    }

    /// EU member state or EEA country (where the GDPR applies).
    pub fn is_eu_eea(&self, country: &str) -> bool {
        self.in_group(country, "EEA") || self.in_group(country, "EU")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(j: &Jurisdictions, c: &str) -> Vec<String> {
        j.regimes_for(c).iter().map(|r| r.id.clone()).collect()
    }

    #[test]
    fn embedded_regimes_per_country() {
        let j = Jurisdictions::embedded().unwrap();
        assert_eq!(ids(&j, "US"), ["us-cloud-act", "us-fisa-702"]);
        assert!(ids(&j, "ie").contains(&"eu-gdpr".to_string()));
        assert!(ids(&j, "NO").contains(&"eu-gdpr".to_string()), "EEA");
        assert!(
            !ids(&j, "NO").contains(&"eu-e-evidence".to_string()),
            "EU only"
        );
        assert!(ids(&j, "GB").contains(&"uk-ipa".to_string()));
        assert!(ids(&j, "CN").contains(&"cn-nil".to_string()));
        assert!(ids(&j, "RU").contains(&"ru-sorm".to_string()));
        assert!(ids(&j, "AU").contains(&"au-tola".to_string()));
        assert!(ids(&j, "IN").contains(&"in-it-act-69".to_string()));
        assert!(ids(&j, "ZZ").is_empty());
        let cloud = j.regime("us-cloud-act").unwrap();
        assert!(cloud.citation.contains("2713"));
        assert!(cloud.source.starts_with("https://"));
    }

    #[test]
    fn alliances_and_groups() {
        let j = Jurisdictions::embedded().unwrap();
        assert_eq!(
            j.alliances_for("US"),
            ["Five Eyes", "Nine Eyes", "Fourteen Eyes"]
        );
        assert_eq!(j.alliances_for("DE"), ["Fourteen Eyes"]);
        assert!(j.alliances_for("CH").is_empty());
        assert!(j.is_eu_eea("IE") && j.is_eu_eea("no") && !j.is_eu_eea("GB") && !j.is_eu_eea("CH"));
        assert!(j.in_group("FR", "EU") && !j.in_group("NO", "EU"));
        assert!(j.in_group("CH", "CH") && !j.in_group("US", "CH"));
        assert_eq!(j.group_members("EU").unwrap().len(), 27);
    }

    #[test]
    fn unknown_group_is_an_error_naming_the_file() {
        let s = "[[regime]]\nid='x'\nname='X'\ncitation='c'\nsource='s'\ngroups=['NOPE']\n";
        let err = Jurisdictions::from_toml_str(s, "j.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("j.toml:") && err.contains("NOPE"), "{err}");
    }
}
