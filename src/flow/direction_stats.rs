//! Counters for one direction of a flow.

use crate::capture::Timestamp;

#[derive(Clone, Copy, Debug, Default)]
pub struct DirectionStats {
    pub packets: u64,
    /// Frame bytes on the wire (the frame's original length), as tshark's
    /// conversation statistics count them.
    pub bytes: u64,
    /// Transport payload bytes as captured.
    pub payload_bytes: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
}

impl DirectionStats {
    pub fn add(&mut self, ts: Timestamp, wire_len: u32, payload_len: usize) {
        self.packets += 1;
        self.bytes += u64::from(wire_len);
        self.payload_bytes += payload_len as u64;
        if self.first_seen.is_none() {
            self.first_seen = Some(ts);
        }
        self.last_seen = Some(ts);
    }
}
