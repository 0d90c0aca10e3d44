//! callpath: shows where your calls really go.
//!
//! The pipeline flows one way (see DESIGN.md):
//! `capture` (raw frames, borrowed) → `decode` (link/IP/L4 views) → `flow`
//! (bidirectional table, packet-time expiry) → `dissect` (typed facts per
//! flow) → `classify` (app, role, calls) → `geo` (far end, operator, law) →
//! `report` (table, json, ndjson, csv).
//!
//! The library never prints and never exits; it returns typed errors.
// mmap of capture files (memmap2's API), the processor's prefetch hint
// (`prefetch.rs`) and streaming stores (`streamed_batch.rs`) are the places
// that need `unsafe`; it is allowed locally there with the reason beside it.
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
mod hex_text;
mod prefetch;
pub mod report;
pub mod shared_texts;
mod streamed_batch;
