//! The text of addresses and endpoints, as `Display` writes them, built on
//! the stack: endpoints are written into every record and most evidence
//! lines, and going through the formatting machinery for the address and
//! then for the port cost ~1,000 instructions each time for IPv4 and
//! ~2,700 for IPv6.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address's text, optionally as an endpoint with its port:
/// `1.2.3.4:5`, `[2001:db8::1]:443`.
pub struct AddressText {
    /// Room for the longest text ("[ffff:…:ffff]:65535", 47 bytes) and for
    /// the three bytes an octet's text is copied as, whatever its length.
    bytes: [u8; 48],
    len: usize,
}

/// Each octet's decimal text in three bytes, then its length.
static OCTET_TEXTS: [[u8; 4]; 256] = octet_texts();

// Evaluated while compiling: an index out of range would fail the build.
#[allow(clippy::indexing_slicing)]
const fn octet_texts() -> [[u8; 4]; 256] {
    let mut table = [[0u8; 4]; 256];
    let mut n = 0;
    while n < 256 {
        let (h, t, u) = ((n / 100) as u8, (n / 10 % 10) as u8, (n % 10) as u8);
        table[n] = if n >= 100 {
            [b'0' + h, b'0' + t, b'0' + u, 3]
        } else if n >= 10 {
            [b'0' + t, b'0' + u, 0, 2]
        } else {
            [b'0' + u, 0, 0, 1]
        };
        n += 1;
    }
    table
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

impl AddressText {
    /// `ip`, or with `port` the endpoint (IPv6 in brackets, as URLs and
    /// DESIGN.md write it).
    pub fn new(ip: IpAddr, port: Option<u16>) -> AddressText {
        let mut t = AddressText {
            bytes: [0; 48],
            len: 0,
        };
        match ip {
            IpAddr::V4(v4) => t.v4(v4),
            IpAddr::V6(v6) => {
                if port.is_some() {
                    t.push(b'[');
                }
                t.v6(v6);
                if port.is_some() {
                    t.push(b']');
                }
            }
        }
        if let Some(port) = port {
            t.push(b':');
            t.decimal(port);
        }
        t
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII is ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    fn v4(&mut self, ip: Ipv4Addr) {
        for (i, octet) in ip.octets().into_iter().enumerate() {
            if i > 0 {
                self.push(b'.');
            }
            // A table look-up and one copy: digit by digit, with a
            // division each, was a third of the cost of writing a record's
            // two endpoints.
            let text = OCTET_TEXTS.get(usize::from(octet));
            if let (Some(&[a, b, c, len]), Some(slot)) =
                (text, self.bytes.get_mut(self.len..self.len + 3))
            {
                slot.copy_from_slice(&[a, b, c]);
                self.len += usize::from(len);
            }
        }
    }

    /// As std writes IPv6 (RFC 5952): IPv4-mapped addresses as
    /// `::ffff:a.b.c.d`; otherwise lower-case hex groups without leading
    /// zeros, the longest run of two or more zero groups (the first of
    /// equal runs) written as `::`.
    fn v6(&mut self, ip: Ipv6Addr) {
        if let Some(v4) = ip.to_ipv4_mapped() {
            self.extend(b"::ffff:");
            self.v4(v4);
            return;
        }
        let groups = ip.segments();
        let (mut run_start, mut run_len) = (0, 0);
        let (mut start, mut len) = (0, 0);
        for (i, &group) in groups.iter().enumerate() {
            if group == 0 {
                if len == 0 {
                    start = i;
                }
                len += 1;
                if len > run_len {
                    (run_start, run_len) = (start, len);
                }
            } else {
                len = 0;
            }
        }
        let groups = |range: std::ops::Range<usize>| groups.get(range).unwrap_or_default();
        if run_len > 1 {
            self.hex_groups(groups(0..run_start));
            self.extend(b"::");
            self.hex_groups(groups(run_start + run_len..8));
        } else {
            self.hex_groups(groups(0..8));
        }
    }

    fn hex_groups(&mut self, groups: &[u16]) {
        for (i, &group) in groups.iter().enumerate() {
            if i > 0 {
                self.push(b':');
            }
            let mut started = false;
            for shift in [12, 8, 4, 0] {
                let digit = usize::from((group >> shift) & 0xf);
                if started || digit != 0 || shift == 0 {
                    self.push(HEX_DIGITS.get(digit).copied().unwrap_or(b'0'));
                    started = true;
                }
            }
        }
    }

    /// `n` in decimal, without leading zeros.
    fn decimal(&mut self, n: u16) {
        let mut started = false;
        for unit in [10_000, 1_000, 100, 10, 1] {
            let digit = (n / unit) % 10;
            if started || digit != 0 || unit == 1 {
                self.push(b'0' + digit as u8);
                started = true;
            }
        }
    }

    fn push(&mut self, b: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn extend(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std_endpoint(ip: IpAddr, port: u16) -> String {
        std::net::SocketAddr::new(ip, port).to_string()
    }

    #[test]
    fn ipv6_as_std_writes_it() {
        // Every pattern of zero and non-zero groups (which decides where
        // `::` goes), with short and long non-zero groups.
        for pattern in 0u32..256 {
            for filler in [1u16, 0xab, 0xfff, 0xffff, 0x1000] {
                let groups: Vec<u16> = (0..8)
                    .map(|i| {
                        if pattern & (1 << i) != 0 {
                            filler.wrapping_add(i as u16)
                        } else {
                            0
                        }
                    })
                    .collect();
                let mut g = [0u16; 8];
                g.copy_from_slice(&groups);
                let ip = IpAddr::V6(Ipv6Addr::from(g));
                assert_eq!(AddressText::new(ip, None).as_str(), ip.to_string());
                assert_eq!(
                    AddressText::new(ip, Some(5060)).as_str(),
                    std_endpoint(ip, 5060)
                );
            }
        }
        for text in [
            "::",
            "::1",
            "::ffff:1.2.3.4",
            "::ffff:0.0.0.0",
            "::1.2.3.4",
            "64:ff9b::808:808",
            "fe80::1:2:3:4",
            "2001:db8:0:0:1:0:0:1",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        ] {
            let ip: IpAddr = text.parse().unwrap();
            assert_eq!(AddressText::new(ip, None).as_str(), ip.to_string());
            assert_eq!(
                AddressText::new(ip, Some(65535)).as_str(),
                std_endpoint(ip, 65535)
            );
        }
    }

    #[test]
    fn ipv4_as_std_writes_it() {
        for octets in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 0, 100, 9],
            [1, 20, 199, 7],
        ] {
            let ip = IpAddr::V4(Ipv4Addr::from(octets));
            assert_eq!(AddressText::new(ip, None).as_str(), ip.to_string());
            for port in [0, 9, 10, 99, 100, 3478, 10000, 65535] {
                assert_eq!(
                    AddressText::new(ip, Some(port)).as_str(),
                    std_endpoint(ip, port)
                );
            }
        }
    }
}
