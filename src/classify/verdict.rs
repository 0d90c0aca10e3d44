//! A flow's verdict: its app, its role in a call, how sure, and why.

use crate::classify::signatures::AppId;

/// The role of a flow in a call (DESIGN.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Media straight between two end hosts.
    P2p,
    /// Media through a server in a data centre (TURN, SFU, media relay).
    Relay,
    /// Directory, signalling, login, presence, STUN discovery.
    Lookup,
    /// Not part of any call.
    Other,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::P2p, Role::Relay, Role::Lookup, Role::Other];

    pub fn name(self) -> &'static str {
        match self {
            Role::P2p => "p2p",
            Role::Relay => "relay",
            Role::Lookup => "lookup",
            Role::Other => "other",
        }
    }

    pub fn is_media(self) -> bool {
        matches!(self, Role::P2p | Role::Relay)
    }
}

#[derive(Clone, Debug)]
pub struct FlowVerdict {
    pub app: Option<AppId>,
    pub role: Role,
    pub confidence: f64,
    /// Human-readable reasons, strongest first.
    pub evidence: Vec<String>,
}
