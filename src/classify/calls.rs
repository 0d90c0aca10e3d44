//! Grouping flows into calls. Call-related flows of one device are held
//! in a session until no flow of that device has been active for a while
//! (packet time); then the session's media flows, close in time, make
//! calls, and its lookup flows join the call they surround. Flows that are
//! not part of a call pass straight through. The input order is the order
//! flows end, so the grouping is the same however the work was spread.

use foldhash::fast::RandomState;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use super::announced_media::announced_media;
use super::call_legs::other_legs;
use super::call_times::call_times;
use super::call_window::CallWindow;
use super::device_macs::DeviceMacs;
use super::knowledge::{AsOf, Knowledge, RelayKind, ServerRole};
use super::media_spans::MediaSpans;
use super::service_operators::ServiceOperators;
use super::session_marks::{DeviceMark, SessionMarks};
use super::sides::{ipv6_link_prefix, is_site_local};
use super::signatures::{AppId, Signatures};
use super::verdict::Role;
use crate::capture::Timestamp;
use crate::dissect::sip_dialogs::SipDialog;
use crate::flow::{EndReason, Endpoint};
use crate::geo::GeoResolver;
use crate::report::call_laws::CallLaws;
use crate::report::packed_record::PackedRecord;
use crate::report::{CallParty, CallQuality, CallRecord, FlowRecord};

/// Lookup flows this close to a call's media belong to the call.
const LOOKUP_MARGIN_NANOS: i64 = 120 * 1_000_000_000;
/// A device's session closes once the flows still ending are this far past
/// its last activity.
const SESSION_IDLE_NANOS: i64 = 300 * 1_000_000_000;

/// A call-related flow waiting for its call: its record whole, or packed
/// while it waits in its session (`PackedRecord`).
#[derive(Debug)]
pub struct CallFlow<R = Box<FlowRecord>> {
    pub record: R,
    pub role: Role,
    pub app: Option<AppId>,
    /// The app was named by what the flow carried, its socket or a name,
    /// not by the far end's address alone (a vendor's STUN server serves
    /// other apps' calls too).
    pub app_named_by_traffic: bool,
    /// A lookup that only checked another party's candidate address (see
    /// `role::checks_a_candidate`): listed apart from the servers.
    pub checks_a_candidate: bool,
    /// Whether the device's end is the record's `src` (else its `dst`):
    /// the endpoints are read from the record, not kept twice.
    pub local_is_src: bool,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// The moment its verdict was given "as of" (see `Knowledge`): who told
    /// the device its public address is asked again when the call is
    /// written, with the same answer, instead of being kept here.
    pub as_of: AsOf,
    /// What it tells of the call session it belongs to.
    pub marks: SessionMarks,
}

impl<R> CallFlow<R> {
    fn map_record<S>(self, f: impl FnOnce(R) -> S) -> CallFlow<S> {
        CallFlow {
            record: f(self.record),
            role: self.role,
            app: self.app,
            app_named_by_traffic: self.app_named_by_traffic,
            checks_a_candidate: self.checks_a_candidate,
            local_is_src: self.local_is_src,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            as_of: self.as_of,
            marks: self.marks,
        }
    }
}

impl CallFlow {
    /// The device's end of the flow.
    pub fn local(&self) -> Endpoint {
        if self.local_is_src {
            self.record.src
        } else {
            self.record.dst
        }
    }

    /// The far end of the flow.
    pub fn far(&self) -> Endpoint {
        if self.local_is_src {
            self.record.dst
        } else {
            self.record.src
        }
    }

    /// Its last packet of its own. A flow ended because a new session
    /// began on its endpoint pair may already hold that session's first
    /// checks after its media: it ends with its media.
    pub fn own_end(&self) -> Timestamp {
        match self.record.end_reason {
            Some(EndReason::NewSession) => self.marks.media_end.unwrap_or(self.last_seen),
            _ => self.last_seen,
        }
    }
}

/// What the tracker hands back, in output order.
#[derive(Debug)]
pub enum Emitted {
    Flow(Box<FlowRecord>),
    Call(Box<CallRecord>),
}

/// How many records ahead of the one it unpacks `close` asks for.
const UNPACK_AHEAD: usize = 4;

struct Session {
    /// The device's addresses: one, or several once the device's own ICE
    /// checks or its MAC address showed them to be one device
    /// (`DeviceMark`).
    local_ips: Vec<IpAddr>,
    /// What ties its addresses.
    marks: Vec<DeviceMark>,
    last_activity: Timestamp,
    /// Its flows with the order they came in (sessions joined later keep
    /// the order the flows ended in).
    flows: Vec<(u64, CallFlow<PackedRecord>)>,
}

pub struct CallTracker {
    knowledge: Arc<Knowledge>,
    /// Where a call's SDP put media the capture does not hold.
    geo: Arc<GeoResolver>,
    /// Who runs the servers of an app a WebRTC flow turns out to be.
    services: Arc<ServiceOperators>,
    /// Open sessions by number, numbered in the order they were opened
    /// (the order they close in when several go idle together, and at the
    /// end).
    sessions: HashMap<u64, Session, RandomState>,
    by_ip: HashMap<IpAddr, u64, RandomState>,
    /// The open session whose device each mark (ufrag, MAC) showed.
    by_mark: HashMap<DeviceMark, u64, RandomState>,
    /// Which MAC addresses are one host's.
    macs: DeviceMacs,
    /// Flows taken so far: the order of a session's flows.
    taken: u64,
    /// One (activity, session) per open session, earliest first: a
    /// session's activity when its entry was last pushed, at most its
    /// latest. An entry found out of date when it comes due is pushed
    /// again with the session's latest activity. Finds idle sessions
    /// without scanning all of them for every ended flow.
    activity: BinaryHeap<Reverse<(Timestamp, u64)>>,
    next_session: u64,
    next_call: u32,
    pub calls: u64,
    /// Where a held record's numbers are written before they are copied.
    scratch: Vec<u8>,
    /// When any device's media flowed: a SIP dialog whose media another
    /// device's session holds (both phones in one capture) is no call
    /// without media.
    media_spans: MediaSpans,
}

impl CallTracker {
    pub fn new(
        knowledge: Arc<Knowledge>,
        geo: Arc<GeoResolver>,
        services: Arc<ServiceOperators>,
    ) -> CallTracker {
        CallTracker {
            knowledge,
            geo,
            services,
            sessions: HashMap::default(),
            by_ip: HashMap::default(),
            by_mark: HashMap::default(),
            macs: DeviceMacs::default(),
            taken: 0,
            activity: BinaryHeap::new(),
            next_session: 0,
            next_call: 0,
            calls: 0,
            scratch: Vec::new(),
            media_spans: MediaSpans::default(),
        }
    }

    /// Takes a finished call-related flow (or, with `None`, only the time:
    /// a flow that is not call-related ended at `now`).
    pub fn push(
        &mut self,
        flow: Option<CallFlow>,
        now: Timestamp,
        sigs: &Signatures,
        out: &mut Vec<Emitted>,
    ) {
        self.close_idle(now, sigs, out);
        let Some(flow) = flow else { return };
        if flow.role.is_media() {
            self.media_spans.add(flow.first_seen, flow.last_seen);
        }
        let ip = flow.local().ip;
        let mut id = *self.by_ip.entry(ip).or_insert_with(|| {
            self.next_session += 1;
            self.next_session
        });
        let mac = flow
            .marks
            .device_mac
            .filter(|mac| self.macs.one_host(*mac, ip));
        let marks = [
            flow.marks.device_ufrag.map(DeviceMark::Ufrag),
            mac.map(DeviceMark::Mac),
        ];
        for mark in marks.into_iter().flatten() {
            self.open(id, ip, flow.last_seen);
            id = self.tie(id, mark);
        }
        self.taken += 1;
        let taken = self.taken;
        let packed = flow.map_record(|r| PackedRecord::pack(r, &mut self.scratch));
        let session = self.open(id, ip, packed.last_seen);
        if packed.last_seen > session.last_activity {
            session.last_activity = packed.last_seen;
        }
        // Grown by a quarter, not doubled: sessions hold their flows for
        // minutes, and doubling left a third of the list unused on average.
        let flows = &mut session.flows;
        if flows.len() == flows.capacity() {
            flows.reserve_exact(flows.len() / 4 + 1);
        }
        flows.push((taken, packed));
    }

    /// Session `id` of the device at `ip`, opened now if it is not open.
    fn open(&mut self, id: u64, ip: IpAddr, now: Timestamp) -> &mut Session {
        self.sessions.entry(id).or_insert_with(|| {
            self.activity.push(Reverse((now, id)));
            Session {
                local_ips: vec![ip],
                marks: Vec::new(),
                last_activity: now,
                flows: Vec::new(),
            }
        })
    }

    /// Notes that session `id`'s device showed `mark` (checked with a
    /// ufrag, sent from a MAC address); when another open session's device
    /// did, the two are one device on two addresses
    /// and become one session, the one opened first: an IPv4 and an IPv6
    /// address (a dual-stack device), or IPv6 addresses of one /64 (its
    /// temporary addresses, RFC 8981). Returns the session the flow goes
    /// to. (Two IPv4 addresses, or IPv6 ones of different networks, are
    /// left apart: copies of a capture replayed with new addresses carry
    /// the same ufrags for different devices.)
    fn tie(&mut self, id: u64, mark: DeviceMark) -> u64 {
        let other = self.by_mark.get(&mark).copied();
        let one_device = |a: Option<&Session>, b: Option<&Session>| {
            let (Some(a), Some(b)) = (a, b) else {
                return false;
            };
            let v4 = |s: &Session| s.local_ips.iter().any(IpAddr::is_ipv4);
            let mut v6 = a
                .local_ips
                .iter()
                .chain(&b.local_ips)
                .filter_map(|ip| match ip {
                    IpAddr::V6(v6) => Some(ipv6_link_prefix(*v6)),
                    IpAddr::V4(_) => None,
                });
            let one_network = v6.next().is_none_or(|first| v6.all(|n| n == first));
            !(v4(a) && v4(b)) && one_network
        };
        let keep = match other {
            Some(other)
                if other != id && one_device(self.sessions.get(&id), self.sessions.get(&other)) =>
            {
                let (keep, gone) = (other.min(id), other.max(id));
                self.join(keep, gone);
                keep
            }
            _ => id,
        };
        self.by_mark.insert(mark, keep);
        if let Some(session) = self.sessions.get_mut(&keep) {
            if !session.marks.contains(&mark) {
                session.marks.push(mark);
            }
        }
        keep
    }

    /// Moves session `gone`'s addresses, marks and flows into `keep`.
    /// `gone`'s entry in `activity` is dropped when it comes due.
    fn join(&mut self, keep: u64, gone: u64) {
        let Some(g) = self.sessions.remove(&gone) else {
            return;
        };
        for ip in &g.local_ips {
            self.by_ip.insert(*ip, keep);
        }
        for m in &g.marks {
            self.by_mark.insert(*m, keep);
        }
        let Some(k) = self.sessions.get_mut(&keep) else {
            return;
        };
        k.local_ips.extend(g.local_ips);
        k.marks.extend(g.marks);
        k.flows.extend(g.flows);
        k.flows.sort_unstable_by_key(|(taken, _)| *taken);
        if g.last_activity > k.last_activity {
            k.last_activity = g.last_activity;
        }
    }

    fn close_idle(&mut self, now: Timestamp, sigs: &Signatures, out: &mut Vec<Emitted>) {
        let mut idle = Vec::new();
        while let Some(Reverse((at, id))) = self.activity.peek().copied() {
            if now.nanos_since(at) <= SESSION_IDLE_NANOS {
                break;
            }
            self.activity.pop();
            let Some(session) = self.sessions.get(&id) else {
                continue;
            };
            if session.last_activity == at {
                idle.push(id);
            } else {
                // Active since: due again at its latest activity.
                self.activity.push(Reverse((session.last_activity, id)));
            }
        }
        // Idle sessions close in the order they were opened.
        idle.sort_unstable();
        for id in idle {
            if let Some(s) = self.sessions.remove(&id) {
                self.forget(id, &s);
                self.close(s, sigs, out);
            }
        }
    }

    /// Closes every session (end of the capture).
    pub fn finish(&mut self, sigs: &Signatures, out: &mut Vec<Emitted>) {
        let mut sessions: Vec<(u64, Session)> = self.sessions.drain().collect();
        sessions.sort_unstable_by_key(|(id, _)| *id);
        self.by_ip.clear();
        self.by_mark.clear();
        self.activity.clear();
        for (_, s) in sessions {
            self.close(s, sigs, out);
        }
    }

    /// Drops closing session `id`'s addresses and marks from the maps.
    fn forget(&mut self, id: u64, session: &Session) {
        for ip in &session.local_ips {
            if self.by_ip.get(ip) == Some(&id) {
                self.by_ip.remove(ip);
            }
        }
        for m in &session.marks {
            if self.by_mark.get(m) == Some(&id) {
                self.by_mark.remove(m);
            }
        }
    }

    fn close(&mut self, session: Session, sigs: &Signatures, out: &mut Vec<Emitted>) {
        // The records waited packed for their call, long enough to leave
        // the caches: each is asked for a few records before its turn.
        let mut flows: Vec<CallFlow> = Vec::with_capacity(session.flows.len());
        let mut packed = session.flows.into_iter();
        while let Some((_, f)) = packed.next() {
            if let Some((_, ahead)) = packed.as_slice().get(UNPACK_AHEAD) {
                ahead.record.prefetch();
            }
            flows.push(f.map_record(PackedRecord::unpack));
        }
        // Media flows in time order, clustered into calls.
        let mut media: Vec<usize> = (0..flows.len())
            .filter(|&i| flows.get(i).is_some_and(|f| f.role.is_media()))
            .collect();
        media.sort_by_key(|&i| flows.get(i).map(|f| (f.first_seen, f.far())));
        let dialogs: Vec<SipDialog> = flows
            .iter()
            .flat_map(|f| f.marks.dialogs.iter().copied())
            .collect();
        let mut windows: Vec<CallWindow> = Vec::new();
        for i in media {
            let Some(f) = flows.get(i) else { continue };
            match windows.last_mut() {
                Some(w) if w.continued_by(f, &dialogs) => w.add(i, f),
                _ => windows.push(CallWindow::new(i, f)),
            }
        }
        add_signalled_calls(&mut windows, &flows, &dialogs, &self.media_spans);
        let mut call_of: Vec<Option<usize>> = vec![None; flows.len()];
        for (w, window) in windows.iter().enumerate() {
            for &i in &window.members {
                if let Some(slot) = call_of.get_mut(i) {
                    *slot = Some(w);
                }
            }
        }
        // Lookups join the nearest call in time around them among those
        // whose media used their socket, else among all (of the same app
        // family): back-to-back calls are both within the margin of a
        // lookup, and consecutive calls may share a socket.
        // Each window's app is worked out once, not per lookup flow: a busy
        // device has many of both.
        let window_app: Vec<Option<AppId>> = windows
            .iter()
            .map(|w| {
                let flows_of_call = if w.members.is_empty() {
                    &w.carriers
                } else {
                    &w.members
                };
                call_app(&flows, flows_of_call, sigs)
            })
            .collect();
        let window_runners = server_runners(&windows, &flows);
        // (call, lookup) pairs beyond each lookup's own call.
        let mut also_served: Vec<(usize, usize)> = Vec::new();
        for (i, f) in flows.iter().enumerate() {
            if f.role.is_media() {
                continue;
            }
            // How far the lookup is from a call's media.
            let apart = |w: &CallWindow| {
                w.start
                    .0
                    .saturating_sub(f.last_seen.0)
                    .max(f.first_seen.0.saturating_sub(w.end.0))
                    .max(0)
            };
            let local = f.local();
            let near = windows
                .iter()
                .enumerate()
                .filter(|(_, w)| w.sockets.contains(&local))
                .map(|(w, window)| (apart(window), w))
                .min()
                .or_else(|| {
                    windows
                        .iter()
                        .zip(&window_app)
                        .zip(&window_runners)
                        .enumerate()
                        .filter_map(|(w, ((window, app), runners))| {
                            let apart = apart(window);
                            (apart <= LOOKUP_MARGIN_NANOS
                                && compatible(sigs, *app, f.app)
                                && run_alike(sigs, *app, runners, f))
                            .then_some((apart, w))
                        })
                        .min()
                })
                .map(|(_, w)| w);
            if let (Some(w), Some(slot)) = (near, call_of.get_mut(i)) {
                *slot = Some(w);
            }
            // It also served every other call that ran while it was open:
            // those whose media used its socket (a STUN keep-alive on a
            // reused socket) or, when no call's media did, those of its own
            // app, not merely a compatible one (a registrar or signalling
            // connection across two calls). It is listed under those too,
            // though its record names one call.
            if let Some(w) = near {
                let socket_used = windows.iter().any(|x| x.sockets.contains(&local));
                for (other, (window, app)) in windows.iter().zip(&window_app).enumerate() {
                    let related = if socket_used {
                        window.sockets.contains(&local)
                    } else {
                        app.is_some() && *app == f.app
                    };
                    if other != w && apart(window) == 0 && related {
                        also_served.push((other, i));
                    }
                }
            }
        }
        adopt_vendor_app(&mut flows, &call_of, windows.len(), (sigs, &self.services));
        let ids: Vec<u32> = windows
            .iter()
            .map(|_| {
                self.next_call += 1;
                self.calls += 1;
                self.next_call
            })
            .collect();
        for (f, call) in flows.iter_mut().zip(&call_of) {
            f.record.call = call.and_then(|w| ids.get(w).copied());
        }
        let mut members_of: Vec<Vec<&CallFlow>> = windows.iter().map(|_| Vec::new()).collect();
        for (f, call) in flows.iter().zip(&call_of) {
            if let Some(members) = call.and_then(|w| members_of.get_mut(w)) {
                members.push(f);
            }
        }
        for (w, i) in also_served {
            if let (Some(members), Some(f)) = (members_of.get_mut(w), flows.get(i)) {
                members.push(f);
            }
        }
        let times = call_times(&windows, &members_of, &dialogs);
        let records: Vec<CallRecord> = members_of
            .iter()
            .zip(&ids)
            .zip(times)
            .zip(&windows)
            .map(|(((members, &id), times), w)| {
                let (knowledge, geo) = (&self.knowledge, &self.geo);
                call_record(id, times, members, w.attempt, sigs, (knowledge, geo))
            })
            .collect();
        for f in flows {
            // Its verdict is complete: no fact is asked for it any more.
            let outstanding = self.knowledge.outstanding();
            outstanding.leave(self.knowledge.verdict_epoch_of(f.as_of));
            out.push(Emitted::Flow(f.record));
        }
        for r in records {
            out.push(Emitted::Call(Box::new(r)));
        }
    }
}

/// How long after a call attempt's last message its early media may still
/// arrive (packets in flight, an announcement played out).
const EARLY_MEDIA_AFTER_NANOS: i64 = 5 * 1_000_000_000;

/// Answered SIP dialogs with no media near them are calls too, whose media
/// the capture does not hold: one call per Call-ID while its dialogs
/// overlap (a dialog seen on two flows, or forked, is one call), in time
/// order among the media's calls. So are attempts no 2xx answered (one
/// per Call-ID: an INVITE sent again with credentials is the same
/// attempt), which say what became of them.
/// `media`: when any device's media flowed.
fn add_signalled_calls(
    windows: &mut Vec<CallWindow>,
    flows: &[CallFlow],
    dialogs: &[SipDialog],
    media: &MediaSpans,
) {
    let near_media = |d: &SipDialog| media.near(d.start, d.end);
    let mut signalled: Vec<CallWindow> = Vec::new();
    for d in dialogs.iter().filter(|d| d.answered) {
        if near_media(d) {
            continue;
        }
        let same = signalled.iter_mut().find(|w| {
            d.start <= w.end && w.start <= d.end && w.carriers.iter().any(|&i| carries(flows, i, d))
        });
        if let Some(w) = same {
            w.start = w.start.min(d.start);
            w.end = w.end.max(d.end);
            w.media_end = w.end;
            continue;
        }
        let carriers = (0..flows.len()).filter(|&i| carries(flows, i, d)).collect();
        signalled.push(CallWindow::signalled(d, carriers));
    }
    let answered = |d: &SipDialog| dialogs.iter().any(|a| a.answered && a.same_call(d));
    let mut attempts: Vec<CallWindow> = Vec::new();
    for d in dialogs.iter().filter(|d| !answered(d)) {
        let same = attempts
            .iter_mut()
            .find(|w| w.attempt.is_some_and(|a| a.same_call(d)));
        if let Some(w) = same {
            w.start = w.start.min(d.start);
            w.end = w.end.max(d.end);
            w.media_end = w.end;
            if w.attempt.is_some_and(|a| a.start <= d.start) {
                w.attempt = Some(*d);
            }
            continue;
        }
        let carriers = (0..flows.len()).filter(|&i| carries(flows, i, d)).collect();
        attempts.push(CallWindow::signalled(d, carriers));
    }
    // The device's media while it was tried (early media: a ringback
    // tone, an announcement, still arriving just after the refusal) is in
    // the capture, as a call of its own. (Only the device's: in a capture
    // of many devices someone's media always flows.)
    let with_media = |w: &CallWindow| {
        let end = Timestamp(w.end.0.saturating_add(EARLY_MEDIA_AFTER_NANOS));
        windows
            .iter()
            .any(|m| !m.members.is_empty() && m.start <= end && w.start <= m.end)
    };
    signalled.extend(attempts.into_iter().filter(|w| !with_media(w)));
    if !signalled.is_empty() {
        windows.extend(signalled);
        windows.sort_by_key(|w| w.start);
    }
}

/// The SIP dialog a call's media was early media of: with `has_media`,
/// when the dialogs its signalling flows carried while it ran (or just
/// before its media) were all attempts no 2xx answered, the last of them.
fn early_media_of(
    members: &[&CallFlow],
    has_media: bool,
    (start, end): (Timestamp, Timestamp),
) -> Option<SipDialog> {
    if !has_media {
        return None;
    }
    let during = |d: &&SipDialog| {
        d.start <= end && start.0 <= d.end.0.saturating_add(EARLY_MEDIA_AFTER_NANOS)
    };
    let dialogs: Vec<&SipDialog> = members
        .iter()
        .flat_map(|f| f.marks.dialogs.iter())
        .filter(during)
        .collect();
    if dialogs.iter().any(|d| d.answered) {
        return None;
    }
    dialogs.into_iter().max_by_key(|d| d.start).copied()
}

/// Who placed call attempt `d`, as the verdict's subject: the flow that
/// carried its INVITE says whether the device sent it.
fn attempt_caller(members: &[&CallFlow], d: &SipDialog) -> &'static str {
    let carrier = members
        .iter()
        .find(|f| f.marks.dialogs.iter().any(|x| x.same_call(d)));
    match carrier {
        Some(f) if (d.invited_from == 0) == f.local_is_src => "A call your device placed",
        Some(_) => "A call to your device",
        None => "A call attempt",
    }
}

/// Whether session flow `i` carried dialog `d`.
fn carries(flows: &[CallFlow], i: usize, d: &SipDialog) -> bool {
    flows
        .get(i)
        .is_some_and(|f| f.marks.dialogs.iter().any(|x| x.same_call(d)))
}

/// Vendors build their calls on libwebrtc, whose STUN and media alone
/// only say "WebRTC": a call's WebRTC flows take the app of its one vendor
/// when they are tied to that vendor's flows by a local socket (the same
/// socket also spoke the vendor's protocol) or by a far end (the same
/// peer candidate checked from another of the call's sockets), directly
/// or through each other. Only flows the vendor's own traffic named
/// count: a STUN server in a vendor's range (Google's) serves every
/// WebRTC app.
fn adopt_vendor_app(
    flows: &mut [CallFlow],
    call_of: &[Option<usize>],
    calls: usize,
    (sigs, services): (&Signatures, &ServiceOperators),
) {
    let Some(webrtc) = sigs.app_id("webrtc_generic") else {
        return;
    };
    let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); calls];
    for (i, call) in call_of.iter().enumerate() {
        if let Some(members) = call.and_then(|c| members_of.get_mut(c)) {
            members.push(i);
        }
    }
    for members in members_of {
        let named = |f: &&CallFlow| f.app_named_by_traffic;
        let mut vendor: Option<AppId> = None;
        for app in members
            .iter()
            .filter_map(|&i| flows.get(i))
            .filter(named)
            .filter_map(|f| f.app)
        {
            if sigs.app(app).generic {
                continue;
            }
            match vendor {
                None => vendor = Some(app),
                Some(v) if v == app => {}
                // Two vendors in one call: which one a WebRTC flow is
                // cannot be told this way.
                Some(_) => {
                    vendor = None;
                    break;
                }
            }
        }
        let Some(vendor) = vendor else { continue };
        let vendor_flows = || {
            members
                .iter()
                .filter_map(|&i| flows.get(i))
                .filter(named)
                .filter(|f| f.app == Some(vendor))
        };
        let mut sockets: BTreeSet<Endpoint> = vendor_flows().map(CallFlow::local).collect();
        let mut peers: BTreeSet<Endpoint> = vendor_flows().map(CallFlow::far).collect();
        let mut tied = true;
        while tied {
            tied = false;
            for &i in &members {
                let Some(f) = flows.get_mut(i) else { continue };
                if f.app != Some(webrtc) {
                    continue;
                }
                let (local, far) = (f.local(), f.far());
                if !sockets.contains(&local) && !peers.contains(&far) {
                    continue;
                }
                f.app = Some(vendor);
                f.record.app = Some(sigs.app(vendor).id.clone());
                if !f.checks_a_candidate {
                    f.record.service_operator = f
                        .record
                        .remote
                        .as_ref()
                        .and_then(|r| services.of_server(f.app, f.role, &r.far_end, false));
                }
                let why = format!(
                    "WebRTC on a socket or with a peer of the call's {} flows",
                    sigs.app(vendor).display_name
                );
                let mut evidence = std::mem::take(&mut f.record.evidence).into_vec();
                evidence.push(why.into());
                f.record.evidence = evidence.into_boxed_slice();
                sockets.insert(local);
                peers.insert(far);
                tied = true;
            }
        }
    }
}

/// The app most media flows of a call were identified as.
fn call_app(flows: &[CallFlow], members: &[usize], sigs: &Signatures) -> Option<AppId> {
    let apps: Vec<AppId> = members
        .iter()
        .filter_map(|&m| flows.get(m).and_then(|f| f.app))
        .collect();
    // Prefer a vendor app over a protocol family, then the most frequent.
    let mut best: Option<(bool, usize, AppId)> = None;
    for a in &apps {
        let count = apps.iter().filter(|b| *b == a).count();
        let key = (!sigs.app(*a).generic, count, *a);
        if best.is_none_or(|b| key > b) {
            best = Some(key);
        }
    }
    best.map(|(_, _, a)| a)
}

/// The companies running each call's servers: its relays' and those of
/// the servers its media sockets spoke to (STUN, TURN), by the network's
/// operator and, for a server in someone else's network, the company
/// running the service. Empty for a call with no known server.
fn server_runners<'f>(windows: &[CallWindow], flows: &'f [CallFlow]) -> Vec<BTreeSet<&'f str>> {
    let mut runners: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); windows.len()];
    for (window, runners) in windows.iter().zip(&mut runners) {
        for f in window.members.iter().filter_map(|&i| flows.get(i)) {
            if f.role == Role::Relay {
                runners.extend(runners_of(f));
            }
        }
    }
    for f in flows {
        if f.role.is_media() || f.checks_a_candidate {
            continue;
        }
        let local = f.local();
        for (window, runners) in windows.iter().zip(&mut runners) {
            if window.sockets.contains(&local) {
                runners.extend(runners_of(f));
            }
        }
    }
    runners
}

/// Who runs a flow's far end (see `server_runners`).
fn runners_of(f: &CallFlow) -> impl Iterator<Item = &str> {
    let network = f
        .record
        .remote
        .as_ref()
        .and_then(|r| r.far_end.described.network.operator.as_deref());
    let service = f.record.service_operator.as_ref().map(|s| &*s.operator);
    network.into_iter().chain(service)
}

/// Whether a lookup joining a call by time alone is run by a company that
/// runs the call's servers, when its app is a vendor's the call is not
/// of: a background Teams connection is no part of a WebRTC call through
/// Meta's relays, while a vendor's signalling of a browser call through
/// its own relays is. A call with no known server, or a lookup of no
/// known company, keeps the benefit of the doubt.
fn run_alike(
    sigs: &Signatures,
    call: Option<AppId>,
    runners: &BTreeSet<&str>,
    f: &CallFlow,
) -> bool {
    let Some(app) = f.app else { return true };
    if call == Some(app) || sigs.app(app).generic || runners.is_empty() {
        return true;
    }
    let mut own = runners_of(f).peekable();
    own.peek().is_none() || own.any(|r| runners.contains(r))
}

fn compatible(sigs: &Signatures, call: Option<AppId>, flow: Option<AppId>) -> bool {
    match (call, flow) {
        (Some(a), Some(b)) => a == b || sigs.app(a).generic || sigs.app(b).generic,
        _ => true,
    }
}

fn party(f: &CallFlow) -> CallParty {
    CallParty {
        endpoint: f.far().to_string(),
        summary: f.record.far_summary().unwrap_or_default(),
        remote: f.record.remote.clone(),
        service_operator: f.record.service_operator.clone(),
    }
}

fn unique_parties<'a>(flows: impl Iterator<Item = &'a CallFlow>) -> Vec<CallParty> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for f in flows {
        if seen.insert(f.far()) {
            out.push(party(f));
        }
    }
    out
}

/// A peer whose global IPv6 address shares a /64 with one of the device's
/// is on the device's own network (one link's prefix): its address's
/// country and network say where that network is, not a far party's.
fn note_peers_on_the_device_network(peers: &mut [CallParty], members: &[&CallFlow]) {
    let prefix = |ip: IpAddr| match ip {
        IpAddr::V6(v6) if !is_site_local(ip) => Some(ipv6_link_prefix(v6)),
        _ => None,
    };
    let own: BTreeSet<[u16; 4]> = members
        .iter()
        .filter_map(|f| prefix(f.local().ip))
        .collect();
    if own.is_empty() {
        return;
    }
    for p in peers {
        let shared = p
            .endpoint
            .parse::<std::net::SocketAddr>()
            .ok()
            .and_then(|a| prefix(a.ip()))
            .is_some_and(|net| own.contains(&net));
        if shared {
            p.summary
                .push_str(" · on your device's own network (the same IPv6 /64)");
        }
    }
}

fn call_record(
    id: u32,
    (start, end): (Timestamp, Timestamp),
    members: &[&CallFlow],
    attempt: Option<SipDialog>,
    sigs: &Signatures,
    (knowledge, geo): (&Knowledge, &GeoResolver),
) -> CallRecord {
    let mut media: Vec<&&CallFlow> = members.iter().filter(|f| f.role.is_media()).collect();
    media.sort_by_key(|f| f.first_seen);
    let app = {
        // A call without media is named by its signalling.
        let mut apps: Vec<AppId> = if media.is_empty() {
            members.iter().filter_map(|f| f.app).collect()
        } else {
            media.iter().filter_map(|f| f.app).collect()
        };
        apps.sort_by_key(|a| (sigs.app(*a).generic, *a));
        apps.first().copied()
    };
    let relays = unique_parties(media.iter().filter(|f| f.role == Role::Relay).map(|f| **f));
    let mut peers = unique_parties(media.iter().filter(|f| f.role == Role::P2p).map(|f| **f));
    note_peers_on_the_device_network(&mut peers, members);
    // A relay also probed from another socket is listed once, as a relay.
    let media_ends: BTreeSet<Endpoint> = media.iter().map(|f| f.far()).collect();
    // RTCP alone (the media's reports, on the port beside the RTP) with a
    // host the media went to follows the media's path: that host is the
    // peer or the relay, no lookup server.
    let media_hosts: BTreeSet<IpAddr> = media.iter().map(|f| f.far().ip).collect();
    let reports_beside_media = |f: &CallFlow| {
        f.record
            .media
            .as_ref()
            .is_some_and(|m| m.rtp_packets == 0 && m.rtcp_packets > 0)
            && media_hosts.contains(&f.far().ip)
    };
    let lookups = unique_parties(
        members
            .iter()
            .filter(|f| {
                f.role == Role::Lookup
                    && !f.checks_a_candidate
                    && !media_ends.contains(&f.far())
                    && !reports_beside_media(f)
            })
            .copied(),
    );
    let candidates = unique_parties(
        members
            .iter()
            .filter(|f| f.checks_a_candidate && !media_ends.contains(&f.far()))
            .copied(),
    );
    let first_relay = media.iter().position(|f| f.role == Role::Relay);
    let first_p2p = media.iter().position(|f| f.role == Role::P2p);
    let path = match (first_relay, first_p2p) {
        (Some(_), None) => "relayed",
        (None, Some(_)) => "direct",
        (Some(r), Some(p)) if r < p => "relayed_then_direct",
        (Some(_), Some(_)) => "direct_then_relayed",
        (None, None) if attempt.is_some() => "not_answered",
        (None, None) => "signalling_only",
    };
    let describe = |parties: &[CallParty]| {
        parties
            .iter()
            .map(|p| {
                if p.summary.is_empty() {
                    p.endpoint.clone()
                } else {
                    format!("{} ({})", p.endpoint, p.summary)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let verdict = match path {
        "direct" => format!(
            "Media went directly between your device and {}: peer-to-peer, no server carried it.",
            describe(&peers)
        ),
        "relayed" => format!(
            "Media was relayed by {}: it passed through a server, not peer-to-peer.",
            describe(&relays)
        ),
        "relayed_then_direct" => format!(
            "Media started through relay {} and then went directly to {}.",
            describe(&relays),
            describe(&peers)
        ),
        "direct_then_relayed" => format!(
            "Media started directly with {} and then moved to relay {}.",
            describe(&peers),
            describe(&relays)
        ),
        _ => "Only the call's signalling was captured (its SIP dialog was answered), none of its media: whether the media went directly or through a server cannot be told from this capture.".to_string(),
    };
    // A call without media still says where its SDP sent the media.
    let announced = media
        .is_empty()
        .then(|| announced_media(members, (start, end), knowledge, geo))
        .flatten()
        .unwrap_or_default();
    let verdict = if let Some(attempt) = attempt {
        let sentence = format!(
            "{} was {}; no media of it was captured.",
            attempt_caller(members, &attempt),
            attempt.unanswered_outcome()
        );
        if announced.sentence.is_empty() {
            sentence
        } else {
            format!("{sentence} {}", announced.sentence)
        }
    } else if announced.sentence.is_empty() {
        verdict
    } else {
        format!(
            "Only the call's signalling was captured (its SIP dialog was answered), none of its media. {}",
            announced.sentence
        )
    };
    // Several voices at once from a server: a group call, whose media a
    // conference server forwards by design.
    let voices_at_once = media
        .iter()
        .filter(|f| f.role == Role::Relay)
        .map(|f| f.marks.far_voices)
        .max()
        .filter(|n| *n >= 2);
    // Media each way on a connection of its own with one server: an SFU's
    // publish and subscribe transports (`role::split_transports`).
    let forwards = |f: &CallFlow| {
        let (device, far) = (f.local().ip, f.far().ip);
        f.role == Role::Relay
            && knowledge.one_way_media(device, far, f.as_of).is_some()
            && knowledge.one_way_media(far, device, f.as_of).is_some()
    };
    let verdict = match voices_at_once {
        Some(n) => format!(
            "{verdict} A group call: the server forwarded {n} participants' voices at once."
        ),
        None if media.iter().any(|f| forwards(f)) => format!(
            "{verdict} A forwarding server (SFU): it took the device's media on one connection and sent it the other side's on another."
        ),
        None => verdict,
    };
    let verdict = match early_media_of(members, attempt.is_none() && !media.is_empty(), (start, end)) {
        Some(d) => format!(
            "{verdict} No one answered the SIP call: it was {}; this media came while it was being set up (early media, such as a ringback tone or an announcement).",
            d.unanswered_outcome()
        ),
        None => verdict,
    };
    let mut legs = other_legs(members, (start, end), knowledge, geo);
    let mut lookups = lookups;
    for server in legs.signalling.drain(..) {
        if !lookups.iter().any(|l| l.endpoint == server.endpoint) {
            lookups.push(server);
        }
    }
    let verdict = if legs.sentence.is_empty() {
        verdict
    } else {
        format!("{verdict} {}", legs.sentence)
    };
    // Each distinct socket written once (a busy device's call has hundreds
    // of flows from a few sockets), then sorted as text.
    let sockets: BTreeSet<Endpoint> = members.iter().map(|f| f.local()).collect();
    let mut local: Vec<String> = sockets.iter().map(Endpoint::to_string).collect();
    local.sort();
    let mut learned: Vec<String> = Vec::new();
    // The device's own public addresses, as servers told it.
    let mut own_public: Vec<IpAddr> = Vec::new();
    // What the far end that answered was: a peer answering ICE checks, a
    // conference server (it forwarded several voices), a TURN server or
    // another server that relayed the media (a mixer answering the
    // device's ICE checks), else a STUN server.
    let kind_of = |reflector: Endpoint, as_of: AsOf| {
        let flows = members.iter().filter(|g| g.far() == reflector);
        let mut kind = "STUN server";
        for g in flows {
            if g.role == Role::P2p {
                return "peer";
            }
            // Several voices, or media each way on its own connection (an
            // SFU's transports, `role::split_transports`).
            if forwards(g)
                || g.marks.far_voices >= 2
                || knowledge.conference(reflector.ip, as_of).is_some()
            {
                kind = "conference server";
            } else if g.role == Role::Relay && kind != "conference server" {
                // (A host keeps the role it showed first: a TURN server
                // that answered a Binding before the Allocate is listed as
                // a STUN server, so its relayed addresses are asked too.)
                let turn = knowledge
                    .server(reflector.ip, as_of)
                    .is_some_and(|s| s.role == ServerRole::Turn)
                    || knowledge
                        .relay(reflector, as_of)
                        .is_some_and(|r| r.kind == RelayKind::Turn);
                kind = if turn { "TURN server" } else { "media server" };
            }
        }
        kind
    };
    let mut told_by_server = |reflector: Endpoint, public: Endpoint, as_of: AsOf| {
        let mut line = String::with_capacity(80);
        reflector.push_text(&mut line);
        line.push_str(" (");
        line.push_str(kind_of(reflector, as_of));
        line.push_str(", told the device it is ");
        public.push_text(&mut line);
        line.push(')');
        if !learned.contains(&line) {
            learned.push(line);
        }
        if !own_public.contains(&public.ip) {
            own_public.push(public.ip);
        }
    };
    for f in members {
        // The first server that told the flow's socket (knowledge keeps
        // one per socket), then the flow's own far end when it is a server
        // that told it too: a socket may ask an app's STUN server and its
        // TURN server, and both learn the address.
        // (An address inside a local network is no public one: an ICE
        // peer on the same network answers with it.)
        if let Some(r) = knowledge
            .reflection(f.local(), f.as_of)
            .filter(|r| !is_site_local(r.public.ip))
        {
            told_by_server(r.reflector, r.public, f.as_of);
        }
        let server = f.role == Role::Relay || (f.role == Role::Lookup && !f.checks_a_candidate);
        if let Some(l) = f
            .record
            .public_address_learned
            .as_deref()
            .filter(|_| server)
        {
            told_by_server(l.by, l.address, f.as_of);
        }
    }
    // (A peer on the device's own local network got its private address.)
    for f in media.iter().filter(|f| f.role == Role::P2p) {
        if is_site_local(f.far().ip) && is_site_local(f.local().ip) {
            continue;
        }
        let line = format!(
            "{} (peer, received media from the device directly)",
            f.far()
        );
        if !learned.contains(&line) {
            learned.push(line);
        }
    }
    // A candidate address the device sent its checks to got packets from
    // the device's public address, whether or not it answered: whoever
    // holds it saw that address as a peer would. (Not a local network's
    // address, and not the device's own public one.)
    for f in members {
        let far = f.far();
        let [to_far, from_far] = if f.local_is_src {
            [f.record.packets_src_to_dst, f.record.packets_dst_to_src]
        } else {
            [f.record.packets_dst_to_src, f.record.packets_src_to_dst]
        };
        if !f.checks_a_candidate
            || to_far == 0
            || media_ends.contains(&far)
            || is_site_local(far.ip)
            || own_public.contains(&far.ip)
        {
            continue;
        }
        let mut line = String::with_capacity(96);
        far.push_text(&mut line);
        line.push_str(if from_far > 0 {
            " (candidate address, received the device's connectivity checks and answered)"
        } else {
            " (candidate address, received the device's connectivity checks, never answered)"
        });
        if !learned.contains(&line) {
            learned.push(line);
        }
    }
    let rtp: Vec<(u32, u64, i64, Option<f64>)> = media
        .iter()
        .filter_map(|f| rtp_figures(&f.record))
        .collect();
    let quality = (!rtp.is_empty()).then(|| {
        let streams = rtp.iter().map(|r| r.0).sum();
        let expected: u64 = rtp.iter().map(|r| r.1).sum();
        let lost: i64 = rtp.iter().map(|r| r.2).sum();
        let max_jitter = rtp
            .iter()
            .filter_map(|r| r.3)
            .fold(None, |m: Option<f64>, j| Some(m.map_or(j, |m| m.max(j))));
        CallQuality {
            rtp_streams: streams,
            packets_expected: expected,
            packets_lost: lost,
            loss_percent: (expected > 0)
                .then(|| ((lost.max(0) as f64) * 1000.0 / expected as f64).round() / 10.0),
            max_jitter_ms: max_jitter.map(|j| (j * 10.0).round() / 10.0),
        }
    });
    let mut evidence: Vec<String> = announced.evidence;
    evidence.extend(legs.evidence);
    for f in &media {
        if let Some(first) = f.record.evidence.first() {
            // "{local} → {far}: {role} ({first})"
            let mut line = String::with_capacity(64 + first.len());
            f.local().push_text(&mut line);
            line.push_str(" → ");
            f.far().push_text(&mut line);
            line.push_str(": ");
            line.push_str(f.role.name());
            line.push_str(" (");
            line.push_str(first);
            line.push(')');
            evidence.push(line);
        }
    }
    let mut device_apps: Vec<String> = Vec::new();
    for f in members {
        if let Some(named) = &f.record.device_app {
            let line = named.describe();
            if !device_apps.contains(&line) {
                device_apps.push(line);
            }
        }
    }
    CallRecord {
        record_type: "call",
        call: id,
        app: app.map(|a| sigs.app(a).id.clone()),
        device_apps,
        start: crate::report::flow_record::round6(start.as_secs_f64()),
        end: crate::report::flow_record::round6(end.as_secs_f64()),
        duration: crate::report::flow_record::round6(end.nanos_since(start) as f64 / 1e9),
        local,
        path,
        verdict,
        voices_at_once,
        laws: CallLaws::of(&relays, &lookups),
        peers,
        relays,
        lookup_servers: lookups,
        candidates_checked: candidates,
        announced_media: announced.far,
        other_legs: legs.parties,
        public_address_learned_by: learned,
        quality,
        flows: members.len() as u32,
        media_flows: media.len() as u32,
        evidence,
    }
}

/// A media flow's RTP figures: streams, packets expected, lost, worst jitter.
fn rtp_figures(record: &FlowRecord) -> Option<(u32, u64, i64, Option<f64>)> {
    let m = record.media.as_deref().filter(|m| !m.streams.is_empty())?;
    Some((
        m.streams.len() as u32,
        m.streams.iter().map(|s| s.expected).sum(),
        m.streams.iter().map(|s| s.lost).sum(),
        m.streams
            .iter()
            .filter_map(|s| s.max_jitter_ms)
            .fold(None, |a: Option<f64>, j| Some(a.map_or(j, |a| a.max(j)))),
    ))
}
