//! Output: one record per flow as it ends, call records, and a summary
//! record last. Formats: an aligned table for people, JSON, streaming
//! NDJSON, and CSV.

pub mod call_laws;
pub mod call_record;
pub mod claims;
pub mod collect;
pub mod community_id;
pub mod csv;
pub mod device_sockets;
pub mod evidence;
pub mod flow_record;
pub mod html;
pub mod json;
pub mod learned_outside_calls;
pub mod live_status;
pub mod live_table;
pub mod lookups_outside_calls;
pub mod media_summary;
pub mod ndjson_line;
pub mod packed_record;
pub mod remote;
pub mod sink;
pub mod summary;
pub mod table;

pub use call_record::{CallParty, CallQuality, CallRecord};
pub use collect::{Collected, CollectedHandle, CollectingSink};
pub use flow_record::{EvidenceFrame, FlowRecord};
pub use sink::{OutputFormat, RecordSink};
pub use summary::{CaptureStats, Summary};
