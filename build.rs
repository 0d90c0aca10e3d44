//! Build script: a flat table of the embedded geolocation database's IPv4
//! networks (src/geo/v4_table.rs reads it).
//!
//! Looking an address up in the database walks its search tree one bit at
//! a time, ~20 dependent reads of which the deep ones miss the cache: on
//! the reference capture, whose far ends are spread over the whole IPv4
//! space, those walks were ~3 % of a run. The table answers with three
//! reads: the /16 block's first entry, the network starts in that block,
//! and the tree record of the one holding the address. Built here, from
//! the same bytes the binary embeds, because walking the tree's ~700,000
//! IPv4 networks takes longer than a short capture's whole run.

use std::path::PathBuf;

/// What the table starts with, and its layout's version.
const MAGIC: &[u8; 8] = b"CPGEO4v1";

fn main() {
    let db_path = "data/geo/callpath-geo.mmdb";
    println!("cargo:rerun-if-changed={db_path}");
    println!("cargo:rerun-if-changed=build.rs");
    let bytes = std::fs::read(db_path).unwrap_or_else(|e| panic!("reading {db_path}: {e}"));
    let reader = maxminddb::Reader::from_source(bytes.as_slice())
        .unwrap_or_else(|e| panic!("{db_path} is not a MaxMind database: {e}"));
    let meta = &reader.metadata;
    let tree = Tree {
        bytes: &bytes,
        node_count: meta.node_count,
        record_size: meta.record_size,
    };
    // An IPv6 database keeps IPv4 at ::/96 (96 left turns from the root).
    let mut start = 0u32;
    if meta.ip_version == 6 {
        for _ in 0..96 {
            if start >= tree.node_count {
                break;
            }
            start = tree.child(start, 0);
        }
    }
    let mut networks = Vec::new();
    tree.walk(start, 0, 0, &mut networks);
    let table = flat_table(&networks);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR set by cargo"))
        .join("geo_v4_table.bin");
    std::fs::write(&out, table).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}

/// The database's search tree (MaxMind DB format 2.0, section "Search Tree").
struct Tree<'a> {
    bytes: &'a [u8],
    node_count: u32,
    record_size: u16,
}

impl Tree<'_> {
    /// The left (`bit` 0) or right record of `node`.
    fn child(&self, node: u32, bit: u8) -> u32 {
        let node = node as usize;
        let b = |i: usize| u32::from(self.bytes[i]);
        match self.record_size {
            24 => {
                let at = node * 6 + usize::from(bit) * 3;
                (b(at) << 16) | (b(at + 1) << 8) | b(at + 2)
            }
            28 => {
                let at = node * 7;
                let middle = b(at + 3);
                if bit == 0 {
                    ((middle & 0xf0) << 20) | (b(at) << 16) | (b(at + 1) << 8) | b(at + 2)
                } else {
                    ((middle & 0x0f) << 24) | (b(at + 4) << 16) | (b(at + 5) << 8) | b(at + 6)
                }
            }
            32 => {
                let at = node * 8 + usize::from(bit) * 4;
                (b(at) << 24) | (b(at + 1) << 16) | (b(at + 2) << 8) | b(at + 3)
            }
            other => panic!("unsupported record size {other}"),
        }
    }

    /// Every network under `node` (reached by `depth` bits `prefix`), in
    /// address order, as (first address, tree record). A record at or past
    /// `node_count` ends the walk: `node_count` itself means "no data",
    /// higher ones point into the data section.
    fn walk(&self, node: u32, depth: u32, prefix: u32, out: &mut Vec<(u32, u32)>) {
        if node >= self.node_count || depth == 32 {
            let first = if depth == 0 {
                0
            } else {
                prefix << (32 - depth)
            };
            out.push((first, node));
            return;
        }
        self.walk(self.child(node, 0), depth + 1, prefix << 1, out);
        self.walk(self.child(node, 1), depth + 1, (prefix << 1) | 1, out);
    }
}

/// The table: `MAGIC`, the entry count (u32), then for each /16 block the
/// index of its first entry (65,537 u32s, the last one the count), each
/// entry's start within its block (u16s), and each entry's tree record
/// (u32s); little-endian. A network wider than a /16 has an entry in every
/// block it covers, so each block's entries start at 0.
fn flat_table(networks: &[(u32, u32)]) -> Vec<u8> {
    let mut firsts = Vec::with_capacity(65_537);
    let mut lows: Vec<u16> = Vec::with_capacity(networks.len() + 65_536);
    let mut records: Vec<u32> = Vec::with_capacity(networks.len() + 65_536);
    let mut next = 0usize;
    for block in 0..=u16::MAX {
        firsts.push(u32::try_from(lows.len()).expect("entries fit 32 bits"));
        let block_start = u32::from(block) << 16;
        // The network holding the block's first address, then those that
        // start inside the block.
        while next + 1 < networks.len() && networks[next + 1].0 <= block_start {
            next += 1;
        }
        lows.push(0);
        records.push(networks[next].1);
        while next + 1 < networks.len() && networks[next + 1].0 >> 16 == u32::from(block) {
            next += 1;
            lows.push((networks[next].0 & 0xffff) as u16);
            records.push(networks[next].1);
        }
    }
    firsts.push(u32::try_from(lows.len()).expect("entries fit 32 bits"));
    let mut table = Vec::with_capacity(12 + firsts.len() * 4 + lows.len() * 6);
    table.extend_from_slice(MAGIC);
    table.extend_from_slice(&u32::try_from(lows.len()).expect("fits").to_le_bytes());
    for f in firsts {
        table.extend_from_slice(&f.to_le_bytes());
    }
    for l in lows {
        table.extend_from_slice(&l.to_le_bytes());
    }
    for r in records {
        table.extend_from_slice(&r.to_le_bytes());
    }
    table
}
