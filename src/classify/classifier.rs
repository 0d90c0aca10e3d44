//! Turns each finished flow into its record: sides, far end, app, role,
//! evidence; then hands call-related flows to the call tracker.

use std::sync::Arc;

use super::app::{identify, AppInputs, AppStrength};
use super::calls::{CallFlow, CallTracker, Emitted};
use super::device_apps::DeviceApp;
use super::finished_flow::FinishedFlow;
use super::knowledge::Knowledge;
use super::learned_address::learned_by_far_end;
use super::role::{checks_a_candidate, decide, not_call_traffic, RoleInputs};
use super::service_operators::ServiceOperators;
use super::session_marks::SessionMarks;
use super::sides::sides;
use super::signatures::Signatures;
use super::tunnel::wifi_calling_gateway;
use super::verdict::{FlowVerdict, Role};
use crate::capture::Timestamp;
use crate::flow::{Direction, FlowKey};
use crate::geo::GeoResolver;
use crate::report::flow_record::LearnedAddress;
use crate::report::remote::Remote;
use crate::shared_texts::SharedTexts;

/// How far past a flow's last packet its verdict may use other flows' facts.
/// Below the shortest idle timeout, so a flow is never written before that
/// moment has been read.
pub const KNOWLEDGE_GRACE_NANOS: i64 = 60 * 1_000_000_000;

/// Gives finished flows their verdicts and tracks calls, in output order.
pub struct Classifier {
    pub judge: FlowJudge,
    calls: CallTracker,
}

/// Gives finished flows their verdicts (`classify`): what a verdict reads,
/// shared with every thread that classifies, and texts of its own.
pub struct FlowJudge {
    pub signatures: Arc<Signatures>,
    pub knowledge: Arc<Knowledge>,
    pub geo: Arc<GeoResolver>,
    /// Which company runs each app's servers.
    pub services: Arc<ServiceOperators>,
    /// Only saves memory: which copy of a text a record holds changes
    /// nothing written.
    texts: SharedTexts,
}

impl FlowJudge {
    /// A judge for another thread, reading what this one reads.
    pub fn another(&self) -> FlowJudge {
        FlowJudge {
            signatures: Arc::clone(&self.signatures),
            knowledge: Arc::clone(&self.knowledge),
            geo: Arc::clone(&self.geo),
            services: Arc::clone(&self.services),
            texts: SharedTexts::default(),
        }
    }

    /// Gives a finished flow its verdict and record. It only reads what
    /// the run learned (knowledge, signatures, geolocation), as of the
    /// flow's `AsOf`, so any thread may classify once every fact learned
    /// before that moment is known, while the output tracks calls in order
    /// (`Classifier::track`).
    pub fn classify(&mut self, finished: FinishedFlow) -> ClassifiedFlow {
        let FinishedFlow {
            flow,
            mut record,
            median_gap_ms,
        } = finished;
        let (sigs, knowledge, geo) = (&*self.signatures, &*self.knowledge, &*self.geo);
        // What other flows taught callpath counts up to a little after this
        // flow's last packet (a call's SDP often follows its first STUN
        // checks), and never past the moment the flow ended, so the answer
        // is the same whatever else had been read by then; and from a
        // window before that packet on (see `Knowledge`).
        let as_of = knowledge.as_of(
            flow.last_clock,
            Timestamp(flow.last_seen.0.saturating_add(KNOWLEDGE_GRACE_NANOS)).min(flow.end_time),
        );
        let s = sides(&flow, knowledge, as_of);
        let far = geo.resolve(s.far.ip);
        // Whether the app was named by what the flow carried (or its
        // socket, or a name), not by the far end's address alone.
        let mut named_by_traffic = false;
        let mut verdict = not_call_traffic(&flow).unwrap_or_else(|| {
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
            named_by_traffic = app
                .as_ref()
                .is_some_and(|g| g.strength > AppStrength::Prefix);
            decide(
                &flow,
                app.as_ref(),
                &RoleInputs {
                    sigs,
                    knowledge,
                    geo,
                    far: &far,
                    sides: &s,
                    as_of,
                    median_gap_ms,
                },
            )
        });
        let device_app = knowledge.device_apps().of(&flow.key);
        if let Some(named) = &device_app {
            note_device_app(&mut verdict, named, sigs);
        }
        record.device_app = device_app;
        // The name its TLS/QUIC ClientHello asked for, else the one the
        // device resolved the far end with, else its TLS certificate's.
        let own_name = flow.facts.server_name().map(Arc::from);
        let server_name = if flow.facts.server_name_from_certificate() {
            knowledge.name(s.far.ip, as_of).or(own_name)
        } else {
            own_name.or_else(|| knowledge.name(s.far.ip, as_of))
        };
        if record.tunnel.is_some() {
            verdict
                .evidence
                .extend(server_name.as_deref().and_then(wifi_calling_gateway));
        }
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
        // A lookup that only checked the other party's candidate address
        // reached a person's device, not a server.
        let checks_a_candidate =
            verdict.role == Role::Lookup && checks_a_candidate(&flow, knowledge, &s, as_of);
        if !checks_a_candidate {
            let meta_relay = flow
                .facts
                .stun
                .as_ref()
                .is_some_and(|s| s.meta_relay_messages > 0);
            record.service_operator =
                self.services
                    .of_server(verdict.app, verdict.role, &far, meta_relay);
        }
        record.remote = Some(Remote::new(far));
        record.server_name = server_name;
        record.public_address_learned = learned_by_far_end(&flow, knowledge, &s, as_of).map(|r| {
            Box::new(LearnedAddress {
                by: r.reflector,
                address: r.public,
            })
        });
        ClassifiedFlow {
            flow: CallFlow {
                record,
                role: verdict.role,
                app: verdict.app,
                app_named_by_traffic: named_by_traffic && verdict.app.is_some(),
                checks_a_candidate,
                local_is_src: s.local_sends == Direction::FromOrig,
                first_seen: flow.first_seen,
                last_seen: flow.last_seen,
                as_of,
                marks: SessionMarks::of(&flow, s.local_sends),
            },
            last_clock: flow.last_clock,
            end_time: flow.end_time,
            key: flow.key,
        }
    }
}

/// The capturing device named the app that owns the flow (PCAPdroid on a
/// phone, PKTAP on a Mac): its word goes into the evidence, and names the
/// app of call traffic when a signature knows the name. The device knows
/// which app opened the socket;
/// callpath's own guess (a STUN fingerprint several apps share, a generic
/// protocol family) gives way to it. Traffic that is not part of a call
/// keeps its verdict: the phone says whose it is, not what it is.
fn note_device_app(verdict: &mut FlowVerdict, named: &DeviceApp, sigs: &Signatures) {
    let phone_says = [named.name.as_deref(), named.package.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|n| sigs.app_by_device_name(n));
    let mut line = format!(
        "the capturing device names the app that owns this flow: {}, in each packet's {}",
        named.describe(),
        named.source
    );
    match (verdict.app, phone_says) {
        (Some(ours), Some(theirs)) if ours != theirs && verdict.role != Role::Other => {
            line.push_str("; the traffic alone suggested ");
            line.push_str(&sigs.app(ours).display_name);
            verdict.app = Some(theirs);
        }
        _ => {}
    }
    verdict.evidence.push(line);
}

impl Classifier {
    /// Fails when an app file names an operator operators.toml does not
    /// list.
    pub fn new(
        signatures: Arc<Signatures>,
        knowledge: Arc<Knowledge>,
        geo: Arc<GeoResolver>,
    ) -> Result<Self, String> {
        let services = Arc::new(ServiceOperators::new(&signatures, &geo)?);
        Ok(Classifier {
            calls: CallTracker::new(
                Arc::clone(&knowledge),
                Arc::clone(&geo),
                Arc::clone(&services),
            ),
            judge: FlowJudge {
                signatures,
                knowledge,
                geo,
                services,
                texts: SharedTexts::default(),
            },
        })
    }

    pub fn calls(&self) -> u64 {
        self.calls.calls
    }

    /// Hands a classified flow to the call tracker, in the order of the
    /// output; records ready for output go to `out` (call-related ones
    /// once their call is complete). Returns the role.
    pub fn track(&mut self, classified: ClassifiedFlow, out: &mut Vec<Emitted>) -> Role {
        let ClassifiedFlow {
            flow, last_clock, ..
        } = classified;
        let (role, last_seen) = (flow.role, flow.last_seen);
        if role == Role::Other {
            // Nothing more is asked about it (a call-related flow's last
            // question comes when its call is written).
            let knowledge = &*self.judge.knowledge;
            let outstanding = knowledge.outstanding();
            outstanding.leave(knowledge.verdict_epoch(last_clock));
            self.calls
                .push(None, last_seen, &self.judge.signatures, out);
            out.push(Emitted::Flow(flow.record));
        } else {
            self.calls
                .push(Some(flow), last_seen, &self.judge.signatures, out);
        }
        role
    }

    /// Moves the call tracker's clock to `now` without a flow (live capture
    /// on a quiet link), so calls idle by then are written.
    pub fn advance(&mut self, now: Timestamp, out: &mut Vec<Emitted>) {
        self.calls.push(None, now, &self.judge.signatures, out);
    }

    /// Ends the run: every call still open is written.
    pub fn finish(&mut self, out: &mut Vec<Emitted>) {
        self.calls.finish(&self.judge.signatures, out);
    }
}

/// A finished flow with its verdict and record, not yet seen by the call
/// tracker.
pub struct ClassifiedFlow {
    flow: CallFlow,
    /// The analysis clock of its last packet: the epoch its verdict leaves.
    last_clock: Timestamp,
    /// When it ended, and its key: with `flow.first_seen`, its place in
    /// the output.
    pub end_time: Timestamp,
    pub key: FlowKey,
}

impl ClassifiedFlow {
    /// The VPN tunnel the flow is, if it is one.
    pub fn tunnel(&self) -> Option<&'static str> {
        self.flow.record.tunnel
    }

    pub fn first_seen(&self) -> Timestamp {
        self.flow.first_seen
    }
}
