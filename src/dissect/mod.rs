//! Dissectors: each protocol is a cheap `probe` (certain / unsure / not for
//! us) and a `parse` that borrows from the payload and never reads past the
//! record's declared length. They return typed views; `flow` keeps only the
//! facts the classifier needs.

pub mod facts;
pub mod inspect;
pub mod probe;
#[cfg(test)]
pub(crate) mod test_corpus;

// Media plane
pub mod demux;
pub mod dtls;
pub mod ice_session;
pub mod rtcp;
pub mod rtp;
pub mod rtp_quality;
pub mod session_start;
pub mod stun;
pub mod turn_channel;

// Names and signalling
pub mod dns;
pub mod quic;
pub mod sdp;
pub mod sip;
pub mod sip_dialogs;
mod text_lines;
pub mod tls;

// App framings and legacy VoIP signalling
pub mod agora;
pub mod discord;
pub mod h225;
pub mod iax2;
pub mod megaco;
pub mod mgcp;
pub mod rtsp;
pub mod sccp;
pub mod skype;
pub mod telegram;
pub mod tencent;
pub mod whatsapp;
pub mod zoom;

// Tunnels that hide calls
pub mod voices;
pub mod vpn_tunnel;
pub mod websocket;

pub use probe::{DissectError, Probe};
