//! Turns each finished flow into its record: sides, far end, app, role,
//! evidence; then hands call-related flows to the call tracker.

use std::sync::Arc;

use super::app::{identify, AppInputs};
use super::calls::{CallFlow, CallTracker, Emitted};
use super::finished_flow::FinishedFlow;
use super::knowledge::Knowledge;
use super::role::{decide, RoleInputs};
use super::sides::sides;
use super::signatures::Signatures;
use super::verdict::Role;
use crate::capture::Timestamp;
use crate::flow::Direction;
use crate::geo::GeoResolver;
use crate::report::remote::Remote;
use crate::shared_texts::SharedTexts;

/// How far past a flow's last packet its verdict may use other flows' facts.
/// Below the shortest idle timeout, so a flow is never written before that
/// moment has been read.
pub const KNOWLEDGE_GRACE_NANOS: i64 = 60 * 1_000_000_000;

pub struct Classifier {
    pub signatures: Arc<Signatures>,
    pub knowledge: Arc<Knowledge>,
    pub geo: Arc<GeoResolver>,
    calls: CallTracker,
    texts: SharedTexts,
}

impl Classifier {
    pub fn new(
        signatures: Arc<Signatures>,
        knowledge: Arc<Knowledge>,
        geo: Arc<GeoResolver>,
    ) -> Self {
        Classifier {
            signatures,
            calls: CallTracker::new(Arc::clone(&knowledge)),
            knowledge,
            geo,
            texts: SharedTexts::default(),
        }
    }

    pub fn calls(&self) -> u64 {
        self.calls.calls
    }

    /// Classifies a finished flow; records ready for output go to `out`
    /// (call-related ones once their call is complete). Returns the role.
    pub fn finish_flow(&mut self, finished: FinishedFlow, out: &mut Vec<Emitted>) -> Role {
        let FinishedFlow {
            flow,
            mut record,
            median_gap_ms,
        } = finished;
        // What other flows taught callpath counts up to a little after this
        // flow's last packet (a call's SDP often follows its first STUN
        // checks), and never past the moment the flow ended, so the answer
        // is the same whatever else had been read by then; and from a
        // window before that packet on (see `Knowledge`).
        let knowledge = &*self.knowledge;
        let as_of = knowledge.as_of(
            flow.last_clock,
            Timestamp(flow.last_seen.0.saturating_add(KNOWLEDGE_GRACE_NANOS)).min(flow.end_time),
        );
        let sigs = &*self.signatures;
        let s = sides(&flow, knowledge, as_of);
        let far = self.geo.resolve(s.far.ip);
        let app = identify(
            &flow,
            &AppInputs {
                sigs,
                knowledge,
                far: &far,
                sides: &s,
                as_of,
            },
        );
        let verdict = decide(
            &flow,
            app.as_ref(),
            &RoleInputs {
                sigs,
                knowledge,
                geo: &self.geo,
                far: &far,
                sides: &s,
                as_of,
                median_gap_ms,
            },
        );
        record.app = verdict.app.map(|a| sigs.app(a).id.clone());
        record.role = Some(verdict.role.name());
        record.confidence = Some(verdict.confidence);
        let texts = &mut self.texts;
        record.evidence = verdict
            .evidence
            .into_iter()
            .map(|e| texts.share(e))
            .collect();
        for frame in record.evidence_frames.iter_mut() {
            frame.what = texts.share(Arc::clone(&frame.what));
        }
        record.remote = Some(Remote::new(far));
        record.server_name = flow
            .facts
            .server_name
            .as_deref()
            .map(Arc::from)
            .or_else(|| knowledge.name(s.far.ip, as_of));
        if verdict.role == Role::Other {
            // Nothing more is asked about it (a call-related flow's last
            // question comes when its call is written).
            let outstanding = knowledge.outstanding();
            outstanding.leave(knowledge.verdict_epoch(flow.last_clock));
            self.calls.push(None, flow.last_seen, sigs, out);
            out.push(Emitted::Flow(record));
            return verdict.role;
        }
        let call_flow = CallFlow {
            record,
            role: verdict.role,
            app: verdict.app,
            local_is_src: s.local_sends == Direction::FromOrig,
            first_seen: flow.first_seen,
            last_seen: flow.last_seen,
            as_of,
        };
        self.calls.push(Some(call_flow), flow.last_seen, sigs, out);
        verdict.role
    }

    /// Moves the call tracker's clock to `now` without a flow (live capture
    /// on a quiet link), so calls idle by then are written.
    pub fn advance(&mut self, now: Timestamp, out: &mut Vec<Emitted>) {
        self.calls.push(None, now, &self.signatures, out);
    }

    /// Ends the run: every call still open is written.
    pub fn finish(&mut self, out: &mut Vec<Emitted>) {
        self.calls.finish(&self.signatures, out);
    }
}
