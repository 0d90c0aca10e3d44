//! callpath: shows where your calls really go.
//!
//! The pipeline flows one way (see DESIGN.md):
//! `capture` (raw frames, borrowed) → `decode` (link/IP/L4 views) → `flow`
//! (bidirectional table, packet-time expiry) → `dissect` (typed facts per
//! flow) → `classify` (app, role, calls) → `geo` (far end, operator, law) →
//! `report` (table, json, ndjson, csv).
//!
//! The library never prints and never exits; it returns typed errors.
// mmap of capture files is the one place that needs `unsafe` (memmap2's API);
// it is allowed locally there with the reason beside it.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod analysis;
pub mod capture;
pub mod classify;
pub mod decode;
pub mod dissect;
pub mod error;
pub mod flow;
pub mod geo;
pub mod report;
