//! Decoding: link layer → IP (v4/v6, VLAN tags, tunnels) → UDP/TCP, with
//! etherparse's lax slicing so truncated packets still yield what they carry.
//! The result borrows the frame: no copy, no allocation.

pub mod bridge_tags;
pub mod filter;
pub mod link;
pub mod llc;
pub mod nflog;
pub mod packet;
pub mod tunnel;
pub mod wifi;

pub use link::decode;
pub use packet::{
    Decoded, DuplicateMarks, Fragment, L4Proto, LinkAddresses, PacketView, SkipReason, TcpFlags,
};
