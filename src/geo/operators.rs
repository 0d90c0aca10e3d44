//! Who operates an ASN, and which country's law follows that company (signatures/operators.toml).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::error::GeoError;
use super::record::iso_code_of;

static EMBEDDED_OPERATORS: &str = include_str!("../../signatures/operators.toml");

/// A network operator: a company and the ASNs it announces.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Display name ("Microsoft").
    pub name: String,
    /// Legal entity ("Microsoft Corporation").
    pub legal_entity: String,
    /// ISO 3166-1 alpha-2 code of the operator's home country.
    pub home_country: String,
    pub asns: Vec<u32>,
    /// Where the mapping comes from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorsFile {
    #[serde(default)]
    operator: Vec<Operator>,
}

/// ASN → operator table.
#[derive(Debug, Clone)]
pub struct Operators {
    list: Vec<Operator>,
    by_asn: HashMap<u32, usize>,
}

impl Operators {
    /// The table shipped in signatures/operators.toml.
    pub fn embedded() -> Result<Operators, GeoError> {
        Self::from_toml_str(EMBEDDED_OPERATORS, "signatures/operators.toml")
    }

    /// Parses a table; `file_name` is only used in error messages.
    pub fn from_toml_str(s: &str, file_name: &str) -> Result<Operators, GeoError> {
        let file: OperatorsFile =
            toml::from_str(s).map_err(|e| GeoError::from_toml(file_name, s, &e))?;
        let invalid = |message: String| GeoError::Invalid {
            file: file_name.to_string(),
            message,
        };
        let mut by_asn = HashMap::new();
        let mut list = Vec::with_capacity(file.operator.len());
        for mut op in file.operator {
            op.home_country = iso_code_of(op.home_country.clone()).ok_or_else(|| {
                invalid(format!(
                    "operator {:?}: home_country {:?} is not an ISO 3166-1 alpha-2 code",
                    op.name, op.home_country
                ))
            })?;
            for &asn in &op.asns {
                if let Some(&prev) = by_asn.get(&asn) {
                    let prev_name = list.get(prev).map_or("?", |p: &Operator| p.name.as_str());
                    return Err(invalid(format!(
                        "AS{asn} listed for both {prev_name:?} and {:?}",
                        op.name
                    )));
                }
                by_asn.insert(asn, list.len());
            }
            list.push(op);
        }
        Ok(Operators { list, by_asn })
    }

    /// The operator announcing `asn`, if listed.
    pub fn by_asn(&self, asn: u32) -> Option<&Operator> {
        self.by_asn.get(&asn).and_then(|&i| self.list.get(i))
    }

    /// The operator named `name` (its display name), if listed.
    pub fn by_name(&self, name: &str) -> Option<&Operator> {
        self.list.iter().find(|o| o.name == name)
    }

    /// All operators, in file order.
    pub fn all(&self) -> &[Operator] {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_maps_major_asns() {
        let ops = Operators::embedded().unwrap();
        let ms = ops.by_asn(8075).unwrap();
        assert_eq!(ms.name, "Microsoft");
        assert_eq!(ms.home_country, "US");
        assert_eq!(ops.by_asn(32934).unwrap().name, "Meta");
        assert_eq!(ops.by_asn(15169).unwrap().name, "Google");
        assert_eq!(ops.by_asn(62041).unwrap().name, "Telegram");
        assert_eq!(ops.by_asn(45090).unwrap().home_country, "CN");
        assert_eq!(ops.by_asn(24940).unwrap().home_country, "DE");
        assert!(ops.by_asn(64512).is_none(), "private-use ASN is nobody's");
        assert!(ops.all().iter().all(|o| !o.source.is_empty()));
    }

    #[test]
    fn duplicate_asn_is_rejected_naming_the_file() {
        let s = "[[operator]]\nname='A'\nlegal_entity='A'\nhome_country='US'\nasns=[1]\nsource='x'\n\
                 [[operator]]\nname='B'\nlegal_entity='B'\nhome_country='US'\nasns=[1]\nsource='x'\n";
        let err = Operators::from_toml_str(s, "ops.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("ops.toml:"), "{err}");
        assert!(err.contains("AS1"), "{err}");
    }

    #[test]
    fn toml_error_names_file_and_line() {
        let s = "[[operator]]\nname='A'\nlegal_entity='A'\nhome_country='US'\nasns=[1, x]\nsource='x'\n";
        let err = Operators::from_toml_str(s, "ops.toml").unwrap_err();
        match err {
            GeoError::Toml { file, line, .. } => {
                assert_eq!(file, "ops.toml");
                assert_eq!(line, 5);
            }
            other => panic!("unexpected {other}"),
        }
        let bad_cc =
            "[[operator]]\nname='A'\nlegal_entity='A'\nhome_country='USA'\nasns=[1]\nsource='x'\n";
        assert!(Operators::from_toml_str(bad_cc, "ops.toml").is_err());
    }
}
