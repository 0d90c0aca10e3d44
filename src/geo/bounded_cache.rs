//! A concurrent map that starts over when full: the resolver's caches of
//! far ends keyed by what a capture brings (addresses, database records),
//! which a flood of random addresses would otherwise grow without bound.

use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::DashMap;
use foldhash::fast::RandomState;

#[derive(Debug)]
pub struct BoundedCache<K: Eq + Hash, V> {
    map: DashMap<K, V, RandomState>,
    /// Entries in `map`, kept beside it: asking a `DashMap` its length
    /// locks every shard, and every finished flow asks a cache.
    count: AtomicUsize,
    max: usize,
}

impl<K: Eq + Hash, V: Clone> BoundedCache<K, V> {
    /// A cache that holds at most `max` entries; when full it starts over,
    /// so the keys of a real capture are soon cached again.
    pub fn new(max: usize) -> Self {
        BoundedCache {
            map: DashMap::default(),
            count: AtomicUsize::new(0),
            max,
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.map.get(key).map(|v| v.value().clone())
    }

    /// The value for `key`, made by `make` if absent. The entry holds its
    /// shard locked while `make` runs, so concurrent callers for the same
    /// key wait instead of making it twice.
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(known) = self.get(&key) {
            return known;
        }
        if self.count.load(Ordering::Relaxed) >= self.max {
            self.map.clear();
            self.count.store(0, Ordering::Relaxed);
        }
        let entry = self.map.entry(key);
        if matches!(entry, dashmap::mapref::entry::Entry::Vacant(_)) {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        entry.or_insert_with(make).value().clone()
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.count.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_over_when_full_and_makes_each_value_once() {
        let cache = BoundedCache::new(3);
        let mut made = 0;
        for key in [1, 2, 1, 3, 2] {
            cache.get_or_insert_with(key, || {
                made += 1;
                key * 10
            });
        }
        assert_eq!((made, cache.len()), (3, 3));
        assert_eq!(cache.get(&4), None);
        assert_eq!(cache.get_or_insert_with(4, || 40), 40);
        // Full at 3: cleared, then the new key.
        assert_eq!((cache.len(), cache.get(&1)), (1, None));
        assert_eq!(cache.get(&4), Some(40));
    }
}
