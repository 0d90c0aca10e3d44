//! App identification data: `signatures/<app>.toml`, compiled into lookup
//! tables. Adding an app needs no Rust: drop a TOML file in `signatures/`
//! (and list it in [`EMBEDDED`]) or pass `--signatures DIR` at run time.
//! The format is documented in `signatures/README.md`.
//!
//! Embedding: every app file is listed explicitly in [`EMBEDDED`] with
//! `include_str!` (no build script); a test fails if a file in `signatures/`
//! is missing from the list. A directory given to [`Signatures::load`] adds
//! apps, or replaces an embedded app with the same `id`.

mod file_format;
pub mod prefix_table;

use rustc_hash::FxHashMap;
use serde::Deserialize;
use std::net::IpAddr;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, LazyLock};
use toml::Spanned;

use file_format::{RawApp, RawPayload};
pub use prefix_table::{Cidr, PrefixTable};

/// The app files compiled into the binary: (file name, contents).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "skype_teams.toml",
        include_str!("../../signatures/skype_teams.toml"),
    ),
    ("zoom.toml", include_str!("../../signatures/zoom.toml")),
    (
        "whatsapp.toml",
        include_str!("../../signatures/whatsapp.toml"),
    ),
    (
        "google_meet.toml",
        include_str!("../../signatures/google_meet.toml"),
    ),
    ("signal.toml", include_str!("../../signatures/signal.toml")),
    (
        "telegram.toml",
        include_str!("../../signatures/telegram.toml"),
    ),
    (
        "discord.toml",
        include_str!("../../signatures/discord.toml"),
    ),
    (
        "facetime.toml",
        include_str!("../../signatures/facetime.toml"),
    ),
    ("webex.toml", include_str!("../../signatures/webex.toml")),
    ("viber.toml", include_str!("../../signatures/viber.toml")),
    ("line.toml", include_str!("../../signatures/line.toml")),
    ("wechat.toml", include_str!("../../signatures/wechat.toml")),
    (
        "tencent_meeting.toml",
        include_str!("../../signatures/tencent_meeting.toml"),
    ),
    (
        "kakaotalk.toml",
        include_str!("../../signatures/kakaotalk.toml"),
    ),
    (
        "snapchat.toml",
        include_str!("../../signatures/snapchat.toml"),
    ),
    ("imo.toml", include_str!("../../signatures/imo.toml")),
    ("agora.toml", include_str!("../../signatures/agora.toml")),
    (
        "sip_rtp.toml",
        include_str!("../../signatures/sip_rtp.toml"),
    ),
    (
        "webrtc_generic.toml",
        include_str!("../../signatures/webrtc_generic.toml"),
    ),
    (
        "other_voip.toml",
        include_str!("../../signatures/other_voip.toml"),
    ),
    (
        "game_streaming.toml",
        include_str!("../../signatures/game_streaming.toml"),
    ),
    (
        "media_streaming.toml",
        include_str!("../../signatures/media_streaming.toml"),
    ),
    (
        "file_sharing.toml",
        include_str!("../../signatures/file_sharing.toml"),
    ),
];

/// Files in `signatures/` that are not app files (other tables, read elsewhere).
pub const NON_APP_FILES: &[&str] = &["operators.toml", "jurisdictions.toml"];

/// Index of an app in a [`Signatures`] set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(pub u16);

/// Transport protocol of a port rule or payload pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum L4Kind {
    Udp,
    Tcp,
}

impl L4Kind {
    /// The kind of a flow's transport; `None` for what no rule names.
    pub fn of(l4: crate::decode::L4Proto) -> Option<L4Kind> {
        match l4 {
            crate::decode::L4Proto::Udp => Some(L4Kind::Udp),
            crate::decode::L4Proto::Tcp => Some(L4Kind::Tcp),
            _ => None,
        }
    }
}

/// Ports many kinds of server use (IANA defaults of common services, the
/// RTP default, web alternates); a match on them names no app.
const SHARED_PORTS: &[u16] = &[
    1024, 3478, 3479, 4000, 5000, 5004, 5005, 5060, 5061, 5349, 8000, 8001, 8080, 8443, 8888, 9000,
    10000,
];
/// A port rule wider than this (e.g. Telegram's UDP 500-600, which holds
/// IKE and DNSCrypt) is too broad to name an app on its own.
const MAX_PORT_RULE_WIDTH: u16 = 4;

/// What the vendor says lives in a prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrafficKind {
    /// Media relays / media processors.
    Media,
    /// Signalling, directory, chat servers.
    Signalling,
    /// Not separated by the vendor.
    Any,
    /// Addresses the operator rents to its cloud customers: their
    /// machines, not the vendor's services, so an address there names
    /// neither the app nor (by the operator's ASN) its service.
    Rented,
}

/// What a name under a domain suffix is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DomainKind {
    Signalling,
    /// Names of media relays (e.g. `*.relay.teams.microsoft.com`).
    Media,
    /// Telemetry/CDN names of the vendor that are not call traffic.
    None,
}

/// What a port is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PortKind {
    Media,
    Signalling,
    Stun,
    /// A port the app's clients send from (Teams' 50000-50059): it names
    /// the app, never a server.
    Client,
}

/// What a payload pattern reveals about its flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PayloadKind {
    Media,
    Signalling,
    /// Address discovery (own public address), a lookup.
    Discovery,
    Keepalive,
}

/// A domain suffix rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRule {
    pub suffix: String,
    pub kind: DomainKind,
}

/// A published prefix with its provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRule {
    pub cidr: Cidr,
    pub text: String,
    pub kind: TrafficKind,
    pub source: String,
    pub date: String,
}

/// A port range rule (inclusive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRule {
    pub l4: L4Kind,
    pub low: u16,
    pub high: u16,
    pub kind: PortKind,
    pub source: Option<String>,
}

/// STUN fingerprints of a vendor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StunRules {
    /// Case-insensitive substrings of the REALM attribute.
    pub realms: Vec<String>,
    /// Case-insensitive substrings of the SOFTWARE attribute.
    pub software: Vec<String>,
    pub attributes: Vec<u16>,
    pub message_types: Vec<u16>,
    pub source: Option<String>,
}

/// A byte pattern checked on a new flow's first packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadPattern {
    pub name: String,
    pub l4: L4Kind,
    /// Either port must fall in this inclusive range.
    pub ports: Option<(u16, u16)>,
    pub offset: usize,
    pub bytes: Vec<u8>,
    /// Same length as `bytes`; a payload byte matches if `(p & m) == (b & m)`.
    pub mask: Option<Vec<u8>>,
    pub min_len: Option<usize>,
    pub len: Option<usize>,
    pub kind: PayloadKind,
    pub source: Option<String>,
}

impl PayloadPattern {
    fn matches(&self, l4: L4Kind, src_port: u16, dst_port: u16, payload: &[u8]) -> bool {
        if self.l4 != l4 {
            return false;
        }
        if let Some((lo, hi)) = self.ports {
            let inside = |p: u16| (lo..=hi).contains(&p);
            if !inside(src_port) && !inside(dst_port) {
                return false;
            }
        }
        if self.len.is_some_and(|n| payload.len() != n)
            || self.min_len.is_some_and(|n| payload.len() < n)
        {
            return false;
        }
        let Some(window) = payload.get(self.offset..self.offset.saturating_add(self.bytes.len()))
        else {
            return false;
        };
        match &self.mask {
            None => window == self.bytes.as_slice(),
            Some(mask) => window
                .iter()
                .zip(&self.bytes)
                .zip(mask)
                .all(|((p, b), m)| p & m == b & m),
        }
    }

    /// Number of bits the pattern fixes: the more, the more specific.
    fn specificity(&self) -> u32 {
        match &self.mask {
            None => 8 * self.bytes.len() as u32,
            Some(m) => m.iter().map(|b| b.count_ones()).sum(),
        }
    }

    /// The first byte every match has, when the pattern fixes it.
    fn fixed_first_byte(&self) -> Option<u8> {
        if self.offset != 0 {
            return None;
        }
        let first = *self.bytes.first()?;
        match &self.mask {
            Some(m) if m.first() != Some(&0xFF) => None,
            _ => Some(first),
        }
    }
}

/// Everything known about one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSignature {
    /// Shared with every record that names the app.
    pub id: Arc<str>,
    pub display_name: String,
    pub vendor: String,
    pub notes: Option<String>,
    pub always_server_routed: bool,
    /// Why `always_server_routed` is what it is (vendor statement, source).
    pub routing_why: String,
    /// Whether the app's media are calls: `false` for services that stream
    /// games or desktops over the same protocols (RTP, STUN, WebRTC).
    pub carries_calls: bool,
    /// The company that runs the app's servers (its name in
    /// operators.toml), wherever they are hosted: an ISP's network holds
    /// some of Meta's relays, a cloud most of Signal's.
    pub operator: Option<String>,
    pub operator_asns: Vec<u32>,
    /// The operator's network also serves its other calling apps (Meta:
    /// WhatsApp, Messenger, Instagram), so an address in `operator_asns`
    /// alone names the operator, not this app.
    pub operator_shared: bool,
    /// A protocol family rather than one vendor's app (SIP/RTP, generic
    /// WebRTC, other VoIP): any more specific app's evidence wins over it.
    pub generic: bool,
    /// Names the capturing phone gives the app (`device_names`), lower-cased.
    pub device_names: Vec<String>,
    /// SIP `User-Agent`/`Server` prefixes of server products
    /// (`server_agents`), lower-cased.
    pub server_agents: Vec<String>,
    pub domains: Vec<DomainRule>,
    pub prefixes: Vec<PrefixRule>,
    pub ports: Vec<PortRule>,
    pub stun: StunRules,
    pub payload: Vec<PayloadPattern>,
    /// File this app was read from (`skype_teams.toml` or a path).
    pub file: String,
}

/// Returned by [`Signatures::app`] for an id that is not in the set.
static UNKNOWN_APP: LazyLock<AppSignature> = LazyLock::new(|| AppSignature {
    id: Arc::from(""),
    display_name: String::new(),
    vendor: String::new(),
    notes: None,
    always_server_routed: false,
    routing_why: String::new(),
    carries_calls: true,
    operator: None,
    operator_asns: Vec::new(),
    operator_shared: false,
    generic: false,
    device_names: Vec::new(),
    server_agents: Vec::new(),
    domains: Vec::new(),
    prefixes: Vec::new(),
    ports: Vec::new(),
    stun: StunRules {
        realms: Vec::new(),
        software: Vec::new(),
        attributes: Vec::new(),
        message_types: Vec::new(),
        source: None,
    },
    payload: Vec::new(),
    file: String::new(),
});

/// A loading error, naming the file and (when known) the line.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// A domain-suffix hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainMatch {
    pub app: AppId,
    pub kind: DomainKind,
    pub suffix: String,
    /// e.g. "teams.microsoft.com matches skype_teams domain teams.microsoft.com".
    pub evidence: String,
}

/// A published-prefix hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixMatch {
    pub app: AppId,
    pub kind: TrafficKind,
    /// The rule names a few hosts (an IPv4 /29 or longer, an IPv6 /125 or
    /// longer), as lists of a service's servers do, not a network.
    pub names_hosts: bool,
    pub cidr: String,
    pub source: String,
    pub evidence: String,
}

/// A STUN REALM or SOFTWARE hit. Put into words by `evidence` only when a
/// flow keeps it: until a vendor's fingerprint settles a flow, each of its
/// STUN messages is matched again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StunMatch<'a> {
    pub app: AppId,
    pub pattern: &'a str,
    /// "REALM" or "SOFTWARE".
    what: &'static str,
    value: &'a [u8],
}

impl StunMatch<'_> {
    pub fn evidence(&self, sigs: &Signatures) -> String {
        format!(
            "STUN {} {:?} contains {} pattern {:?}",
            self.what,
            String::from_utf8_lossy(self.value),
            sigs.name(self.app),
            self.pattern
        )
    }
}

/// A payload-pattern hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadMatch {
    pub app: AppId,
    pub kind: PayloadKind,
    pub name: String,
    pub evidence: String,
}

#[derive(Debug, Clone, Copy)]
struct PrefixRef {
    app: AppId,
    rule: usize,
}

/// All app signatures with their lookup tables.
#[derive(Debug, Default)]
pub struct Signatures {
    apps: Vec<AppSignature>,
    by_name: FxHashMap<String, AppId>,
    /// Lower-cased `device_names`.
    device_names: FxHashMap<String, AppId>,
    /// Lower-cased `server_agents` of every app.
    server_agents: Vec<String>,
    domains: FxHashMap<String, (AppId, DomainKind)>,
    prefixes: PrefixTable<PrefixRef>,
    asns: FxHashMap<u32, AppId>,
    ports: Vec<(AppId, PortRule)>,
    /// The ports of the narrow rules of vendor apps (see `server_port_app`),
    /// with their one app, or `None` where two apps' rules share a port:
    /// asked on the first reply of every flow, where a scan of every rule
    /// cost cache misses.
    server_ports: FxHashMap<(L4Kind, u16), Option<AppId>>,
    realms: Vec<(AppId, String)>,
    software: Vec<(AppId, String)>,
    stun_attributes: FxHashMap<u16, AppId>,
    stun_message_types: FxHashMap<u16, AppId>,
    payload: Vec<(AppId, usize)>,
    /// Indexes into `payload` by fixed first byte; `payload_any` has the rest.
    payload_by_first: FxHashMap<u8, Vec<usize>>,
    payload_any: Vec<usize>,
}

/// An app parsed from one file, with line numbers kept for cross-app checks.
struct ParsedApp {
    sig: AppSignature,
    id_line: usize,
    device_name_lines: Vec<usize>,
    domain_lines: Vec<usize>,
    prefix_lines: Vec<usize>,
    asn_lines: Vec<usize>,
    attribute_lines: Vec<usize>,
    message_type_lines: Vec<usize>,
}

impl Signatures {
    /// The embedded set only.
    pub fn embedded() -> Result<Self, SignatureError> {
        Self::load(None)
    }

    /// The embedded set, plus (or overridden by id) the `*.toml` app files of
    /// `override_dir`. Files named in [`NON_APP_FILES`] are skipped.
    pub fn load(override_dir: Option<&Path>) -> Result<Self, SignatureError> {
        let mut parsed: Vec<ParsedApp> = Vec::new();
        for (file, text) in EMBEDDED {
            let app = parse_app(file, text)?;
            if let Some(prev) = parsed.iter().find(|p| p.sig.id == app.sig.id) {
                return Err(invalid(
                    file,
                    app.id_line,
                    format!(
                        "duplicate app id {:?} (also in {})",
                        app.sig.id, prev.sig.file
                    ),
                ));
            }
            parsed.push(app);
        }
        if let Some(dir) = override_dir {
            let io_err = |source| SignatureError::Io {
                file: dir.display().to_string(),
                source,
            };
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .map_err(io_err)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_none_or(|n| !NON_APP_FILES.contains(&n))
                })
                .collect();
            files.sort();
            let mut seen_in_dir: Vec<Arc<str>> = Vec::new();
            for path in files {
                let file = path.display().to_string();
                let text = std::fs::read_to_string(&path).map_err(|source| SignatureError::Io {
                    file: file.clone(),
                    source,
                })?;
                let app = parse_app(&file, &text)?;
                if seen_in_dir.contains(&app.sig.id) {
                    return Err(invalid(
                        &file,
                        app.id_line,
                        format!("duplicate app id {:?} in {}", app.sig.id, dir.display()),
                    ));
                }
                seen_in_dir.push(app.sig.id.clone());
                match parsed.iter_mut().find(|p| p.sig.id == app.sig.id) {
                    Some(slot) => *slot = app,
                    None => parsed.push(app),
                }
            }
        }
        Self::build(parsed)
    }

    fn build(parsed: Vec<ParsedApp>) -> Result<Self, SignatureError> {
        let mut s = Signatures::default();
        for (index, p) in parsed.into_iter().enumerate() {
            let file = p.sig.file.clone();
            let app = AppId(
                u16::try_from(index)
                    .map_err(|_| invalid(&file, p.id_line, "more than 65535 apps".to_owned()))?,
            );
            s.by_name.insert(p.sig.id.to_string(), app);
            for (name, line) in p.sig.device_names.iter().zip(&p.device_name_lines) {
                if let Some(other) = s.device_names.get(name) {
                    return Err(s.duplicate(&file, *line, "device name", name, *other, &p.sig));
                }
                s.device_names.insert(name.clone(), app);
            }
            for agent in &p.sig.server_agents {
                s.server_agents.push(agent.clone());
            }
            for (rule, line) in p.sig.domains.iter().zip(&p.domain_lines) {
                if let Some((other, _)) = s.domains.get(&rule.suffix) {
                    return Err(s.duplicate(
                        &file,
                        *line,
                        "domain suffix",
                        &rule.suffix,
                        *other,
                        &p.sig,
                    ));
                }
                s.domains.insert(rule.suffix.clone(), (app, rule.kind));
            }
            for (i, (rule, line)) in p.sig.prefixes.iter().zip(&p.prefix_lines).enumerate() {
                if let Some(prev) = s.prefixes.insert(rule.cidr, PrefixRef { app, rule: i }) {
                    let other = prev.app;
                    return Err(s.duplicate(&file, *line, "prefix", &rule.text, other, &p.sig));
                }
            }
            for (asn, line) in p.sig.operator_asns.iter().zip(&p.asn_lines) {
                if let Some(other) = s.asns.get(asn) {
                    return Err(s.duplicate(
                        &file,
                        *line,
                        "operator ASN",
                        &asn.to_string(),
                        *other,
                        &p.sig,
                    ));
                }
                s.asns.insert(*asn, app);
            }
            for (code, line) in p.sig.stun.attributes.iter().zip(&p.attribute_lines) {
                if let Some(other) = s.stun_attributes.get(code) {
                    return Err(s.duplicate(
                        &file,
                        *line,
                        "STUN attribute",
                        &format!("0x{code:04X}"),
                        *other,
                        &p.sig,
                    ));
                }
                s.stun_attributes.insert(*code, app);
            }
            for (code, line) in p.sig.stun.message_types.iter().zip(&p.message_type_lines) {
                if let Some(other) = s.stun_message_types.get(code) {
                    return Err(s.duplicate(
                        &file,
                        *line,
                        "STUN message type",
                        &format!("0x{code:04X}"),
                        *other,
                        &p.sig,
                    ));
                }
                s.stun_message_types.insert(*code, app);
            }
            s.ports.extend(p.sig.ports.iter().map(|r| (app, r.clone())));
            s.realms.extend(
                p.sig
                    .stun
                    .realms
                    .iter()
                    .map(|r| (app, r.to_ascii_lowercase())),
            );
            s.software.extend(
                p.sig
                    .stun
                    .software
                    .iter()
                    .map(|r| (app, r.to_ascii_lowercase())),
            );
            for (i, pattern) in p.sig.payload.iter().enumerate() {
                let slot = s.payload.len();
                s.payload.push((app, i));
                match pattern.fixed_first_byte() {
                    Some(b) => s.payload_by_first.entry(b).or_default().push(slot),
                    None => s.payload_any.push(slot),
                }
            }
            s.apps.push(p.sig);
        }
        s.server_ports = s.narrow_vendor_ports();
        Ok(s)
    }

    /// `server_ports`, from the rules.
    fn narrow_vendor_ports(&self) -> FxHashMap<(L4Kind, u16), Option<AppId>> {
        let mut ports: FxHashMap<(L4Kind, u16), Option<AppId>> = FxHashMap::default();
        for (app, rule) in &self.ports {
            if self.app(*app).generic
                || rule.kind == PortKind::Client
                || rule.high.saturating_sub(rule.low) >= MAX_PORT_RULE_WIDTH
            {
                continue;
            }
            for port in rule.low..=rule.high {
                ports
                    .entry((rule.l4, port))
                    .and_modify(|known| {
                        if *known != Some(*app) {
                            *known = None;
                        }
                    })
                    .or_insert(Some(*app));
            }
        }
        ports
    }

    /// Error for a value claimed by two apps (or twice by one).
    fn duplicate(
        &self,
        file: &str,
        line: usize,
        what: &str,
        value: &str,
        other: AppId,
        this: &AppSignature,
    ) -> SignatureError {
        let owner = self.apps.get(usize::from(other.0)).unwrap_or(this);
        invalid(
            file,
            line,
            format!(
                "{what} {value} is already claimed by app {:?} ({})",
                owner.id, owner.file
            ),
        )
    }

    /// The app with this id (a blank placeholder for an id from another set).
    pub fn app(&self, id: AppId) -> &AppSignature {
        self.apps.get(usize::from(id.0)).unwrap_or(&UNKNOWN_APP)
    }

    /// The id of the app named `name` (its `id` key, e.g. "skype_teams").
    pub fn app_id(&self, name: &str) -> Option<AppId> {
        self.by_name.get(name).copied()
    }

    /// The app the capturing phone names `name` (`device_names`).
    pub fn app_by_device_name(&self, name: &str) -> Option<AppId> {
        self.device_names.get(&name.trim().to_lowercase()).copied()
    }

    /// Whether a SIP `User-Agent` or `Server` value names a server product
    /// (`server_agents`: a PBX, proxy, B2BUA or gateway, never a phone).
    pub fn is_server_agent(&self, agent: &str) -> bool {
        let agent = agent.trim_start().as_bytes();
        self.server_agents.iter().any(|prefix| {
            agent
                .get(..prefix.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
        })
    }

    /// All apps in id order.
    pub fn apps(&self) -> impl Iterator<Item = (AppId, &AppSignature)> {
        self.apps
            .iter()
            .enumerate()
            .map(|(i, a)| (AppId(i as u16), a))
    }

    fn name(&self, app: AppId) -> &str {
        &self.app(app).id
    }

    /// Longest domain suffix (on label boundaries, case-insensitive, trailing
    /// dot ignored) that `name` ends with.
    pub fn match_domain(&self, name: &str) -> Option<DomainMatch> {
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        let (suffix, (app, kind)) = self.domain_rule(&lower)?;
        Some(DomainMatch {
            app,
            kind,
            suffix: suffix.to_owned(),
            evidence: format!("{lower} matches {} domain {suffix}", self.name(app)),
        })
    }

    /// Whether a domain rule covers `name` (as `match_domain`, without
    /// the words: asked of every name the device looks up).
    pub fn knows_domain(&self, name: &str) -> bool {
        let trimmed = name.trim_end_matches('.');
        if trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
            return self.domain_rule(&trimmed.to_ascii_lowercase()).is_some();
        }
        self.domain_rule(trimmed).is_some()
    }

    /// The longest suffix of lower-case `name` a rule covers, and its rule.
    fn domain_rule<'n>(&self, name: &'n str) -> Option<(&'n str, (AppId, DomainKind))> {
        let mut candidate = name;
        loop {
            if let Some(rule) = self.domains.get(candidate) {
                return Some((candidate, *rule));
            }
            candidate = candidate.split_once('.')?.1;
        }
    }

    /// The longest published prefix containing `ip`, unless the vendor
    /// rents it out (`TrafficKind::Rented`).
    pub fn match_ip(&self, ip: IpAddr) -> Option<PrefixMatch> {
        let r = self.prefixes.lookup(ip)?;
        let rule = self.app(r.app).prefixes.get(r.rule)?;
        if rule.kind == TrafficKind::Rented {
            return None;
        }
        let host_bits = match rule.cidr.network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        Some(PrefixMatch {
            app: r.app,
            kind: rule.kind,
            names_hosts: host_bits - u32::from(rule.cidr.len) <= 3,
            cidr: rule.text.clone(),
            source: rule.source.clone(),
            evidence: format!(
                "{ip} in {} {} range {} ({}, {})",
                self.name(r.app),
                kind_word(rule.kind),
                rule.text,
                rule.source,
                rule.date
            ),
        })
    }

    /// Whether `ip` is in a range its operator rents to cloud customers
    /// (`TrafficKind::Rented`): the operator's ASN says nothing of the app.
    pub fn rented_out(&self, ip: IpAddr) -> bool {
        self.prefixes.lookup(ip).is_some_and(|r| {
            self.app(r.app)
                .prefixes
                .get(r.rule)
                .is_some_and(|rule| rule.kind == TrafficKind::Rented)
        })
    }

    /// The app whose operator owns this ASN.
    pub fn match_asn(&self, asn: u32) -> Option<AppId> {
        self.asns.get(&asn).copied()
    }

    /// Every app with a port rule covering `port`.
    pub fn match_port(
        &self,
        l4: L4Kind,
        port: u16,
    ) -> impl Iterator<Item = (AppId, PortKind)> + '_ {
        self.ports
            .iter()
            .filter(move |(_, r)| r.l4 == l4 && (r.low..=r.high).contains(&port))
            .map(|(app, r)| (*app, r.kind))
    }

    /// The one vendor app whose servers alone listen on `far`, when the
    /// other end is an ordinary client port `local`: not a well-known or
    /// shared port, not the same port on both ends, and a rule no wider
    /// than a few ports (Telegram's UDP 500-600 also holds IKE).
    pub fn server_port_app(&self, l4: L4Kind, far: u16, local: u16) -> Option<AppId> {
        if far < 1024 || SHARED_PORTS.contains(&far) || local == far || local < 1024 {
            return None;
        }
        self.server_ports.get(&(l4, far)).copied().flatten()
    }

    /// Every port rule covering `port`, with its app (the reference for
    /// `server_ports` in the tests).
    #[cfg(test)]
    fn port_rules(&self, l4: L4Kind, port: u16) -> impl Iterator<Item = (AppId, &PortRule)> + '_ {
        self.ports
            .iter()
            .filter(move |(_, r)| r.l4 == l4 && (r.low..=r.high).contains(&port))
            .map(|(app, r)| (*app, r))
    }

    /// The app whose REALM pattern occurs in `realm` (longest pattern wins).
    pub fn match_stun_realm<'a>(&'a self, realm: &'a [u8]) -> Option<StunMatch<'a>> {
        self.match_substring(&self.realms, realm, "REALM")
    }

    /// The app whose SOFTWARE pattern occurs in `sw` (longest pattern wins).
    pub fn match_stun_software<'a>(&'a self, sw: &'a [u8]) -> Option<StunMatch<'a>> {
        self.match_substring(&self.software, sw, "SOFTWARE")
    }

    fn match_substring<'a>(
        &'a self,
        table: &'a [(AppId, String)],
        value: &'a [u8],
        what: &'static str,
    ) -> Option<StunMatch<'a>> {
        let (app, pattern) = table
            .iter()
            .filter(|(_, p)| contains_ignoring_case(value, p.as_bytes()))
            .max_by_key(|(_, p)| p.len())?;
        Some(StunMatch {
            app: *app,
            pattern,
            what,
            value,
        })
    }

    /// The app that owns a vendor STUN attribute type.
    pub fn match_stun_attribute(&self, attr_type: u16) -> Option<AppId> {
        self.stun_attributes.get(&attr_type).copied()
    }

    /// The app that owns a vendor STUN message type.
    pub fn match_stun_message_type(&self, t: u16) -> Option<AppId> {
        self.stun_message_types.get(&t).copied()
    }

    /// The most specific payload pattern matching this packet.
    pub fn match_payload(
        &self,
        l4: L4Kind,
        src_port: u16,
        dst_port: u16,
        payload: &[u8],
    ) -> Option<PayloadMatch> {
        let by_first = payload
            .first()
            .and_then(|b| self.payload_by_first.get(b))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let (app, pattern) = by_first
            .iter()
            .chain(&self.payload_any)
            .filter_map(|slot| {
                let (app, i) = self.payload.get(*slot)?;
                Some((*app, self.app(*app).payload.get(*i)?))
            })
            .filter(|(_, p)| p.matches(l4, src_port, dst_port, payload))
            .max_by_key(|(_, p)| p.specificity())?;
        Some(PayloadMatch {
            app,
            kind: pattern.kind,
            name: pattern.name.clone(),
            evidence: format!(
                "payload matches {} pattern {} ({} bytes at offset {})",
                self.name(app),
                pattern.name,
                pattern.bytes.len(),
                pattern.offset
            ),
        })
    }
}

fn kind_word(k: TrafficKind) -> &'static str {
    match k {
        TrafficKind::Media => "media",
        TrafficKind::Signalling => "signalling",
        TrafficKind::Any => "published",
        TrafficKind::Rented => "rented-out",
    }
}

/// Whether `needle` (lowercase) occurs in `hay`, ASCII case ignored,
/// without a lowercased copy of `hay`.
fn contains_ignoring_case(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

fn invalid(file: &str, line: usize, message: String) -> SignatureError {
    SignatureError::Invalid {
        file: file.to_owned(),
        line,
        message,
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .unwrap_or(text)
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1
}

fn span_line<T>(text: &str, v: &Spanned<T>) -> usize {
    line_of(text, v.span().start)
}

fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let clean: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if clean.is_empty() || clean.len() % 2 != 0 {
        return Err(format!(
            "bad hex {text:?}: need an even, non-zero number of digits"
        ));
    }
    let digits = clean.as_bytes();
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| format!("bad hex {text:?}"))
        })
        .collect()
}

fn valid_suffix(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
}

/// Parses and checks one app file.
fn parse_app(file: &str, text: &str) -> Result<ParsedApp, SignatureError> {
    let raw: RawApp = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |r: Range<usize>| line_of(text, r.start));
        invalid(file, line, e.message().trim().to_owned())
    })?;
    let err = |line: usize, message: String| invalid(file, line, message);
    let id_line = span_line(text, &raw.id);
    let id = raw.id.into_inner();
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(err(
            id_line,
            format!("app id {id:?} must be lower-case letters, digits and _"),
        ));
    }
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    if stem != id {
        return Err(err(
            id_line,
            format!("app id {id:?} must equal the file name ({stem}.toml)"),
        ));
    }

    let mut domains = Vec::new();
    let mut domain_lines = Vec::new();
    for d in raw.domains {
        let line = span_line(text, &d);
        let d = d.into_inner();
        let suffix = d.suffix.trim_end_matches('.').to_ascii_lowercase();
        if !valid_suffix(&suffix) {
            return Err(err(line, format!("bad domain suffix {:?}", d.suffix)));
        }
        domains.push(DomainRule {
            suffix,
            kind: d.kind,
        });
        domain_lines.push(line);
    }

    let mut prefixes = Vec::new();
    let mut prefix_lines = Vec::new();
    for group in raw.prefixes {
        let date_line = span_line(text, &group.date);
        let date = group.date.into_inner();
        if date.len() < 4 || !date.bytes().take(4).all(|b| b.is_ascii_digit()) {
            return Err(err(
                date_line,
                format!("bad date {date:?}: expected YYYY[-MM[-DD]]"),
            ));
        }
        if group.cidr.is_none() && group.cidrs.is_empty() {
            return Err(err(
                date_line,
                "[[prefixes]] needs `cidr` or `cidrs`".to_owned(),
            ));
        }
        for c in group.cidr.into_iter().chain(group.cidrs) {
            let line = span_line(text, &c);
            let textual = c.into_inner();
            let cidr = Cidr::parse(&textual).map_err(|m| err(line, m))?;
            prefixes.push(PrefixRule {
                cidr,
                text: textual.trim().to_owned(),
                kind: group.kind,
                source: group.source.clone(),
                date: date.clone(),
            });
            prefix_lines.push(line);
        }
    }

    let mut ports = Vec::new();
    for p in raw.ports {
        let line = span_line(text, &p.range);
        let (low, high) = p.range.get_ref().parse().map_err(|m| err(line, m))?;
        ports.push(PortRule {
            l4: p.l4,
            low,
            high,
            kind: p.kind,
            source: p.source,
        });
    }

    let mut payload = Vec::new();
    for p in raw.payload {
        payload.push(parse_payload(text, &p).map_err(|(line, m)| err(line, m))?);
    }
    for (i, p) in payload.iter().enumerate() {
        if payload.iter().take(i).any(|q| q.name == p.name) {
            return Err(err(
                id_line,
                format!("duplicate payload pattern name {:?}", p.name),
            ));
        }
    }

    let stun_lines = |v: &[Spanned<u16>]| v.iter().map(|s| span_line(text, s)).collect::<Vec<_>>();
    let attribute_lines = stun_lines(&raw.stun.attributes);
    let message_type_lines = stun_lines(&raw.stun.message_types);
    for s in raw.stun.realms.iter().chain(&raw.stun.software) {
        if s.get_ref().is_empty() {
            return Err(err(span_line(text, s), "empty STUN pattern".to_owned()));
        }
    }
    let device_name_lines = raw
        .device_names
        .iter()
        .map(|n| span_line(text, n))
        .collect();
    for n in &raw.device_names {
        if n.get_ref().trim().is_empty() {
            return Err(err(span_line(text, n), "empty device name".to_owned()));
        }
    }
    for a in &raw.server_agents {
        if a.get_ref().trim().is_empty() {
            return Err(err(span_line(text, a), "empty server agent".to_owned()));
        }
    }
    let asn_lines = raw
        .operator_asns
        .iter()
        .map(|a| span_line(text, a))
        .collect();

    let sig = AppSignature {
        id: id.into(),
        display_name: raw.display_name,
        vendor: raw.vendor,
        notes: raw.notes,
        always_server_routed: raw.media.always_server_routed,
        carries_calls: raw.media.calls,
        routing_why: raw.media.why,
        operator: raw.operator,
        operator_shared: raw.operator_shared,
        generic: raw.generic,
        device_names: raw
            .device_names
            .into_iter()
            .map(|n| n.into_inner().trim().to_lowercase())
            .collect(),
        server_agents: raw
            .server_agents
            .into_iter()
            .map(|n| n.into_inner().trim().to_lowercase())
            .collect(),
        operator_asns: raw
            .operator_asns
            .into_iter()
            .map(Spanned::into_inner)
            .collect(),
        domains,
        prefixes,
        ports,
        stun: StunRules {
            realms: raw
                .stun
                .realms
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            software: raw
                .stun
                .software
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            attributes: raw
                .stun
                .attributes
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            message_types: raw
                .stun
                .message_types
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            source: raw.stun.source,
        },
        payload,
        file: file.to_owned(),
    };
    Ok(ParsedApp {
        sig,
        id_line,
        device_name_lines,
        domain_lines,
        prefix_lines,
        asn_lines,
        attribute_lines,
        message_type_lines,
    })
}

fn parse_payload(text: &str, p: &RawPayload) -> Result<PayloadPattern, (usize, String)> {
    let name_line = span_line(text, &p.name);
    let bytes_line = span_line(text, &p.bytes);
    let bytes = parse_hex(p.bytes.get_ref()).map_err(|m| (bytes_line, m))?;
    let mask = match &p.mask {
        None => None,
        Some(m) => {
            let line = span_line(text, m);
            let mask = parse_hex(m.get_ref()).map_err(|e| (line, e))?;
            if mask.len() != bytes.len() {
                return Err((
                    line,
                    format!("mask has {} bytes, bytes has {}", mask.len(), bytes.len()),
                ));
            }
            Some(mask)
        }
    };
    let ports = match &p.ports {
        None => None,
        Some(r) => Some(r.get_ref().parse().map_err(|m| (span_line(text, r), m))?),
    };
    let end = p.offset.saturating_add(bytes.len());
    if p.len.is_some_and(|n| n < end) || p.min_len.is_some_and(|n| n < end) {
        return Err((
            name_line,
            format!("len/min_len shorter than offset + bytes ({end})"),
        ));
    }
    if p.name.get_ref().is_empty() {
        return Err((name_line, "empty payload pattern name".to_owned()));
    }
    Ok(PayloadPattern {
        name: p.name.get_ref().clone(),
        l4: p.l4,
        ports,
        offset: p.offset,
        bytes,
        mask,
        min_len: p.min_len,
        len: p.len,
        kind: p.kind,
        source: p.source.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sigs() -> Signatures {
        Signatures::embedded().unwrap()
    }

    fn name(s: &Signatures, id: AppId) -> &str {
        &s.app(id).id
    }

    #[test]
    fn a_server_port_names_an_app_only_from_a_client_port() {
        let s = sigs();
        let viber = s.app_id("viber");
        assert!(viber.is_some());
        assert_eq!(s.server_port_app(L4Kind::Udp, 7985, 47171), viber);
        // The same port on both ends, a well-known client port, a port
        // many servers share, another transport: no app.
        assert_eq!(s.server_port_app(L4Kind::Udp, 7985, 7985), None);
        assert_eq!(s.server_port_app(L4Kind::Udp, 7985, 53), None);
        assert_eq!(s.server_port_app(L4Kind::Udp, 3478, 47171), None);
        assert_eq!(s.server_port_app(L4Kind::Tcp, 7985, 47171), None);
    }

    /// The port map answers as a scan of every rule does, on every port.
    #[test]
    fn server_port_map_matches_a_scan_of_the_rules() {
        let s = sigs();
        let scan = |l4: L4Kind, far: u16| {
            let mut apps = s
                .port_rules(l4, far)
                .filter(|(a, r)| {
                    !s.app(*a).generic
                        && r.kind != PortKind::Client
                        && r.high.saturating_sub(r.low) < MAX_PORT_RULE_WIDTH
                })
                .map(|(a, _)| a);
            let app = apps.next()?;
            apps.all(|other| other == app).then_some(app)
        };
        let mut named = 0;
        for l4 in [L4Kind::Udp, L4Kind::Tcp] {
            for far in 1024..=u16::MAX {
                if SHARED_PORTS.contains(&far) {
                    continue;
                }
                let want = scan(l4, far);
                named += usize::from(want.is_some());
                let local = if far == 50000 { 50001 } else { 50000 };
                assert_eq!(s.server_port_app(l4, far, local), want, "{l4:?} {far}");
            }
        }
        assert!(named > 0, "no vendor server port in the embedded set");
    }

    #[test]
    fn embedded_set_loads_with_every_app() {
        let s = sigs();
        let ids: Vec<&str> = s.apps().map(|(_, a)| &*a.id).collect();
        for want in [
            "skype_teams",
            "zoom",
            "whatsapp",
            "google_meet",
            "signal",
            "telegram",
            "discord",
            "facetime",
            "webex",
            "viber",
            "line",
            "wechat",
            "kakaotalk",
            "snapchat",
            "imo",
            "agora",
            "sip_rtp",
            "webrtc_generic",
        ] {
            assert!(ids.contains(&want), "{want} missing");
            let id = s.app_id(want).unwrap();
            assert_eq!(&*s.app(id).id, want);
        }
        assert!(s.app(s.app_id("discord").unwrap()).always_server_routed);
        assert!(!s.app(s.app_id("zoom").unwrap()).always_server_routed);
        assert_eq!(&*s.app(AppId(60000)).id, "");
    }

    #[test]
    fn every_app_file_in_the_folder_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("signatures");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if name.ends_with(".toml") && !NON_APP_FILES.contains(&name.as_str()) {
                assert!(
                    EMBEDDED.iter().any(|(f, _)| *f == name),
                    "{name} not in EMBEDDED"
                );
            }
        }
    }

    #[test]
    fn domains_match_on_label_boundaries_longest_first() {
        let s = sigs();
        let m = s
            .match_domain("api.flightproxy.teams.microsoft.com")
            .unwrap();
        assert_eq!(name(&s, m.app), "skype_teams");
        assert_eq!(m.suffix, "teams.microsoft.com");
        assert_eq!(m.kind, DomainKind::Signalling);
        assert!(
            m.evidence
                .contains("skype_teams domain teams.microsoft.com"),
            "{}",
            m.evidence
        );
        let m = s
            .match_domain("Worldaz.Relay.Teams.Microsoft.com.")
            .unwrap();
        assert_eq!(
            (m.suffix.as_str(), m.kind),
            ("relay.teams.microsoft.com", DomainKind::Media)
        );
        assert_eq!(name(&s, s.match_domain("zoom.us").unwrap().app), "zoom");
        // Seen in nDPI zoom.pcap SNIs.
        assert_eq!(
            name(&s, s.match_domain("zoomfrn99mmr.zoom.us").unwrap().app),
            "zoom"
        );
        assert_eq!(
            s.match_domain("log.zoom.us").unwrap().kind,
            DomainKind::None
        );
        let m = s.match_domain("sfu.us-east.voip.signal.org").unwrap();
        assert_eq!((name(&s, m.app), m.kind), ("signal", DomainKind::Media));
        assert_eq!(
            name(&s, s.match_domain("uts-front.line-apps.com").unwrap().app),
            "line"
        );
        assert!(s.match_domain("notzoom.us").is_none());
        assert!(s.match_domain("zoom.us.evil.example").is_none());
        assert!(s.match_domain("").is_none());
    }

    #[test]
    fn published_prefixes_match_real_addresses() {
        let s = sigs();
        let ip = |t: &str| s.match_ip(t.parse().unwrap());
        // Teams relay in nDPI stun_msteams_unidir.pcapng.
        let m = ip("52.114.77.136").unwrap();
        assert_eq!(
            (name(&s, m.app), m.kind),
            ("skype_teams", TrafficKind::Media)
        );
        assert_eq!(m.cidr, "52.112.0.0/14");
        assert!(m.source.contains("endpoints"));
        assert_eq!(name(&s, ip("2603:1063::1").unwrap().app), "skype_teams");
        assert_eq!(name(&s, ip("74.125.250.10").unwrap().app), "google_meet");
        assert_eq!(
            name(&s, ip("2001:4860:4864:6::81").unwrap().app),
            "google_meet"
        );
        assert_eq!(name(&s, ip("91.108.8.1").unwrap().app), "telegram");
        assert_eq!(name(&s, ip("134.224.90.111").unwrap().app), "zoom");
        assert_eq!(name(&s, ip("66.22.196.173").unwrap().app), "discord");
        assert_eq!(name(&s, ip("17.154.239.222").unwrap().app), "facetime");
        assert_eq!(name(&s, ip("147.92.169.90").unwrap().app), "line");
        let kakao = ip("1.201.1.174").unwrap();
        assert_eq!(
            (name(&s, kakao.app), kakao.kind),
            ("kakaotalk", TrafficKind::Media)
        );
        // A network (Apple's 17/8, Teams' relays) against a list of single
        // servers (WhatsApp's chat hosts, each a /31 or /32).
        assert!(!ip("17.154.239.222").unwrap().names_hosts);
        assert!(!m.names_hosts);
        let chat = ip("157.240.20.53").unwrap();
        assert_eq!((name(&s, chat.app), chat.names_hosts), ("whatsapp", true));
        assert!(ip("8.8.8.8").is_none());
        assert!(ip("192.168.1.1").is_none());
    }

    #[test]
    fn asn_port_and_stun_lookups() {
        let s = sigs();
        assert_eq!(name(&s, s.match_asn(8075).unwrap()), "skype_teams");
        assert_eq!(name(&s, s.match_asn(62041).unwrap()), "telegram");
        assert!(s.match_asn(1).is_none());
        let zoom = s.app_id("zoom").unwrap();
        assert!(s
            .match_port(L4Kind::Udp, 8805)
            .any(|(a, k)| a == zoom && k == PortKind::Media));
        assert!(!s.match_port(L4Kind::Tcp, 8805).any(|(a, _)| a == zoom));
        let at_3478: Vec<_> = s
            .match_port(L4Kind::Udp, 3478)
            .map(|(a, _)| name(&s, a).to_owned())
            .collect();
        assert!(
            at_3478.contains(&"skype_teams".to_owned()) && at_3478.contains(&"whatsapp".to_owned())
        );
        assert_eq!(
            name(&s, s.match_stun_attribute(0x8070).unwrap()),
            "skype_teams"
        );
        assert_eq!(
            name(&s, s.match_stun_attribute(0xFF03).unwrap()),
            "google_meet"
        );
        assert_eq!(
            name(&s, s.match_stun_attribute(0x4002).unwrap()),
            "whatsapp"
        );
        assert!(s.match_stun_attribute(0x0020).is_none());
        // Meta's relay message types are WhatsApp's and Messenger's alike.
        assert!(s.match_stun_message_type(0x0801).is_none());
        assert!(s.match_stun_message_type(0x0001).is_none());
        assert_eq!(
            name(&s, s.match_stun_realm(b"signal.org").unwrap().app),
            "signal"
        );
        assert_eq!(
            name(&s, s.match_stun_realm(b"Telegram.ORG").unwrap().app),
            "telegram"
        );
        assert!(s.match_stun_realm(b"example.com").is_none());
        assert_eq!(
            name(&s, s.match_stun_software(b"libjingle 1.0").unwrap().app),
            "webrtc_generic"
        );
    }

    #[test]
    fn payload_patterns_match_real_packets() {
        let s = sigs();
        // Discord keep-alive: 8 bytes 0x1337CAFE (nDPI discord.c).
        let m = s
            .match_payload(
                L4Kind::Udp,
                61985,
                50004,
                &[0x13, 0x37, 0xca, 0xfe, 0, 0, 0, 1],
            )
            .unwrap();
        assert_eq!(
            (name(&s, m.app), m.kind),
            ("discord", PayloadKind::Keepalive)
        );
        assert!(s
            .match_payload(L4Kind::Udp, 1, 2, &[0x13, 0x37, 0xca, 0xfe, 0, 0, 0])
            .is_none());
        // Telegram reflector packet (nDPI telegram.pcap, 91.108.8.1:533): peer tag + 12 x 0xFF.
        let mut tg = vec![0x42u8; 16];
        tg.extend([0xff; 12]);
        tg.extend([0u8; 20]);
        let m = s.match_payload(L4Kind::Udp, 28150, 533, &tg).unwrap();
        assert_eq!(m.name, "telegram_reflector");
        assert!(s.match_payload(L4Kind::Udp, 28150, 1533, &tg).is_none());
        // Zoom SFU audio: 0x05, 7 header bytes, media type 15.
        let mut z = vec![0x05, 0x00, 0x01, 0, 0, 0, 0, 0x00, 0x0f];
        z.resize(60, 0x80);
        let m = s.match_payload(L4Kind::Udp, 53065, 8801, &z).unwrap();
        assert_eq!(
            (name(&s, m.app), m.name.as_str()),
            ("zoom", "zoom_sfu_audio")
        );
        z[8] = 0x10;
        assert_eq!(
            s.match_payload(L4Kind::Udp, 53065, 8801, &z).unwrap().name,
            "zoom_sfu_video"
        );
        z[8] = 0x77;
        assert!(s.match_payload(L4Kind::Udp, 53065, 8801, &z).is_none());
        let m = s
            .match_payload(
                L4Kind::Udp,
                5060,
                5060,
                b"INVITE sip:bob@example.com SIP/2.0\r\n",
            )
            .unwrap();
        assert_eq!(name(&s, m.app), "sip_rtp");
        assert!(s.match_payload(L4Kind::Udp, 5060, 5060, b"").is_none());
        // File sharing: a Gnutella2 datagram to a port Viber's servers also
        // use (gnutella.pcap in nDPI's tests), BitTorrent's handshake and a
        // DHT query (BEP 3, BEP 5).
        let g2 = b"GND\x10\x3f\xc5\x01\x01LAQ2P";
        let m = s.match_payload(L4Kind::Udp, 28681, 7986, g2).unwrap();
        assert_eq!(
            (name(&s, m.app), m.name.as_str()),
            ("file_sharing", "gnutella2_udp")
        );
        assert!(s
            .match_payload(L4Kind::Udp, 28681, 7986, b"GND\x10")
            .is_none());
        let m = s
            .match_payload(
                L4Kind::Tcp,
                52887,
                53137,
                b"\x13BitTorrent protocol\0\0\0\0",
            )
            .unwrap();
        assert_eq!(m.name, "bittorrent_handshake");
        let m = s
            .match_payload(
                L4Kind::Udp,
                6881,
                6881,
                b"d1:ad2:id20:abcdefghij0123456789e1:q4:ping",
            )
            .unwrap();
        assert_eq!(m.name, "bittorrent_dht_query");
        assert!(!s.app(m.app).carries_calls);
    }

    fn temp_dir(tag: &str) -> tempfile::TempDir {
        tempfile::Builder::new().prefix(tag).tempdir().unwrap()
    }

    fn write(dir: &Path, file: &str, text: &str) {
        std::fs::File::create(dir.join(file))
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }

    const MADE_UP: &str = r#"
id = "fakecall"
display_name = "FakeCall"
vendor = "Example Inc."
operator_asns = [64512]
domains = ["fakecall.example", { suffix = "relay.fakecall.example", kind = "media" }]

[media]
always_server_routed = true
why = "test app"

[stun]
attributes = [0xFA01]

[[prefixes]]
cidr = "198.51.100.0/24"
kind = "media"
source = "RFC 5737 documentation range"
date = "2024-01"

[[ports]]
l4 = "udp"
range = "40000-40010"
kind = "media"

[[payload]]
name = "fake_hello"
l4 = "udp"
ports = "40000-40010"
bytes = "fa ca 11"
min_len = 4
kind = "signalling"
"#;

    #[test]
    fn app_added_from_a_directory_is_identified() {
        let dir = temp_dir("callpath-sigs-add");
        write(dir.path(), "fakecall.toml", MADE_UP);
        write(dir.path(), "operators.toml", "not = [an app file");
        let s = Signatures::load(Some(dir.path())).unwrap();
        let fake = s.app_id("fakecall").unwrap();
        assert_eq!(s.apps().count(), EMBEDDED.len() + 1);
        assert_eq!(s.match_domain("x.fakecall.example").unwrap().app, fake);
        assert_eq!(
            s.match_domain("a.relay.fakecall.example").unwrap().kind,
            DomainKind::Media
        );
        let m = s
            .match_payload(L4Kind::Udp, 1234, 40005, &[0xfa, 0xca, 0x11, 0x00])
            .unwrap();
        assert_eq!((m.app, m.name.as_str()), (fake, "fake_hello"));
        assert!(s
            .match_payload(L4Kind::Udp, 1234, 40005, &[0xfa, 0xca, 0x11])
            .is_none());
        assert_eq!(
            s.match_ip("198.51.100.7".parse().unwrap()).unwrap().app,
            fake
        );
        assert_eq!(s.match_stun_attribute(0xFA01), Some(fake));
        assert_eq!(s.match_asn(64512), Some(fake));
        // Embedded apps are still there.
        assert_eq!(name(&s, s.match_domain("zoom.us").unwrap().app), "zoom");
    }

    #[test]
    fn directory_file_overrides_an_app_by_id() {
        let dir = temp_dir("callpath-sigs-override");
        let text = MADE_UP
            .replace("id = \"fakecall\"", "id = \"zoom\"")
            .replace(
                "display_name = \"FakeCall\"",
                "display_name = \"Zoom (local)\"",
            );
        write(dir.path(), "zoom.toml", &text);
        let before = Signatures::embedded().unwrap();
        let s = Signatures::load(Some(dir.path())).unwrap();
        let zoom = s.app_id("zoom").unwrap();
        assert_eq!(zoom, before.app_id("zoom").unwrap());
        assert_eq!(s.apps().count(), EMBEDDED.len());
        assert_eq!(s.app(zoom).display_name, "Zoom (local)");
        assert_eq!(s.match_domain("x.fakecall.example").unwrap().app, zoom);
        assert!(s.match_domain("zoom.us").is_none());
        assert!(s.match_ip("170.114.1.1".parse().unwrap()).is_none());
    }

    fn load_error(file: &str, text: &str) -> (String, usize, String) {
        let dir = temp_dir("callpath-sigs-bad");
        write(dir.path(), file, text);
        match Signatures::load(Some(dir.path())) {
            Err(SignatureError::Invalid {
                file,
                line,
                message,
            }) => (file, line, message),
            other => panic!("expected an Invalid error, got {other:?}"),
        }
    }

    #[test]
    fn broken_files_name_the_file_and_line() {
        let (file, line, msg) = load_error(
            "fakecall.toml",
            &MADE_UP.replace("198.51.100.0/24", "198.51.100.1/24"),
        );
        assert!(file.ends_with("fakecall.toml"), "{file}");
        assert_eq!(line, 16, "{msg}");
        assert!(msg.contains("host bits"), "{msg}");

        let (_, line, msg) = load_error(
            "fakecall.toml",
            &MADE_UP.replace("kind = \"signalling\"", "knd = \"signalling\""),
        );
        assert_eq!(line, 32, "{msg}");
        assert!(msg.contains("knd"), "{msg}");

        let (_, line, msg) = load_error("fakecall.toml", &MADE_UP.replace("fa ca 11", "fa ca 1"));
        assert_eq!(line, 30, "{msg}");
        assert!(msg.contains("bad hex"), "{msg}");

        let (_, line, msg) = load_error(
            "fakecall.toml",
            &MADE_UP.replace("40000-40010\"\nkind", "40010-40000\"\nkind"),
        );
        assert_eq!(line, 23, "{msg}");
        assert!(msg.contains("reversed"), "{msg}");

        let (_, line, msg) = load_error(
            "fakecall.toml",
            &MADE_UP.replace("\"fakecall.example\"", "\"zoom.us\""),
        );
        assert_eq!(line, 6, "{msg}");
        assert!(msg.contains("already claimed by app \"zoom\""), "{msg}");

        let (_, line, msg) = load_error(
            "fakecall.toml",
            &MADE_UP.replace("operator_asns", "device_names = [\"ZOOM\"]\noperator_asns"),
        );
        assert_eq!(line, 5, "{msg}");
        assert!(
            msg.contains("device name zoom is already claimed by app \"zoom\""),
            "{msg}"
        );

        let (_, line, msg) = load_error("other.toml", MADE_UP);
        assert_eq!(line, 2, "{msg}");
        assert!(msg.contains("file name"), "{msg}");

        let (_, line, _) = load_error("fakecall.toml", &MADE_UP.replace("[stun]", "[stun"));
        assert_eq!(line, 12);
    }

    #[test]
    fn apps_by_the_name_a_device_gives_them() {
        let s = Signatures::embedded().unwrap();
        for (name, id) in [
            ("WhatsApp", "whatsapp"),
            ("whatsapp business", "whatsapp"),
            (" Meet ", "google_meet"),
            ("Teams", "skype_teams"),
            // macOS processes, as a PKTAP capture names them.
            ("zoom.us", "zoom"),
            ("MSTeams", "skype_teams"),
        ] {
            assert_eq!(s.app_by_device_name(name), s.app_id(id), "{name}");
        }
        assert_eq!(s.app_by_device_name("Chrome"), None);
        assert_eq!(s.app_by_device_name(""), None);
    }

    /// As SIP servers and phones name themselves in the TH Köln Asterisk
    /// lab's, the corpus's and Wireshark's captures.
    #[test]
    fn sip_server_products() {
        let s = Signatures::embedded().unwrap();
        for agent in [
            "Asterisk PBX 18.10.0~dfsg+~cs6.10.40431411-2",
            "FreeSWITCH-mod_sofia/1.6.12-20-b91a0a6~64bit",
            "repro 1.9.7",
            "Sip EXpress router (0.8.12 (i386/linux))",
            "Huawei SoftX3000 V300R011",
            "  kamailio (5.7.4 (x86_64/linux))",
        ] {
            assert!(s.is_server_agent(agent), "{agent}");
        }
        for agent in [
            "Grandstream GXV3370 1.0.3.46",
            "Z 3.3.21933 r21903",
            "Nero SIPPS IP Phone Version 2.0.51.16",
            "3CXPhone 6.0",
            "Asterisk",
            "",
        ] {
            assert!(!s.is_server_agent(agent), "{agent}");
        }
        let (_, line, msg) = load_error(
            "fakecall.toml",
            &MADE_UP.replace("operator_asns", "server_agents = [\" \"]\noperator_asns"),
        );
        assert_eq!(line, 5, "{msg}");
        assert!(msg.contains("empty server agent"), "{msg}");
    }

    #[test]
    fn hex_and_suffix_validation() {
        assert_eq!(parse_hex("05 00 ff").unwrap(), vec![5, 0, 255]);
        assert!(parse_hex("0g").is_err());
        assert!(parse_hex("").is_err());
        assert!(valid_suffix("a-b.example"));
        assert!(!valid_suffix(".example") && !valid_suffix("a..b") && !valid_suffix("a b"));
    }
}
