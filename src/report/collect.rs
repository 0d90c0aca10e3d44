//! A sink that keeps every record in memory for commands that need the
//! whole picture at the end (HTML report, evidence bundle, claim checks),
//! optionally passing each record on to another sink as it comes.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard};

use super::{CallRecord, FlowRecord, RecordSink, Summary};

/// Everything one analysis produced.
#[derive(Clone, Debug, Default)]
pub struct Collected {
    pub flows: Vec<FlowRecord>,
    pub calls: Vec<CallRecord>,
    pub summary: Option<Summary>,
}

/// The records, shared between the sink (owned by the analysis) and the
/// caller who reads them once the analysis has finished.
#[derive(Clone, Default)]
pub struct CollectedHandle(Arc<Mutex<Collected>>);

impl CollectedHandle {
    fn lock(&self) -> MutexGuard<'_, Collected> {
        // A panic while holding the lock cannot leave a half-pushed record
        // (push is the only mutation), so a poisoned lock is still usable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes the records out, leaving the handle empty.
    pub fn take(&self) -> Collected {
        std::mem::take(&mut *self.lock())
    }
}

pub struct CollectingSink {
    records: CollectedHandle,
    forward: Option<Box<dyn RecordSink + Send>>,
}

impl CollectingSink {
    /// A sink that only collects, and the handle to read the records with.
    pub fn new() -> (CollectingSink, CollectedHandle) {
        Self::forwarding(None)
    }

    /// Collects and also hands every record to `forward` (e.g. the table
    /// sink of `analyze`, when `--evidence` wants the records too).
    pub fn forwarding(
        forward: Option<Box<dyn RecordSink + Send>>,
    ) -> (CollectingSink, CollectedHandle) {
        let records = CollectedHandle::default();
        (
            CollectingSink {
                records: records.clone(),
                forward,
            },
            records,
        )
    }
}

impl RecordSink for CollectingSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.records.lock().flows.push(record.clone());
        match &mut self.forward {
            Some(f) => f.flow(record),
            None => Ok(()),
        }
    }

    fn call(&mut self, record: &CallRecord) -> io::Result<()> {
        self.records.lock().calls.push(record.clone());
        match &mut self.forward {
            Some(f) => f.call(record),
            None => Ok(()),
        }
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        self.records.lock().summary = Some(summary.clone());
        match &mut self.forward {
            Some(f) => f.finish(summary),
            None => Ok(()),
        }
    }
}
