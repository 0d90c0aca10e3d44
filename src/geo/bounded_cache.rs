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
        self.get_or_insert_with_then(key, make, || {})
    }

    /// `get_or_insert_with` that calls `started_over` when the cache is
    /// emptied to make room (for what must be forgotten along with it).
    pub fn get_or_insert_with_then(
        &self,
        key: K,
        make: impl FnOnce() -> V,
        started_over: impl FnOnce(),
    ) -> V {
        if let Some(known) = self.get(&key) {
            return known;
        }
        if self.count.load(Ordering::Relaxed) >= self.max {
            self.map.clear();
            self.count.store(0, Ordering::Relaxed);
            started_over();
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
        let mut starts = 0;
        for key in [4, 5, 6, 7] {
            cache.get_or_insert_with_then(key, || key * 10, || starts += 1);
        }
        // 4 was there; 5 and 6 fill it to 3; 7 starts it over.
        assert_eq!((starts, cache.len(), cache.get(&7)), (1, 1, Some(70)));
    }
}
