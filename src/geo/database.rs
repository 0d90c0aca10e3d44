//! Geolocation databases: the embedded default plus any MaxMind-format files the user has.
//!
//! Lookups are local memory reads (no packet is ever sent). User databases are asked first and
//! the embedded one fills whatever they leave empty, field by field; the answer names every
//! database that contributed.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use maxminddb::Reader;
use serde::Serialize;

use super::error::GeoError;
use super::record::GeoRecord;
use super::special_range::SpecialRange;
use super::v4_table::V4Table;

/// Built by scripts/build-geo-db.sh from ip-location-db (see data/geo/SOURCES.md).
static EMBEDDED_DB: &[u8] = include_bytes!("../../data/geo/callpath-geo.mmdb");
const EMBEDDED_NAME: &str = "callpath-geo.mmdb (embedded)";

/// Where GeoIP packages and geoipupdate put databases on Linux and BSD/macOS.
pub const SYSTEM_GEOIP_DIRS: [&str; 3] = [
    "/usr/share/GeoIP",
    "/var/lib/GeoIP",
    "/usr/local/share/GeoIP",
];

/// Database bytes: borrowed from the binary or read from a file.
enum DbBytes {
    Static(&'static [u8]),
    Owned(Vec<u8>),
}

impl AsRef<[u8]> for DbBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            DbBytes::Static(b) => b,
            DbBytes::Owned(v) => v,
        }
    }
}

/// Which family of schema a database follows, from its metadata `database_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DbSchema {
    /// MaxMind GeoLite2/GeoIP2 City, Country, ASN, ISP, Enterprise (also DB-IP lite, which copies it).
    MaxMind,
    /// DB-IP (database_type starts with "DBIP"/"dbip"); MaxMind-compatible fields.
    DbIp,
    /// IPinfo (country, asn "AS123", as_name).
    IpInfo,
    /// ip-location-db or callpath's embedded DB (country_code, autonomous_system_number, …).
    IpLocationDb,
    /// Anything else: read with the same generic field names.
    Other,
}

impl DbSchema {
    fn detect(database_type: &str) -> DbSchema {
        let t = database_type.to_ascii_lowercase();
        if t.starts_with("geoip2") || t.starts_with("geolite2") || t.starts_with("geoip") {
            DbSchema::MaxMind
        } else if t.contains("dbip") || t.contains("db-ip") {
            DbSchema::DbIp
        } else if t.contains("ipinfo") {
            DbSchema::IpInfo
        } else if t.starts_with("callpath")
            || t.contains("ip-location-db")
            || t.contains("asn-country")
        {
            DbSchema::IpLocationDb
        } else {
            DbSchema::Other
        }
    }
}

/// Identity of one database, for evidence in reports and `--version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DbInfo {
    /// File name (no directory), or "callpath-geo.mmdb (embedded)".
    pub name: String,
    /// Metadata `database_type`, e.g. "GeoLite2-City".
    pub database_type: String,
    pub schema: DbSchema,
    /// Build date from metadata `build_epoch`, as YYYY-MM-DD (UTC).
    pub build_date: String,
    pub build_epoch: u64,
    pub embedded: bool,
}

impl DbInfo {
    /// What the database's countries are, for readers who would take them
    /// for measured locations.
    pub fn country_basis(&self) -> &'static str {
        match self.schema {
            DbSchema::IpLocationDb => {
                "countries as each network registered or declared them (GeoFeed, RIR whois), not measured"
            }
            DbSchema::MaxMind | DbSchema::DbIp | DbSchema::IpInfo => {
                "countries as the vendor estimates them"
            }
            DbSchema::Other => "countries as the database gives them",
        }
    }

    /// "GeoLite2-City.mmdb (GeoLite2-City, 2024-05-01)".
    pub fn label(&self) -> String {
        format!(
            "{} ({}, {})",
            self.name, self.database_type, self.build_date
        )
    }
}

/// What the databases know about one address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct GeoAnswer {
    /// Set for special-purpose addresses, which are not looked up (NAT64: the IPv4 inside is).
    pub special: Option<SpecialRange>,
    /// Country where the address is (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    pub asn: Option<u32>,
    /// Organisation holding the ASN.
    pub org: Option<String>,
    /// Country where the ASN is registered.
    pub asn_country: Option<String>,
    /// Labels of the databases that answered, joined by " + ".
    pub source: Option<String>,
    /// Countries other databases give for the address, with the name of
    /// the database that says so (first of each country): locations from
    /// registrations and vendors' estimates often differ for cloud and
    /// anycast addresses, and a reader should see when they do.
    pub other_countries: Vec<(String, String)>,
}

struct OpenDb {
    reader: Reader<DbBytes>,
    info: DbInfo,
    /// `info.label()`, named in every answer this database gives.
    label: String,
}

impl OpenDb {
    fn new(bytes: DbBytes, name: String, embedded: bool) -> Result<OpenDb, GeoError> {
        let reader = Reader::from_source(bytes).map_err(|source| GeoError::Database {
            file: name.clone(),
            source,
        })?;
        let meta = &reader.metadata;
        let info = DbInfo {
            name,
            database_type: meta.database_type.clone(),
            schema: DbSchema::detect(&meta.database_type),
            build_date: date_of_epoch(meta.build_epoch),
            build_epoch: meta.build_epoch,
            embedded,
        };
        let label = info.label();
        Ok(OpenDb {
            reader,
            info,
            label,
        })
    }
}

/// An ordered set of databases: user files first, then (optionally) the embedded one.
pub struct GeoDb {
    dbs: Vec<OpenDb>,
    lookups: AtomicU64,
    /// The embedded database's IPv4 networks as a flat table, when it is
    /// the only database (user databases are asked first: their networks
    /// are not in it).
    v4_table: Option<V4Table>,
}

impl std::fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.dbs.iter().map(|d| &d.info))
            .finish()
    }
}

impl GeoDb {
    /// The database compiled into callpath; works offline.
    pub fn embedded() -> Result<GeoDb, GeoError> {
        Ok(GeoDb {
            dbs: vec![embedded_db()?],
            lookups: AtomicU64::new(0),
            v4_table: V4Table::embedded(),
        })
    }

    /// The given files only, in order of preference (no embedded fallback).
    pub fn open(paths: &[PathBuf]) -> Result<GeoDb, GeoError> {
        let dbs = paths
            .iter()
            .map(|p| open_file(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GeoDb {
            dbs,
            lookups: AtomicU64::new(0),
            v4_table: None,
        })
    }

    /// The given files, in order of preference, then the embedded database for missing fields.
    pub fn with_user_databases(paths: &[PathBuf]) -> Result<GeoDb, GeoError> {
        let mut db = GeoDb::open(paths)?;
        db.dbs.push(embedded_db()?);
        Ok(db)
    }

    /// `*.mmdb` files in the usual GeoIP directories, sorted by path. Explicit (never implied
    /// by `embedded()`), so results do not depend on the machine unless asked.
    pub fn discover_system_databases() -> Vec<PathBuf> {
        let dirs: Vec<&Path> = SYSTEM_GEOIP_DIRS.iter().map(Path::new).collect();
        Self::discover_in(&dirs)
    }

    /// `*.mmdb` files directly inside `dirs`, sorted by path; unreadable directories are skipped.
    pub fn discover_in(dirs: &[&Path]) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = dirs
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("mmdb"))
            })
            .collect();
        found.sort();
        found
    }

    /// Everything the databases know about `ip`. Special ranges are answered without a lookup.
    pub fn lookup(&self, ip: IpAddr) -> GeoAnswer {
        self.lookup_network(ip).0
    }

    /// `lookup`, with the length of the IPv4 prefix every address of
    /// which gets the same answer (`None` for special and IPv6 addresses,
    /// or when a database record could not be read).
    pub fn lookup_network(&self, ip: IpAddr) -> (GeoAnswer, Option<u8>) {
        let special = SpecialRange::of(ip);
        let target = match special {
            None => ip.to_canonical(),
            Some(range) => match range.embedded_ipv4(ip) {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let answer = GeoAnswer {
                        special,
                        ..GeoAnswer::default()
                    };
                    return (answer, None);
                }
            },
        };
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut answer = GeoAnswer {
            special,
            ..GeoAnswer::default()
        };
        // The answer holds for the smallest of the networks the databases
        // matched (the longest prefix).
        let mut prefix = (special.is_none() && target.is_ipv4()).then_some(0u8);
        let mut sources: Vec<&str> = Vec::new();
        for db in &self.dbs {
            // A record that fails to decode is treated as "this database does not know".
            let rec = match db.reader.lookup_prefix::<GeoRecord>(target) {
                Ok((rec, len)) => {
                    prefix = prefix.map(|p| p.max(u8::try_from(len).unwrap_or(u8::MAX)));
                    rec
                }
                Err(_) => {
                    prefix = None;
                    None
                }
            };
            let Some(rec) = rec else {
                continue;
            };
            // Every database is asked, even once the answer is complete:
            // a later one may place the address elsewhere.
            note_other_country(&mut answer, rec.country.as_deref(), &db.info.name);
            if merge(&mut answer, rec) {
                sources.push(&db.label);
            }
        }
        if !sources.is_empty() {
            answer.source = Some(sources.join(" + "));
        }
        (answer, prefix.filter(|&p| p <= 32))
    }

    /// Number of database lookups made so far (special ranges are not counted).
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// The flat IPv4 table, where the embedded database answers alone.
    pub fn v4_table(&self) -> Option<&V4Table> {
        self.v4_table.as_ref()
    }

    /// The databases in order of preference.
    pub fn sources(&self) -> Vec<DbInfo> {
        self.dbs.iter().map(|d| d.info.clone()).collect()
    }
}

/// Remembers `country` from database `db` when it differs from the
/// answer's (and from those already noted).
fn note_other_country(answer: &mut GeoAnswer, country: Option<&str>, db: &str) {
    let (Some(have), Some(other)) = (answer.country.as_deref(), country) else {
        return;
    };
    if !have.eq_ignore_ascii_case(other)
        && !answer
            .other_countries
            .iter()
            .any(|(c, _)| c.eq_ignore_ascii_case(other))
    {
        answer
            .other_countries
            .push((other.to_string(), db.to_string()));
    }
}

/// Fills empty fields of `answer` from `rec`. ASN, organisation and ASN country travel together:
/// a later database only adds organisation/ASN country when it agrees on the ASN.
/// Returns whether `rec` contributed anything.
fn merge(answer: &mut GeoAnswer, rec: GeoRecord) -> bool {
    let mut used = false;
    if answer.country.is_none() && rec.country.is_some() {
        answer.country = rec.country;
        used = true;
    }
    match (answer.asn, rec.asn) {
        (None, Some(asn)) => {
            answer.asn = Some(asn);
            answer.org = rec.org;
            answer.asn_country = rec.asn_country;
            used = true;
        }
        (Some(have), Some(asn)) if have == asn => {
            if answer.org.is_none() && rec.org.is_some() {
                answer.org = rec.org;
                used = true;
            }
            if answer.asn_country.is_none() && rec.asn_country.is_some() {
                answer.asn_country = rec.asn_country;
                used = true;
            }
        }
        _ => {}
    }
    used
}

/// The embedded database's bytes, for tests that read it directly.
#[cfg(test)]
pub(super) fn embedded_bytes() -> &'static [u8] {
    EMBEDDED_DB
}

fn embedded_db() -> Result<OpenDb, GeoError> {
    OpenDb::new(
        DbBytes::Static(EMBEDDED_DB),
        EMBEDDED_NAME.to_string(),
        true,
    )
}

fn open_file(path: &Path) -> Result<OpenDb, GeoError> {
    let bytes = std::fs::read(path).map_err(|source| GeoError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    OpenDb::new(DbBytes::Owned(bytes), name, false)
}

/// UTC calendar date of a Unix time (Howard Hinnant's days-to-civil algorithm).
fn date_of_epoch(epoch: u64) -> String {
    let days = i64::try_from(epoch / 86_400).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_to_date() {
        assert_eq!(date_of_epoch(0), "1970-01-01");
        assert_eq!(date_of_epoch(951_782_400), "2000-02-29");
        assert_eq!(date_of_epoch(1_781_654_400), "2026-06-17");
    }

    #[test]
    fn schema_detection() {
        assert_eq!(DbSchema::detect("GeoLite2-City"), DbSchema::MaxMind);
        assert_eq!(DbSchema::detect("GeoIP2-ASN"), DbSchema::MaxMind);
        assert_eq!(DbSchema::detect("DBIP-Country-Lite"), DbSchema::DbIp);
        assert_eq!(
            DbSchema::detect("ipinfo country_asn.mmdb"),
            DbSchema::IpInfo
        );
        assert_eq!(
            DbSchema::detect("callpath-geo-asn-country"),
            DbSchema::IpLocationDb
        );
        assert_eq!(DbSchema::detect("something"), DbSchema::Other);
    }
}
