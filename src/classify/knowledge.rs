//! What callpath learns across flows: names the device resolved, TURN
//! relayed addresses, hosts that acted as servers, local sockets bound to an
//! app, media endpoints announced in SDP.
//!
//! Every entry remembers the packet time it was learned, and a query names
//! the time it asks "as of" (a flow's last packet). An entry learned later
//! is invisible to it, so a verdict never depends on how far other flows
//! (or other worker threads) had got: the output is the same on one thread
//! or several. The first answer learned is kept; later ones do not replace it.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use foldhash::fast::RandomState;

use super::signatures::AppId;
use crate::capture::Timestamp;

/// Most entries per table; beyond it new facts are dropped,
/// so a hostile capture cannot grow memory without bound.
const MAX_ENTRIES: usize = 1 << 20;

/// A value with the packet time it was learned.
#[derive(Clone, Debug)]
pub struct Learned<T> {
    pub value: T,
    pub at: Timestamp,
}

/// How a host showed itself to be a server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServerRole {
    /// Answered STUN Binding requests (server-reflexive discovery).
    Stun,
    /// Answered TURN Allocate requests.
    Turn,
    /// SIP registrar or proxy.
    Sip,
    /// Another call protocol's server (MGCP call agent, H.323 gatekeeper,
    /// IAX2 PBX, an app's signalling server).
    Signalling,
}

impl ServerRole {
    pub fn name(self) -> &'static str {
        match self {
            ServerRole::Stun => "STUN server",
            ServerRole::Turn => "TURN server",
            ServerRole::Sip => "SIP server",
            ServerRole::Signalling => "signalling server",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub role: ServerRole,
    pub app: Option<AppId>,
    /// The server's own address and port.
    pub endpoint: SocketAddr,
}

/// A TURN allocation: the relayed address and the server that made it.
#[derive(Clone, Debug)]
pub struct RelayInfo {
    pub server: SocketAddr,
    pub app: Option<AppId>,
}

/// A local socket tied to an app by evidence on one of its flows.
#[derive(Clone, Debug)]
pub struct SocketApp {
    pub app: AppId,
    pub evidence: Arc<str>,
}

/// A media endpoint announced in SIP/SDP.
#[derive(Clone, Debug)]
pub struct SdpMedia {
    /// The SIP server (or peer) whose signalling carried the SDP.
    pub signalled_by: IpAddr,
    pub call_id: Arc<str>,
}

/// A public address a server reflected back to a local socket.
#[derive(Clone, Debug)]
pub struct Reflection {
    pub public: SocketAddr,
    pub reflector: SocketAddr,
}

/// One kind of fact by key, with its entry count kept beside the map
/// (asking a `DashMap` its length locks every shard, and facts are learned
/// on the packet path).
#[derive(Debug)]
struct Table<K: std::hash::Hash + Eq, V> {
    map: DashMap<K, Learned<V>, RandomState>,
    entries: AtomicUsize,
}

impl<K: std::hash::Hash + Eq, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            map: DashMap::default(),
            entries: AtomicUsize::new(0),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> Table<K, V> {
    fn learned(&self, key: &K, as_of: Timestamp) -> Option<V> {
        // Strictly before: a fact learned at the very moment a verdict is
        // given may or may not have been read by then on another thread.
        self.map
            .get(key)
            .filter(|e| e.at < as_of)
            .map(|e| e.value.clone())
    }

    fn learn(&self, key: K, value: V, at: Timestamp) {
        if self.entries.load(Ordering::Relaxed) >= MAX_ENTRIES {
            return;
        }
        match self.map.entry(key) {
            dashmap::mapref::entry::Entry::Occupied(mut e) => {
                // Keep the earliest learning, so "as of" queries are stable.
                if at < e.get().at {
                    e.insert(Learned { value, at });
                }
            }
            dashmap::mapref::entry::Entry::Vacant(e) => {
                e.insert(Learned { value, at });
                self.entries.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Cross-flow knowledge, shared by all workers.
#[derive(Debug, Default)]
pub struct Knowledge {
    names: Table<IpAddr, Arc<str>>,
    servers: Table<IpAddr, ServerInfo>,
    relays: Table<SocketAddr, RelayInfo>,
    relay_hosts: Table<IpAddr, RelayInfo>,
    socket_apps: Table<SocketAddr, SocketApp>,
    sdp_media: Table<SocketAddr, SdpMedia>,
    reflections: Table<SocketAddr, Reflection>,
    /// Public addresses of the capture's own devices (from reflections).
    public_hosts: Table<IpAddr, SocketAddr>,
}

impl Knowledge {
    /// A name the device looked up (DNS) or asked for (TLS/QUIC SNI).
    pub fn learn_name(&self, ip: IpAddr, name: Arc<str>, at: Timestamp) {
        self.names.learn(ip, name, at);
    }

    pub fn name(&self, ip: IpAddr, as_of: Timestamp) -> Option<Arc<str>> {
        self.names.learned(&ip, as_of)
    }

    pub fn learn_server(&self, info: ServerInfo, at: Timestamp) {
        self.servers.learn(info.endpoint.ip(), info, at);
    }

    pub fn server(&self, ip: IpAddr, as_of: Timestamp) -> Option<ServerInfo> {
        self.servers.learned(&ip, as_of)
    }

    pub fn learn_relay(&self, relayed: SocketAddr, info: RelayInfo, at: Timestamp) {
        self.relay_hosts.learn(relayed.ip(), info.clone(), at);
        self.relays.learn(relayed, info, at);
    }

    /// The TURN allocation that owns this relayed address, or another
    /// allocation on the same relay host.
    pub fn relay(&self, addr: SocketAddr, as_of: Timestamp) -> Option<RelayInfo> {
        self.relays
            .learned(&addr, as_of)
            .or_else(|| self.relay_hosts.learned(&addr.ip(), as_of))
    }

    pub fn learn_socket_app(&self, socket: SocketAddr, app: SocketApp, at: Timestamp) {
        self.socket_apps.learn(socket, app, at);
    }

    pub fn socket_app(&self, socket: SocketAddr, as_of: Timestamp) -> Option<SocketApp> {
        self.socket_apps.learned(&socket, as_of)
    }

    pub fn learn_sdp_media(&self, endpoint: SocketAddr, media: SdpMedia, at: Timestamp) {
        self.sdp_media.learn(endpoint, media, at);
    }

    pub fn sdp_media(&self, endpoint: SocketAddr, as_of: Timestamp) -> Option<SdpMedia> {
        self.sdp_media.learned(&endpoint, as_of)
    }

    /// A server told `local` that it is seen as `public`.
    pub fn learn_reflection(&self, local: SocketAddr, r: Reflection, at: Timestamp) {
        self.public_hosts.learn(r.public.ip(), local, at);
        self.reflections.learn(local, r, at);
    }

    pub fn reflection(&self, local: SocketAddr, as_of: Timestamp) -> Option<Reflection> {
        self.reflections.learned(&local, as_of)
    }

    /// Whether `ip` is the public address of one of the capture's devices.
    pub fn is_own_public_address(&self, ip: IpAddr, as_of: Timestamp) -> bool {
        self.public_hosts.learned(&ip, as_of).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_invisible_before_they_were_learned() {
        let k = Knowledge::default();
        let ip: IpAddr = "52.114.77.136".parse().unwrap();
        k.learn_name(ip, "a.teams.microsoft.com".into(), Timestamp(10));
        assert!(k.name(ip, Timestamp(10)).is_none());
        assert_eq!(
            k.name(ip, Timestamp(11)).as_deref(),
            Some("a.teams.microsoft.com")
        );
    }

    #[test]
    fn the_earliest_answer_is_kept() {
        let k = Knowledge::default();
        let ip: IpAddr = "8.8.8.8".parse().unwrap();
        k.learn_name(ip, "late.example".into(), Timestamp(20));
        k.learn_name(ip, "early.example".into(), Timestamp(5));
        k.learn_name(ip, "later.example".into(), Timestamp(30));
        assert_eq!(k.name(ip, Timestamp(100)).as_deref(), Some("early.example"));
    }
}
