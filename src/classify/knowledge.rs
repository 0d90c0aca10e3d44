//! What callpath learns across flows: names the device resolved, TURN
//! relayed addresses, hosts that acted as servers, local sockets bound to an
//! app, media endpoints announced in SDP.
//!
//! Every entry remembers the packet time it was learned, and a query names
//! the time it asks "as of" (a flow's last packet). An entry learned later
//! is invisible to it, so a verdict never depends on how far other flows
//! (or other worker threads) had got: the output is the same on one thread
//! or several. The first answer learned is kept; later ones do not replace it.
//!
//! Facts are also forgotten, so that memory follows the traffic in flight
//! rather than the length of the capture: a query sees only what was
//! learned from the start of the epoch (a quarter of the window, of the
//! analysis clock) a whole window before the flow's last packet. Each
//! entry keeps the first answer of each epoch, so what a query sees does
//! not depend on what was forgotten when; epochs that no flow awaiting its
//! verdict can see any more (`Outstanding`) are dropped.

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use foldhash::fast::RandomState;

use super::probe_sweep::{Probe, ProbeSweep};
use super::signatures::AppId;
use crate::capture::Timestamp;
use crate::decode::L4Proto;
use crate::dissect::ice_session::SenderUfrag;
use crate::flow::{Endpoint, Outstanding};
use crate::shared_texts::SharedTexts;

/// Most entries per table; beyond it new facts are dropped,
/// so a hostile capture cannot grow memory without bound.
const MAX_ENTRIES: usize = 1 << 20;

/// How long before a flow's last packet what other flows taught still
/// counts for it, unless the analysis is told otherwise: longer than
/// nearly every call (a media flow's verdict at its end still sees the
/// SDP or STUN answers of its start), shorter than a day's capture.
pub const DEFAULT_WINDOW_SECS: u64 = 4 * 60 * 60;
/// Epochs per window: facts are forgotten a quarter of a window at a time.
const EPOCHS_PER_WINDOW: i64 = 4;

/// The moment a verdict asks about: facts learned from `since` (the start
/// of an epoch) and strictly before `before`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AsOf {
    pub since: Timestamp,
    pub before: Timestamp,
}

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

/// A host that sent several voices at once on one flow: a conference
/// server (see `dissect::voices`).
#[derive(Clone, Copy, Debug)]
pub struct ConferenceHost {
    /// The endpoint they came from.
    pub sender: Endpoint,
    pub voices: u32,
}

/// Media that went one way only on an ICE-checked flow: `sender` sent a
/// stream of RTP to `receiver`, which sent none back there (see
/// `Knowledge::learn_one_way_media`).
#[derive(Clone, Copy, Debug)]
pub struct OneWayMedia {
    pub sender: Endpoint,
    pub receiver: Endpoint,
    /// When the stream had gone on long enough to tell (packet time).
    pub seen: Timestamp,
}

#[derive(Clone, Debug)]
pub struct ServerInfo {
    pub role: ServerRole,
    pub app: Option<AppId>,
    /// The server's own address and port.
    pub endpoint: Endpoint,
    /// What showed it, where the role alone does not say (a SIP server's
    /// REGISTERs, product name or SDP for other hosts).
    pub evidence: Option<Arc<str>>,
}

/// A relay's address: a TURN allocation's relayed address and the server
/// that made it, or a media gateway's port and the host that announced it.
#[derive(Clone, Debug)]
pub struct RelayInfo {
    /// The relay's address (or the host that announced a gateway's port);
    /// for a relay candidate, the relayed address itself (SDP names no server).
    pub server: Endpoint,
    /// The relayed address (or gateway port) itself.
    pub relayed: Endpoint,
    pub app: Option<AppId>,
    pub kind: RelayKind,
}

/// What made an address a relay's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayKind {
    /// XOR-RELAYED-ADDRESS in a TURN Allocate answer.
    Turn,
    /// A relay candidate in the call's SDP.
    TurnCandidate,
    /// A media gateway's own termination, in a gateway-control protocol's
    /// Local descriptor (Megaco/H.248).
    MediaGateway,
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
    /// The INVITE of the SIP call whose SDP it was, when one opened it:
    /// the media's call reads its leg here when the signalling flow
    /// outlasts the call (a phone's registration kept open for hours).
    pub leg: Option<SipLeg>,
}

/// A SIP call's opening INVITE: who sent it to whom, when, naming which
/// caller and callee (`sip_dialogs::parties`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipLeg {
    pub parties: u64,
    /// Its Call-ID, hashed: a proxy passes the INVITE on under the same
    /// one, a B2BUA or PBX opens a call of its own.
    pub call_id: u64,
    pub inviter: Endpoint,
    pub invitee: Endpoint,
    pub invited_at: Timestamp,
}

/// A host that showed itself to be an app's: it answered from a port only
/// that app's servers use, per its signature (e.g. Viber's UDP 7985), or
/// the ICE checks of the app's call from a public address, or the app
/// probed it as one of its supernodes.
#[derive(Clone, Debug)]
pub struct AppHost {
    pub app: AppId,
    pub port: u16,
    pub l4: L4Proto,
    /// The frame of the answer.
    pub frame: u64,
    pub sign: HostSign,
}

/// What showed a host to be an app's (`AppHost`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostSign {
    /// It answered from the app's server port.
    ServerPort,
    /// It answered the ICE checks of the app's call.
    IceAnswers,
    /// The device's legacy Skype socket probed it in its sweep of
    /// supernodes (`probe_sweep`).
    SkypeProbed,
}

/// A public address a server reflected back to a local socket.
#[derive(Clone, Debug)]
pub struct Reflection {
    pub public: Endpoint,
    pub reflector: Endpoint,
}

/// The answers learned for one key: the first of each epoch, in epoch
/// order. Most keys are learned in one epoch only, and then take no more
/// room than the answer (the other case fits in a niche of it).
#[derive(Debug)]
enum Facts<V> {
    One(Learned<V>),
    /// Two or more. A boxed vector is one pointer, which the niche holds.
    #[allow(clippy::box_collection)]
    Several(Box<Vec<Learned<V>>>),
}

impl<V> Facts<V> {
    fn all(&self) -> &[Learned<V>] {
        match self {
            Facts::One(l) => std::slice::from_ref(l),
            Facts::Several(v) => v,
        }
    }

    /// Keeps `new` if it is the first answer of its epoch.
    fn learn(&mut self, new: Learned<V>, epoch_of: impl Fn(Timestamp) -> i64) {
        let epoch = epoch_of(new.at);
        let place = self.all().binary_search_by_key(&epoch, |l| epoch_of(l.at));
        match (self, place) {
            (Facts::One(same), Ok(_)) => {
                if new.at < same.at {
                    *same = new;
                }
            }
            (Facts::Several(v), Ok(i)) => {
                if let Some(same) = v.get_mut(i).filter(|same| new.at < same.at) {
                    *same = new;
                }
            }
            (Facts::Several(v), Err(i)) => v.insert(i, new),
            (this @ Facts::One(_), Err(i)) => {
                // A second epoch: the list takes the first answer's place.
                let list = Facts::Several(Box::new(Vec::with_capacity(2)));
                if let (Facts::One(old), Facts::Several(v)) = (std::mem::replace(this, list), this)
                {
                    v.extend(if i == 0 { [new, old] } else { [old, new] });
                }
            }
        }
    }

    /// The first answer learned from `since` on, if it came before `before`.
    fn visible(&self, as_of: AsOf) -> Option<&V> {
        self.all()
            .iter()
            .find(|l| l.at >= as_of.since)
            .filter(|l| l.at < as_of.before)
            .map(|l| &l.value)
    }

    /// Drops the answers learned before `from`; `false` if none is left.
    fn forget_before(&mut self, from: Timestamp) -> bool {
        match self {
            Facts::One(l) => l.at >= from,
            Facts::Several(v) => {
                v.retain(|l| l.at >= from);
                if v.len() == 1 {
                    if let Some(last) = v.pop() {
                        *self = Facts::One(last);
                    }
                    return true;
                }
                !v.is_empty()
            }
        }
    }
}

/// One kind of fact by key, with its entry count kept beside the map
/// (asking a `DashMap` its length locks every shard, and facts are learned
/// on the packet path).
#[derive(Debug)]
struct Table<K: std::hash::Hash + Eq, V> {
    map: DashMap<K, Facts<V>, RandomState>,
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
    fn learned(&self, key: &K, as_of: AsOf) -> Option<V> {
        // A kind of fact no capture has shown costs no look-up (verdicts
        // come after the facts they may see were learned, count included).
        if self.entries.load(Ordering::Relaxed) == 0 {
            return None;
        }
        // Strictly before: a fact learned at the very moment a verdict is
        // given may or may not have been read by then on another thread.
        self.map.get(key).and_then(|e| e.visible(as_of).cloned())
    }

    fn learn(&self, key: K, value: V, at: Timestamp, epoch_of: impl Fn(Timestamp) -> i64) {
        if self.entries.load(Ordering::Relaxed) >= MAX_ENTRIES {
            return;
        }
        let new = Learned { value, at };
        match self.map.entry(key) {
            // Keep the earliest learning of each epoch, so "as of" queries
            // are stable.
            dashmap::mapref::entry::Entry::Occupied(mut e) => e.get_mut().learn(new, epoch_of),
            dashmap::mapref::entry::Entry::Vacant(e) => {
                e.insert(Facts::One(new));
                self.entries.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn forget_before(&self, from: Timestamp) {
        let mut dropped = 0;
        self.map.retain(|_, facts| {
            let kept = facts.forget_before(from);
            dropped += usize::from(!kept);
            kept
        });
        self.entries.fetch_sub(dropped, Ordering::Relaxed);
    }
}

/// Cross-flow knowledge, shared by all workers.
#[derive(Debug)]
pub struct Knowledge {
    /// Flows awaiting their verdict, by epoch of their last packet.
    outstanding: Arc<Outstanding>,
    /// The earliest epoch a flow awaiting its verdict was found in at the
    /// last `forget` (`i64::MIN` before the first): facts from a window
    /// before it on are kept. Only the output moves it, forward.
    earliest_waiting: std::sync::Mutex<i64>,
    /// Each name, and whether an app signature knows it.
    names: Table<IpAddr, (Arc<str>, bool)>,
    /// The names an app signature knows, asked when the first name is not
    /// one: an address resolved both as a cloud alias
    /// (`…trafficmanager.net`, perhaps first) and as the vendor's own name
    /// is the vendor's.
    vendor_names: Table<IpAddr, Arc<str>>,
    servers: Table<IpAddr, ServerInfo>,
    app_hosts: Table<IpAddr, AppHost>,
    conference_hosts: Table<IpAddr, ConferenceHost>,
    /// One-way media by (sender, receiver) address.
    one_way_media: Table<(IpAddr, IpAddr), OneWayMedia>,
    /// ICE agents (their checks' ufrag) seen checking from inside a site.
    site_agents: Table<SenderUfrag, ()>,
    // Sockets as `Endpoint`s (20 bytes, a `SocketAddr` takes 32): these
    // tables hold an entry per socket of the capture's calls.
    relays: Table<Endpoint, RelayInfo>,
    relay_hosts: Table<IpAddr, RelayInfo>,
    socket_apps: Table<Endpoint, SocketApp>,
    sdp_media: Table<Endpoint, SdpMedia>,
    /// Hosts another host's SDP put media at, by address (a gateway's
    /// other ports are the gateway's too).
    sdp_hosts: Table<IpAddr, SdpMedia>,
    reflections: Table<Endpoint, Reflection>,
    /// Public addresses STUN answers reported to their requesters (see
    /// `is_reflected_address`).
    public_hosts: Table<IpAddr, Endpoint>,
    /// Public addresses a STUN server (not an ICE peer) reported to their
    /// requesters: the capture's own devices (`is_server_reflected_address`).
    server_reflected_hosts: Table<IpAddr, ()>,
    /// The first socket seen sending an opaque datagram (one no dissector
    /// read) to a far UDP socket: a second socket of the same device
    /// reaching it makes it a server's.
    first_clients: Table<Endpoint, Endpoint>,
    /// INVITEs that opened a call (`SipInvite`).
    sip_invites: Table<InviteKey, SipInvite>,
    /// One copy of each reason a socket was tied to its app: the flows of
    /// one app give the same few reasons for thousands of sockets.
    socket_reasons: std::sync::Mutex<SharedTexts>,
    /// The app the capturing device named for each flow, when it did.
    device_apps: super::device_apps::DeviceApps,
    /// Legacy Skype probes by the socket that sent them (`probe_sweep`).
    probe_sweeps: DashMap<Endpoint, ProbeSweep, RandomState>,
}

/// An INVITE that opened a call, kept under each of its two hosts: a SIP
/// server that passes a call on takes one INVITE and sends the next
/// (`Knowledge::sip_invite`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipInvite {
    /// The other end: the host it went to, or came from.
    pub other: Endpoint,
    /// Its packet time.
    pub ts: Timestamp,
    /// Its Call-ID, hashed.
    pub call_id: u64,
}

/// (The host, whether it sent the INVITE and whether it was answered,
/// who called whom (`sip_dialogs::parties`), the INVITE's span of packet
/// time.)
type InviteKey = (IpAddr, (bool, bool), u64, i64);

/// The spans INVITEs are kept by: the first INVITE of each span is kept
/// for a host and a caller and callee.
const INVITE_SPAN_NANOS: i64 = 10 * Timestamp::NANOS_PER_SEC;

/// What a legacy Skype probe showed (`Knowledge::note_probe`).
#[derive(Debug)]
pub enum SweepNews {
    /// Nothing yet.
    Nothing,
    /// The socket's probes make a sweep of supernodes, from this time on
    /// (first known, or found earlier); the probes so far.
    Confirmed(Timestamp, Vec<Probe>),
    /// Another host probed by a confirmed sweep.
    Probed(Probe),
}

impl Default for Knowledge {
    fn default() -> Self {
        Knowledge::with_window_secs(DEFAULT_WINDOW_SECS)
    }
}

impl Knowledge {
    /// Knowledge whose facts count for `window_secs` (at least one
    /// second) before a flow's last packet; see the module's notes.
    pub fn with_window_secs(window_secs: u64) -> Knowledge {
        let window_nanos = i64::try_from(window_secs.max(1))
            .unwrap_or(i64::MAX)
            .saturating_mul(Timestamp::NANOS_PER_SEC);
        Knowledge {
            outstanding: Arc::new(Outstanding::new(window_nanos / EPOCHS_PER_WINDOW)),
            earliest_waiting: std::sync::Mutex::new(i64::MIN),
            names: Table::default(),
            vendor_names: Table::default(),
            servers: Table::default(),
            app_hosts: Table::default(),
            conference_hosts: Table::default(),
            one_way_media: Table::default(),
            site_agents: Table::default(),
            relays: Table::default(),
            relay_hosts: Table::default(),
            socket_apps: Table::default(),
            sdp_media: Table::default(),
            sdp_hosts: Table::default(),
            reflections: Table::default(),
            public_hosts: Table::default(),
            server_reflected_hosts: Table::default(),
            first_clients: Table::default(),
            sip_invites: Table::default(),
            socket_reasons: std::sync::Mutex::default(),
            device_apps: super::device_apps::DeviceApps::default(),
            probe_sweeps: DashMap::default(),
        }
    }

    /// Where flow tables count the flows awaiting their verdict; the
    /// verdict's giver calls `leave` with `verdict_epoch`.
    pub fn outstanding(&self) -> &Arc<Outstanding> {
        &self.outstanding
    }

    /// The epoch a flow is counted in until its verdict.
    pub fn verdict_epoch(&self, last_clock: Timestamp) -> i64 {
        self.outstanding.epoch_of(last_clock)
    }

    /// The epoch a flow given `as_of` (by `as_of`) is counted in.
    pub fn verdict_epoch_of(&self, as_of: AsOf) -> i64 {
        self.outstanding
            .epoch_of(as_of.since)
            .saturating_add(EPOCHS_PER_WINDOW)
    }

    /// What a verdict on a flow whose last packet came at `last_clock` (the
    /// analysis clock) may see: facts learned before `before`, from a
    /// window before that packet's epoch.
    pub fn as_of(&self, last_clock: Timestamp, before: Timestamp) -> AsOf {
        let epoch = self.outstanding.epoch_of(last_clock);
        AsOf {
            since: self
                .outstanding
                .epoch_start(epoch.saturating_sub(EPOCHS_PER_WINDOW)),
            before,
        }
    }

    fn epoch_of(&self) -> impl Fn(Timestamp) -> i64 + '_ {
        |t| self.outstanding.epoch_of(t)
    }

    /// Forgets what no verdict still to come can see. `watermark` bounds
    /// the analysis clock of every packet not yet counted into a flow
    /// table; flows awaiting their verdict are in `outstanding`. Called by
    /// the output between verdicts; what any verdict sees is unchanged.
    pub fn forget(&self, watermark: Timestamp) {
        let Ok(mut scanned_to) = self.earliest_waiting.lock() else {
            return;
        };
        let to = self.outstanding.epoch_of(watermark);
        // Flows enter at the watermark's epoch or later from now on, and
        // none entered before the first epoch ever entered.
        let from = if *scanned_to == i64::MIN {
            self.outstanding.lowest_entered().unwrap_or(to).min(to)
        } else {
            *scanned_to
        };
        let earliest = self.outstanding.earliest(from, to);
        if earliest == *scanned_to {
            return;
        }
        *scanned_to = earliest;
        let from = self
            .outstanding
            .epoch_start(earliest.saturating_sub(EPOCHS_PER_WINDOW));
        self.names.forget_before(from);
        self.vendor_names.forget_before(from);
        self.servers.forget_before(from);
        self.app_hosts.forget_before(from);
        self.conference_hosts.forget_before(from);
        self.one_way_media.forget_before(from);
        self.site_agents.forget_before(from);
        self.relays.forget_before(from);
        self.relay_hosts.forget_before(from);
        self.socket_apps.forget_before(from);
        self.sdp_media.forget_before(from);
        self.sdp_hosts.forget_before(from);
        self.reflections.forget_before(from);
        self.public_hosts.forget_before(from);
        self.server_reflected_hosts.forget_before(from);
        self.first_clients.forget_before(from);
        self.sip_invites.forget_before(from);
        self.probe_sweeps
            .retain(|_, sweep| sweep.last().is_some_and(|at| at >= from));
    }

    /// A legacy Skype probe sent from `socket` (`probe_sweep`).
    #[cold]
    pub fn note_probe(&self, socket: Endpoint, probe: Probe) -> SweepNews {
        if self.probe_sweeps.len() >= MAX_ENTRIES {
            return SweepNews::Nothing;
        }
        let mut sweep = self.probe_sweeps.entry(socket).or_default();
        let was = sweep.confirmed();
        match (sweep.add(probe), was) {
            (Some(at), _) => SweepNews::Confirmed(at, sweep.probes().to_vec()),
            (None, Some(_)) => SweepNews::Probed(probe),
            (None, None) => SweepNews::Nothing,
        }
    }

    /// A name the device looked up (DNS) or asked for (TLS/QUIC SNI).
    pub fn learn_name(&self, ip: IpAddr, name: Arc<str>, at: Timestamp) {
        self.names.learn(ip, (name, false), at, self.epoch_of());
    }

    /// `learn_name` for a name an app signature knows.
    pub fn learn_vendor_name(&self, ip: IpAddr, name: Arc<str>, at: Timestamp) {
        self.vendor_names
            .learn(ip, name.clone(), at, self.epoch_of());
        self.names.learn(ip, (name, true), at, self.epoch_of());
    }

    /// The name `ip` was reached by: the first a signature knows, else the
    /// first. (Most addresses have no name: one look-up says so.)
    pub fn name(&self, ip: IpAddr, as_of: AsOf) -> Option<Arc<str>> {
        let (first, known) = self.names.learned(&ip, as_of)?;
        if known {
            return Some(first);
        }
        self.vendor_names.learned(&ip, as_of).or(Some(first))
    }

    /// The INVITE that opened a SIP call (`leg`); learned again once
    /// `answered`.
    pub fn learn_sip_invite(&self, leg: SipLeg, answered: bool, at: Timestamp) {
        let SipLeg {
            parties,
            call_id,
            inviter,
            invitee,
            invited_at: ts,
        } = leg;
        // (One host's components passing a call among themselves, as an
        // IMS core's CSCFs do, are no leg of it.)
        if inviter.ip == invitee.ip {
            return;
        }
        let span = ts.0.div_euclid(INVITE_SPAN_NANOS);
        let kept = [(inviter, true, invitee), (invitee, false, inviter)];
        for (host, sent, other) in kept {
            let invite = SipInvite { other, ts, call_id };
            let key = (host.ip, (sent, answered), parties, span);
            self.sip_invites.learn(key, invite, at, self.epoch_of());
        }
    }

    /// The INVITE between the same `parties` that `host` sent (`sent`) or
    /// took within `[from, to]` of packet time, with a host other than
    /// `besides`: the first answered, else the first. (A server that
    /// forks a call rings several phones; one answers.)
    pub fn sip_invite(
        &self,
        (host, sent): (IpAddr, bool),
        parties: u64,
        (from, to): (Timestamp, Timestamp),
        besides: IpAddr,
        as_of: AsOf,
    ) -> Option<SipInvite> {
        let spans = from.0.div_euclid(INVITE_SPAN_NANOS)..=to.0.div_euclid(INVITE_SPAN_NANOS);
        [true, false].into_iter().find_map(|answered| {
            spans
                .clone()
                .filter_map(|span| {
                    self.sip_invites
                        .learned(&(host, (sent, answered), parties, span), as_of)
                })
                .find(|i| from <= i.ts && i.ts <= to && i.other.ip != besides)
        })
    }

    pub fn learn_server(&self, info: ServerInfo, at: Timestamp) {
        self.servers
            .learn(info.endpoint.ip, info, at, self.epoch_of());
    }

    pub fn server(&self, ip: IpAddr, as_of: AsOf) -> Option<ServerInfo> {
        self.servers.learned(&ip, as_of)
    }

    /// `ip` answered from its app's server port (`AppHost`).
    pub fn learn_app_host(&self, ip: IpAddr, host: AppHost, at: Timestamp) {
        self.app_hosts.learn(ip, host, at, self.epoch_of());
    }

    pub fn app_host(&self, ip: IpAddr, as_of: AsOf) -> Option<AppHost> {
        self.app_hosts.learned(&ip, as_of)
    }

    /// `host.sender` sent several voices at once: a conference server.
    pub fn learn_conference(&self, host: ConferenceHost, at: Timestamp) {
        self.conference_hosts
            .learn(host.sender.ip, host, at, self.epoch_of());
    }

    pub fn conference(&self, ip: IpAddr, as_of: AsOf) -> Option<ConferenceHost> {
        self.conference_hosts.learned(&ip, as_of)
    }

    /// `media.sender` sent a stream to `media.receiver` on an ICE-checked
    /// flow on which nothing came back but control packets.
    pub fn learn_one_way_media(&self, media: OneWayMedia, at: Timestamp) {
        self.one_way_media.learn(
            (media.sender.ip, media.receiver.ip),
            media,
            at,
            self.epoch_of(),
        );
    }

    /// One-way media `sender` sent to `receiver`, on some flow.
    pub fn one_way_media(
        &self,
        sender: IpAddr,
        receiver: IpAddr,
        as_of: AsOf,
    ) -> Option<OneWayMedia> {
        self.one_way_media.learned(&(sender, receiver), as_of)
    }

    /// The ICE agent `ufrag` sent checks from a site-local address.
    pub fn learn_site_agent(&self, ufrag: SenderUfrag, at: Timestamp) {
        self.site_agents.learn(ufrag, (), at, self.epoch_of());
    }

    /// Whether the ICE agent `ufrag` checked from a site-local address.
    pub fn is_site_agent(&self, ufrag: SenderUfrag, as_of: AsOf) -> bool {
        self.site_agents.learned(&ufrag, as_of).is_some()
    }

    pub fn learn_relay(&self, relayed: impl Into<Endpoint>, info: RelayInfo, at: Timestamp) {
        let relayed = relayed.into();
        self.relay_hosts
            .learn(relayed.ip, info.clone(), at, self.epoch_of());
        self.relays.learn(relayed, info, at, self.epoch_of());
    }

    /// The TURN allocation that owns this relayed address, or another
    /// allocation on the same relay host.
    pub fn relay(&self, addr: impl Into<Endpoint>, as_of: AsOf) -> Option<RelayInfo> {
        let addr = addr.into();
        self.relays
            .learned(&addr, as_of)
            .or_else(|| self.relay_hosts.learned(&addr.ip, as_of))
    }

    /// The shared copy of a reason for `SocketApp::evidence` (learned once
    /// per flow, not per packet, so the lock is rarely taken).
    pub fn socket_reason(&self, text: &str) -> Arc<str> {
        match self.socket_reasons.lock() {
            Ok(mut texts) => texts.share(text),
            Err(_) => Arc::from(text),
        }
    }

    pub fn learn_socket_app(&self, socket: impl Into<Endpoint>, app: SocketApp, at: Timestamp) {
        self.socket_apps
            .learn(socket.into(), app, at, self.epoch_of());
    }

    /// Which app on the capturing device owns each flow (PCAPdroid).
    pub fn device_apps(&self) -> &super::device_apps::DeviceApps {
        &self.device_apps
    }

    pub fn socket_app(&self, socket: impl Into<Endpoint>, as_of: AsOf) -> Option<SocketApp> {
        self.socket_apps.learned(&socket.into(), as_of)
    }

    /// A media address SDP announced; one announced by another host than
    /// its own is also kept by address (see [`Self::sdp_host`]).
    pub fn learn_sdp_media(&self, endpoint: impl Into<Endpoint>, media: SdpMedia, at: Timestamp) {
        let endpoint = endpoint.into();
        if media.signalled_by != endpoint.ip {
            self.sdp_hosts
                .learn(endpoint.ip, media.clone(), at, self.epoch_of());
        }
        self.sdp_media.learn(endpoint, media, at, self.epoch_of());
    }

    /// The first SDP of another host that put media at `ip`, on any port.
    pub fn sdp_host(&self, ip: IpAddr, as_of: AsOf) -> Option<SdpMedia> {
        self.sdp_hosts.learned(&ip, as_of)
    }

    pub fn sdp_media(&self, endpoint: impl Into<Endpoint>, as_of: AsOf) -> Option<SdpMedia> {
        self.sdp_media.learned(&endpoint.into(), as_of)
    }

    /// A server told `local` that it is seen as `public`.
    pub fn learn_reflection(&self, local: impl Into<Endpoint>, r: Reflection, at: Timestamp) {
        let local = local.into();
        self.public_hosts
            .learn(r.public.ip, local, at, self.epoch_of());
        self.reflections.learn(local, r, at, self.epoch_of());
    }

    /// A STUN server's answer (address discovery, no ICE check) named
    /// `public` as its requester's public address.
    pub fn learn_server_reflection(&self, public: IpAddr, at: Timestamp) {
        self.server_reflected_hosts
            .learn(public, (), at, self.epoch_of());
    }

    /// Whether a STUN server told a requester its public address is `ip`:
    /// a device the capture sees from inside (its own or one beside it on
    /// its network), never the far party of an ICE check, which learns
    /// its address from the device's answers (`is_reflected_address`).
    pub fn is_server_reflected_address(&self, ip: IpAddr, as_of: AsOf) -> bool {
        self.server_reflected_hosts.learned(&ip, as_of).is_some()
    }

    pub fn reflection(&self, local: impl Into<Endpoint>, as_of: AsOf) -> Option<Reflection> {
        self.reflections.learned(&local.into(), as_of)
    }

    /// Whether a STUN answer in the capture named `ip` as its requester's
    /// public address: a device of the capture's own network, or a party
    /// the device answered (a peer's ICE checks), never a server.
    pub fn is_reflected_address(&self, ip: IpAddr, as_of: AsOf) -> bool {
        self.public_hosts.learned(&ip, as_of).is_some()
    }

    /// `client` sent the first, opaque datagram of a flow to `server`.
    pub fn learn_first_client(&self, server: Endpoint, client: Endpoint, at: Timestamp) {
        self.first_clients
            .learn(server, client, at, self.epoch_of());
    }

    /// Another socket of `client`'s host that reached `server` first: then
    /// `server` took datagrams from two sockets of one device, as a
    /// server's socket does (a peer's ICE socket answers the one socket it
    /// checked).
    pub fn other_client(
        &self,
        server: Endpoint,
        client: Endpoint,
        as_of: AsOf,
    ) -> Option<Endpoint> {
        self.first_clients
            .learned(&server, as_of)
            .filter(|first| first.ip == client.ip && first.port != client.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = Timestamp::NANOS_PER_SEC;

    fn secs(s: i64) -> Timestamp {
        Timestamp(s * SEC)
    }

    /// As of a flow whose last packet came at `last` (seconds), asking
    /// about facts learned before `before`.
    fn as_of(k: &Knowledge, last: i64, before: i64) -> AsOf {
        k.as_of(secs(last), secs(before))
    }

    #[test]
    fn entries_are_invisible_before_they_were_learned() {
        let k = Knowledge::default();
        let ip: IpAddr = "52.114.77.136".parse().unwrap();
        k.learn_name(ip, "a.teams.microsoft.com".into(), Timestamp(10));
        assert!(k.name(ip, k.as_of(Timestamp(10), Timestamp(10))).is_none());
        assert_eq!(
            k.name(ip, k.as_of(Timestamp(11), Timestamp(11))).as_deref(),
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
        let asked = k.as_of(Timestamp(100), Timestamp(100));
        assert_eq!(k.name(ip, asked).as_deref(), Some("early.example"));
    }

    #[test]
    fn a_name_a_signature_knows_comes_before_an_earlier_alias() {
        let k = Knowledge::default();
        let ip: IpAddr = "65.52.67.156".parse().unwrap();
        k.learn_name(
            ip,
            "api-flightproxy-skype.trafficmanager.net".into(),
            secs(5),
        );
        k.learn_vendor_name(ip, "api.flightproxy.skype.com".into(), secs(6));
        // Asked between the two: only the alias was known.
        assert_eq!(
            k.name(ip, as_of(&k, 6, 6)).as_deref(),
            Some("api-flightproxy-skype.trafficmanager.net")
        );
        assert_eq!(
            k.name(ip, as_of(&k, 7, 7)).as_deref(),
            Some("api.flightproxy.skype.com")
        );
    }

    #[test]
    fn facts_learned_in_one_epoch_take_the_room_of_one_answer() {
        use std::mem::size_of;
        fn same<V>() -> bool {
            size_of::<Facts<V>>() == size_of::<Learned<V>>()
        }
        assert!(same::<Arc<str>>());
        assert!(same::<ServerInfo>());
        assert!(same::<RelayInfo>());
        assert!(same::<SocketApp>());
        assert!(same::<SdpMedia>());
        assert!(same::<Reflection>());
        assert!(same::<Endpoint>());
    }

    #[test]
    fn facts_count_for_a_window_before_the_last_packet() {
        // A 40 s window: epochs of 10 s, facts seen from the start of the
        // epoch four before the flow's last packet's.
        let k = Knowledge::with_window_secs(40);
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        k.learn_name(ip, "first.example".into(), secs(12));
        assert_eq!(
            k.name(ip, as_of(&k, 55, 56)).as_deref(),
            Some("first.example")
        );
        assert!(k.name(ip, as_of(&k, 60, 61)).is_none());
        // Learned again later, in another epoch: later flows see that one,
        // earlier flows still the first.
        k.learn_name(ip, "again.example".into(), secs(47));
        k.learn_name(ip, "again-later.example".into(), secs(48));
        assert_eq!(
            k.name(ip, as_of(&k, 60, 61)).as_deref(),
            Some("again.example")
        );
        assert_eq!(
            k.name(ip, as_of(&k, 55, 56)).as_deref(),
            Some("first.example")
        );
        // Out of order (another worker): the epoch's first answer wins.
        k.learn_name(ip, "earlier.example".into(), secs(41));
        assert_eq!(
            k.name(ip, as_of(&k, 60, 61)).as_deref(),
            Some("earlier.example")
        );
        // An earlier epoch learned after a later one (another worker).
        let other: IpAddr = "198.51.100.8".parse().unwrap();
        k.learn_name(other, "later-epoch.example".into(), secs(47));
        k.learn_name(other, "earlier-epoch.example".into(), secs(12));
        let at_55 = k.name(other, as_of(&k, 55, 56));
        assert_eq!(at_55.as_deref(), Some("earlier-epoch.example"));
        let at_60 = k.name(other, as_of(&k, 60, 61));
        assert_eq!(at_60.as_deref(), Some("later-epoch.example"));
    }

    #[test]
    fn forgetting_changes_no_answer_still_to_come() {
        let k = Knowledge::with_window_secs(40);
        let old: IpAddr = "198.51.100.1".parse().unwrap();
        let kept: IpAddr = "198.51.100.2".parse().unwrap();
        k.learn_name(old, "old.example".into(), secs(15));
        k.learn_name(kept, "kept.example".into(), secs(15));
        k.learn_name(kept, "kept-again.example".into(), secs(95));
        // A flow whose last packet came at 52 s (it sees facts from 10 s
        // on) still awaits its verdict.
        let waiting = k.verdict_epoch(secs(52));
        k.outstanding().enter(waiting);
        k.forget(secs(100));
        assert_eq!(k.names.entries.load(Ordering::Relaxed), 2);
        assert_eq!(
            k.name(old, as_of(&k, 52, 53)).as_deref(),
            Some("old.example")
        );
        // Its verdict given, nothing before 60 s can be asked about.
        k.outstanding().leave(waiting);
        k.forget(secs(100));
        assert_eq!(k.names.entries.load(Ordering::Relaxed), 1);
        assert!(k.name(old, as_of(&k, 100, 101)).is_none());
        assert_eq!(
            k.name(kept, as_of(&k, 100, 101)).as_deref(),
            Some("kept-again.example")
        );
    }
}
