//! Longest-prefix match over the apps' published IP ranges.
//!
//! One hash map per distinct prefix length, probed from the longest length
//! down: at most 33 (IPv4) or 129 (IPv6) probes, in practice the dozen or so
//! lengths the data uses. IPv4, which every finished flow asks about, is
//! also cut into the address ranges between prefix boundaries, each with the
//! prefix that wins throughout it, so a lookup is one binary search and one
//! probe.

use rustc_hash::FxHashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

/// A parsed CIDR: network address with host bits zero, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub network: IpAddr,
    pub len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n` or `x::/n`; host bits must be zero so the data says
    /// exactly what it means.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let (addr, len) = text
            .split_once('/')
            .ok_or_else(|| format!("bad CIDR {text:?}: missing /length"))?;
        let network: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("bad CIDR {text:?}: {addr:?} is not an IP address"))?;
        let len: u8 = len
            .trim()
            .parse()
            .map_err(|_| format!("bad CIDR {text:?}: bad prefix length"))?;
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if len > max {
            return Err(format!("bad CIDR {text:?}: length {len} > {max}"));
        }
        let masked = match network {
            IpAddr::V4(a) => IpAddr::V4(mask_v4(u32::from(a), len).into()),
            IpAddr::V6(a) => IpAddr::V6(mask_v6(u128::from(a), len).into()),
        };
        if masked != network {
            return Err(format!(
                "bad CIDR {text:?}: host bits set (network is {masked}/{len})"
            ));
        }
        Ok(Cidr { network, len })
    }
}

fn mask_v4(a: u32, len: u8) -> u32 {
    a.checked_shr(32 - u32::from(len))
        .unwrap_or(0)
        .checked_shl(32 - u32::from(len))
        .unwrap_or(0)
}

fn mask_v6(a: u128, len: u8) -> u128 {
    a.checked_shr(128 - u32::from(len))
        .unwrap_or(0)
        .checked_shl(128 - u32::from(len))
        .unwrap_or(0)
}

/// Longest-prefix-match table mapping CIDRs to a value of type `T`.
#[derive(Debug)]
pub struct PrefixTable<T> {
    /// (length, network → value), longest length first.
    v4: Vec<(u8, FxHashMap<u32, T>)>,
    v6: Vec<(u8, FxHashMap<u128, T>)>,
    /// The IPv4 ranges, built at the first lookup after a change.
    v4_ranges: OnceLock<V4Ranges>,
}

/// IPv4 cut at every prefix's first address and the address after its
/// last: `starts[i]..starts[i + 1]` lies inside the same prefixes
/// throughout, and `winners[i]` is the longest of them (its index in `v4`
/// and its network), if any.
#[derive(Debug, Default)]
struct V4Ranges {
    starts: Vec<u32>,
    winners: Vec<Option<(usize, u32)>>,
}

impl<T> Default for PrefixTable<T> {
    fn default() -> Self {
        PrefixTable {
            v4: Vec::new(),
            v6: Vec::new(),
            v4_ranges: OnceLock::new(),
        }
    }
}

impl<T> PrefixTable<T> {
    /// Adds a prefix; returns the value already stored for exactly this CIDR
    /// (the new value is then not inserted).
    pub fn insert(&mut self, cidr: Cidr, value: T) -> Option<&T> {
        self.v4_ranges = OnceLock::new();
        match cidr.network {
            IpAddr::V4(a) => insert_len(&mut self.v4, cidr.len, u32::from(a), value),
            IpAddr::V6(a) => insert_len(&mut self.v6, cidr.len, u128::from(a), value),
        }
    }

    /// The value of the longest prefix containing `ip` (IPv4-mapped IPv6
    /// addresses are looked up as IPv4).
    pub fn lookup(&self, ip: IpAddr) -> Option<&T> {
        match ip.to_canonical() {
            IpAddr::V4(a) => {
                let ranges = self.v4_ranges.get_or_init(|| self.v4_ranges());
                let at = ranges.starts.partition_point(|&s| s <= u32::from(a));
                let (level, network) = (*ranges.winners.get(at.checked_sub(1)?)?)?;
                self.v4.get(level)?.1.get(&network)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6
                    .iter()
                    .find_map(|(len, map)| map.get(&mask_v6(a, *len)))
            }
        }
    }
}

impl<T> PrefixTable<T> {
    /// The longest IPv4 prefix containing `a`: its index in `v4` and its
    /// network (probing every length).
    fn v4_winner(&self, a: u32) -> Option<(usize, u32)> {
        self.v4.iter().enumerate().find_map(|(level, (len, map))| {
            let network = mask_v4(a, *len);
            map.contains_key(&network).then_some((level, network))
        })
    }

    fn v4_ranges(&self) -> V4Ranges {
        let mut cuts: Vec<u32> = vec![0];
        for (len, map) in &self.v4 {
            for &network in map.keys() {
                cuts.push(network);
                // The address after the prefix's last one (none after the
                // end of the address space).
                let size = 1u64 << (32 - u32::from(*len));
                if let Ok(after) = u32::try_from(u64::from(network) + size) {
                    cuts.push(after);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut ranges = V4Ranges::default();
        for start in cuts {
            let winner = self.v4_winner(start);
            // Neighbouring ranges with the same winner are one range.
            if ranges.winners.last() != Some(&winner) {
                ranges.starts.push(start);
                ranges.winners.push(winner);
            }
        }
        ranges
    }
}

fn insert_len<K: std::hash::Hash + Eq, T>(
    levels: &mut Vec<(u8, FxHashMap<K, T>)>,
    len: u8,
    key: K,
    value: T,
) -> Option<&T> {
    let pos = match levels.iter().position(|(l, _)| *l <= len) {
        Some(p) if levels.get(p).is_some_and(|(l, _)| *l == len) => p,
        Some(p) => {
            levels.insert(p, (len, FxHashMap::default()));
            p
        }
        None => {
            levels.push((len, FxHashMap::default()));
            levels.len() - 1
        }
    };
    let (_, map) = levels.get_mut(pos)?;
    match map.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => Some(e.into_mut()),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(value);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins_and_host_bits_are_rejected() {
        let mut t = PrefixTable::default();
        assert!(t.insert(Cidr::parse("10.0.0.0/8").unwrap(), 1).is_none());
        assert!(t.insert(Cidr::parse("10.1.0.0/16").unwrap(), 2).is_none());
        assert!(t.insert(Cidr::parse("0.0.0.0/0").unwrap(), 0).is_none());
        assert!(t.insert(Cidr::parse("2001:db8::/32").unwrap(), 6).is_none());
        assert_eq!(t.insert(Cidr::parse("10.1.0.0/16").unwrap(), 9), Some(&2));
        assert_eq!(t.lookup("10.1.2.3".parse().unwrap()), Some(&2));
        assert_eq!(t.lookup("10.2.2.3".parse().unwrap()), Some(&1));
        assert_eq!(t.lookup("11.2.2.3".parse().unwrap()), Some(&0));
        assert_eq!(t.lookup("::ffff:10.1.0.1".parse().unwrap()), Some(&2));
        assert_eq!(t.lookup("2001:db8::1".parse().unwrap()), Some(&6));
        assert_eq!(t.lookup("2001:db9::1".parse().unwrap()), None);
        assert!(Cidr::parse("10.0.0.1/8").is_err());
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("2001:db8::/129").is_err());
    }

    /// The ranges give what probing every prefix length gives, at every
    /// prefix boundary, next to it, and at addresses drawn across the space.
    #[test]
    fn ranges_agree_with_probing_every_length() {
        let mut t = PrefixTable::default();
        let cidrs = [
            "0.0.0.0/1",
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.128/25",
            "10.1.2.129/32",
            "11.0.0.0/8",
            "52.112.0.0/14",
            "52.114.77.0/24",
            "255.255.255.0/24",
            "255.255.255.255/32",
            "128.0.0.0/2",
            "192.0.2.0/24",
        ];
        for (i, c) in cidrs.iter().enumerate() {
            assert!(t.insert(Cidr::parse(c).unwrap(), i).is_none());
        }
        let mut probes: Vec<u32> = vec![0, 1, u32::MAX, u32::MAX - 1];
        for c in cidrs {
            let cidr = Cidr::parse(c).unwrap();
            let IpAddr::V4(n) = cidr.network else {
                continue;
            };
            let start = u32::from(n);
            let end = start | u32::MAX.checked_shr(u32::from(cidr.len)).unwrap_or(0);
            for a in [start, end] {
                probes.extend([a.wrapping_sub(1), a, a.wrapping_add(1)]);
            }
        }
        let mut x: u32 = 12345;
        for _ in 0..20_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            probes.push(x);
        }
        for a in probes {
            let probed = t.v4_winner(a).and_then(|(level, n)| t.v4[level].1.get(&n));
            let ip = IpAddr::from(a.to_be_bytes());
            assert_eq!(t.lookup(ip), probed, "{ip}");
        }
        // A later insert is seen by the next lookup.
        t.insert(Cidr::parse("10.1.2.129/32").unwrap(), 99);
        t.insert(Cidr::parse("10.1.2.130/31").unwrap(), 100);
        assert_eq!(t.lookup("10.1.2.130".parse().unwrap()), Some(&100));
    }
}
