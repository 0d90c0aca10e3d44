//! PCAPdroid's pcapng extension: which Android app owns each packet's
//! socket, in a pcapng capture rather than a trailer on each frame.
//!
//! With its "PCAPdroid extensions" option and the PCAPNG format,
//! PCAPdroid writes IP packets (link type RAW) in enhanced packet blocks
//! whose comment option is `u-<uid>`, and before the first packet of each
//! UID a custom block (type 0x00000BAD, PCAPdroid's Private Enterprise
//! Number 62652) that maps the UID to the app's package and name:
//! version (16 bits, 1), block type (8 bits, 1 = UID map), a reserved
//! byte, the UID (32 bits), the package name's length and the app name's
//! length (8 bits each), then both names without terminators; numbers in
//! the section's byte order. Layout from PCAPdroid's `pcap_dump.c`
//! (`dump_pcapng_uid_mapping`, `dump_packet_pcapng`) and its Wireshark
//! dissector `pcapdroid.lua`.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// PCAPdroid's Private Enterprise Number (IANA), in its custom blocks.
pub const PEN: u32 = 62_652;
/// The custom block version PCAPdroid writes (and the last one known).
const VERSION: u16 = 1;
/// Custom block type: a UID's package and app name.
const UID_MAP: u8 = 1;
/// Version, type, reserved byte, UID, the two name lengths.
const UID_MAP_HEADER: usize = 10;

/// What a UID map block says of one app.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AppName {
    /// The Android package, e.g. "com.whatsapp" (may be empty).
    pub package: Box<str>,
    /// The name the phone shows, e.g. "WhatsApp" (may be empty).
    pub name: Box<str>,
}

/// The app a packet was tagged with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketApp {
    /// Android UID of the app (apps signed alike may share one).
    pub uid: i32,
    /// Its names, when the capture mapped the UID before the packet.
    pub names: Option<&'static AppName>,
}

/// A UID map block's body (the custom block's data after its PEN).
pub fn uid_map(data: &[u8], big_endian: bool) -> Option<(i32, AppName)> {
    let header: &[u8; UID_MAP_HEADER] = data.get(..UID_MAP_HEADER)?.try_into().ok()?;
    let [v0, v1, kind, _, u0, u1, u2, u3, package_len, name_len] = *header;
    let (version, uid) = if big_endian {
        (
            u16::from_be_bytes([v0, v1]),
            i32::from_be_bytes([u0, u1, u2, u3]),
        )
    } else {
        (
            u16::from_le_bytes([v0, v1]),
            i32::from_le_bytes([u0, u1, u2, u3]),
        )
    };
    if version != VERSION || kind != UID_MAP {
        return None;
    }
    let names = data.get(UID_MAP_HEADER..)?;
    let (package, rest) = names.split_at_checked(usize::from(package_len))?;
    let name = rest.get(..usize::from(name_len))?;
    let text = |b: &[u8]| Box::from(String::from_utf8_lossy(b).trim());
    Some((
        uid,
        AppName {
            package: text(package),
            name: text(name),
        },
    ))
}

/// The UID in a packet's comment as PCAPdroid writes it (`u-10123`).
pub fn comment_uid(comment: &[u8]) -> Option<i32> {
    let digits = comment.strip_prefix(b"u-")?;
    // A comment option's value may carry NUL padding.
    let end = digits.iter().position(|&b| b == 0).unwrap_or(digits.len());
    std::str::from_utf8(digits.get(..end)?).ok()?.parse().ok()
}

/// Most distinct app names kept for the life of the process: a phone has
/// a few hundred apps, so the bound only matters against made-up input.
const MAX_NAMES: usize = 4096;

/// The one shared copy of `name`. Names live as long as the process, so
/// that a packet can carry its app's names and stay a plain copyable value
/// wherever it is handed on; there are as many as distinct (package,
/// name) pairs seen, at most `MAX_NAMES`, beyond which none is kept.
pub fn shared(name: AppName) -> Option<&'static AppName> {
    static NAMES: OnceLock<Mutex<HashMap<AppName, &'static AppName>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().ok()?;
    if let Some(known) = names.get(&name) {
        return Some(known);
    }
    if names.len() >= MAX_NAMES {
        return None;
    }
    let kept: &'static AppName = Box::leak(Box::new(name.clone()));
    names.insert(name, kept);
    Some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UID map block's body as PCAPdroid writes it, in the section's
    /// byte order (without the 32-bit padding that follows in the block).
    fn uid_map_body(uid: i32, package: &str, name: &str, big_endian: bool) -> Vec<u8> {
        let mut b = Vec::new();
        let (version, uid) = if big_endian {
            (VERSION.to_be_bytes(), uid.to_be_bytes())
        } else {
            (VERSION.to_le_bytes(), uid.to_le_bytes())
        };
        b.extend_from_slice(&version);
        b.extend_from_slice(&[UID_MAP, 0]);
        b.extend_from_slice(&uid);
        b.extend_from_slice(&[package.len() as u8, name.len() as u8]);
        b.extend_from_slice(package.as_bytes());
        b.extend_from_slice(name.as_bytes());
        b
    }

    #[test]
    fn reads_a_uid_map_in_either_byte_order() {
        for big_endian in [false, true] {
            let mut body = uid_map_body(10_123, "com.whatsapp", "WhatsApp", big_endian);
            body.extend_from_slice(&[0, 0]);
            let (uid, app) = uid_map(&body, big_endian).expect("uid map");
            assert_eq!(uid, 10_123);
            assert_eq!(&*app.package, "com.whatsapp");
            assert_eq!(&*app.name, "WhatsApp");
        }
    }

    #[test]
    fn refuses_other_blocks_and_cut_ones() {
        let body = uid_map_body(10_123, "com.whatsapp", "WhatsApp", false);
        // Read in the wrong byte order, the version is 256.
        assert_eq!(uid_map(&body, true), None);
        let mut other = body.clone();
        other[2] = 2;
        assert_eq!(uid_map(&other, false), None);
        for cut in 0..body.len() {
            assert_eq!(uid_map(&body[..cut], false), None, "{cut}");
        }
    }

    #[test]
    fn reads_the_uid_of_a_comment() {
        assert_eq!(comment_uid(b"u-10123"), Some(10_123));
        assert_eq!(comment_uid(b"u-10123\0"), Some(10_123));
        assert_eq!(comment_uid(b"u--1"), Some(-1));
        assert_eq!(comment_uid(b"u-"), None);
        assert_eq!(comment_uid(b"u-12ab"), None);
        assert_eq!(comment_uid(b"a comment"), None);
    }

    #[test]
    fn names_are_shared() {
        let name = || AppName {
            package: "org.thoughtcrime.securesms".into(),
            name: "Signal".into(),
        };
        let a = shared(name()).expect("kept");
        let b = shared(name()).expect("kept");
        assert!(std::ptr::eq(a, b));
        assert_eq!(*a, name());
    }
}
