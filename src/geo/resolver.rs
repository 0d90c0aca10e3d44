//! Resolves far ends once per address per run: GeoDb + operators + jurisdictions.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use foldhash::fast::RandomState;

use super::database::{GeoAnswer, GeoDb};
use super::error::GeoError;
use super::far_end::{DescribedNetwork, FarEnd, Network};
use super::jurisdictions::Jurisdictions;
use super::operators::Operators;
use super::special_range::SpecialRange;

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
    cache: DashMap<IpAddr, Arc<FarEnd>, RandomState>,
    /// Entries in `cache`, kept beside it: asking a `DashMap` its length
    /// locks every shard, and every finished flow resolves its far end.
    cached: AtomicUsize,
    /// Descriptions by database answer: many addresses share a network.
    networks: DashMap<GeoAnswer, Arc<DescribedNetwork>, RandomState>,
    /// Descriptions of whole IPv4 /16 blocks, for addresses whose database
    /// networks are that wide or wider (most of the address space): the
    /// other addresses of the block need no database lookup. At most 65,536.
    blocks: DashMap<u16, Arc<DescribedNetwork>, RandomState>,
}

/// Prefix length of the blocks `GeoResolver::blocks` describes.
const BLOCK_PREFIX: u8 = 16;

/// The /16 block of a plain (not special-purpose) IPv4 address.
fn block_of(ip: IpAddr) -> Option<u16> {
    match ip.to_canonical() {
        IpAddr::V4(v4) if SpecialRange::of(ip).is_none() => {
            let [a, b, _, _] = v4.octets();
            Some(u16::from_be_bytes([a, b]))
        }
        _ => None,
    }
}

impl GeoResolver {
    pub fn new(db: GeoDb, operators: Operators, jurisdictions: Jurisdictions) -> GeoResolver {
        GeoResolver {
            db,
            operators,
            jurisdictions,
            cache: DashMap::default(),
            cached: AtomicUsize::new(0),
            networks: DashMap::default(),
            blocks: DashMap::default(),
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

    /// The far end for `ip`; the databases are asked about each address
    /// once while it stays cached.
    pub fn resolve(&self, ip: IpAddr) -> Arc<FarEnd> {
        if let Some(known) = self.cache.get(&ip) {
            return Arc::clone(known.value());
        }
        if self.cached.load(Ordering::Relaxed) >= MAX_CACHED {
            self.cache.clear();
            self.cached.store(0, Ordering::Relaxed);
        }
        // The entry holds its shard locked while describing, so concurrent
        // callers for the same address wait instead of looking it up twice.
        let entry = self.cache.entry(ip);
        if matches!(entry, dashmap::mapref::entry::Entry::Vacant(_)) {
            self.cached.fetch_add(1, Ordering::Relaxed);
        }
        Arc::clone(entry.or_insert_with(|| Arc::new(self.describe(ip))).value())
    }

    /// Uncached description of `ip` (its network's description may be cached).
    pub fn describe(&self, ip: IpAddr) -> FarEnd {
        let block = block_of(ip);
        if let Some(known) = block.and_then(|b| self.blocks.get(&b)) {
            return FarEnd::new(ip, Arc::clone(known.value()));
        }
        let (answer, prefix) = self.db.lookup_network(ip);
        if self.networks.len() >= MAX_NETWORKS && !self.networks.contains_key(&answer) {
            self.networks.clear();
        }
        let described = match self.networks.get(&answer) {
            Some(d) => Arc::clone(d.value()),
            None => {
                let d = Arc::new(DescribedNetwork::new(self.network(&answer)));
                self.networks.insert(answer, Arc::clone(&d));
                d
            }
        };
        if let (Some(b), Some(p)) = (block, prefix) {
            if p <= BLOCK_PREFIX {
                self.blocks.insert(b, Arc::clone(&described));
            }
        }
        FarEnd::new(ip, described)
    }

    /// What the answer of the databases means: operator, laws, alliances.
    fn network(&self, answer: &GeoAnswer) -> Network {
        let operator = answer.asn.and_then(|asn| self.operators.by_asn(asn));
        let operator_country = operator
            .map(|o| o.home_country.clone())
            .or_else(|| answer.asn_country.clone());
        let laws = |cc: Option<&String>| {
            cc.map(|c| self.jurisdictions.regimes_for(c))
                .unwrap_or_default()
        };
        let here = laws(answer.country.as_ref());
        let home = laws(operator_country.as_ref());
        Network {
            special: answer.special.map(|s| s.id().to_string()),
            country: answer.country.clone(),
            asn: answer.asn,
            org: answer.org.clone(),
            operator: operator.map(|o| o.name.clone()),
            operator_country,
            jurisdiction: here.iter().map(|r| r.id.clone()).collect(),
            operator_jurisdiction: home.iter().map(|r| r.id.clone()).collect(),
            alliances: answer
                .country
                .as_deref()
                .map(|c| self.jurisdictions.alliances_for(c))
                .unwrap_or_default()
                .into_iter()
                .map(str::to_string)
                .collect(),
            source: answer.source.clone(),
            special_name: answer.special.map(|s| s.name()),
            jurisdiction_short: here.iter().map(|r| r.short.clone()).collect(),
            operator_jurisdiction_short: home.iter().map(|r| r.short.clone()).collect(),
        }
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
        self.cached.load(Ordering::Relaxed)
    }
}
