//! What a dissector's probe can say about a payload, and why a parse failed.

/// A probe's answer, cheap to compute from the first bytes (after retina and
/// rusticata: probing is separate from parsing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// The payload is this protocol beyond reasonable doubt.
    Certain,
    /// It could be; look at more packets or parse to be sure.
    Unsure,
    /// It is not this protocol.
    NotForUs,
}

/// Why a parse gave up. Parsers never panic; they return one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DissectError {
    #[error("payload too short: need {need} bytes, have {have}")]
    Truncated { need: usize, have: usize },
    #[error("not this protocol")]
    NotForUs,
    #[error("malformed field: {0}")]
    Malformed(&'static str),
}
