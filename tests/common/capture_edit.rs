//! The samples (classic pcap, little-endian, microseconds, Ethernet)
//! edited the way `editcap -t` and `mergecap` would: shifted in time,
//! merged, paused, a UDP port moved or dropped, a string replaced, to
//! build captures of consecutive calls from the project's own samples. Written back with the shared
//! writer (`classic_pcap`).

use std::path::Path;

/// A capture's records in file order.
#[derive(Clone)]
pub struct Capture {
    pub records: Vec<Record>,
}

#[derive(Clone)]
pub struct Record {
    /// Microseconds since the epoch.
    pub micros: i64,
    pub data: Vec<u8>,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

impl Capture {
    pub fn read(path: &Path) -> Capture {
        let bytes = std::fs::read(path).expect("read capture");
        assert_eq!(
            le32(&bytes, 0),
            0xa1b2_c3d4,
            "little-endian microsecond pcap"
        );
        assert_eq!(le32(&bytes, 20), 1, "Ethernet");
        let mut records = Vec::new();
        let mut at = 24;
        while at + 16 <= bytes.len() {
            let micros = i64::from(le32(&bytes, at)) * 1_000_000 + i64::from(le32(&bytes, at + 4));
            let incl = le32(&bytes, at + 8) as usize;
            assert_eq!(incl, le32(&bytes, at + 12) as usize, "whole frames");
            records.push(Record {
                micros,
                data: bytes[at + 16..at + 16 + incl].to_vec(),
            });
            at += 16 + incl;
        }
        Capture { records }
    }

    /// The capture as a classic pcap file's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        let frames: Vec<(u64, Vec<u8>)> = self
            .records
            .iter()
            .map(|r| (r.micros as u64, r.data.clone()))
            .collect();
        super::classic_pcap(&frames)
    }

    pub fn first_micros(&self) -> i64 {
        self.records.first().expect("a record").micros
    }

    /// `editcap -t`: every record `secs` later.
    pub fn shifted(mut self, secs: f64) -> Capture {
        let by = (secs * 1e6) as i64;
        for r in &mut self.records {
            r.micros += by;
        }
        self
    }

    /// The records from `at_secs` after the first one on shifted by `secs`:
    /// a pause in the middle.
    pub fn paused(mut self, at_secs: f64, secs: f64) -> Capture {
        let from = self.first_micros() + (at_secs * 1e6) as i64;
        let by = (secs * 1e6) as i64;
        for r in self.records.iter_mut().filter(|r| r.micros >= from) {
            r.micros += by;
        }
        self
    }

    /// `mergecap`: both captures' records in time order.
    pub fn merged(mut self, other: Capture) -> Capture {
        self.records.extend(other.records);
        self.records.sort_by_key(|r| r.micros);
        self
    }

    /// Only the records `from..to` (0-based), as `editcap -r` keeps them:
    /// the capture as if started and stopped there.
    pub fn between(mut self, from: usize, to: usize) -> Capture {
        self.records.truncate(to);
        self.records.drain(..from.min(self.records.len()));
        self
    }

    /// The capture without the UDP packets from or to `port` (IPv4 over
    /// Ethernet).
    pub fn without_udp_port(self, port: u16) -> Capture {
        self.without_port(17, port)
    }

    /// The capture without the TCP packets from or to `port` (IPv4 over
    /// Ethernet).
    pub fn without_tcp_port(self, port: u16) -> Capture {
        self.without_port(6, port)
    }

    fn without_port(mut self, ip_protocol: u8, port: u16) -> Capture {
        self.records.retain(|r| {
            let d = &r.data;
            if d.len() < 14 + 20 + 8 || d[12..14] != [0x08, 0x00] || d[14 + 9] != ip_protocol {
                return true;
            }
            let udp = 14 + usize::from(d[14] & 0x0f) * 4;
            let p = port.to_be_bytes();
            d[udp..udp + 2] != p && d[udp + 2..udp + 4] != p
        });
        self
    }

    /// Every occurrence of `from` in the packets becomes `to` (of the same
    /// length, so nothing moves); returns how many there were.
    pub fn replace_bytes(&mut self, from: &[u8], to: &[u8]) -> usize {
        self.replace_bytes_after(0.0, from, to)
    }

    /// IPv4 address `from` becomes `to` wherever the packets name it: in
    /// headers, as dotted text (SIP, SDP, HTTP; both texts of one length)
    /// and in STUN's XOR-MAPPED/-PEER/-RELAYED attributes, which hold it
    /// XORed with the magic cookie (left without FINGERPRINT recomputed,
    /// which no reader checks). Returns (headers and text, STUN) counts.
    pub fn move_ipv4(&mut self, from: [u8; 4], to: [u8; 4]) -> (usize, usize) {
        let dotted = |ip: [u8; 4]| std::net::Ipv4Addr::from(ip).to_string();
        let xored = |ip: [u8; 4]| -> Vec<u8> {
            ip.iter()
                .zip([0x21, 0x12, 0xa4, 0x42])
                .map(|(a, b)| a ^ b)
                .collect()
        };
        let plain = self.replace_bytes(&from, &to)
            + self.replace_bytes(dotted(from).as_bytes(), dotted(to).as_bytes());
        (plain, self.replace_bytes(&xored(from), &xored(to)))
    }

    /// `replace_bytes` in the records from `at_secs` after the first one on.
    pub fn replace_bytes_after(&mut self, at_secs: f64, from: &[u8], to: &[u8]) -> usize {
        assert_eq!(from.len(), to.len(), "same length");
        let start = self.first_micros() + (at_secs * 1e6) as i64;
        let mut count = 0;
        for r in self.records.iter_mut().filter(|r| r.micros >= start) {
            let mut at = 0;
            while let Some(i) = r.data[at..].windows(from.len()).position(|w| w == from) {
                r.data[at + i..at + i + to.len()].copy_from_slice(to);
                at += i + to.len();
                count += 1;
            }
        }
        count
    }

    /// UDP port `from` becomes `to`, either way, in the records from
    /// `at_secs` after the first one on (Ethernet, IPv4; the UDP checksum
    /// is zeroed, which IPv4 allows).
    pub fn udp_port_moved(mut self, at_secs: f64, from: u16, to: u16) -> Capture {
        let start = self.first_micros() + (at_secs * 1e6) as i64;
        for r in self.records.iter_mut().filter(|r| r.micros >= start) {
            let d = &mut r.data;
            if d.len() < 14 + 20 + 8 || d[12..14] != [0x08, 0x00] || d[14 + 9] != 17 {
                continue;
            }
            let udp = 14 + usize::from(d[14] & 0x0f) * 4;
            for port_at in [udp, udp + 2] {
                if d[port_at..port_at + 2] == from.to_be_bytes() {
                    d[port_at..port_at + 2].copy_from_slice(&to.to_be_bytes());
                }
            }
            d[udp + 6..udp + 8].copy_from_slice(&[0, 0]);
        }
        self
    }
}
