//! One call in the report: a path diagram (your device → relays, peers and
//! lookup servers, with where they are, who runs them and whose law
//! reaches them), a timeline of its flows coloured by role, packets per
//! second over time, and RTP quality where media was visible.

use std::fmt::Write;

use super::escape::{clip, esc};
use super::packet_rates::PacketRates;
use crate::report::{device_sockets, CallParty, CallRecord, FlowRecord};

/// Most lookup servers drawn in a path diagram; the rest are counted.
const MAX_LOOKUPS_DRAWN: usize = 6;

pub fn role_class(role: Option<&str>) -> &'static str {
    match role {
        Some("p2p") => "p2p",
        Some("relay") => "relay",
        Some("lookup") => "lookup",
        _ => "other",
    }
}

fn role_label(class: &str) -> &'static str {
    match class {
        "p2p" => "peer (direct)",
        "relay" => "relay server",
        "lookup" => "lookup / signalling",
        _ => "other",
    }
}

/// The device box's two lines: its address and how many sockets it used
/// (a call uses many), or its first addresses when it has several.
fn device_lines(local: &[String]) -> Vec<String> {
    let mut ips: Vec<&str> = Vec::new();
    for socket in local {
        let ip = device_sockets::address_of(socket);
        if !ips.contains(&ip) {
            ips.push(ip);
        }
    }
    match ips.as_slice() {
        [] => Vec::new(),
        [one] => {
            let n = local.len();
            vec![
                (*one).to_string(),
                format!("{n} {}", if n == 1 { "socket" } else { "sockets" }),
            ]
        }
        [first, second] => vec![(*first).to_string(), (*second).to_string()],
        [first, rest @ ..] => vec![
            (*first).to_string(),
            format!("and {} more addresses", rest.len()),
        ],
    }
}

/// Country, operator and regimes of a party, each as one short line.
fn party_lines(p: &CallParty) -> (String, String, String) {
    let Some(r) = &p.remote else {
        return ("location unknown".into(), String::new(), String::new());
    };
    let f = &r.far_end;
    if f.country.is_none() && f.asn.is_none() {
        return (r.summary().to_string(), String::new(), String::new());
    }
    let place = match &f.country {
        Some(c) => format!("in {c}"),
        None => "country unknown".into(),
    };
    let operator = match (&p.service_operator, &f.operator, &f.org, f.asn) {
        // The company that runs the app's server there answers for it,
        // in whoever's network it sits.
        (Some(s), host, _, asn) => {
            let inside = match (host, asn) {
                (Some(host), _) => format!(" on {host}"),
                (None, Some(asn)) => format!(" in AS{asn}"),
                (None, None) => String::new(),
            };
            format!(
                "run by {} (home {}){inside}",
                s.operator, s.operator_country
            )
        }
        (None, Some(op), _, _) => format!(
            "run by {op}{}",
            f.operator_country
                .as_ref()
                .map(|c| format!(" (home {c})"))
                .unwrap_or_default()
        ),
        (None, None, Some(org), Some(asn)) => format!("AS{asn} {org}"),
        (None, None, None, Some(asn)) => format!("AS{asn}"),
        _ => "operator unknown".into(),
    };
    let service_laws = p
        .service_operator
        .iter()
        .flat_map(|s| s.operator_jurisdiction_short.iter());
    let mut laws: Vec<&str> = f.jurisdiction_short.iter().map(|l| &**l).collect();
    for l in f.operator_jurisdiction_short.iter().chain(service_laws) {
        if !laws.contains(&&**l) {
            laws.push(l);
        }
    }
    let laws = if laws.is_empty() {
        String::new()
    } else {
        format!("law: {}", laws.join(", "))
    };
    (place, operator, laws)
}

/// The path diagram as inline SVG.
pub fn path_diagram(call: &CallRecord) -> String {
    let mut parties: Vec<(&'static str, &CallParty)> = Vec::new();
    parties.extend(call.relays.iter().map(|p| ("relay", p)));
    parties.extend(call.peers.iter().map(|p| ("p2p", p)));
    parties.extend(
        call.lookup_servers
            .iter()
            .take(MAX_LOOKUPS_DRAWN)
            .map(|p| ("lookup", p)),
    );
    let hidden = call.lookup_servers.len().saturating_sub(MAX_LOOKUPS_DRAWN);
    let row = 74;
    let rows = parties.len().max(1) + usize::from(hidden > 0);
    let height = 20 + rows * row;
    let device_y = (height / 2).saturating_sub(30);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="path" viewBox="0 0 640 {height}" role="img" aria-label="Path of call {}">"#,
        call.call
    );
    let _ = write!(
        s,
        r#"<g class="node device"><rect x="4" y="{device_y}" width="170" height="60" rx="8"/><text x="14" y="{}" class="b">Your device</text>"#,
        device_y + 22
    );
    for (i, line) in device_lines(&call.local).iter().enumerate() {
        let _ = write!(
            s,
            r#"<text x="14" y="{}">{}</text>"#,
            device_y + 40 + 14 * i,
            esc(&clip(line, 24))
        );
    }
    s.push_str("</g>");
    for (i, (class, p)) in parties.iter().enumerate() {
        let y = 10 + i * row;
        let (place, operator, laws) = party_lines(p);
        let dash = if *class == "lookup" {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<path class="link {class}" d="M174 {} C 230 {} 250 {} 300 {}"{dash}/>"#,
            device_y + 30,
            device_y + 30,
            y + 30,
            y + 30
        );
        let _ = write!(
            s,
            r#"<g class="node {class}"><title>{}</title><rect x="300" y="{y}" width="336" height="64" rx="8"/><text x="310" y="{}" class="b">{}</text><text x="310" y="{}">{}</text><text x="310" y="{}">{}</text><text x="310" y="{}">{}</text></g>"#,
            esc(&format!(
                "{} {}: {}",
                role_label(class),
                p.endpoint,
                p.summary
            )),
            y + 16,
            esc(&clip(
                &format!("{} · {}", p.endpoint, role_label(class)),
                44
            )),
            y + 30,
            esc(&clip(&place, 50)),
            y + 44,
            esc(&clip(&operator, 50)),
            y + 58,
            esc(&clip(&laws, 50)),
        );
    }
    if hidden > 0 {
        let y = 10 + parties.len() * row;
        let _ = write!(
            s,
            r#"<text x="310" y="{}">+ {hidden} more lookup servers (listed below)</text>"#,
            y + 30
        );
    }
    s.push_str("</svg>");
    s
}

fn call_flows<'a>(call: &CallRecord, flows: &'a [FlowRecord]) -> Vec<(usize, &'a FlowRecord)> {
    let mut v: Vec<(usize, &FlowRecord)> = flows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.call == Some(call.call))
        .collect();
    v.sort_by(|a, b| a.1.first_seen.total_cmp(&b.1.first_seen));
    v
}

/// Flows of the call as bars on the call's time axis.
pub fn timeline(call: &CallRecord, flows: &[FlowRecord]) -> String {
    let rows = call_flows(call, flows);
    let span = (call.end - call.start).max(0.001);
    let (x0, x1) = (230.0, 630.0);
    let height = 24 + rows.len() * 18;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="timeline" viewBox="0 0 640 {height}" role="img" aria-label="Timeline of the flows of call {}">"#,
        call.call
    );
    let _ = write!(
        s,
        r#"<text x="{x0}" y="12" class="axis">0 s</text><text x="{x1}" y="12" class="axis" text-anchor="end">{:.1} s</text>"#,
        span
    );
    for (i, (_, r)) in rows.iter().enumerate() {
        let y = 18 + i * 18;
        let a = x0 + (r.first_seen - call.start).max(0.0) / span * (x1 - x0);
        let b = x0 + (r.last_seen - call.start).max(0.0) / span * (x1 - x0);
        let class = role_class(r.role);
        let far = if call.local.contains(&r.src.to_string()) {
            &r.dst
        } else {
            &r.src
        };
        let _ = write!(
            s,
            r#"<g class="bar {class}"><title>{}</title><text x="4" y="{}">{}</text><rect x="{a:.1}" y="{y}" width="{:.1}" height="12" rx="2"/></g>"#,
            esc(&format!(
                "{} {} → {} · {} · {} packets · {:.1}–{:.1} s",
                r.l4,
                r.src,
                r.dst,
                r.role.unwrap_or("?"),
                r.packets,
                r.first_seen - call.start,
                r.last_seen - call.start
            )),
            y + 10,
            esc(&clip(&format!("{} {}", r.role.unwrap_or("?"), far), 32)),
            (b - a).max(2.0)
        );
    }
    s.push_str("</svg>");
    s
}

/// One bucket of a rate chart: from, to (seconds into the call), packets/s.
type Step = (f64, f64, f64);

/// Packets per second of the call's flows over the call's time axis.
pub fn rate_chart(call: &CallRecord, flows: &[FlowRecord], rates: &PacketRates) -> String {
    let rows = call_flows(call, flows);
    // Steps, not a line through bucket centres: each bucket's rate holds
    // over its whole width (and no longer than the flow lasted).
    let series: Vec<(&FlowRecord, Vec<Step>)> = rows
        .iter()
        .filter_map(|(i, r)| {
            let s = rates.get(i)?;
            let w = f64::from(s.bucket_secs);
            let offset = s.start - call.start;
            let end = offset + r.duration;
            let pts: Vec<Step> = s
                .per_second()
                .enumerate()
                .map(|(k, v)| {
                    let a = offset + k as f64 * w;
                    (a, (a + w).min(end.max(a)), v)
                })
                .collect();
            Some((*r, pts))
        })
        .collect();
    if series.is_empty() {
        return String::from(r#"<p class="note">No packet counts for this call.</p>"#);
    }
    let span = (call.end - call.start).max(1.0);
    let peak = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, _, v)| *v))
        .fold(1.0f64, f64::max);
    let (x0, x1, y0, y1) = (40.0, 630.0, 150.0, 12.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="rates" viewBox="0 0 640 170" role="img" aria-label="Packets per second of call {}">"#,
        call.call
    );
    let _ = write!(
        s,
        r#"<line class="grid" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}"/><line class="grid" x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}"/><text class="axis" x="{}" y="{}" text-anchor="end">{peak:.0}/s</text><text class="axis" x="{}" y="{y0}" text-anchor="end">0</text><text class="axis" x="{x0}" y="166">0 s</text><text class="axis" x="{x1}" y="166" text-anchor="end">{span:.1} s</text>"#,
        x0 - 4.0,
        y1 + 4.0,
        x0 - 4.0
    );
    for (r, pts) in &series {
        let mut d = String::new();
        let x = |t: f64| x0 + (t / span).clamp(0.0, 1.0) * (x1 - x0);
        for (k, (a, b, v)) in pts.iter().enumerate() {
            let y = y0 - v / peak * (y0 - y1);
            let (xa, xb) = (x(*a), x(*b));
            let _ = write!(
                d,
                "{}{xa:.1} {y:.1} H{xb:.1}",
                if k == 0 { "M" } else { " L" }
            );
        }
        let _ = write!(
            s,
            r#"<path class="series {}" d="{d}"><title>{}</title></path>"#,
            role_class(r.role),
            esc(&format!(
                "{} {} → {} ({})",
                r.l4,
                r.src,
                r.dst,
                r.role.unwrap_or("?")
            ))
        );
    }
    s.push_str("</svg>");
    s
}

/// RTP streams of the call's media flows, as a table.
pub fn quality_table(call: &CallRecord, flows: &[FlowRecord]) -> String {
    let mut rows = String::new();
    for (_, r) in call_flows(call, flows) {
        let Some(m) = &r.media else { continue };
        for st in &m.streams {
            let (from, to) = if st.direction == crate::report::media_summary::SRC_TO_DST {
                (&r.src, &r.dst)
            } else {
                (&r.dst, &r.src)
            };
            let loss = if st.expected > 0 {
                format!("{:.1}%", st.lost.max(0) as f64 * 100.0 / st.expected as f64)
            } else {
                "–".into()
            };
            let _ = write!(
                rows,
                "<tr><td>{} → {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&from.to_string()),
                esc(&to.to_string()),
                esc(&format!("{:#010x}", st.ssrc)),
                st.payload_type,
                st.packets,
                loss,
                st.jitter_ms.map_or("–".into(), |j| format!("{j:.1} ms")),
                st.max_jitter_ms.map_or("–".into(), |j| format!("{j:.1} ms")),
            );
        }
    }
    if rows.is_empty() {
        return String::from(
            r#"<p class="note">No RTP visible on this call (encrypted or framed media hides sequence numbers), so no loss or jitter figures.</p>"#,
        );
    }
    format!(
        r#"<div class="scroll"><table><thead><tr><th>Direction</th><th>SSRC</th><th>PT</th><th>Packets</th><th>Loss</th><th>Jitter</th><th>Max jitter</th></tr></thead><tbody>{rows}</tbody></table></div>"#
    )
}

#[cfg(test)]
mod tests {
    use super::device_lines;

    fn sockets(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn one_address_shows_how_many_sockets() {
        let lines = device_lines(&sockets(&["192.168.1.10:5060", "192.168.1.10:10014"]));
        assert_eq!(lines, ["192.168.1.10", "2 sockets"]);
        let lines = device_lines(&sockets(&["[2001:db8::1]:443"]));
        assert_eq!(lines, ["2001:db8::1", "1 socket"]);
    }

    #[test]
    fn several_addresses_show_the_first_and_a_count() {
        let lines = device_lines(&sockets(&["10.0.0.1:1", "[2001:db8::1]:2"]));
        assert_eq!(lines, ["10.0.0.1", "2001:db8::1"]);
        let lines = device_lines(&sockets(&["10.0.0.1:1", "10.0.0.2:2", "10.0.0.3:3"]));
        assert_eq!(lines, ["10.0.0.1", "and 2 more addresses"]);
    }
}
