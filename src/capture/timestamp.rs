//! Packet time. All time logic in callpath (expiry, rates, call windows)
//! uses the time written in the capture, never the wall clock.

use std::fmt;

/// Nanoseconds since the Unix epoch, as recorded with the packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const NANOS_PER_SEC: i64 = 1_000_000_000;

    pub fn from_secs_frac(secs: i64, frac: u64, units_per_sec: u64) -> Timestamp {
        let units = units_per_sec.max(1);
        let nanos = if units == 1_000_000_000 {
            frac as i128
        } else {
            (frac as i128) * 1_000_000_000 / units as i128
        };
        let total = (secs as i128) * 1_000_000_000 + nanos;
        Timestamp(total.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
    }

    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Saturating difference in nanoseconds (`self - earlier`).
    pub fn nanos_since(self, earlier: Timestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    pub fn plus_secs(self, secs: u64) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add((secs as i64).saturating_mul(Self::NANOS_PER_SEC)),
        )
    }
}

impl fmt::Display for Timestamp {
    /// Seconds with microseconds, as tshark prints epoch times.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.6}", self.as_secs_f64())
    }
}
