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

/// The ufrag of the agent that sent a connectivity check (the part of its
/// USERNAME after the colon), kept as a hash: an agent uses one ufrag for
/// all its candidates, whatever address or interface each is on, and
/// another agent draws its own, so two addresses that send checks with
/// the same one belong to the same device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SenderUfrag(u64);

impl SenderUfrag {
    /// The sender's ufrag in a check's USERNAME; `None` without the colon
    /// or with nothing after it.
    pub fn from_username(username: &[u8]) -> Option<SenderUfrag> {
        let colon = username.iter().position(|&b| b == b':')?;
        let sender = username.get(colon + 1..).filter(|s| !s.is_empty())?;
        let mut h = rustc_hash::FxHasher::default();
        sender.hash(&mut h);
        Some(SenderUfrag(h.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sender_is_after_the_colon() {
        let a = SenderUfrag::from_username(b"6NKkclI:u2Vw9gv");
        // The other side's check names the same pair, sent by the other.
        let b = SenderUfrag::from_username(b"u2Vw9gv:6NKkclI");
        assert!(a.is_some() && b.is_some());
        assert_ne!(a, b);
        // The same sender checking another peer.
        assert_eq!(a, SenderUfrag::from_username(b"xxxxxxx:u2Vw9gv"));
        assert_eq!(SenderUfrag::from_username(b"6NKkclI:"), None);
        assert_eq!(SenderUfrag::from_username(b"callpath"), None);
    }

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
