//! When a call began and ended, from its own evidence: its media flows,
//! the lookups that served it alone, and of a signalling flow the dialogs
//! that were this call. A device's flow to its registrar lives across all
//! its calls (and its registrations between them): its first and last
//! packets say nothing of any one call.

use super::call_window::CallWindow;
use super::calls::CallFlow;
use crate::capture::Timestamp;
use crate::dissect::sip_dialogs::SipDialog;

/// A dialog this far from a call's media, at most, is that call's when
/// none overlaps it (early media after the final answer, say).
const DIALOG_MARGIN_NANOS: i64 = 120 * 1_000_000_000;

/// The first and last moment of each call of `windows`, whose flows are
/// `members` (in the same order); `dialogs`: every SIP dialog of the
/// device's signalling flows, whichever call their flow was given to.
pub fn call_times(
    windows: &[CallWindow],
    members: &[Vec<&CallFlow>],
    dialogs: &[SipDialog],
) -> Vec<(Timestamp, Timestamp)> {
    let spans = || dialogs.iter().map(|d| (d.start, d.end));
    // Each call's core: its media, and the dialogs overlapping it (its
    // media's own span, not checks that outlived it).
    let cores: Vec<((Timestamp, Timestamp), bool)> = windows
        .iter()
        .map(|w| {
            let media = (w.start, w.media_end.max(w.start));
            let mut core = (w.start, w.end);
            let mut signalled = false;
            for d in spans().filter(|&d| overlap(d, media)) {
                core = (core.0.min(d.0), core.1.max(d.1));
                signalled = true;
            }
            (core, signalled)
        })
        .collect();
    cores
        .iter()
        .zip(members)
        .enumerate()
        .map(|(call, (&(core, signalled), members))| {
            // Whether a lookup also served another call: it reached into
            // that call, or the call's media used its socket again.
            let shared = |f: &CallFlow| {
                let whole = (f.first_seen, f.last_seen);
                let local = f.local();
                cores
                    .iter()
                    .zip(windows)
                    .enumerate()
                    .any(|(other, (&(c, _), w))| {
                        other != call && (overlap(whole, c) || w.sockets.contains(&local))
                    })
            };
            let mut parts = vec![core];
            for f in members.iter().filter(|f| !f.role.is_media()) {
                // A lookup that served this call alone; a signalling flow
                // counts by its dialogs.
                if f.marks.dialogs.is_empty() && !shared(f) {
                    parts.push((f.first_seen, f.last_seen));
                }
            }
            if !signalled {
                // No dialog overlaps the media: the nearest of its own
                // signalling flows' (early media after the final answer).
                let own_dialogs = members
                    .iter()
                    .flat_map(|f| f.marks.dialogs.iter())
                    .map(|d| (d.start, d.end));
                parts.extend(
                    own_dialogs
                        .map(|d| (distance(d, core), d))
                        .filter(|(apart, _)| *apart <= DIALOG_MARGIN_NANOS)
                        .min()
                        .map(|(_, d)| d),
                );
            }
            span(parts.into_iter())
        })
        .collect()
}

fn overlap(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

fn distance(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp)) -> i64 {
    b.0 .0
        .saturating_sub(a.1 .0)
        .max(a.0 .0.saturating_sub(b.1 .0))
        .max(0)
}

fn span(parts: impl Iterator<Item = (Timestamp, Timestamp)>) -> (Timestamp, Timestamp) {
    parts
        .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1)))
        .unwrap_or_default()
}
