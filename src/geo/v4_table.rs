//! The embedded database's IPv4 networks as a flat table (made by build.rs
//! from the same bytes): which tree record holds an address, in three reads
//! instead of a walk down the database's search tree. Two addresses with
//! the same record get the same answer from the database, so the resolver
//! describes each record once.

/// The table build.rs wrote for the embedded database.
static EMBEDDED_TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/geo_v4_table.bin"));
/// The table's first bytes (its layout's version), as build.rs writes them.
const MAGIC: &[u8; 8] = b"CPGEO4v1";
/// /16 blocks, plus the end of the last one.
const BLOCK_FIRSTS: usize = (1 << 16) + 1;

/// Flat IPv4 table: per /16 block the index of its first entry, then each
/// entry's start within its block and its tree record (layout in build.rs).
#[derive(Debug, Clone, Copy)]
pub struct V4Table {
    firsts: &'static [u8],
    lows: &'static [u8],
    records: &'static [u8],
}

impl V4Table {
    /// The embedded database's table, if it is whole (each block has
    /// entries, the first starting at the block's first address).
    pub fn embedded() -> Option<V4Table> {
        V4Table::parse(EMBEDDED_TABLE)
    }

    fn parse(bytes: &'static [u8]) -> Option<V4Table> {
        let rest = bytes.strip_prefix(MAGIC)?;
        let (count, rest) = rest.split_first_chunk::<4>()?;
        let count = usize::try_from(u32::from_le_bytes(*count)).ok()?;
        let (firsts, rest) = rest.split_at_checked(BLOCK_FIRSTS * 4)?;
        let (lows, records) = rest.split_at_checked(count.checked_mul(2)?)?;
        if records.len() != count.checked_mul(4)? {
            return None;
        }
        let table = V4Table {
            firsts,
            lows,
            records,
        };
        let mut previous = table.first(0)?;
        if previous != 0 || table.first(BLOCK_FIRSTS - 1)? != count {
            return None;
        }
        for block in 1..BLOCK_FIRSTS {
            let first = table.first(block)?;
            if first <= previous || table.low(previous)? != 0 {
                return None;
            }
            previous = first;
        }
        Some(table)
    }

    /// The tree record of the network holding `ip` (a number that stands
    /// for the database's answer: equal records, equal answers).
    pub fn record(&self, ip: u32) -> Option<u32> {
        let block = usize::try_from(ip >> 16).ok()?;
        let (mut lo, mut hi) = (self.first(block)?, self.first(block + 1)?);
        let low = (ip & 0xffff) as u16;
        // The last entry of the block starting at or before `low`; the
        // block's first starts at 0 (checked in `parse`).
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.low(mid)? <= low {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let bytes = self.records.get(lo * 4..lo * 4 + 4)?;
        Some(u32::from_le_bytes(bytes.try_into().ok()?))
    }

    fn first(&self, block: usize) -> Option<usize> {
        let bytes = self.firsts.get(block * 4..block * 4 + 4)?;
        usize::try_from(u32::from_le_bytes(bytes.try_into().ok()?)).ok()
    }

    fn low(&self, entry: usize) -> Option<u16> {
        let bytes = self.lows.get(entry * 2..entry * 2 + 2)?;
        Some(u16::from_le_bytes(bytes.try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    /// The embedded database, read by maxminddb as `GeoDb` reads it.
    fn reader() -> maxminddb::Reader<&'static [u8]> {
        maxminddb::Reader::from_source(super::super::database::embedded_bytes()).expect("embedded")
    }

    /// Addresses spread over the whole space (a fixed linear congruential
    /// sequence), plus the edges of the space.
    fn addresses() -> Vec<u32> {
        let mut x = 0x1234_5678u32;
        let mut all: Vec<u32> = (0..20_000)
            .map(|_| {
                x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                x
            })
            .collect();
        all.extend([0, 1, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, u32::MAX]);
        all
    }

    /// The network of each address, as the database's own lookup gives it,
    /// has one record in the table from its first address to its last;
    /// and addresses the table gives one record share the database's answer.
    #[test]
    fn table_agrees_with_the_database_tree() {
        let table = V4Table::embedded().expect("embedded table is whole");
        let reader = reader();
        let mut answers = std::collections::HashMap::new();
        for ip in addresses() {
            let record = table.record(ip).expect("every address has a record");
            let (answer, prefix) = reader
                .lookup_prefix::<crate::geo::record::GeoRecord>(IpAddr::V4(Ipv4Addr::from(ip)))
                .expect("lookup");
            // maxminddb counts the prefix of an IPv4 address in the IPv6 tree
            // from the IPv4 part.
            let host_bits = u32::MAX
                .checked_shr(u32::try_from(prefix).unwrap())
                .unwrap_or(0);
            let (first, last) = (ip & !host_bits, ip | host_bits);
            assert_eq!(table.record(first), Some(record), "{ip:#x} /{prefix}");
            assert_eq!(table.record(last), Some(record), "{ip:#x} /{prefix}");
            let answer = format!("{answer:?}");
            let known = answers.entry(record).or_insert_with(|| answer.clone());
            assert_eq!(*known, answer, "record {record} of {ip:#x}");
        }
        assert!(answers.len() > 1000, "{} distinct records", answers.len());
    }

    #[test]
    fn damaged_tables_are_refused() {
        let whole = EMBEDDED_TABLE.to_vec();
        let leak = |bytes: Vec<u8>| -> &'static [u8] { Box::leak(bytes.into_boxed_slice()) };
        assert!(V4Table::parse(leak(whole[..whole.len() - 1].to_vec())).is_none());
        assert!(V4Table::parse(leak(whole[1..].to_vec())).is_none());
        assert!(V4Table::parse(leak(whole[..100].to_vec())).is_none());
        // A block whose first entry does not start at its first address.
        let mut shifted = whole.clone();
        let lows_at = 8 + 4 + BLOCK_FIRSTS * 4;
        shifted[lows_at] = 1;
        assert!(V4Table::parse(leak(shifted)).is_none());
        assert!(V4Table::parse(leak(whole)).is_some());
    }
}
