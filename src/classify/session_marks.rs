//! What a call-related flow tells about the call session it belongs to:
//! how consecutive calls of a device that reused its sockets are told
//! apart (`call_window`), and which part of a signalling flow that lived
//! across several calls belongs to each (`calls`).

use crate::capture::Timestamp;
use crate::dissect::ice_session::{IceSession, SenderUfrag};
use crate::dissect::sip_dialogs::SipDialog;
use crate::flow::{Direction, Flow};

#[derive(Clone, Debug, Default)]
pub struct SessionMarks {
    /// The flow began with a packet that opened a new session on an
    /// earlier flow's endpoint pair (the flow table split it off there).
    pub new_session: bool,
    /// Its first DTLS handshake: a WebRTC call keys its media once, and a
    /// path switch keeps the association.
    pub dtls_handshake: bool,
    /// Its last media packet (RTP, RTCP, framed media), if it carried any.
    pub media_end: Option<Timestamp>,
    /// The ICE session of its connectivity checks.
    pub ice: Option<IceSession>,
    /// The ufrag the device's own checks on it carried: the same on every
    /// address of the device (IPv4 and IPv6, several interfaces).
    pub device_ufrag: Option<SenderUfrag>,
    /// The MAC address of the device's end, where the link has them.
    pub device_mac: Option<[u8; 6]>,
    /// The SIP dialogs (calls) it carried, for signalling flows.
    pub dialogs: Box<[SipDialog]>,
    /// The most voices the far end sent at once (`dissect::voices`): two
    /// or more, and the call is a group call through that server.
    pub far_voices: u32,
}

/// What shows two addresses to be one device's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceMark {
    /// The ufrag of the device's own ICE checks.
    Ufrag(SenderUfrag),
    /// The MAC address its flows left with, while no other address of
    /// its kind was seen behind it (`device_macs`).
    Mac([u8; 6]),
}

impl SessionMarks {
    /// `local_sends`: the direction in which the device sends.
    pub fn of(flow: &Flow, local_sends: Direction) -> SessionMarks {
        let facts = &flow.facts;
        SessionMarks {
            new_session: flow.new_session.is_some(),
            dtls_handshake: facts.dtls.as_deref().is_some_and(|d| d.client_hello),
            media_end: facts.media_last_seen(),
            ice: facts.stun.as_deref().and_then(|s| s.ice_session),
            device_ufrag: facts
                .stun
                .as_deref()
                .and_then(|s| s.sender_ufrags.get(local_sends.index()).copied().flatten()),
            device_mac: flow.host_mac(local_sends),
            dialogs: facts
                .signalling
                .as_deref()
                .map(|s| s.dialogs.as_slice().into())
                .unwrap_or_default(),
            far_voices: facts
                .media
                .as_deref()
                .and_then(|m| m.voices_at_once.get(local_sends.reverse().index()).copied())
                .unwrap_or(0),
        }
    }
}
