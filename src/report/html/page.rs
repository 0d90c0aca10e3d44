//! The whole report page: one self-contained HTML document (inline CSS and
//! SVG, system fonts, no script, and a Content-Security-Policy that forbids
//! any request), readable on a phone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::call_view::{path_diagram, quality_table, rate_chart, role_class, timeline};
use super::escape::esc;
use super::packet_rates::PacketRates;
use super::world_map::{self, CountryMark};
use crate::classify::tunnel::wifi_calling_gateway;
use crate::geo::DbInfo;
use crate::report::learned_outside_calls::learned_outside_calls;
use crate::report::lookups_outside_calls::{countries_text, lookups_outside_calls};
use crate::report::table::plural;
use crate::report::{CallRecord, Collected, FlowRecord};

/// One input capture as the report credits it.
#[derive(Clone, Debug)]
pub struct InputInfo {
    pub name: String,
    pub sha256: Option<String>,
    pub packets: u64,
    pub damaged: Option<String>,
}

/// Everything the page is made from.
pub struct ReportInputs<'a> {
    pub collected: &'a Collected,
    pub inputs: &'a [InputInfo],
    pub geolocation: &'a [DbInfo],
    pub signatures_version: &'a str,
    pub rates: &'a PacketRates,
}

const CSS: &str = r#"
:root{--p2p:#1b8a3a;--relay:#d9480f;--lookup:#1c64c8;--other:#8a8f98;--ink:#1d232b;--muted:#5b6470;--line:#d7dce2;--bg:#fff;--panel:#f5f7f9}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;color:var(--ink);background:var(--bg);line-height:1.45;font-size:16px}
main{max-width:980px;margin:0 auto;padding:12px 14px 40px}
h1{font-size:1.6rem;margin:.4em 0 .1em}h2{font-size:1.25rem;margin:1.6em 0 .4em;border-bottom:1px solid var(--line);padding-bottom:.2em}h3{font-size:1rem;margin:1.2em 0 .3em}
.sub,.note{color:var(--muted);font-size:.9rem}
.verdict{font-size:1.05rem;padding:.6em .8em;border-left:5px solid var(--other);background:var(--panel);border-radius:4px}
.verdict.direct{border-color:var(--p2p)}.verdict.relayed,.verdict.relayed_then_direct,.verdict.direct_then_relayed{border-color:var(--relay)}.verdict.signalling_only,.verdict.not_answered{border-color:var(--lookup)}
section.call{margin-top:1.5em}
svg{width:100%;height:auto;display:block;font-family:inherit}
svg text{font-size:11px;fill:var(--ink)}svg text.b{font-weight:600}svg text.axis{fill:var(--muted);font-size:10px}
.node rect{fill:#fff;stroke:var(--other);stroke-width:1.5}.node.device rect{fill:var(--panel);stroke:var(--ink)}
.node.p2p rect{stroke:var(--p2p)}.node.relay rect{stroke:var(--relay)}.node.lookup rect{stroke:var(--lookup)}
.link{fill:none;stroke-width:3}.link.p2p{stroke:var(--p2p)}.link.relay{stroke:var(--relay)}.link.lookup{stroke:var(--lookup);stroke-width:1.5}
.bar rect{fill:var(--other)}.bar.p2p rect{fill:var(--p2p)}.bar.relay rect{fill:var(--relay)}.bar.lookup rect{fill:var(--lookup)}
.series{fill:none;stroke-width:1.5;stroke:var(--other)}.series.p2p{stroke:var(--p2p)}.series.relay{stroke:var(--relay)}.series.lookup{stroke:var(--lookup)}
.grid{stroke:var(--line)}
.map .sea{fill:#eef3f8}.map path{stroke:#fff;stroke-width:.4}.map .land{fill:#d3d8de}.map .p2p{fill:var(--p2p)}.map .relay{fill:var(--relay)}.map .lookup{fill:var(--lookup)}
.pin circle{stroke:#fff;stroke-width:1}.pin.p2p circle{fill:var(--p2p)}.pin.relay circle{fill:var(--relay)}.pin.lookup circle{fill:var(--lookup)}.pin text{font-size:9px;font-weight:600}
.legend span{display:inline-block;margin-right:1em;font-size:.9rem}.legend i{display:inline-block;width:.9em;height:.9em;border-radius:2px;margin-right:.3em;vertical-align:-.1em}
.legend .p2p{background:var(--p2p)}.legend .relay{background:var(--relay)}.legend .lookup{background:var(--lookup)}.legend .other{background:var(--other)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{text-align:left;padding:.3em .5em;border-bottom:1px solid var(--line);vertical-align:top}th{background:var(--panel)}
td.r{text-align:right}code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em;word-break:break-all}
ul.parties{padding-left:1.1em}ul.parties li{margin:.2em 0}
.role{font-weight:600}.role.p2p{color:var(--p2p)}.role.relay{color:var(--relay)}.role.lookup{color:var(--lookup)}.role.other{color:var(--other)}
details{margin:.4em 0}summary{cursor:pointer;color:var(--muted)}
@media (max-width:600px){body{font-size:15px}h1{font-size:1.3rem}table{font-size:.8rem}.hide-narrow{display:none}svg.path,svg.timeline{min-width:540px}}
"#;

fn legend() -> &'static str {
    r#"<p class="legend"><span><i class="p2p"></i>direct (peer-to-peer)</span><span><i class="relay"></i>relay server</span><span><i class="lookup"></i>lookup / signalling</span><span><i class="other"></i>other</span></p>"#
}

fn fmt_time(secs: f64) -> String {
    // Seconds since the epoch to "YYYY-MM-DD HH:MM:SS UTC" (civil from days, H. Hinnant).
    let t = secs.floor() as i64;
    let days = t.div_euclid(86_400);
    let rem = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn call_section(out: &mut String, call: &CallRecord, flows: &[FlowRecord], rates: &PacketRates) {
    let _ = write!(
        out,
        r#"<section class="call" id="call-{n}"><h2>Call {n} · {app} · {dur:.1} s</h2><p class="sub">{start} · {flows} flows, {media} carrying media</p><p class="verdict {path}">{verdict}</p>"#,
        n = call.call,
        app = esc(call.app.as_deref().unwrap_or("unknown app")),
        dur = call.duration,
        start = esc(&fmt_time(call.start)),
        flows = call.flows,
        media = call.media_flows,
        path = esc(call.path),
        verdict = esc(&call.verdict),
    );
    if !call.device_apps.is_empty() {
        let _ = write!(
            out,
            r#"<p class="sub">App on the device, as its own capture says: {}</p>"#,
            esc(&call.device_apps.join(", "))
        );
    }
    out.push_str("<h3>Path</h3>");
    out.push_str(legend());
    out.push_str(r#"<div class="scroll">"#);
    out.push_str(&path_diagram(call));
    out.push_str("</div>");
    out.push_str(r#"<ul class="parties">"#);
    for (class, label, parties) in [
        ("relay", "Relay", &call.relays),
        ("p2p", "Peer (direct)", &call.peers),
        ("lookup", "Lookup / signalling", &call.lookup_servers),
        (
            "other",
            "Connectivity check only (a candidate address, no media)",
            &call.candidates_checked,
        ),
        (
            "other",
            "Media set up at, by the other side's SDP (none captured)",
            &call.announced_media,
        ),
        (
            "other",
            "Other leg of the call, passed on by a SIP server",
            &call.other_legs,
        ),
    ] {
        for p in parties {
            let _ = write!(
                out,
                r#"<li><span class="role {class}">{label}</span> <code>{}</code>: {}</li>"#,
                esc(&p.endpoint),
                esc(&p.summary)
            );
        }
    }
    out.push_str("</ul>");
    if !call.laws.is_empty() {
        out.push_str("<h3>Whose law reaches its servers</h3><ul>");
        for (what, reach) in [
            ("Media relays", &call.laws.media_servers),
            ("Lookup and signalling servers", &call.laws.lookup_servers),
        ] {
            if reach.is_empty() {
                continue;
            }
            let countries: Vec<String> = reach.iter().map(|r| r.summary()).collect();
            let _ = write!(out, "<li>{what}: {}</li>", esc(&countries.join("; ")));
        }
        out.push_str("</ul>");
    }
    if !call.public_address_learned_by.is_empty() {
        out.push_str("<h3>Who learned your public address</h3><ul>");
        for who in &call.public_address_learned_by {
            let _ = write!(out, "<li>{}</li>", esc(who));
        }
        out.push_str("</ul>");
    }
    out.push_str("<h3>Flows over time</h3>");
    out.push_str(r#"<div class="scroll">"#);
    out.push_str(&timeline(call, flows));
    out.push_str("</div>");
    out.push_str("<h3>Packets per second</h3>");
    out.push_str(&rate_chart(call, flows, rates));
    out.push_str("<h3>Media quality</h3>");
    if let Some(q) = &call.quality {
        let _ = write!(
            out,
            "<p>{} RTP {} · loss {} · max jitter {}</p>",
            q.rtp_streams,
            plural(u64::from(q.rtp_streams), "stream", "streams"),
            q.loss_percent.map_or("–".into(), |l| format!("{l:.1}%")),
            q.max_jitter_ms.map_or("–".into(), |j| format!("{j:.1} ms"))
        );
    }
    out.push_str(&quality_table(call, flows));
    if !call.evidence.is_empty() {
        out.push_str("<details><summary>Evidence</summary><ul>");
        for e in &call.evidence {
            let _ = write!(out, "<li>{}</li>", esc(e));
        }
        out.push_str("</ul></details>");
    }
    out.push_str("</section>");
}

/// Far ends of call-related flows by country, with the strongest role.
fn country_marks(flows: &[FlowRecord]) -> BTreeMap<String, CountryMark> {
    let rank = |c: &str| match c {
        "relay" => 3,
        "p2p" => 2,
        "lookup" => 1,
        _ => 0,
    };
    let mut ips: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut marks: BTreeMap<String, CountryMark> = BTreeMap::new();
    for r in flows {
        let class = role_class(r.role);
        if class == "other" {
            continue;
        }
        let Some(remote) = &r.remote else { continue };
        let Some(cc) = &remote.far_end.country else {
            continue;
        };
        let mark = marks.entry(cc.to_string()).or_default();
        if rank(class) > rank(mark.class) {
            mark.class = class;
        }
        ips.entry(cc.to_string()).or_default().insert(format!(
            "{} ({})",
            remote.far_end.ip,
            r.role.unwrap_or("?")
        ));
    }
    for (cc, mark) in marks.iter_mut() {
        let set = ips.remove(cc).unwrap_or_default();
        mark.far_ends = set.len();
        mark.title = format!("{cc}: {}", set.into_iter().collect::<Vec<_>>().join(", "));
    }
    marks
}

fn far_summary(r: &FlowRecord) -> String {
    r.far_summary()
        .unwrap_or_else(|| "far end unknown".to_string())
}

fn map_section(out: &mut String, flows: &[FlowRecord]) {
    let marks = country_marks(flows);
    out.push_str(r#"<section id="map"><h2>Where the far ends are</h2>"#);
    out.push_str(legend());
    out.push_str(&world_map::svg(&marks));
    if marks.is_empty() {
        out.push_str(r#"<p class="note">No far end of a call flow could be placed in a country (private, documentation or unknown addresses).</p>"#);
    } else {
        out.push_str(r#"<div class="scroll"><table><thead><tr><th>Country</th><th>Role</th><th>Far ends</th></tr></thead><tbody>"#);
        for (cc, m) in &marks {
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td class="role {}">{}</td><td>{}</td></tr>"#,
                esc(cc),
                m.class,
                m.class,
                esc(m.title.split_once(": ").map_or("", |(_, v)| v))
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str(r#"<p class="note">Map: Natural Earth 1:110m country boundaries (public domain), via the world-atlas package. Small countries may not be drawn; they are listed in the table.</p></section>"#);
}

fn lookup_section(out: &mut String, flows: &[FlowRecord]) {
    let mut rows: BTreeMap<String, (String, String, usize)> = BTreeMap::new();
    for r in flows.iter().filter(|r| r.role == Some("lookup")) {
        let Some(remote) = &r.remote else { continue };
        let ip = remote.far_end.ip.to_string();
        let e = rows.entry(ip).or_insert_with(|| {
            (
                r.server_name.as_deref().unwrap_or_default().to_string(),
                far_summary(r),
                0,
            )
        });
        e.2 += 1;
        if e.0.is_empty() {
            if let Some(n) = &r.server_name {
                e.0 = n.to_string();
            }
        }
    }
    out.push_str(r#"<section id="lookups"><h2>Lookup and directory servers</h2>"#);
    if rows.is_empty() {
        out.push_str(r#"<p class="note">None seen.</p></section>"#);
        return;
    }
    lookups_by_network(out, flows);
    out.push_str(r#"<div class="scroll"><table><thead><tr><th>Address</th><th>Name</th><th>Where, who, whose law</th><th>Flows</th></tr></thead><tbody>"#);
    for (ip, (name, summary, n)) in &rows {
        let _ = write!(
            out,
            r#"<tr><td class="mono">{}</td><td class="mono">{}</td><td>{}</td><td class="r">{n}</td></tr>"#,
            esc(ip),
            esc(name),
            esc(summary)
        );
    }
    out.push_str("</tbody></table></div></section>");
}

/// The lookups no call holds, per app and network: where an app went to
/// find people and log in while the device was not calling.
fn lookups_by_network(out: &mut String, flows: &[FlowRecord]) {
    let apps = lookups_outside_calls(flows);
    if apps.is_empty() {
        return;
    }
    out.push_str(r#"<h3>Outside calls, by app and network</h3><div class="scroll"><table><thead><tr><th>App</th><th>Network</th><th class="r">Flows</th><th class="r">Hosts</th><th>Countries (flows)</th></tr></thead><tbody>"#);
    for a in &apps {
        for n in &a.networks {
            let _ = write!(
                out,
                r#"<tr><td>{}</td><td>{}</td><td class="r">{}</td><td class="r">{}</td><td>{}</td></tr>"#,
                esc(&a.app),
                esc(&n.network),
                n.flows,
                n.hosts,
                esc(&countries_text(&n.countries))
            );
        }
    }
    out.push_str("</tbody></table></div><h3>Each server</h3>");
}

/// `s` with its first letter in capitals.
fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The flows that are VPN tunnels and what that hides; nothing when none.
fn tunnels_section(out: &mut String, flows: &[FlowRecord]) {
    let tunnels: Vec<&FlowRecord> = flows.iter().filter(|r| r.tunnel.is_some()).collect();
    if tunnels.is_empty() {
        return;
    }
    out.push_str(r#"<section id="tunnels"><h2>VPN tunnels</h2><p class="note">What travels inside a tunnel, calls included, cannot be seen in this capture: it leaves the tunnel at the far end, under that network's operator and laws. To see the calls, capture on the tunnel's own interface too (wg0, tun0, utun…).</p><div class="scroll"><table><thead><tr><th>Tunnel</th><th>Between</th><th class="r">Packets</th><th>Far end: where, who, whose law</th></tr></thead><tbody>"#);
    for r in tunnels {
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="mono">{} ↔ {}</td><td class="r">{}</td><td>{}</td></tr>"#,
            esc(r.tunnel.unwrap_or_default()),
            esc(&r.src.to_string()),
            esc(&r.dst.to_string()),
            r.packets,
            esc(&far_summary(r)),
        );
        if let Some(gateway) = r.server_name.as_deref().and_then(wifi_calling_gateway) {
            let _ = write!(
                out,
                r#"<tr><td></td><td colspan="3" class="note">{}</td></tr>"#,
                esc(&capitalised(&gateway))
            );
        }
        if let Some(stream) = &r.tunnel_stream {
            let _ = write!(
                out,
                r#"<tr><td></td><td colspan="3" class="note">Carried {}</td></tr>"#,
                esc(stream)
            );
        }
    }
    out.push_str("</tbody></table></div></section>");
}

fn learned_section(out: &mut String, calls: &[CallRecord], flows: &[FlowRecord]) {
    let during: BTreeSet<&String> = calls
        .iter()
        .flat_map(|c| c.public_address_learned_by.iter())
        .collect();
    let outside = learned_outside_calls(flows);
    out.push_str(r#"<section id="learned"><h2>Who learned your public address</h2>"#);
    if !calls.is_empty() {
        if !outside.is_empty() {
            out.push_str("<h3>During calls</h3>");
        }
        if during.is_empty() {
            out.push_str(r#"<p class="note">No STUN server or peer was seen learning it during the calls.</p>"#);
        } else {
            out.push_str("<ul>");
            for w in during {
                let _ = write!(out, "<li>{}</li>", esc(w));
            }
            out.push_str("</ul>");
        }
    }
    if outside.is_empty() {
        let note = if calls.is_empty() {
            "No call was found, and no STUN answer told the device its public address."
        } else {
            "Outside the calls, no STUN answer told the device its public address."
        };
        let _ = write!(out, r#"<p class="note">{note}</p>"#);
    } else {
        // Discovery with no call, keep-alives before or after one: no call
        // lists these far ends, yet they learned the address all the same.
        out.push_str(r#"<h3>Outside calls</h3><p class="note">These answered the device's STUN requests when it was not in a call, and so learned its public address.</p><ul class="parties">"#);
        for l in &outside {
            let _ = write!(
                out,
                r#"<li><span class="role lookup">Outside calls</span> <code>{}</code>"#,
                esc(&l.by.to_string())
            );
            if !l.summary.is_empty() {
                let _ = write!(out, ": {}", esc(&l.summary));
            }
            let _ = write!(
                out,
                r#"<br>told the device it is <code>{}</code> <span class="note">({})</span></li>"#,
                esc(&l.told_text()),
                esc(&l.apps_and_flows())
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>");
}

fn flows_section(out: &mut String, flows: &[FlowRecord]) {
    let _ = write!(
        out,
        r#"<section id="flows"><h2>All flows ({})</h2><div class="scroll"><table><thead><tr><th>L4</th><th>Source</th><th>Destination</th><th>App</th><th>Role</th><th>Call</th><th class="r">Packets</th><th class="hide-narrow">First frame</th><th>Far end</th></tr></thead><tbody>"#,
        flows.len()
    );
    let mut sorted: Vec<&FlowRecord> = flows.iter().collect();
    sorted.sort_by(|a, b| a.first_seen.total_cmp(&b.first_seen));
    for r in sorted {
        let class = role_class(r.role);
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="mono">{}</td><td class="mono">{}</td><td>{}</td><td class="role {class}">{}</td><td>{}</td><td class="r">{}</td><td class="hide-narrow r">{}</td><td>{}</td></tr>"#,
            esc(r.l4.name()),
            esc(&r.src.to_string()),
            esc(&r.dst.to_string()),
            esc(r.app.as_deref().unwrap_or("–")),
            esc(r.role.unwrap_or("–")),
            r.call.map_or("–".into(), |c| c.to_string()),
            r.packets,
            r.first_frame,
            esc(&far_summary(r)),
        );
    }
    out.push_str("</tbody></table></div></section>");
}

fn about_section(out: &mut String, inputs: &ReportInputs<'_>) {
    out.push_str(r#"<section id="about"><h2>About this report</h2><h3>Captures</h3><div class="scroll"><table><thead><tr><th>File</th><th>Packets</th><th>SHA-256</th></tr></thead><tbody>"#);
    for i in inputs.inputs {
        let _ = write!(
            out,
            r#"<tr><td class="mono">{}</td><td class="r">{}</td><td class="mono">{}{}</td></tr>"#,
            esc(&i.name),
            i.packets,
            esc(i.sha256.as_deref().unwrap_or("–")),
            i.damaged
                .as_ref()
                .map(|d| format!(" (damaged: {})", esc(d)))
                .unwrap_or_default()
        );
    }
    out.push_str("</tbody></table></div>");
    if let Some(s) = &inputs.collected.summary {
        packets_note(out, s);
    }
    out.push_str("<h3>Tools and data</h3><ul>");
    let _ = write!(
        out,
        r#"<li>callpath {}</li><li>Signatures <span class="mono">{}</span></li>"#,
        esc(env!("CARGO_PKG_VERSION")),
        esc(inputs.signatures_version)
    );
    for db in inputs.geolocation {
        let _ = write!(
            out,
            "<li>Geolocation: {}: {}</li>",
            esc(&db.label()),
            esc(db.country_basis())
        );
    }
    if inputs.geolocation.len() > 1 {
        out.push_str("<li>Where the geolocation databases place a far end in different countries, each is shown; a claim about location across that border stays untested.</li>");
    }
    out.push_str("<li>Map: Natural Earth 1:110m Admin 0 countries, public domain (naturalearthdata.com), TopoJSON from the world-atlas package (ISC licence).</li></ul>");
    out.push_str(r#"<p class="note">Reproduce: run <code>callpath analyze --format json</code> on the same captures (check their SHA-256 first), or <code>callpath analyze --evidence DIR</code> for the frames behind every verdict.</p></section>"#);
}

/// How many packets were analysed, and why the others were not (copies
/// of a packet, frames without IP, a link type not read, …).
fn packets_note(out: &mut String, s: &crate::report::Summary) {
    let skipped: u64 = s.packets_skipped.values().sum();
    let _ = write!(
        out,
        r#"<p class="note">{} packets read, {} analysed, {} skipped"#,
        s.packets_read, s.packets_decoded, skipped
    );
    if skipped > 0 {
        out.push_str(":</p><ul>");
        for (reason, n) in &s.packets_skipped {
            let why = crate::decode::SkipReason::named(reason).map_or(*reason, |r| r.describe());
            let _ = write!(out, "<li>{n}: {}</li>", esc(why));
        }
        out.push_str("</ul>");
    } else {
        out.push_str(".</p>");
    }
}

/// Renders the report.
pub fn render(inputs: &ReportInputs<'_>) -> String {
    let c = inputs.collected;
    let mut out = String::with_capacity(200_000);
    let names: Vec<&str> = inputs.inputs.iter().map(|i| i.name.as_str()).collect();
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"><title>callpath report: {}</title><style>{CSS}</style></head><body><main>"#,
        esc(&names.join(", "))
    );
    let period = match c
        .summary
        .as_ref()
        .and_then(|s| s.first_packet.zip(s.last_packet))
    {
        Some((a, b)) => format!("{} to {}", fmt_time(a), fmt_time(b)),
        None => "no packets".into(),
    };
    let _ = write!(
        out,
        r#"<header><h1>Where the calls went</h1><p class="sub">{} · {} · {} {} · {} {}</p></header>"#,
        esc(&names.join(", ")),
        esc(&period),
        c.flows.len(),
        plural(c.flows.len() as u64, "flow", "flows"),
        c.calls.len(),
        plural(c.calls.len() as u64, "call", "calls")
    );
    out.push_str(r#"<section id="summary"><h2>Verdicts</h2>"#);
    if c.calls.is_empty() {
        if c.flows.iter().any(|r| r.tunnel.is_some()) {
            out.push_str(r##"<p class="note">No call was found outside VPN tunnels; calls inside a tunnel cannot be seen (see <a href="#tunnels">VPN tunnels</a>).</p>"##);
        } else {
            out.push_str(r#"<p class="note">No call was found in this capture.</p>"#);
        }
    }
    for call in &c.calls {
        let _ = write!(
            out,
            r##"<p class="verdict {}"><b>Call {}</b> ({}): {}</p>"##,
            esc(call.path),
            call.call,
            esc(call.app.as_deref().unwrap_or("unknown app")),
            esc(&call.verdict)
        );
    }
    out.push_str("</section>");
    for call in &c.calls {
        call_section(&mut out, call, &c.flows, inputs.rates);
    }
    map_section(&mut out, &c.flows);
    lookup_section(&mut out, &c.flows);
    tunnels_section(&mut out, &c.flows);
    learned_section(&mut out, &c.calls, &c.flows);
    flows_section(&mut out, &c.flows);
    about_section(&mut out, inputs);
    out.push_str("</main></body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_records_is_escaped() {
        use crate::report::{CallParty, CallRecord};
        let hostile = "<script>alert('x')</script>";
        let party = CallParty {
            endpoint: "<img src=x onerror=alert(1)>:1".into(),
            remote: None,
            summary: hostile.into(),
            service_operator: None,
        };
        let call = CallRecord {
            record_type: "call",
            call: 1,
            app: Some("<b>app</b>".into()),
            device_apps: vec![hostile.into()],
            start: 0.0,
            end: 1.0,
            duration: 1.0,
            local: vec!["\"><svg onload=x>".into()],
            path: "relayed",
            verdict: hostile.into(),
            voices_at_once: Some(2),
            peers: vec![],
            relays: vec![party.clone()],
            lookup_servers: vec![party.clone()],
            candidates_checked: vec![party.clone()],
            announced_media: vec![party],
            other_legs: Vec::new(),
            public_address_learned_by: vec![hostile.into()],
            laws: Default::default(),
            quality: None,
            flows: 1,
            media_flows: 1,
            evidence: vec![hostile.into()],
        };
        // A flow outside the call whose far end learned the address.
        let (device, server): (crate::flow::Endpoint, crate::flow::Endpoint) = (
            "192.168.1.10:10006"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
            "52.114.77.20:3478"
                .parse::<std::net::SocketAddr>()
                .unwrap()
                .into(),
        );
        let (key, _) = crate::flow::FlowKey::new(crate::decode::L4Proto::Udp, device, server);
        let flow = crate::flow::Flow::new(
            key,
            crate::decode::L4Proto::Udp,
            device,
            crate::capture::Timestamp(0),
        );
        let mut outside = FlowRecord::from_flow(&flow);
        outside.app = Some("<b>app</b>".into());
        outside.public_address_learned =
            Some(Box::new(crate::report::flow_record::LearnedAddress {
                by: server,
                address: "198.51.100.11:10006"
                    .parse::<std::net::SocketAddr>()
                    .unwrap()
                    .into(),
            }));
        let collected = Collected {
            flows: vec![outside],
            calls: vec![call],
            summary: None,
        };
        let html = render(&ReportInputs {
            collected: &collected,
            inputs: &[InputInfo {
                name: "<x>.pcap".into(),
                sha256: None,
                packets: 0,
                damaged: Some("<bad>".into()),
            }],
            geolocation: &[],
            signatures_version: "<v>",
            rates: &PacketRates::new(),
        });
        for raw in [
            "<script",
            "<img",
            "<b>app",
            "<svg onload",
            "<x>",
            "<bad>",
            "<v>",
        ] {
            assert!(!html.contains(raw), "unescaped {raw}");
        }
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;:1"));
        assert!(html.contains("<h3>Outside calls</h3>"));
        assert!(html.contains("(&lt;b&gt;app&lt;/b&gt;, 1 flow)"));
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(fmt_time(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(fmt_time(1_700_000_000.5), "2023-11-14 22:13:20 UTC");
        assert_eq!(fmt_time(951_782_400.0), "2000-02-29 00:00:00 UTC");
    }
}
