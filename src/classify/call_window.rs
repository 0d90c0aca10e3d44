//! A call's media as the tracker gathers it: a device's media flows, in
//! the order they began, make one call while they follow each other
//! closely, until the packets say the next call began.

use std::collections::BTreeSet;

use super::calls::CallFlow;
use crate::capture::Timestamp;
use crate::dissect::ice_session::IceSession;
use crate::dissect::sip_dialogs::SipDialog;
use crate::flow::Endpoint;

/// Media flows further apart than this are separate calls.
const CALL_GAP_NANOS: i64 = 30 * 1_000_000_000;
/// Media that starts this long after all of a call's media ended, from a
/// socket none of it used, is the next call: an app switching paths within
/// a call keeps its socket, or makes the new path before the old one
/// ends, while a new call opens new sockets after a silence (the SIP
/// phone's BYE, a new INVITE, ringing).
const NEW_SOCKET_GAP_NANOS: i64 = 2 * 1_000_000_000;

pub struct CallWindow {
    /// First packet of its media flows.
    pub start: Timestamp,
    /// Last packet of its media flows (`CallFlow::own_end`).
    pub end: Timestamp,
    /// Last media packet of its media flows (their last packet when they
    /// carried no media the dissectors count): the silence before the next
    /// call is measured from here, not from checks that outlived the media.
    pub media_end: Timestamp,
    /// Its media flows, as indices into the session's flows.
    pub members: Vec<usize>,
    /// A call the capture holds only the signalling of (`signalled`): the
    /// flows that carried its SIP dialog.
    pub carriers: Vec<usize>,
    /// A call attempt no 2xx answered, without media: the last dialog
    /// that tried it (what became of it).
    pub attempt: Option<SipDialog>,
    /// The device's sockets its media used (lookups on them join it too).
    pub sockets: BTreeSet<Endpoint>,
    /// ICE sessions and RTP sources of its media.
    ice: BTreeSet<IceSession>,
    ssrcs: BTreeSet<u32>,
}

impl CallWindow {
    /// A call whose first media flow is `f`, the session's flow `i`.
    pub fn new(i: usize, f: &CallFlow) -> CallWindow {
        let mut w = CallWindow {
            start: f.first_seen,
            end: f.own_end(),
            media_end: media_end(f),
            members: Vec::new(),
            carriers: Vec::new(),
            attempt: None,
            sockets: BTreeSet::new(),
            ice: BTreeSet::new(),
            ssrcs: BTreeSet::new(),
        };
        w.add(i, f);
        w
    }

    /// A call whose SIP dialog `d` the capture holds but not its media:
    /// one answered (captured at a SIP proxy, or the media took another
    /// path) or an attempt no one answered; `carriers`: the flows that
    /// carried the dialog.
    pub fn signalled(d: &SipDialog, carriers: Vec<usize>) -> CallWindow {
        CallWindow {
            start: d.start,
            end: d.end,
            media_end: d.end,
            members: Vec::new(),
            carriers,
            attempt: (!d.answered).then_some(*d),
            sockets: BTreeSet::new(),
            ice: BTreeSet::new(),
            ssrcs: BTreeSet::new(),
        }
    }

    pub fn add(&mut self, i: usize, f: &CallFlow) {
        self.end = self.end.max(f.own_end());
        self.media_end = self.media_end.max(media_end(f));
        self.members.push(i);
        self.sockets.insert(f.local());
        self.ice.extend(f.marks.ice);
        self.ssrcs.extend(ssrcs(f));
    }

    /// Whether media flow `f`, which began no earlier than any of this
    /// call's, continues it. `dialogs`: the device's SIP dialogs.
    pub fn continued_by(&self, f: &CallFlow, dialogs: &[SipDialog]) -> bool {
        // How long after the end of the call's media so far (negative:
        // while it was still flowing).
        let gap = f.first_seen.nanos_since(self.end);
        let known_socket = self.sockets.contains(&f.local());
        if gap > CALL_GAP_NANOS || (!known_socket && gap > NEW_SOCKET_GAP_NANOS) {
            return false;
        }
        let new_dialog = dialogs
            .iter()
            .any(|d| d.answered && d.start > self.media_end && d.start < f.last_seen);
        // A SIP call answered before the silence and not ended before `f`
        // began is this call going on: phones may restart their RTP
        // sources when a call resumes from hold.
        let open_dialog = dialogs.iter().any(|d| {
            d.answered && d.start <= self.media_end && (!d.ended || d.end >= f.first_seen)
        });
        if open_dialog && !new_dialog {
            return true;
        }
        // A new session on a socket pair of the call, once all its media
        // had ended: the next call on the same sockets.
        if f.marks.new_session && f.first_seen > self.media_end {
            return false;
        }
        // Media again from a socket of the call after a silence is a pause
        // (hold, mute, silence suppression) unless its packets say
        // otherwise: a gap alone tells nothing.
        gap <= NEW_SOCKET_GAP_NANOS || !(new_dialog || self.next_call_shown_by(f))
    }

    /// Whether `f` shows a session other than this call's: a DTLS
    /// handshake of its own (a path switch keeps the association), other
    /// ICE ufrags, or only new RTP sources.
    fn next_call_shown_by(&self, f: &CallFlow) -> bool {
        let other_ice = f
            .marks
            .ice
            .is_some_and(|s| !self.ice.is_empty() && !self.ice.contains(&s));
        let sources: BTreeSet<u32> = ssrcs(f).collect();
        let other_sources =
            !sources.is_empty() && !self.ssrcs.is_empty() && sources.is_disjoint(&self.ssrcs);
        f.marks.dtls_handshake || other_ice || other_sources
    }
}

fn media_end(f: &CallFlow) -> Timestamp {
    f.marks.media_end.unwrap_or(f.last_seen)
}

/// The SSRCs of a flow's established RTP streams.
fn ssrcs(f: &CallFlow) -> impl Iterator<Item = u32> + '_ {
    f.record
        .media
        .iter()
        .flat_map(|m| m.streams.iter().map(|s| s.ssrc))
}
