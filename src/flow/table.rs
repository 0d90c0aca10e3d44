//! The flow table: lookup or creation per packet, counters, TCP close,
//! packet-time expiry, and a cap on active flows. Finished flows are handed
//! to the caller at once, so memory follows the active flows.

use std::sync::Arc;

use super::chunked_vec::ChunkedVec;
use super::duplicates;
use super::expiry::{ExpiryQueue, SlotRef};
use super::fragments::FragmentMemory;
use super::index::FlowIndex;
use super::outstanding::Outstanding;
use super::{Direction, EndReason, Endpoint, Flow, FlowKey};
use crate::capture::Timestamp;
use crate::decode::{Fragment, L4Proto, PacketView};
use crate::dissect::session_start::{self, SessionStart};

#[derive(Clone, Copy, Debug)]
pub struct FlowTableConfig {
    /// Idle timeout for UDP and other non-TCP flows, seconds of packet time.
    /// (A UDP packet is asked whether its flow had ended only after 2 s of
    /// quiet, `session_start::QUIET_NANOS`: with a 1 s timeout, one 1-2 s
    /// late joins its flow unless a check for idle flows ran between.)
    pub udp_timeout_secs: u64,
    /// Idle timeout for TCP flows, seconds of packet time.
    pub tcp_timeout_secs: u64,
    /// How long a closed TCP connection lingers to collect its last ACKs.
    pub tcp_close_linger_secs: u64,
    /// Most flows tracked at once; beyond it the flow closest to expiry is
    /// written out early and counted as an eviction.
    pub max_flows: usize,
    /// A media flow gets size/inter-arrival histograms once it has this
    /// many packets (0: never).
    pub histogram_after_packets: u64,
    /// Copies of a packet (see `duplicates`) are counted once: skipped,
    /// not tracked (`--keep-duplicates` turns it off).
    pub skip_duplicates: bool,
}

impl Default for FlowTableConfig {
    fn default() -> Self {
        FlowTableConfig {
            udp_timeout_secs: 120,
            tcp_timeout_secs: 300,
            tcp_close_linger_secs: 5,
            max_flows: 1_000_000,
            histogram_after_packets: 10,
            skip_duplicates: true,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct FlowTableStats {
    pub flows_created: u64,
    pub flows_evicted: u64,
    /// Most flows open at once (the analysis samples it once per second of
    /// packet time and at the end).
    pub max_active_flows: u64,
    /// Later IP fragments attributed to a flow through their first fragment.
    pub fragments_attributed: u64,
    /// Later IP fragments whose first fragment was not seen.
    pub fragments_unattributed: u64,
    /// Copies of the packet before them on their flow, not tracked.
    pub duplicates_skipped: u64,
}

#[derive(Default)]
struct Slot {
    generation: u32,
    /// The mark of the flow's last packet (`duplicates::mark`; 0: none),
    /// here beside the generation where the slot has room for it.
    last_duplicate_mark: u32,
    /// Kept in the slot itself, so a lookup reads the flow (its key first)
    /// right where the index points; boxed when it ends, so that queueing
    /// and sorting a finished flow moves a pointer.
    flow: Option<Flow>,
}

/// The key of the flow in a slot (the index keeps slot numbers only).
fn key_in(slots: &ChunkedVec<Slot>, slot: u32) -> Option<&FlowKey> {
    slots
        .get(slot as usize)
        .and_then(|s| s.flow.as_ref())
        .map(|f| &f.key)
}

/// Why a packet of a known flow begins a new flow instead.
#[derive(Clone, Copy, Debug)]
enum Reopening {
    /// It opens a new session on the UDP flow's endpoint pair
    /// (`session_start`): the next call on a reused socket.
    Session(SessionStart),
    /// It comes after the flow's idle timeout ran out: the flow ended then
    /// (`idle_end`), whether or not a check for idle flows ran since (one
    /// runs only as packets move the clock on: a sparse capture would keep
    /// the flow alive). (Nothing carried: the answer stays a byte.)
    Idle,
}

/// Whether `pkt`, at `ts`, begins a new flow on `flow`'s key; `shortest`:
/// the shortest idle timeout, in nanoseconds. Later fragments carry no
/// header to tell a new session by.
#[inline(always)]
fn reopening(
    flow: &Flow,
    pkt: &PacketView<'_>,
    src_is_lo: Option<bool>,
    ts: Timestamp,
    (config, shortest): (&FlowTableConfig, i64),
) -> Option<Reopening> {
    if pkt.l4 != L4Proto::Udp {
        if ts.nanos_since(flow.last_seen) <= shortest {
            return None;
        }
        return ended_idle(flow, ts, config);
    }
    // (Quiet that long before any UDP timeout can have run out: see
    // `FlowTableConfig::udp_timeout_secs`.)
    if !session_start::quiet_long_enough(&flow.facts, flow.last_seen, ts) {
        return None;
    }
    reopening_after_quiet(flow, pkt, src_is_lo, ts, config)
}

/// The rest of `reopening` for a UDP packet after a quiet spell: kept out
/// of the per-packet path.
#[cold]
#[inline(never)]
fn reopening_after_quiet(
    flow: &Flow,
    pkt: &PacketView<'_>,
    src_is_lo: Option<bool>,
    ts: Timestamp,
    config: &FlowTableConfig,
) -> Option<Reopening> {
    if let Some(idle) = ended_idle(flow, ts, config) {
        return Some(idle);
    }
    let dir = flow.direction_from_side(src_is_lo?);
    session_start::opened_by(&flow.facts, dir, pkt.payload).map(Reopening::Session)
}

/// `Reopening::Idle` if `flow` had ended by `ts`.
#[cold]
#[inline(never)]
fn ended_idle(flow: &Flow, ts: Timestamp, config: &FlowTableConfig) -> Option<Reopening> {
    (idle_end(flow, config).0 < ts).then_some(Reopening::Idle)
}

/// When an idle flow ended, and why: its timeout after its last packet
/// (no earlier than the clock when it was last seen, as `expire` has it).
fn idle_end(flow: &Flow, config: &FlowTableConfig) -> (Timestamp, EndReason) {
    let deadline = flow.last_seen.plus_secs(timeout_secs(config, flow));
    let reason = if flow.is_tcp_closed() {
        EndReason::TcpClosed
    } else {
        EndReason::Idle
    };
    (deadline.max(flow.last_clock), reason)
}

fn timeout_secs(config: &FlowTableConfig, flow: &Flow) -> u64 {
    if flow.l4 == L4Proto::Tcp {
        if flow.is_tcp_closed() {
            config.tcp_close_linger_secs
        } else {
            config.tcp_timeout_secs
        }
    } else {
        config.udp_timeout_secs
    }
}

pub struct FlowTable {
    config: FlowTableConfig,
    index: FlowIndex,
    slots: ChunkedVec<Slot>,
    free: Vec<u32>,
    expiry: ExpiryQueue,
    /// Scratch list of the expiry entries due at a check, kept for reuse.
    due: Vec<(Timestamp, SlotRef)>,
    fragments: FragmentMemory,
    /// The analysis clock: the latest packet time read, never going
    /// backwards (set by the caller before each packet, see `set_clock`).
    clock: Timestamp,
    /// Where flows are counted until their verdict, by the epoch of their
    /// last packet (see `Outstanding`), when the analysis forgets facts.
    outstanding: Option<Arc<Outstanding>>,
    /// The clock's epoch runs from here to `next_epoch`: a flow whose last
    /// packet came before it moves to a later epoch.
    epoch_start: Timestamp,
    next_epoch: Timestamp,
    /// The slot of the last packet's flow. A third of the bench capture's
    /// packets belong to the flow of the packet before them: their key is
    /// compared with that slot's flow before the index is asked. Checked
    /// against the slot's key on use, so nothing has to forget it.
    last_slot: u32,
    /// The shortest idle timeout, in nanoseconds: a packet that comes
    /// later than this after its flow's last one is asked whether the flow
    /// had ended (`reopening`).
    shortest_timeout_nanos: i64,
    pub stats: FlowTableStats,
}

impl FlowTable {
    pub fn new(config: FlowTableConfig) -> FlowTable {
        FlowTable {
            index: FlowIndex::default(),
            slots: ChunkedVec::default(),
            free: Vec::new(),
            expiry: ExpiryQueue::default(),
            due: Vec::new(),
            fragments: FragmentMemory::default(),
            clock: Timestamp(i64::MIN),
            outstanding: None,
            epoch_start: Timestamp(i64::MIN),
            next_epoch: Timestamp(i64::MIN),
            last_slot: u32::MAX,
            shortest_timeout_nanos: Timestamp(0)
                .plus_secs(
                    config
                        .udp_timeout_secs
                        .min(config.tcp_timeout_secs)
                        .min(config.tcp_close_linger_secs),
                )
                .0,
            stats: FlowTableStats::default(),
            config,
        }
    }

    /// Counts each flow in `outstanding` from its first packet; whoever
    /// gives the verdict takes it out (`Outstanding::leave` with the epoch
    /// of the flow's `last_clock`).
    pub fn count_outstanding_in(mut self, outstanding: Arc<Outstanding>) -> FlowTable {
        self.outstanding = Some(outstanding);
        self
    }

    /// Moves the clock forward to `t`, and the clock's epoch with it.
    fn advance_clock(&mut self, t: Timestamp) {
        if t <= self.clock {
            return;
        }
        self.clock = t;
        if t >= self.next_epoch {
            if let Some(o) = &self.outstanding {
                let epoch = o.epoch_of(t);
                self.epoch_start = o.epoch_start(epoch);
                self.next_epoch = o.epoch_start(epoch.saturating_add(1));
            }
        }
    }

    /// Moves the analysis clock (the latest packet time of the whole run,
    /// which may be ahead of this table's own packets).
    pub fn set_clock(&mut self, clock: Timestamp) {
        self.advance_clock(clock);
    }

    pub fn active(&self) -> usize {
        self.index.len()
    }

    /// The flows still open, in no particular order.
    pub fn flows(&self) -> impl Iterator<Item = &Flow> {
        self.slots.iter().filter_map(|s| s.flow.as_ref())
    }

    fn timeout_secs(&self, flow: &Flow) -> u64 {
        timeout_secs(&self.config, flow)
    }

    /// Ends the flow of `key`, which a packet reopened.
    #[cold]
    #[inline(never)]
    fn end_reopened(
        &mut self,
        key: &FlowKey,
        reopened: Reopening,
        finished: &mut dyn FnMut(Box<Flow>),
    ) {
        let Some(mut flow) = self.remove(key, EndReason::NewSession) else {
            return;
        };
        match reopened {
            Reopening::Session(_) => flow.end_time = self.clock,
            Reopening::Idle => {
                let (ended, reason) = idle_end(&flow, &self.config);
                flow.end_time = ended;
                flow.end_reason = Some(reason);
            }
        }
        finished(flow);
    }

    /// Counts a packet into its flow (creating it if new) and returns the
    /// flow with the packet's direction, or `None` for a later fragment
    /// that could not be attributed. `finished` receives flows that end
    /// because of this packet (a closed TCP connection reopened, evictions).
    pub fn track(
        &mut self,
        pkt: &PacketView<'_>,
        ts: Timestamp,
        wire_len: u32,
        frame: u64,
        file_index: u32,
        finished: &mut dyn FnMut(Box<Flow>),
    ) -> Option<(&mut Flow, Direction)> {
        let (src, dst) = Endpoint::ends_of(pkt);
        // Whether the packet comes from the key's lower endpoint, when its
        // ports are known: then its direction needs no address compared.
        let mut src_is_lo = None;
        let key = match pkt.fragment {
            Fragment::Later { id, .. } => {
                let fid = (pkt.src, pkt.dst, pkt.l4.number(), id);
                match self.fragments.flow_of(&fid) {
                    Some(k) => {
                        self.stats.fragments_attributed += 1;
                        k
                    }
                    None => {
                        self.stats.fragments_unattributed += 1;
                        return None;
                    }
                }
            }
            Fragment::First { id } => {
                let (key, lo) = FlowKey::new(pkt.l4, src, dst);
                src_is_lo = Some(lo);
                self.fragments
                    .remember((pkt.src, pkt.dst, pkt.l4.number(), id), key);
                key
            }
            Fragment::Whole => {
                let (key, lo) = FlowKey::new(pkt.l4, src, dst);
                src_is_lo = Some(lo);
                key
            }
        };
        let duplicate = match src_is_lo {
            Some(lo) if self.config.skip_duplicates && pkt.fragment == Fragment::Whole => {
                duplicates::mark(pkt, lo)
            }
            _ => 0,
        };

        self.advance_clock(ts);
        // A new SYN on a closed connection starts a new flow (port reuse).
        let reopened = pkt.tcp.is_some_and(|f| f.syn && !f.ack)
            && self
                .index
                .find(&key, |s| key_in(&self.slots, s))
                .and_then(|s| self.slots.get(s as usize))
                .and_then(|s| s.flow.as_ref())
                .is_some_and(|f| f.is_tcp_closed());
        if reopened {
            if let Some(mut flow) = self.remove(&key, EndReason::TcpClosed) {
                flow.end_time = self.clock;
                finished(flow);
            }
        }

        let (mut found, reopened) = {
            let flow_in = |s: u32| {
                self.slots
                    .get(s as usize)
                    .and_then(|e| Some((e.flow.as_ref()?, e.last_duplicate_mark)))
                    .filter(|(f, _)| f.key == key)
                    .map(|(f, mark)| (s, f, mark))
            };
            let existing = flow_in(self.last_slot).or_else(|| {
                self.index
                    .find(&key, |s| key_in(&self.slots, s))
                    .and_then(flow_in)
            });
            if existing
                .is_some_and(|(_, f, mark)| duplicates::is_copy(duplicate, ts, mark, f.last_seen))
            {
                self.stats.duplicates_skipped += 1;
                return None;
            }
            let limits = (&self.config, self.shortest_timeout_nanos);
            let reopened = existing.and_then(|(_, f, _)| reopening(f, pkt, src_is_lo, ts, limits));
            (existing.map(|(s, _, _)| s), reopened)
        };
        let mut new_session = None;
        if let Some(reopened) = reopened {
            if let Reopening::Session(start) = reopened {
                new_session = Some(start);
            }
            self.end_reopened(&key, reopened, finished);
            found = None;
        }
        let slot = match found {
            Some(s) => s,
            None => {
                if self.index.len() >= self.config.max_flows.max(1) {
                    self.evict_one(finished);
                }
                let mut flow = Flow::new(key, pkt.l4, src, ts);
                flow.last_clock = self.clock;
                if let Some(o) = &self.outstanding {
                    o.enter(o.epoch_of(self.clock));
                }
                flow.first_frame = frame;
                flow.file_index = file_index;
                // The packet's sender is the originator.
                if let Some(macs) = pkt.macs.sender_receiver() {
                    flow.macs = macs;
                }
                flow.new_session = new_session;
                let s = self.insert(flow, ts);
                self.stats.flows_created += 1;
                self.stats.max_active_flows =
                    self.stats.max_active_flows.max(self.index.len() as u64);
                s
            }
        };

        self.last_slot = slot;
        let histogram_after = self.config.histogram_after_packets;
        let entry = self.slots.get_mut(slot as usize)?;
        entry.last_duplicate_mark = duplicate;
        let flow = entry.flow.as_mut()?;
        let dir = match src_is_lo {
            Some(lo) => flow.direction_from_side(lo),
            // A later fragment travels the same way as its first fragment.
            None if flow.orig().ip == pkt.src => Direction::FromOrig,
            None => Direction::FromResp,
        };
        if ts > flow.last_seen {
            flow.last_seen = ts;
        }
        if ts < flow.first_seen {
            flow.first_seen = ts;
        }
        if flow.last_clock < self.epoch_start {
            if let Some(o) = &self.outstanding {
                // Into the new epoch before out of the old: never uncounted.
                o.enter(o.epoch_of(self.clock));
                o.leave(o.epoch_of(flow.last_clock));
            }
        }
        flow.last_clock = self.clock;
        let payload_len = pkt.payload.len();
        if let Some(s) = flow.stats.get_mut(dir.index()) {
            s.add(wire_len, payload_len);
        }
        // Only flows whose packets look like media get histograms, and
        // VPN tunnels, whose shape is all that tells what they carry.
        let looks_like_media = |flow: &Flow| {
            flow.facts
                .media
                .as_ref()
                .is_some_and(|m| m.media_packets() > 0)
                || flow
                    .facts
                    .tunnel
                    .as_deref()
                    .is_some_and(|t| t.found().is_some())
        };
        if histogram_after > 0
            && flow.histograms.is_none()
            && looks_like_media(flow)
            && flow.packets() >= histogram_after
        {
            flow.histograms = Some(Box::default());
        }
        if let Some(h) = flow.histograms.as_mut() {
            h.record(dir, ts, payload_len);
        }
        if let Some(flags) = pkt.tcp {
            let was_closed = flow.is_tcp_closed();
            if flow.note_tcp(dir, flags) && !was_closed {
                // Closed now: come due after the linger time.
                let at = ts.plus_secs(self.config.tcp_close_linger_secs);
                self.expiry.schedule(
                    at,
                    SlotRef {
                        slot,
                        generation: entry.generation,
                    },
                    ts,
                );
            }
        }
        Some((flow, dir))
    }

    fn insert(&mut self, flow: Flow, now: Timestamp) -> u32 {
        let key = flow.key;
        let deadline = now.plus_secs(self.timeout_secs(&flow));
        let slot = match self.free.pop() {
            Some(s) => {
                if let Some(entry) = self.slots.get_mut(s as usize) {
                    entry.generation = entry.generation.wrapping_add(1);
                    entry.last_duplicate_mark = 0;
                    entry.flow = Some(flow);
                }
                s
            }
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    last_duplicate_mark: 0,
                    flow: Some(flow),
                });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = self.slots.get(slot as usize).map_or(0, |e| e.generation);
        self.index.insert(&key, slot, |s| key_in(&self.slots, s));
        self.expiry
            .schedule(deadline, SlotRef { slot, generation }, now);
        slot
    }

    fn remove(&mut self, key: &FlowKey, reason: EndReason) -> Option<Box<Flow>> {
        let slot = self.index.remove(key, |s| key_in(&self.slots, s))?;
        let entry = self.slots.get_mut(slot as usize)?;
        let mut flow = Box::new(entry.flow.take()?);
        flow.end_reason = Some(reason);
        self.free.push(slot);
        Some(flow)
    }

    /// The flow in a slot if the reference is still current.
    fn current(&self, r: SlotRef) -> Option<&Flow> {
        let entry = self.slots.get(r.slot as usize)?;
        if entry.generation != r.generation {
            return None;
        }
        entry.flow.as_ref()
    }

    /// Ends every flow idle at `now` and hands it to `finished`.
    /// Flows ending in one call are handed over in order of their deadline
    /// (then first packet, then key), so the order is a property of the
    /// traffic, not of when the check ran.
    pub fn expire(&mut self, now: Timestamp, finished: &mut dyn FnMut(Box<Flow>)) {
        let mut batch = Vec::new();
        let mut due = std::mem::take(&mut self.due);
        self.expiry.take_due(now, &mut due);
        for (_, r) in due.drain(..) {
            let Some(flow) = self.current(r) else {
                continue;
            };
            let deadline = flow.last_seen.plus_secs(self.timeout_secs(flow));
            if deadline > now {
                self.expiry.schedule(deadline, r, now);
                continue;
            }
            let reason = if flow.is_tcp_closed() {
                EndReason::TcpClosed
            } else {
                EndReason::Idle
            };
            let key = flow.key;
            if let Some(mut f) = self.remove(&key, reason) {
                // A flow whose packets came late with old timestamps ends no
                // earlier than the clock when it was last seen, so flows end
                // in an order that a later packet cannot undercut.
                f.end_time = deadline.max(f.last_clock);
                batch.push(f);
            }
        }
        self.due = due;
        batch.sort_by(|a, b| {
            (a.end_time, a.first_seen, a.key).cmp(&(b.end_time, b.first_seen, b.key))
        });
        for f in batch {
            finished(f);
        }
    }

    /// Writes out the flow closest to its deadline to make room.
    fn evict_one(&mut self, finished: &mut dyn FnMut(Box<Flow>)) {
        while let Some((_, r)) = self.expiry.pop_earliest() {
            let Some(flow) = self.current(r) else {
                continue;
            };
            let key = flow.key;
            let now = self.clock;
            if let Some(mut f) = self.remove(&key, EndReason::Evicted) {
                self.stats.flows_evicted += 1;
                f.end_time = now;
                finished(f);
                return;
            }
        }
    }

    /// Ends every remaining flow (end of capture), in order of first packet.
    pub fn drain(&mut self, finished: &mut dyn FnMut(Box<Flow>)) {
        let mut rest: Vec<Box<Flow>> = self
            .slots
            .iter_mut()
            .filter_map(|s| s.flow.take().map(Box::new))
            .collect();
        self.index.clear();
        self.free.clear();
        self.slots.clear();
        self.expiry.clear();
        self.fragments.clear();
        rest.sort_by_key(|f| (f.first_seen, f.key));
        for mut f in rest {
            f.end_reason = Some(EndReason::CaptureEnd);
            finished(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpFlags;

    fn udp<'a>(src: &str, sp: u16, dst: &str, dp: u16, payload: &'a [u8]) -> PacketView<'a> {
        PacketView {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            src_port: sp,
            dst_port: dp,
            l4: L4Proto::Udp,
            payload,
            tcp: None,
            tcp_seq: 0,
            fragment: Fragment::Whole,
            marks: Default::default(),
            macs: Default::default(),
        }
    }

    /// The generation and the duplicate mark fill the room the flow's
    /// alignment leaves in a slot.
    #[test]
    fn a_slot_is_its_flow_and_one_word() {
        assert_eq!(std::mem::size_of::<Slot>(), std::mem::size_of::<Flow>() + 8);
    }

    fn secs(s: i64) -> Timestamp {
        Timestamp(s * 1_000_000_000)
    }

    /// A table whose UDP flows end after 10 s without a packet, and a
    /// packet of each of two flows.
    fn short_udp_table() -> (FlowTable, PacketView<'static>, PacketView<'static>) {
        let cfg = FlowTableConfig {
            udp_timeout_secs: 10,
            ..Default::default()
        };
        (
            FlowTable::new(cfg),
            udp("10.0.0.1", 1000, "10.0.0.2", 2000, b"x"),
            udp("10.0.0.3", 1000, "10.0.0.4", 2000, b"x"),
        )
    }

    #[test]
    fn replies_join_the_flow_and_the_initiator_is_remembered() {
        let mut t = FlowTable::new(FlowTableConfig::default());
        let mut done = Vec::new();
        let a = udp("192.168.1.6", 50000, "52.114.77.136", 3478, b"abc");
        let b = udp("52.114.77.136", 3478, "192.168.1.6", 50000, b"defg");
        t.track(&a, secs(1), 45, 1, 0, &mut |f| done.push(f));
        t.track(&b, secs(2), 46, 2, 0, &mut |f| done.push(f));
        assert_eq!(t.active(), 1);
        t.drain(&mut |f| done.push(f));
        assert_eq!(done.len(), 1);
        let f = &done[0];
        assert_eq!(f.orig().to_string(), "192.168.1.6:50000");
        assert_eq!(f.stats[0].packets, 1);
        assert_eq!(f.stats[1].packets, 1);
        assert_eq!(f.stats[1].bytes, 46);
        assert_eq!(f.end_reason, Some(EndReason::CaptureEnd));
    }

    /// The last packet's slot is a shortcut, never an answer of its own:
    /// once its flow has ended and another flow took the slot, a packet
    /// of the ended flow's key starts a new flow, and the one in the slot
    /// keeps its own packets.
    #[test]
    fn the_last_slot_never_answers_for_a_flow_that_left_it() {
        let (mut t, a, c) = short_udp_table();
        let mut done = Vec::new();
        t.track(&a, secs(0), 43, 1, 0, &mut |f| done.push(f));
        t.expire(secs(11), &mut |f| done.push(f));
        assert_eq!(done.len(), 1, "a ended");
        t.track(&c, secs(12), 43, 2, 0, &mut |f| done.push(f));
        t.track(&a, secs(13), 43, 3, 0, &mut |f| done.push(f));
        t.track(&a, secs(14), 43, 4, 0, &mut |f| done.push(f));
        assert_eq!(t.stats.flows_created, 3);
        t.drain(&mut |f| done.push(f));
        let packets = |frame: u64| {
            done.iter()
                .find(|f| f.first_frame == frame)
                .map(|f| f.packets())
        };
        assert_eq!(
            (packets(1), packets(2), packets(3)),
            (Some(1), Some(1), Some(2))
        );
    }

    /// A packet that opens a new session on a UDP flow (here a TURN
    /// Allocate after the flow's allocation was released) ends the flow
    /// and begins the next; before that, a pause alone changes nothing.
    #[test]
    fn a_new_session_on_a_flow_begins_the_next_flow() {
        // Allocate request, no attributes.
        let allocate = [
            0, 3, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        ];
        let (mut t, a, _) = short_udp_table();
        let again = udp("10.0.0.1", 1000, "10.0.0.2", 2000, &allocate);
        let mut done = Vec::new();
        if let Some((flow, _)) = t.track(&a, secs(0), 60, 1, 0, &mut |f| done.push(f)) {
            let stun = flow.facts.stun_mut();
            stun.allocate_success = 1;
            stun.released = true;
        }
        t.track(&a, secs(5), 60, 2, 0, &mut |f| done.push(f));
        assert!(done.is_empty(), "a pause");
        t.track(&again, secs(9), 60, 3, 0, &mut |f| done.push(f));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].end_reason, Some(EndReason::NewSession));
        assert_eq!(done[0].packets(), 2);
        t.drain(&mut |f| done.push(f));
        assert_eq!(done[1].first_frame, 3);
        assert_eq!(
            done[1].new_session,
            Some(crate::dissect::session_start::SessionStart::TurnAllocate)
        );
    }

    #[test]
    fn idle_flows_expire_on_packet_time() {
        let (mut t, a, c) = short_udp_table();
        let mut done = Vec::new();
        t.track(&a, secs(0), 43, 1, 0, &mut |f| done.push(f));
        t.track(&a, secs(8), 43, 2, 0, &mut |f| done.push(f));
        t.expire(secs(15), &mut |f| done.push(f));
        assert!(done.is_empty(), "activity at 8 s keeps it alive until 18 s");
        t.track(&c, secs(19), 43, 3, 0, &mut |f| done.push(f));
        t.expire(secs(19), &mut |f| done.push(f));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].end_reason, Some(EndReason::Idle));
        assert_eq!(t.active(), 1);
    }

    #[test]
    fn a_packet_after_the_timeout_begins_a_new_flow_without_a_check_between() {
        let (mut t, a, _) = short_udp_table();
        let mut done = Vec::new();
        t.track(&a, secs(0), 43, 1, 0, &mut |f| done.push(f));
        t.track(&a, secs(10), 43, 2, 0, &mut |f| done.push(f));
        assert!(
            done.is_empty(),
            "10 s after its last packet it is still open"
        );
        // No check for idle flows ran: the packet 25 s later ends it all
        // the same, at its deadline.
        t.track(&a, secs(35), 43, 3, 0, &mut |f| done.push(f));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].end_reason, Some(EndReason::Idle));
        assert_eq!(done[0].end_time, secs(20));
        assert_eq!(done[0].packets(), 2);
        assert_eq!(t.active(), 1);
        assert_eq!(t.stats.flows_created, 2);
        // The new flow's stale entry in the wheel ends nothing.
        t.expire(secs(36), &mut |f| done.push(f));
        assert_eq!(done.len(), 1);
    }

    #[test]
    fn the_cap_evicts_and_counts() {
        let cfg = FlowTableConfig {
            max_flows: 2,
            ..Default::default()
        };
        let mut t = FlowTable::new(cfg);
        let mut done = Vec::new();
        for (i, port) in [1u16, 2, 3, 4].iter().enumerate() {
            let p = udp("10.0.0.1", *port, "10.0.0.2", 9, b"");
            t.track(&p, secs(i as i64), 42, i as u64, 0, &mut |f| done.push(f));
        }
        assert_eq!(t.active(), 2);
        assert_eq!(t.stats.flows_evicted, 2);
        assert_eq!(done.len(), 2);
        assert!(done
            .iter()
            .all(|f| f.end_reason == Some(EndReason::Evicted)));
    }

    #[test]
    fn a_new_syn_after_close_starts_a_new_flow() {
        let mut t = FlowTable::new(FlowTableConfig::default());
        let mut done = Vec::new();
        let mut p = udp("10.0.0.1", 1234, "10.0.0.2", 80, b"");
        p.l4 = L4Proto::Tcp;
        let flags = |syn, ack, fin, rst| Some(TcpFlags { syn, ack, fin, rst });
        p.tcp = flags(true, false, false, false);
        t.track(&p, secs(0), 60, 1, 0, &mut |f| done.push(f));
        p.tcp = flags(false, true, false, true);
        t.track(&p, secs(1), 60, 2, 0, &mut |f| done.push(f));
        p.tcp = flags(true, false, false, false);
        t.track(&p, secs(2), 60, 3, 0, &mut |f| done.push(f));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].packets(), 2);
        assert_eq!(t.stats.flows_created, 2);
    }

    #[test]
    fn later_fragments_follow_their_first_fragment() {
        let mut t = FlowTable::new(FlowTableConfig::default());
        let mut done = Vec::new();
        let mut first = udp("10.0.0.1", 5060, "10.0.0.2", 5060, b"INVITE");
        first.fragment = Fragment::First { id: 7 };
        let mut later = udp("10.0.0.1", 0, "10.0.0.2", 0, b"");
        later.fragment = Fragment::Later {
            id: 7,
            offset: 1,
            more: false,
        };
        t.track(&first, secs(0), 1514, 1, 0, &mut |f| done.push(f));
        assert!(t
            .track(&later, secs(0), 600, 2, 0, &mut |f| done.push(f))
            .is_some());
        later.fragment = Fragment::Later {
            id: 8,
            offset: 1,
            more: false,
        };
        assert!(t
            .track(&later, secs(0), 600, 3, 0, &mut |f| done.push(f))
            .is_none());
        assert_eq!(t.stats.fragments_attributed, 1);
        assert_eq!(t.stats.fragments_unattributed, 1);
        t.drain(&mut |f| done.push(f));
        assert_eq!(done[0].packets(), 2);
        assert_eq!(done[0].bytes(), 2114);
    }
}
