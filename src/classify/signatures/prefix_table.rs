//! Longest-prefix match over the apps' published IP ranges.
//!
//! One hash map per distinct prefix length, probed from the longest length
//! down: at most 33 (IPv4) or 129 (IPv6) probes, in practice the dozen or so
//! lengths the data uses. It runs once per new flow, so this is plenty.

use rustc_hash::FxHashMap;
use std::net::IpAddr;

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
}

impl<T> Default for PrefixTable<T> {
    fn default() -> Self {
        PrefixTable {
            v4: Vec::new(),
            v6: Vec::new(),
        }
    }
}

impl<T> PrefixTable<T> {
    /// Adds a prefix; returns the value already stored for exactly this CIDR
    /// (the new value is then not inserted).
    pub fn insert(&mut self, cidr: Cidr, value: T) -> Option<&T> {
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
                let a = u32::from(a);
                self.v4
                    .iter()
                    .find_map(|(len, map)| map.get(&mask_v4(a, *len)))
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
}
