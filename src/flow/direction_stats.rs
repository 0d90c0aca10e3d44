//! Counters for one direction of a flow.

#[derive(Clone, Copy, Debug, Default)]
pub struct DirectionStats {
    pub packets: u64,
    /// Frame bytes on the wire (the frame's original length), as tshark's
    /// conversation statistics count them.
    pub bytes: u64,
    /// Transport payload bytes as captured.
    pub payload_bytes: u64,
}

impl DirectionStats {
    pub fn add(&mut self, wire_len: u32, payload_len: usize) {
        self.packets += 1;
        self.bytes += u64::from(wire_len);
        self.payload_bytes += payload_len as u64;
    }
}
