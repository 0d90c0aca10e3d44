//! Classification: which app (from `signatures/`), which role in a call
//! (p2p, relay, lookup, other) and which flows form one call.

pub mod knowledge;
pub mod signatures;
