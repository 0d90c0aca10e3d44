//! Resolves far ends once per address per run: GeoDb + operators + jurisdictions.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::bounded_cache::BoundedCache;
use super::database::{GeoAnswer, GeoDb};
use super::error::GeoError;
use super::far_end::{DescribedNetwork, FarEnd, Network, OtherCountry};
use super::jurisdictions::Jurisdictions;
use super::operators::Operators;
use super::service_operator::ServiceOperator;
use super::special_range::SpecialRange;
use crate::shared_texts::SharedTexts;

/// Most far ends cached at once. A flood of random addresses would
/// otherwise grow the cache without bound; when it is full it starts over,
/// so the addresses of a real capture are soon cached again.
pub const MAX_CACHED: usize = 1 << 14;
/// Most distinct network descriptions cached at once (same policy).
const MAX_NETWORKS: usize = 1 << 12;

/// Everything needed to describe a far end, with a per-run cache.
#[derive(Debug)]
pub struct GeoResolver {
    db: GeoDb,
    operators: Operators,
    jurisdictions: Jurisdictions,
    /// Far ends outside the IPv4 ranges below: IPv6 (NAT64 included) and
    /// addresses in no network of the databases.
    cache: BoundedCache<IpAddr, FarEnd>,
    /// Descriptions by database answer: many addresses share a network.
    networks: BoundedCache<GeoAnswer, Arc<DescribedNetwork>>,
    /// The description of each special-purpose range, which depends on the
    /// range alone: a capture's multicast and broadcast far ends are many
    /// (a sixth of the reference capture's flows) and need no lookup.
    specials: Mutex<Vec<(SpecialRange, Arc<DescribedNetwork>)>>,
    /// The IPv4 networks looked up so far, by first address, where there
    /// is no flat table (user databases): every other address of a
    /// network gets the same answer without a database lookup. Far ends
    /// are resolved where flows are classified: the output's thread, and a
    /// run's only worker while it keeps up; the two seldom ask at once, so
    /// the lock is hardly contended.
    ranges: Mutex<NetworkRanges>,
    /// Descriptions by the embedded database's tree record (from its flat
    /// IPv4 table, `GeoDb::v4_table`): a plain IPv4 far end is described
    /// by its record's entry, with no lookup and no entry of its own.
    by_record: BoundedCache<u32, Arc<DescribedNetwork>>,
    /// One copy of each name the descriptions hold (countries,
    /// organisations, operators, laws): thousands of networks repeat a few
    /// hundred names.
    names: Mutex<SharedTexts>,
}

/// Most IPv4 networks kept in `GeoResolver::ranges` (same policy as the
/// other caches). The ranges are also forgotten whenever `networks` is,
/// so that the descriptions they hold stay within that cache's bound.
const MAX_RANGES: usize = 1 << 14;

/// Described IPv4 networks: first address → (last address, description).
type NetworkRanges = BTreeMap<u32, (u32, Arc<DescribedNetwork>)>;

/// A plain (not special-purpose) IPv4 address, as a number.
fn plain_v4(ip: IpAddr) -> Option<u32> {
    match ip.to_canonical() {
        IpAddr::V4(v4) if SpecialRange::of(ip).is_none() => Some(u32::from(v4)),
        _ => None,
    }
}

/// First and last address of the `prefix`-bit network holding `ip`.
fn network_bounds(ip: u32, prefix: u8) -> (u32, u32) {
    let host_bits = u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0);
    (ip & !host_bits, ip | host_bits)
}

impl GeoResolver {
    pub fn new(db: GeoDb, operators: Operators, jurisdictions: Jurisdictions) -> GeoResolver {
        GeoResolver {
            db,
            operators,
            jurisdictions,
            cache: BoundedCache::new(MAX_CACHED),
            networks: BoundedCache::new(MAX_NETWORKS),
            specials: Mutex::default(),
            ranges: Mutex::new(BTreeMap::new()),
            by_record: BoundedCache::new(MAX_NETWORKS),
            names: Mutex::default(),
        }
    }

    /// Embedded database and tables: works offline.
    pub fn embedded() -> Result<GeoResolver, GeoError> {
        Ok(Self::new(
            GeoDb::embedded()?,
            Operators::embedded()?,
            Jurisdictions::embedded()?,
        ))
    }

    /// Whether two addresses are in one operator's network: the same /24
    /// (IPv4) or /48 (IPv6), or the same ASN.
    pub fn same_network(&self, a: IpAddr, b: IpAddr) -> bool {
        let prefix = match (a, b) {
            (IpAddr::V4(a), IpAddr::V4(b)) => a.octets()[..3] == b.octets()[..3],
            (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..3] == b.segments()[..3],
            _ => false,
        };
        if prefix {
            return true;
        }
        let (fa, fb) = (self.resolve(a), self.resolve(b));
        fa.asn.is_some() && fa.asn == fb.asn
    }

    /// The far end for `ip`; the databases are asked about each network
    /// (IPv4) or address once while it stays cached.
    pub fn resolve(&self, ip: IpAddr) -> FarEnd {
        let v4 = plain_v4(ip);
        if let Some(far) = v4.and_then(|n| self.table_far_end(ip, n)) {
            return far;
        }
        // With user databases: a plain IPv4 address in a network looked up
        // before needs no entry of its own either.
        if let Some(known) = v4.and_then(|n| self.known_range(n)) {
            return FarEnd::new(ip, known);
        }
        // A special-purpose address (private, loopback, shared...) is never
        // looked up in the databases: its range's description is found at
        // once, without an entry per address. (A plain IPv4 one is not.)
        if v4.is_none() {
            if let Some(range) = SpecialRange::of(ip).filter(|r| r.embedded_ipv4(ip).is_none()) {
                return self.special(range, ip);
            }
        }
        if let Some(known) = self.cache.get(&ip) {
            return known;
        }
        if v4.is_some() {
            // Its network is remembered as a range now, unless the
            // databases named none: only then does the address need an entry.
            if let (far, true) = self.look_up(ip) {
                return far;
            }
        }
        // No known range held it (above), so this goes to the databases.
        self.cache.get_or_insert_with(ip, || self.look_up(ip).0)
    }

    /// Uncached description of `ip` (its network's description may be cached).
    pub fn describe(&self, ip: IpAddr) -> FarEnd {
        let v4 = plain_v4(ip);
        if let Some(far) = v4.and_then(|n| self.table_far_end(ip, n)) {
            return far;
        }
        if let Some(known) = v4.and_then(|n| self.known_range(n)) {
            return FarEnd::new(ip, known);
        }
        self.look_up(ip).0
    }

    /// `describe` for an address no known range holds: asks the databases,
    /// and remembers the network of a plain IPv4 address as a range (then
    /// returns `true` with the far end).
    fn look_up(&self, ip: IpAddr) -> (FarEnd, bool) {
        let v4 = plain_v4(ip);
        let (answer, prefix) = self.db.lookup_network(ip);
        let describe = || Arc::new(DescribedNetwork::new(self.network(&answer)));
        // The ranges hold descriptions too: forgotten with the networks, so
        // that they stay within this cache's bound.
        let forget_ranges = || {
            if let Ok(mut ranges) = self.ranges.lock() {
                ranges.clear();
            }
        };
        let described =
            self.networks
                .get_or_insert_with_then(answer.clone(), describe, forget_ranges);
        let ranged = match (v4, prefix) {
            (Some(n), Some(p)) => self.remember_range(network_bounds(n, p), &described),
            _ => false,
        };
        (FarEnd::new(ip, described), ranged)
    }

    /// The far end of the plain IPv4 address `ip` (`n` as a number) from
    /// the embedded database's flat table, if there is one: described once
    /// per tree record, from a lookup of the first address met in it.
    fn table_far_end(&self, ip: IpAddr, n: u32) -> Option<FarEnd> {
        let record = self.db.v4_table()?.record(n)?;
        let described = self.by_record.get_or_insert_with(record, || {
            let (answer, _) = self.db.lookup_network(ip);
            Arc::new(DescribedNetwork::new(self.network(&answer)))
        });
        Some(FarEnd::new(ip, described))
    }

    /// The far end `ip` of the special-purpose `range` (no IPv4 inside).
    fn special(&self, range: SpecialRange, ip: IpAddr) -> FarEnd {
        let known = self.specials.lock().ok().and_then(|specials| {
            specials
                .iter()
                .find(|(r, _)| *r == range)
                .map(|(_, d)| Arc::clone(d))
        });
        if let Some(described) = known {
            return FarEnd::new(ip, described);
        }
        let far = self.look_up(ip).0;
        if let Ok(mut specials) = self.specials.lock() {
            specials.push((range, Arc::clone(&far.described)));
        }
        far
    }

    /// The description of an IPv4 network looked up before that holds `ip`.
    fn known_range(&self, ip: u32) -> Option<Arc<DescribedNetwork>> {
        let ranges = self.ranges.lock().ok()?;
        let (_, (last, described)) = ranges.range(..=ip).next_back()?;
        (ip <= *last).then(|| Arc::clone(described))
    }

    /// Remembers a network's range; `false` if it could not.
    fn remember_range(&self, (first, last): (u32, u32), described: &Arc<DescribedNetwork>) -> bool {
        let Ok(mut ranges) = self.ranges.lock() else {
            return false;
        };
        if ranges.len() >= MAX_RANGES {
            ranges.clear();
        }
        // Networks the databases give are each a leaf of some database's
        // tree: two of them are disjoint or one holds the other, and each
        // holds only addresses with its answer. One starting where another
        // does replaces it, which loses no correctness, only a shortcut.
        ranges.insert(first, (last, Arc::clone(described)));
        true
    }

    /// What the answer of the databases means: operator, laws, alliances.
    fn network(&self, answer: &GeoAnswer) -> Network {
        let mut names = self.names.lock().ok();
        let mut share = |text: &str| -> Arc<str> {
            match names.as_deref_mut() {
                Some(names) => names.share(text),
                None => Arc::from(text),
            }
        };
        let operator = answer.asn.and_then(|asn| self.operators.by_asn(asn));
        let operator_country = operator
            .map(|o| o.home_country.as_str())
            .or(answer.asn_country.as_deref());
        let laws = |cc: Option<&str>| {
            cc.map(|c| self.jurisdictions.regimes_for(c))
                .unwrap_or_default()
        };
        let here = laws(answer.country.as_deref());
        let home = laws(operator_country);
        let alliances = answer
            .country
            .as_deref()
            .map(|c| self.jurisdictions.alliances_for(c))
            .unwrap_or_default();
        Network {
            special: answer.special.map(|s| share(s.id())),
            country: answer.country.as_deref().map(&mut share),
            asn: answer.asn,
            org: answer.org.as_deref().map(&mut share),
            operator: operator.map(|o| share(&o.name)),
            operator_country: operator_country.map(&mut share),
            jurisdiction: here.iter().map(|r| share(&r.id)).collect(),
            operator_jurisdiction: home.iter().map(|r| share(&r.id)).collect(),
            alliances: alliances.into_iter().map(&mut share).collect(),
            source: answer.source.as_deref().map(&mut share),
            other_countries: answer
                .other_countries
                .iter()
                .map(|(country, db)| {
                    let regimes = self.jurisdictions.regimes_for(country);
                    OtherCountry {
                        country: share(country),
                        source: share(db),
                        jurisdiction: regimes.iter().map(|r| share(&r.id)).collect(),
                        jurisdiction_short: regimes.iter().map(|r| share(&r.short)).collect(),
                    }
                })
                .collect(),
            special_name: answer.special.map(|s| s.name()),
            jurisdiction_short: here.iter().map(|r| share(&r.short)).collect(),
            operator_jurisdiction_short: home.iter().map(|r| share(&r.short)).collect(),
        }
    }

    /// The servers of app `app` (its id and display name) as run by the
    /// operator named `operator` in operators.toml; `None` if it is not
    /// listed.
    pub fn service_operator(
        &self,
        app: &Arc<str>,
        display_name: &str,
        operator: &str,
    ) -> Option<ServiceOperator> {
        let op = self.operators.by_name(operator)?;
        let home = self.jurisdictions.regimes_for(&op.home_country);
        let short: Vec<&str> = home.iter().map(|r| r.short.as_str()).collect();
        let laws = if short.is_empty() {
            op.home_country.clone()
        } else {
            format!("{} ({})", op.home_country, short.join(", "))
        };
        Some(
            ServiceOperator {
                app: Arc::clone(app),
                operator: Arc::from(op.name.as_str()),
                legal_entity: Arc::from(op.legal_entity.as_str()),
                operator_country: Arc::from(op.home_country.as_str()),
                operator_jurisdiction: home.iter().map(|r| Arc::from(r.id.as_str())).collect(),
                operator_jurisdiction_short: short.iter().map(|s| Arc::from(*s)).collect(),
                summary: Arc::from(format!(
                    "{} server, run by {}: home {laws}",
                    with_article(display_name),
                    op.name
                )),
                json: Box::default(),
            }
            .with_json(),
        )
    }

    pub fn db(&self) -> &GeoDb {
        &self.db
    }

    pub fn operators(&self) -> &Operators {
        &self.operators
    }

    pub fn jurisdictions(&self) -> &Jurisdictions {
        &self.jurisdictions
    }

    /// Distinct addresses resolved and cached.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

/// "a WhatsApp", "an Agora SD-RTN", "an imo": an app's name in a sentence,
/// without the aside in brackets some names carry ("Agora SD-RTN
/// (embedded in many apps)").
fn with_article(display_name: &str) -> String {
    let name = display_name
        .split_once(" (")
        .map_or(display_name, |(name, _)| name);
    let vowel = name
        .chars()
        .next()
        .is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {name}", if vowel { "an" } else { "a" })
}

#[cfg(test)]
mod tests {
    use super::with_article;

    #[test]
    fn an_app_name_takes_its_article_and_loses_its_aside() {
        assert_eq!(with_article("WhatsApp"), "a WhatsApp");
        assert_eq!(with_article("imo"), "an imo");
        assert_eq!(
            with_article("Agora SD-RTN (embedded in many apps)"),
            "an Agora SD-RTN"
        );
        assert_eq!(with_article(""), "a ");
    }
}
