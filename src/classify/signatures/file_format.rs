//! The on-disk TOML format of one app file (`signatures/<id>.toml`), as serde
//! structs. Every table rejects unknown keys so a typo is an error, not a
//! silently ignored rule. Values that need checking beyond their type (CIDRs,
//! hex bytes, port ranges, ids) keep their byte span so errors name the line.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

use super::{DomainKind, L4Kind, PayloadKind, PortKind, TrafficKind};

/// One app file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawApp {
    pub id: Spanned<String>,
    pub display_name: String,
    pub vendor: String,
    #[serde(default)]
    pub notes: Option<String>,
    /// The company that runs the app's servers, by its name in
    /// operators.toml.
    #[serde(default)]
    pub operator: Option<String>,
    #[serde(default)]
    pub operator_asns: Vec<Spanned<u32>>,
    #[serde(default)]
    pub operator_shared: bool,
    #[serde(default)]
    pub generic: bool,
    /// Names the capturing phone gives the app (PCAPdroid's trailer: the
    /// app's label, e.g. "WhatsApp"), matched whole, in any case.
    #[serde(default)]
    pub device_names: Vec<Spanned<String>>,
    /// SIP `User-Agent`/`Server` values only servers send (PBX, proxy,
    /// B2BUA, gateway), matched as a prefix, in any case.
    #[serde(default)]
    pub server_agents: Vec<Spanned<String>>,
    #[serde(default)]
    pub domains: Vec<Spanned<RawDomain>>,
    pub media: RawMedia,
    #[serde(default)]
    pub stun: RawStun,
    #[serde(default)]
    pub prefixes: Vec<RawPrefixGroup>,
    #[serde(default)]
    pub ports: Vec<RawPort>,
    #[serde(default)]
    pub payload: Vec<RawPayload>,
}

/// `[media]`: whether the vendor routes every call through its servers,
/// and whether its media are calls at all (`calls = false`: game or
/// desktop streaming, which uses the same protocols).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMedia {
    pub always_server_routed: bool,
    pub why: String,
    #[serde(default = "yes")]
    pub calls: bool,
}

fn yes() -> bool {
    true
}

/// `[stun]`: vendor STUN fingerprints.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStun {
    #[serde(default)]
    pub realms: Vec<Spanned<String>>,
    #[serde(default)]
    pub software: Vec<Spanned<String>>,
    #[serde(default)]
    pub attributes: Vec<Spanned<u16>>,
    #[serde(default)]
    pub message_types: Vec<Spanned<u16>>,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[[prefixes]]`: one `cidr` or a `cidrs` list sharing kind, source and date.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrefixGroup {
    pub kind: TrafficKind,
    pub source: String,
    pub date: Spanned<String>,
    #[serde(default)]
    pub cidr: Option<Spanned<String>>,
    #[serde(default)]
    pub cidrs: Vec<Spanned<String>>,
}

/// `[[ports]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPort {
    pub l4: L4Kind,
    pub range: Spanned<RawPortRange>,
    pub kind: PortKind,
    #[serde(default)]
    pub source: Option<String>,
}

/// `[[payload]]`: bytes (hex) at an offset, optionally masked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPayload {
    pub name: Spanned<String>,
    pub l4: L4Kind,
    #[serde(default)]
    pub ports: Option<Spanned<RawPortRange>>,
    #[serde(default)]
    pub offset: usize,
    pub bytes: Spanned<String>,
    #[serde(default)]
    pub mask: Option<Spanned<String>>,
    #[serde(default)]
    pub min_len: Option<usize>,
    #[serde(default)]
    pub len: Option<usize>,
    pub kind: PayloadKind,
    #[serde(default)]
    pub source: Option<String>,
}

/// A domain entry: `"zoom.us"` or `{ suffix = "zoom.us", kind = "media" }`.
#[derive(Debug)]
pub(super) struct RawDomain {
    pub suffix: String,
    pub kind: DomainKind,
}

impl<'de> Deserialize<'de> for RawDomain {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDomain;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a domain suffix string or { suffix = \"...\", kind = \"...\" }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawDomain, E> {
                Ok(RawDomain {
                    suffix: v.to_owned(),
                    kind: DomainKind::Signalling,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDomain, A::Error> {
                let mut suffix: Option<String> = None;
                let mut kind = DomainKind::Signalling;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "suffix" => suffix = Some(map.next_value()?),
                        "kind" => kind = map.next_value()?,
                        other => return Err(de::Error::unknown_field(other, &["suffix", "kind"])),
                    }
                }
                let suffix = suffix.ok_or_else(|| de::Error::missing_field("suffix"))?;
                Ok(RawDomain { suffix, kind })
            }
        }
        d.deserialize_any(V)
    }
}

/// A port range: `443`, `"443"` or `"8801-8810"`; checked in `parse()`.
#[derive(Debug)]
pub(super) enum RawPortRange {
    Number(i64),
    Text(String),
}

impl RawPortRange {
    /// Inclusive `(low, high)`, or a message saying what is wrong.
    pub fn parse(&self) -> Result<(u16, u16), String> {
        let (lo, hi) = match self {
            RawPortRange::Number(n) => (*n, *n),
            RawPortRange::Text(t) => {
                let parse = |s: &str| {
                    s.trim()
                        .parse::<i64>()
                        .map_err(|_| format!("bad port range {t:?}: expected N or N-M"))
                };
                match t.split_once('-') {
                    Some((a, b)) => (parse(a)?, parse(b)?),
                    None => {
                        let n = parse(t)?;
                        (n, n)
                    }
                }
            }
        };
        let lo16 = u16::try_from(lo).map_err(|_| format!("port {lo} out of range 0-65535"))?;
        let hi16 = u16::try_from(hi).map_err(|_| format!("port {hi} out of range 0-65535"))?;
        if lo16 > hi16 {
            return Err(format!("port range {lo}-{hi} is reversed"));
        }
        Ok((lo16, hi16))
    }
}

impl<'de> Deserialize<'de> for RawPortRange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RawPortRange;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number or a string \"N\" / \"N-M\"")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawPortRange, E> {
                Ok(RawPortRange::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawPortRange, E> {
                Ok(RawPortRange::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawPortRange, E> {
                Ok(RawPortRange::Text(v.to_owned()))
            }
        }
        d.deserialize_any(V)
    }
}
