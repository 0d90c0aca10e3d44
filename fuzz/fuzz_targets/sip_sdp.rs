//! SIP messages (one datagram and a TCP segment of several, the last
//! perhaps cut short), their callers and callees, and the SDP
//! bodies they carry; raw SDP too when the input is not SIP; and the
//! WebSocket handshake and frames SIP travels in from browsers (a frame
//! cut short taken on from the rest of the input).
#![no_main]

use callpath::dissect::{sdp, sip, sip_dialogs, websocket};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sip::probe(data);
    if let Ok(msg) = sip::parse(data) {
        if let Ok(session) = sdp::parse(msg.body) {
            std::hint::black_box(session.media_endpoints());
        }
    } else if let Ok(session) = sdp::parse(data) {
        std::hint::black_box(session.media_endpoints());
    }
    for msg in sip::messages(data) {
        std::hint::black_box(msg.call_id);
        std::hint::black_box(msg.from.map(sip::address_user));
        std::hint::black_box(msg.to.map(sip::has_tag));
        std::hint::black_box(sip_dialogs::parties(&msg));
    }
    // Whole messages, then what a later segment would go on with.
    let whole = sip::framed_messages(data).last().map_or(0, |(_, end)| end);
    std::hint::black_box(data.get(whole..).and_then(sip::message_name));
    std::hint::black_box(websocket::is_sip_upgrade(data));
    let (head, tail) = data.split_at(data.len() / 2);
    let mut message = Vec::new();
    for frame in websocket::frames(head) {
        message.clear();
        websocket::unmask_into(frame.payload, frame.mask, 0, &mut message);
        if frame.missing > 0 && frame.missing <= websocket::MAX_FRAME {
            let mut partial = websocket::PartialFrame {
                dir: 0,
                mask: frame.mask,
                payload: std::mem::take(&mut message),
                missing: frame.missing,
            };
            let rest = partial.take_from(tail);
            std::hint::black_box((partial.payload.len(), rest.len()));
        }
    }
});
