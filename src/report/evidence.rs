//! The evidence bundle of `--evidence DIR`: what a third party needs to
//! reproduce a finding. `manifest.json` names the inputs (with SHA-256),
//! callpath's version, the signatures' version and the geolocation
//! databases; `flows.ndjson` has every flow record with the frames that
//! support its verdict; `calls.json` has every call with its flows and
//! their evidence frames.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{CallRecord, Collected, EvidenceFrame, FlowRecord, Summary};
use crate::analysis::{FlowFrames, FrameRules};
use crate::classify::signatures::EMBEDDED;
use crate::error::CaptureError;
use crate::geo::DbInfo;

static JURISDICTIONS: &str = include_str!("../../signatures/jurisdictions.toml");
static OPERATORS: &str = include_str!("../../signatures/operators.toml");

/// SHA-256 of a file, in lower-case hex.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The version of the signatures compiled in: SHA-256 over every embedded
/// signature file (name and contents, in a fixed order), the operator table
/// and the jurisdiction table. Any edit to them changes it.
pub fn signatures_version() -> String {
    let mut hasher = Sha256::new();
    let mut files: Vec<(&str, &str)> = EMBEDDED.to_vec();
    files.push(("operators.toml", OPERATORS));
    files.push(("jurisdictions.toml", JURISDICTIONS));
    files.sort_by_key(|(name, _)| *name);
    for (name, text) in files {
        hasher.update((name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    format!("sha256:{}", hex(&hasher.finalize()))
}

#[derive(Serialize)]
pub struct InputEntry {
    pub file: String,
    pub sha256: Option<String>,
    pub bytes: Option<u64>,
    pub packets: u64,
    pub damaged: Option<String>,
}

#[derive(Serialize)]
pub struct Manifest {
    pub tool: &'static str,
    pub callpath_version: &'static str,
    /// Hash of the signature, operator and jurisdiction tables.
    pub signatures_version: String,
    pub geolocation: Vec<DbInfo>,
    pub inputs: Vec<InputEntry>,
    pub flows: usize,
    pub calls: usize,
    /// How to get the same records again.
    pub reproduce: String,
    pub files: [&'static str; 3],
}

/// A frame of evidence located in its capture file.
#[derive(Clone, Debug, Serialize)]
pub struct LocatedFrame {
    pub file: Option<String>,
    pub frame: u64,
    pub flow: String,
    pub what: String,
}

#[derive(Serialize)]
struct CallEntry<'a> {
    #[serde(flatten)]
    call: &'a CallRecord,
    /// The flows of the call (`l4 src -> dst`, community id, role).
    flow_records: Vec<CallFlowRef>,
    evidence_frames: Vec<LocatedFrame>,
}

#[derive(Serialize)]
struct CallFlowRef {
    flow: String,
    community_id: String,
    role: Option<&'static str>,
    first_frame: u64,
    file: Option<String>,
}

fn flow_label(r: &FlowRecord) -> String {
    format!("{} {} -> {}", r.l4, r.src, r.dst)
}

/// Every record with `file` set to its input's name.
pub fn located_flows(flows: &[FlowRecord], inputs: &[String]) -> Vec<FlowRecord> {
    flows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.file = inputs.get(r.file_index as usize).map(|f| f.as_str().into());
            r
        })
        .collect()
}

/// The evidence frames of one call's flows, in file and frame order.
pub fn call_frames(call: u32, flows: &[FlowRecord]) -> Vec<LocatedFrame> {
    let mut out: Vec<LocatedFrame> = flows
        .iter()
        .filter(|r| r.call == Some(call))
        .flat_map(|r| {
            r.evidence_frames
                .iter()
                .map(|e: &EvidenceFrame| LocatedFrame {
                    file: r.file.as_deref().map(str::to_string),
                    frame: e.frame,
                    flow: flow_label(r),
                    what: e.what.to_string(),
                })
        })
        .collect();
    out.sort_by(|a, b| (&a.file, a.frame).cmp(&(&b.file, b.frame)));
    out
}

/// Most frame ranges listed per flow and file; a flow interleaved with
/// others for hours is cut there (and says so).
pub const MAX_RANGES: usize = 4096;

/// The frames of one flow in one capture file, as inclusive ranges.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct FileFrames {
    pub file: String,
    pub ranges: Vec<[u64; 2]>,
    /// More frames followed than [`MAX_RANGES`] ranges hold.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl FileFrames {
    fn add(&mut self, frame: u64) {
        let full = self.ranges.len() >= MAX_RANGES;
        match self.ranges.last_mut() {
            Some(last) if last[1] + 1 == frame => last[1] = frame,
            _ if full => self.truncated = true,
            _ => self.ranges.push([frame, frame]),
        }
    }

    /// Every frame number listed.
    pub fn frames(&self) -> impl Iterator<Item = u64> + '_ {
        self.ranges.iter().flat_map(|[a, b]| *a..=*b)
    }
}

/// Every frame of every flow, found by reading the captures again: the
/// whole support of each verdict, so a third party can cut exactly those
/// frames out and analyse them alone.
pub fn flow_frames(
    inputs: &[PathBuf],
    flows: &[FlowRecord],
    rules: FrameRules<'_>,
) -> Result<HashMap<usize, Vec<FileFrames>>, CaptureError> {
    let mut finder = FlowFrames::new(flows, |_| true, rules);
    let mut out: HashMap<usize, Vec<FileFrames>> = HashMap::new();
    for path in inputs {
        let name = path.display().to_string();
        finder.scan_file(path, |i, pkt| {
            let list = out.entry(i).or_default();
            if list.last().is_none_or(|f| f.file != name) {
                list.push(FileFrames {
                    file: name.clone(),
                    ..Default::default()
                });
            }
            if let Some(f) = list.last_mut() {
                f.add(pkt.frame);
            }
        })?;
    }
    Ok(out)
}

#[derive(Serialize)]
struct FlowEntry<'a> {
    #[serde(flatten)]
    record: &'a FlowRecord,
    frames: &'a [FileFrames],
}

/// Builds the manifest for a run over `inputs` (paths as given) with
/// `options`, the command-line options that changed the analysis (as
/// given, e.g. `["--udp-timeout", "60"]`), for its `reproduce` line.
pub fn manifest(
    inputs: &[PathBuf],
    options: &[String],
    summary: Option<&Summary>,
    geolocation: Vec<DbInfo>,
    collected: &Collected,
) -> Manifest {
    let entries = inputs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let report = summary.and_then(|s| s.inputs.get(i));
            InputEntry {
                file: p.display().to_string(),
                sha256: sha256_file(p).ok(),
                bytes: fs::metadata(p).ok().map(|m| m.len()),
                packets: report.map_or(0, |r| r.packets),
                damaged: report.and_then(|r| r.damaged.clone()),
            }
        })
        .collect();
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    Manifest {
        tool: "callpath",
        callpath_version: env!("CARGO_PKG_VERSION"),
        signatures_version: signatures_version(),
        geolocation,
        inputs: entries,
        flows: collected.flows.len(),
        calls: collected.calls.len(),
        reproduce: ["callpath", "analyze", "--format", "json"]
            .into_iter()
            .map(str::to_string)
            .chain(options.iter().cloned())
            .chain(names)
            .map(|word| shell_word(&word))
            .collect::<Vec<_>>()
            .join(" "),
        files: BUNDLE_FILES,
    }
}

/// `word` as a POSIX shell reads it back: as it is when it holds only
/// characters no shell treats specially, else in single quotes.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r#"'\''"#))
    }
}

/// The files a bundle writes into its directory (the CLI refuses a bundle
/// that would overwrite an input).
pub const BUNDLE_FILES: [&str; 3] = ["manifest.json", "flows.ndjson", "calls.json"];

/// Writes manifest.json, flows.ndjson and calls.json into `dir` (created
/// when missing). Reads the inputs again for their hashes and frames
/// (those the analysis counted: `rules`).
pub fn write_bundle(
    dir: &Path,
    inputs: &[PathBuf],
    options: &[String],
    geolocation: Vec<DbInfo>,
    collected: &Collected,
    rules: FrameRules<'_>,
) -> io::Result<()> {
    fs::create_dir_all(dir)?;
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let flows = located_flows(&collected.flows, &names);
    let frames = flow_frames(inputs, &flows, rules).map_err(io::Error::other)?;

    let m = manifest(
        inputs,
        options,
        collected.summary.as_ref(),
        geolocation,
        collected,
    );
    let mut w = BufWriter::new(File::create(dir.join("manifest.json"))?);
    serde_json::to_writer_pretty(&mut w, &m)?;
    w.write_all(b"\n")?;
    w.flush()?;

    let mut w = BufWriter::new(File::create(dir.join("flows.ndjson"))?);
    for (i, record) in flows.iter().enumerate() {
        let entry = FlowEntry {
            record,
            frames: frames.get(&i).map_or(&[], Vec::as_slice),
        };
        serde_json::to_writer(&mut w, &entry)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;

    let calls: Vec<CallEntry<'_>> = collected
        .calls
        .iter()
        .map(|c| CallEntry {
            call: c,
            flow_records: flows
                .iter()
                .filter(|r| r.call == Some(c.call))
                .map(|r| CallFlowRef {
                    flow: flow_label(r),
                    community_id: r.community_id.to_string(),
                    role: r.role,
                    first_frame: r.first_frame,
                    file: r.file.as_deref().map(str::to_string),
                })
                .collect(),
            evidence_frames: call_frames(c.call, &flows),
        })
        .collect();
    let mut w = BufWriter::new(File::create(dir.join("calls.json"))?);
    serde_json::to_writer_pretty(&mut w, &calls)?;
    w.write_all(b"\n")?;
    w.flush()
}
