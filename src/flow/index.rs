//! Flow key → table slot. The index stores only slot numbers (4 bytes a
//! flow instead of a copy of the 42-byte key); a probe compares against the
//! key kept in the flow itself, which the lookup reads next anyway.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::FlowKey;

#[derive(Default)]
pub struct FlowIndex {
    table: HashTable<u32>,
}

fn hash(key: &FlowKey) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl FlowIndex {
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The slot holding `key`; `key_at` reads the key of an indexed slot.
    pub fn find<'k>(
        &self,
        key: &FlowKey,
        key_at: impl Fn(u32) -> Option<&'k FlowKey>,
    ) -> Option<u32> {
        self.table
            .find(hash(key), |&s| key_at(s) == Some(key))
            .copied()
    }

    /// Indexes `slot`, which must already hold the flow of `key` (growing
    /// the table rehashes every indexed slot through `key_at`).
    pub fn insert<'k>(
        &mut self,
        key: &FlowKey,
        slot: u32,
        key_at: impl Fn(u32) -> Option<&'k FlowKey>,
    ) {
        self.table
            .insert_unique(hash(key), slot, |&s| key_at(s).map_or(0, hash));
    }

    /// Removes `key` from the index and returns its slot.
    pub fn remove<'k>(
        &mut self,
        key: &FlowKey,
        key_at: impl Fn(u32) -> Option<&'k FlowKey>,
    ) -> Option<u32> {
        let entry = self
            .table
            .find_entry(hash(key), |&s| key_at(s) == Some(key))
            .ok()?;
        Some(entry.remove().0)
    }

    pub fn clear(&mut self) {
        self.table.clear();
    }
}
