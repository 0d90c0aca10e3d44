//! Which ICE session a connectivity check belongs to. A check's USERNAME is
//! "receiver's ufrag:sender's ufrag" (RFC 8445 §7.2.2), so the two sides'
//! checks name the same pair in opposite orders; every new session (a new
//! call, or an ICE restart) draws new ufrags (RFC 8445 §5.3).

use std::hash::{Hash, Hasher};

/// The unordered ufrag pair of an ICE session, kept as a hash: only
/// compared, never shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IceSession(u64);

impl IceSession {
    /// The session a connectivity check's USERNAME names; `None` without
    /// the colon that separates the two ufrags (a TURN or vendor username).
    pub fn from_username(username: &[u8]) -> Option<IceSession> {
        let colon = username.iter().position(|&b| b == b':')?;
        let (first, rest) = username.split_at(colon);
        let second = rest.get(1..)?;
        let (lo, hi) = if first <= second {
            (first, second)
        } else {
            (second, first)
        };
        // Fx hashes the same everywhere: one run, one answer.
        let mut h = rustc_hash::FxHasher::default();
        lo.hash(&mut h);
        hi.hash(&mut h);
        Some(IceSession(h.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_name_the_same_session() {
        let a = IceSession::from_username(b"6NKkclI:u2Vw9gv");
        let b = IceSession::from_username(b"u2Vw9gv:6NKkclI");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(a, IceSession::from_username(b"6NKkclI:xxxxxxx"));
    }

    #[test]
    fn a_username_without_ufrags_names_none() {
        assert_eq!(IceSession::from_username(b"callpath"), None);
        assert!(IceSession::from_username(b":").is_some());
        assert!(IceSession::from_username(b"").is_none());
    }
}
