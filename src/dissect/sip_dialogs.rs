//! SIP dialogs (calls) as a signalling flow carries them, each from its
//! INVITE to its last message. A device's flow to its registrar or proxy
//! lives across all its calls; its dialogs tell which part of it belongs
//! to which call, and that a new call began (a new INVITE after the last
//! one's BYE).

use std::hash::{Hash, Hasher};
use std::net::SocketAddr;

use super::sip::{address_user, has_tag, SipMessage, SipStart};
use crate::capture::Timestamp;

/// Most dialogs remembered per flow: beyond it a trunk's later calls go
/// without (their calls' times then come from their media alone).
pub const MAX_DIALOGS: usize = 64;
/// Media addresses kept per side of a dialog: audio and video, moved once
/// or twice by a re-INVITE.
pub const MEDIA_PER_SIDE: usize = 4;

/// One dialog seen on a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipDialog {
    /// Its Call-ID, hashed: only compared.
    call_id: u64,
    /// Its INVITE.
    pub start: Timestamp,
    /// Its last message so far (the answer to its BYE, say).
    pub end: Timestamp,
    /// A 2xx answered its INVITE: a call, not an attempt.
    pub answered: bool,
    /// BYE, CANCEL or a failure answer ended it: a later INVITE with the
    /// same Call-ID is a new dialog.
    pub ended: bool,
    /// The final answer to its INVITE when that was no 2xx: a refusal, a
    /// redirect, or 487 after a CANCEL; 0 while none came.
    pub refused_with: u16,
    /// Its INVITE was CANCELled before any final answer.
    pub cancelled: bool,
    /// A 180 Ringing or 183 Session Progress came back.
    pub rang: bool,
    /// The flow direction (`Direction::index`) its INVITE came from.
    pub invited_from: u8,
    /// Who called whom, by its INVITE (`parties`).
    pub parties: Option<u64>,
    /// Where each side's SDP said it takes the media (by the direction of
    /// the flow it sent them in), the first distinct ones: what a call
    /// whose media the capture does not hold can still tell.
    pub media: [[Option<SocketAddr>; MEDIA_PER_SIDE]; 2],
}

impl SipDialog {
    /// Whether two dialogs share a Call-ID: one call attempt, sent again
    /// (with credentials after a 401/407, say).
    pub fn same_call(&self, other: &SipDialog) -> bool {
        self.call_id == other.call_id
    }

    /// Its Call-ID, hashed.
    pub fn call_id(&self) -> u64 {
        self.call_id
    }

    /// What became of an INVITE no 2xx answered, in words ("rejected
    /// with 486 Busy Here").
    pub fn unanswered_outcome(&self) -> String {
        let ringing = if self.rang { ", after it rang" } else { "" };
        let code = self.refused_with;
        if self.cancelled {
            format!("cancelled by the caller before it was answered{ringing}")
        } else if code == 401 || code == 407 {
            format!(
                "refused for want of credentials ({}) and not tried again",
                status_text(code)
            )
        } else if (300..400).contains(&code) {
            format!("redirected elsewhere ({})", status_text(code))
        } else if code >= 400 {
            format!("rejected with {}{ringing}", status_text(code))
        } else if self.rang {
            "not answered: it rang, and no final answer was captured".into()
        } else {
            "not answered: no answer to it was captured".into()
        }
    }
}

/// A final SIP status with the reason phrase RFC 3261 (section 21) gives
/// it: the phrase a message carries is free text.
fn status_text(code: u16) -> String {
    let phrase = match code {
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        305 => "Use Proxy",
        380 => "Alternative Service",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        410 => "Gone",
        415 => "Unsupported Media Type",
        420 => "Bad Extension",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => return code.to_string(),
    };
    format!("{code} {phrase}")
}

fn call_id_hash(call_id: &str) -> u64 {
    let mut h = rustc_hash::FxHasher::default();
    call_id.hash(&mut h);
    h.finish()
}

/// Who calls whom, as an INVITE that opens a call names them: its From
/// and To users, hashed (only compared). A SIP server that passes a call
/// on (a B2BUA, a PBX) opens the next leg under a Call-ID of its own but
/// keeps both names. `None` for another message, an INVITE within a
/// dialog (its To has a tag), or one naming neither user.
pub fn parties(msg: &SipMessage<'_>) -> Option<u64> {
    if !matches!(
        msg.start,
        SipStart::Request {
            method: "INVITE",
            ..
        }
    ) {
        return None;
    }
    let (from, to) = (msg.from?, msg.to?);
    if has_tag(to) {
        return None;
    }
    let (caller, callee) = (address_user(from), address_user(to));
    if caller.is_none() && callee.is_none() {
        return None;
    }
    let mut h = rustc_hash::FxHasher::default();
    (caller, callee).hash(&mut h);
    Some(h.finish())
}

/// The method a CSeq header names ("1 INVITE" → "INVITE").
fn cseq_method(cseq: Option<&str>) -> Option<&str> {
    cseq?.split_ascii_whitespace().nth(1)
}

/// What a message did to a call's dialog, for other flows to know: the
/// INVITE that opened it (sent by the message's sender), or the first 2xx
/// answering that INVITE (sent by the message's sender, the callee).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DialogNews {
    /// Who calls whom, as the INVITE names them (`parties`).
    pub parties: u64,
    /// Its Call-ID, hashed.
    pub call_id: u64,
    /// When the INVITE was sent.
    pub invited_at: Timestamp,
    /// The message is the answer, not the INVITE.
    pub answered: bool,
}

/// Counts a SIP message at `ts`, sent in flow direction `sender`
/// (`Direction::index`), into a flow's dialogs. Says when the message
/// opened a call whose caller and callee its INVITE named (`parties`),
/// or first answered one.
pub fn note(
    dialogs: &mut Vec<SipDialog>,
    msg: &SipMessage<'_>,
    ts: Timestamp,
    sender: usize,
) -> Option<DialogNews> {
    let call_id = msg.call_id.map(call_id_hash)?;
    let current = dialogs.iter().rposition(|d| d.call_id == call_id);
    let starts = matches!(msg.start, SipStart::Request { method, .. } if method == "INVITE")
        && current.and_then(|i| dialogs.get(i)).is_none_or(|d| d.ended);
    if starts {
        let parties = parties(msg);
        if dialogs.len() < MAX_DIALOGS {
            // One at a time: most signalling flows carry one or two calls.
            dialogs.reserve_exact(1);
            dialogs.push(SipDialog {
                call_id,
                start: ts,
                end: ts,
                answered: false,
                ended: false,
                refused_with: 0,
                cancelled: false,
                rang: false,
                invited_from: u8::from(sender != 0),
                parties,
                media: [[None; MEDIA_PER_SIDE]; 2],
            });
        }
        return parties.map(|parties| DialogNews {
            parties,
            call_id,
            invited_at: ts,
            answered: false,
        });
    }
    // Messages of other Call-IDs (REGISTER, OPTIONS, ...) are no call's.
    let d = current.and_then(|i| dialogs.get_mut(i))?;
    d.end = d.end.max(ts);
    match msg.start {
        SipStart::Request { method: "BYE", .. } => d.ended = true,
        SipStart::Request {
            method: "CANCEL", ..
        } => {
            d.ended = true;
            d.cancelled |= !d.answered;
        }
        SipStart::Response { code, .. } if cseq_method(msg.cseq) == Some("INVITE") => {
            if (200..300).contains(&code) {
                let first = !d.answered;
                d.answered = true;
                let answered_by_invitee = usize::from(d.invited_from) != sender;
                if first && answered_by_invitee {
                    return d.parties.map(|parties| DialogNews {
                        parties,
                        call_id,
                        invited_at: d.start,
                        answered: true,
                    });
                }
            } else if code >= 300 {
                d.ended = true;
                if !d.answered {
                    d.refused_with = code;
                }
            } else if code == 180 || code == 183 {
                d.rang = true;
            }
        }
        _ => {}
    }
    None
}

/// Where the latest dialog of a message's Call-ID is.
fn latest_of_call(dialogs: &[SipDialog], call_id: Option<&str>) -> Option<usize> {
    let call_id = call_id_hash(call_id?);
    dialogs.iter().rposition(|d| d.call_id == call_id)
}

/// The latest dialog of a message's Call-ID.
pub fn of_call<'d>(dialogs: &'d [SipDialog], call_id: Option<&str>) -> Option<&'d SipDialog> {
    dialogs.get(latest_of_call(dialogs, call_id)?)
}

/// Notes the media addresses an SDP body gave, sent on the flow's side
/// `sender` (a direction index) in a message of `call_id`'s dialog.
pub fn note_media(
    dialogs: &mut [SipDialog],
    call_id: Option<&str>,
    sender: usize,
    endpoints: &[SocketAddr],
) {
    let Some(kept) = latest_of_call(dialogs, call_id)
        .and_then(|i| dialogs.get_mut(i))
        .and_then(|d| d.media.get_mut(sender))
    else {
        return;
    };
    for &endpoint in endpoints {
        if kept.contains(&Some(endpoint)) {
            continue;
        }
        if let Some(free) = kept.iter_mut().find(|m| m.is_none()) {
            *free = Some(endpoint);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dissect::sip::parse;

    fn message(start: &str, call_id: &str, cseq: &str) -> Vec<u8> {
        format!("{start}\r\nCall-ID: {call_id}\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n")
            .into_bytes()
    }

    fn feed(dialogs: &mut Vec<SipDialog>, at: i64, start: &str, call_id: &str, cseq: &str) {
        let bytes = message(start, call_id, cseq);
        let msg = parse(&bytes).expect("SIP message");
        note(dialogs, &msg, Timestamp(at), 0);
    }

    const INVITE: &str = "INVITE sip:b@example.test SIP/2.0";
    const BYE: &str = "BYE sip:b@example.test SIP/2.0";
    const REGISTER: &str = "REGISTER sip:example.test SIP/2.0";
    const OK: &str = "SIP/2.0 200 OK";
    const BUSY: &str = "SIP/2.0 486 Busy Here";

    #[test]
    fn a_call_from_invite_to_the_answer_of_its_bye() {
        let mut d = Vec::new();
        feed(&mut d, 1, REGISTER, "reg", "1 REGISTER");
        feed(&mut d, 2, INVITE, "a", "1 INVITE");
        feed(&mut d, 3, OK, "a", "1 INVITE");
        // A re-INVITE (hold) is the same dialog.
        feed(&mut d, 5, INVITE, "a", "2 INVITE");
        feed(&mut d, 6, OK, "a", "2 INVITE");
        feed(&mut d, 9, BYE, "a", "3 BYE");
        feed(&mut d, 10, OK, "a", "3 BYE");
        feed(&mut d, 11, REGISTER, "reg", "2 REGISTER");
        assert_eq!(d.len(), 1);
        let call = d[0];
        assert_eq!((call.start, call.end), (Timestamp(2), Timestamp(10)));
        assert!(call.answered && call.ended);
    }

    #[test]
    fn the_news_is_the_opening_invite_and_the_callees_first_answer() {
        let with_users = |first_line: &str, cseq: &str| {
            format!(
                "{first_line}\r\nFrom: <sip:3001@pbx.test>;tag=a\r\nTo: <sip:3002@pbx.test>\r\n\
                 Call-ID: c\r\nCSeq: {cseq}\r\nContent-Length: 0\r\n\r\n"
            )
            .into_bytes()
        };
        let mut d = Vec::new();
        let invite = with_users(INVITE, "1 INVITE");
        let msg = parse(&invite).expect("SIP message");
        let opened = note(&mut d, &msg, Timestamp(5), 1).expect("an INVITE opening a call");
        assert!(!opened.answered && opened.invited_at == Timestamp(5));
        let ok = with_users(OK, "1 INVITE");
        let msg = parse(&ok).expect("SIP message");
        // The inviter's own 2xx is no answer to its INVITE.
        assert_eq!(note(&mut d.clone(), &msg, Timestamp(8), 1), None);
        let answered = Some(DialogNews {
            answered: true,
            ..opened
        });
        assert_eq!(note(&mut d, &msg, Timestamp(8), 0), answered);
        // A 2xx sent again is not news.
        assert_eq!(note(&mut d, &msg, Timestamp(9), 0), None);
    }

    #[test]
    fn an_invite_after_the_bye_is_a_new_dialog_even_with_the_same_call_id() {
        let mut d = Vec::new();
        feed(&mut d, 1, INVITE, "a", "1 INVITE");
        feed(&mut d, 2, BUSY, "a", "1 INVITE");
        feed(&mut d, 3, INVITE, "a", "2 INVITE");
        feed(&mut d, 4, OK, "a", "2 INVITE");
        feed(&mut d, 5, INVITE, "b", "1 INVITE");
        assert_eq!(d.len(), 3);
        assert!(!d[0].answered && d[0].ended);
        assert!(d[1].answered && !d[1].ended);
        assert_eq!(d[2].start, Timestamp(5));
    }

    #[test]
    fn each_sides_media_addresses_are_kept_once_and_capped() {
        let mut d = Vec::new();
        feed(&mut d, 1, INVITE, "a", "1 INVITE");
        let at = |port: u16| -> SocketAddr { SocketAddr::from(([192, 0, 2, 1], port)) };
        note_media(&mut d, Some("a"), 0, &[at(4000), at(4002)]);
        note_media(&mut d, Some("a"), 1, &[at(5000)]);
        // A re-INVITE repeats one address and moves another.
        note_media(&mut d, Some("a"), 0, &[at(4000), at(4004)]);
        note_media(&mut d, Some("a"), 0, &[at(4006), at(4008), at(4010)]);
        // Another Call-ID's SDP, or none, is no dialog's of these.
        note_media(&mut d, Some("b"), 1, &[at(6000)]);
        note_media(&mut d, None, 1, &[at(6002)]);
        let kept = |side: usize| -> Vec<u16> {
            d[0].media[side]
                .iter()
                .flatten()
                .map(SocketAddr::port)
                .collect()
        };
        assert_eq!(kept(0), [4000, 4002, 4004, 4006]);
        assert_eq!(kept(1), [5000]);
    }

    #[test]
    fn messages_without_a_dialog_are_ignored_and_the_list_is_capped() {
        let mut d = Vec::new();
        feed(&mut d, 1, BYE, "stray", "1 BYE");
        assert!(d.is_empty());
        for i in 0..(MAX_DIALOGS as i64 + 5) {
            feed(&mut d, i, INVITE, &format!("call-{i}"), "1 INVITE");
        }
        assert_eq!(d.len(), MAX_DIALOGS);
    }
}
