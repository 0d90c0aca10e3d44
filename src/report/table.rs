//! The table view for people: calls first (the question a reader asks),
//! then every flow in aligned columns, then the summary.

use std::io::{self, Write};

use super::call_laws::LawReach;
use super::learned_outside_calls::{learned_outside_calls, OutsideLearner};
use super::lookups_outside_calls::{
    countries_text, lookups_outside_calls, AppLookups, NAMED_NETWORKS,
};
use super::{device_sockets, CallRecord, FlowRecord, RecordSink, Summary};
use crate::classify::tunnel::wifi_calling_gateway;

pub struct TableSink {
    out: Box<dyn Write + Send>,
    flows: Vec<FlowRecord>,
    calls: Vec<CallRecord>,
}

impl TableSink {
    pub fn new(out: Box<dyn Write + Send>) -> TableSink {
        TableSink {
            out,
            flows: Vec::new(),
            calls: Vec::new(),
        }
    }
}

fn remote_line(r: &FlowRecord) -> String {
    r.far_summary().unwrap_or_default()
}

fn human_bytes(n: u64) -> String {
    match n {
        0..=9_999 => format!("{n} B"),
        10_000..=9_999_999 => format!("{:.1} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

fn human_duration(secs: f64) -> String {
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        format!("{}m{:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
    } else {
        format!(
            "{}h{:02}m",
            (secs / 3600.0) as u64,
            ((secs % 3600.0) / 60.0) as u64
        )
    }
}

/// Pads every column to its widest cell.
fn write_columns(out: &mut dyn Write, rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = Vec::new();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            let w = cell.chars().count();
            match widths.get_mut(i) {
                Some(cur) => *cur = (*cur).max(w),
                None => widths.push(w),
            }
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// The word for `n` things: "flow" for one, "flows" for any other count.
pub fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn write_call(out: &mut dyn Write, c: &CallRecord) -> io::Result<()> {
    writeln!(
        out,
        "Call {} · {} · {} · {} {} ({} media)",
        c.call,
        c.app.as_deref().unwrap_or("unknown app"),
        human_duration(c.duration),
        c.flows,
        plural(u64::from(c.flows), "flow", "flows"),
        c.media_flows
    )?;
    writeln!(out, "  Verdict: {}", c.verdict)?;
    if !c.local.is_empty() {
        writeln!(
            out,
            "  Your device: {}",
            device_sockets::by_address(&c.local)
        )?;
        if !c.device_apps.is_empty() {
            writeln!(
                out,
                "  App on the device (its own capture says): {}",
                c.device_apps.join(", ")
            )?;
        }
    }
    // Labels padded to one width, so the addresses line up.
    for (label, parties) in [
        ("Peer (direct):", &c.peers),
        ("Relay:", &c.relays),
        ("Lookup/signalling:", &c.lookup_servers),
        ("Checked, no media:", &c.candidates_checked),
        ("Media set up at:", &c.announced_media),
        ("Other leg:", &c.other_legs),
    ] {
        for p in parties {
            writeln!(out, "  {label:<19}{}  {}", p.endpoint, p.summary)?;
        }
    }
    if !c.candidates_checked.is_empty() {
        writeln!(
            out,
            "  (\"checked, no media\": connectivity checks only, with the other party's candidate addresses or your own public one)"
        )?;
    }
    write_laws(out, c)?;
    // One on the line itself, several one per line: a busy call's list
    // (a STUN server per socket, peers, candidates) reads as a list.
    match c.public_address_learned_by.as_slice() {
        [] => {}
        [one] => writeln!(out, "  Who learned your public address: {one}")?,
        several => {
            writeln!(out, "  Who learned your public address:")?;
            for who in several {
                writeln!(out, "    {who}")?;
            }
        }
    }
    if let Some(q) = &c.quality {
        let loss = q
            .loss_percent
            .map_or_else(|| "n/a".to_string(), |l| format!("{l:.1}%"));
        let jitter = q
            .max_jitter_ms
            .map_or_else(|| "n/a".to_string(), |j| format!("{j:.1} ms"));
        writeln!(
            out,
            "  Media quality: {} RTP {}, loss {loss}, max jitter {jitter}",
            q.rtp_streams,
            plural(u64::from(q.rtp_streams), "stream", "streams")
        )?;
    }
    writeln!(out)
}

/// Whose law reaches the call's servers, per country: media relays, then
/// lookups and signalling.
fn write_laws(out: &mut dyn Write, c: &CallRecord) -> io::Result<()> {
    let line = |reach: &[LawReach]| {
        reach
            .iter()
            .map(LawReach::summary)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let media = if !c.laws.media_servers.is_empty() {
        Some(line(&c.laws.media_servers))
    } else if c.relays.is_empty() && !c.peers.is_empty() {
        Some("none: no server carried it".to_string())
    } else {
        None
    };
    let lookups = (!c.laws.lookup_servers.is_empty()).then(|| line(&c.laws.lookup_servers));
    if media.is_none() && lookups.is_none() {
        return Ok(());
    }
    writeln!(out, "  Whose law reaches its servers:")?;
    if let Some(media) = media {
        writeln!(out, "    media:   {media}")?;
    }
    if let Some(lookups) = lookups {
        writeln!(out, "    lookups: {lookups}")?;
    }
    Ok(())
}

/// The far ends that learned the device's public address outside calls;
/// nothing when there are none.
fn write_learned_outside_calls(out: &mut dyn Write, learners: &[OutsideLearner]) -> io::Result<()> {
    if learners.is_empty() {
        return Ok(());
    }
    writeln!(out, "OUTSIDE CALLS: who learned your public address\n")?;
    for l in learners {
        if l.summary.is_empty() {
            writeln!(out, "  {}", l.by)?;
        } else {
            writeln!(out, "  {}  {}", l.by, l.summary)?;
        }
        writeln!(
            out,
            "    told the device it is {} ({})",
            l.told_text(),
            l.apps_and_flows()
        )?;
    }
    writeln!(out)
}

/// The lookups in no call, per app and network; nothing when there are
/// none.
fn write_lookups_outside_calls(out: &mut dyn Write, apps: &[AppLookups]) -> io::Result<()> {
    if apps.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "OUTSIDE CALLS: lookups (directory, signalling, login, address discovery)\n"
    )?;
    for a in apps {
        let (flows, hosts) = (u64::from(a.flows), u64::from(a.hosts));
        writeln!(
            out,
            "  {}: {flows} {} with {hosts} {}",
            a.app,
            plural(flows, "flow", "flows"),
            plural(hosts, "host", "hosts")
        )?;
        for n in a.networks.iter().take(NAMED_NETWORKS) {
            let (flows, hosts) = (u64::from(n.flows), u64::from(n.hosts));
            let mut line = format!(
                "    {:>5} {} {:>5} {}  {}",
                flows,
                plural(flows, "flow ", "flows"),
                hosts,
                plural(hosts, "host ", "hosts"),
                n.network
            );
            if !n.countries.is_empty() {
                line.push_str(" · in ");
                line.push_str(&countries_text(&n.countries));
            }
            writeln!(out, "{line}")?;
        }
        let rest = a.networks.get(NAMED_NETWORKS..).unwrap_or_default();
        if !rest.is_empty() {
            let flows: u64 = rest.iter().map(|n| u64::from(n.flows)).sum();
            writeln!(
                out,
                "    {:>5} {} in {} other {}",
                flows,
                plural(flows, "flow ", "flows"),
                rest.len(),
                plural(rest.len() as u64, "network", "networks")
            )?;
        }
    }
    writeln!(out)
}

/// The flows that are VPN tunnels, and what that hides; nothing when
/// there are none.
fn write_tunnels(out: &mut dyn Write, flows: &[FlowRecord]) -> io::Result<()> {
    let tunnels: Vec<&FlowRecord> = flows.iter().filter(|f| f.tunnel.is_some()).collect();
    if tunnels.is_empty() {
        return Ok(());
    }
    let n = tunnels.len() as u64;
    writeln!(out, "VPN TUNNELS ({n} {})", plural(n, "flow", "flows"))?;
    writeln!(
        out,
        "  What travels inside a tunnel, calls included, cannot be seen in this capture: it\n  leaves the tunnel at the far end, under that network's operator and laws. To see\n  the calls, capture on the tunnel's own interface too (wg0, tun0, utun…).\n"
    )?;
    let rows: Vec<Vec<String>> = tunnels
        .iter()
        .map(|f| {
            vec![
                format!("  {}", f.tunnel.unwrap_or_default()),
                format!("{} ↔ {}", f.src, f.dst),
                format!("{} pkts", f.packets),
                human_duration(f.duration),
                remote_line(f),
            ]
        })
        .collect();
    write_columns(out, &rows)?;
    for f in tunnels {
        if let Some(gateway) = f.server_name.as_deref().and_then(wifi_calling_gateway) {
            writeln!(out, "  {} ↔ {}: {gateway}", f.src, f.dst)?;
        }
        if let Some(stream) = &f.tunnel_stream {
            writeln!(out, "  {} ↔ {} carried {stream}", f.src, f.dst)?;
        }
    }
    writeln!(out)
}

impl RecordSink for TableSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()> {
        self.flows.push(record.clone());
        Ok(())
    }

    fn call(&mut self, record: &CallRecord) -> io::Result<()> {
        self.calls.push(record.clone());
        Ok(())
    }

    fn finish(&mut self, s: &Summary) -> io::Result<()> {
        let mut out = io::BufWriter::new(&mut self.out);
        if self.calls.is_empty() {
            let tunnels = self.flows.iter().filter(|f| f.tunnel.is_some()).count() as u64;
            if tunnels == 0 {
                writeln!(out, "CALLS: none found\n")?;
            } else {
                writeln!(
                    out,
                    "CALLS: none found outside VPN tunnels ({tunnels} {}, listed below: calls inside cannot be seen)\n",
                    plural(tunnels, "flow is a tunnel", "flows are tunnels")
                )?;
            }
        } else {
            let attempts = self
                .calls
                .iter()
                .filter(|c| c.path == "not_answered")
                .count();
            if attempts == 0 {
                writeln!(out, "CALLS ({})\n", self.calls.len())?;
            } else if attempts == self.calls.len() {
                writeln!(out, "CALLS ({attempts}; all attempts no one answered)\n")?;
            } else {
                writeln!(
                    out,
                    "CALLS ({}; {attempts} of them attempts no one answered)\n",
                    self.calls.len()
                )?;
            }
            for c in &self.calls {
                write_call(&mut out, c)?;
            }
        }
        write_learned_outside_calls(&mut out, &learned_outside_calls(&self.flows))?;
        write_lookups_outside_calls(&mut out, &lookups_outside_calls(&self.flows))?;
        write_tunnels(&mut out, &self.flows)?;
        writeln!(out, "FLOWS ({})", self.flows.len())?;
        let mut rows = vec![[
            "L4",
            "SOURCE",
            "DESTINATION",
            "PKTS",
            "BYTES",
            "DURATION",
            "APP",
            "ROLE",
            "CALL",
            "FAR END",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()];
        for f in &self.flows {
            rows.push(vec![
                f.l4.to_string(),
                f.src.to_string(),
                f.dst.to_string(),
                f.packets.to_string(),
                human_bytes(f.bytes),
                human_duration(f.duration),
                f.app.as_deref().unwrap_or("-").to_string(),
                f.role.unwrap_or("-").to_string(),
                f.call.map_or_else(|| "-".into(), |c| c.to_string()),
                remote_line(f),
            ]);
        }
        write_columns(&mut out, &rows)?;
        writeln!(out)?;
        let skipped: u64 = s.packets_skipped.values().sum();
        writeln!(
            out,
            "SUMMARY: {} packets read, {} decoded, {} skipped; {} {}, {} {}",
            s.packets_read,
            s.packets_decoded,
            skipped,
            s.flows,
            plural(s.flows, "flow", "flows"),
            s.calls,
            plural(s.calls, "call", "calls")
        )?;
        for (reason, n) in &s.packets_skipped {
            writeln!(
                out,
                "  skipped {n} {}: {}",
                plural(*n, "packet", "packets"),
                crate::decode::SkipReason::named(reason).map_or(*reason, |r| r.describe())
            )?;
        }
        for input in &s.inputs {
            if let Some(d) = &input.damaged {
                writeln!(out, "  {}: damaged: {d}", input.file)?;
            }
        }
        if let Some(c) = &s.capture {
            writeln!(
                out,
                "  capture on {}: {} packets received, {} dropped by the kernel, {} dropped by the interface; {:.0}s",
                c.interface, c.received, c.dropped, c.if_dropped, c.duration
            )?;
        }
        if s.flow_table.flows_evicted > 0 {
            writeln!(
                out,
                "  {} flows were written early because the flow table was full (--max-flows)",
                s.flow_table.flows_evicted
            )?;
        }
        for g in &s.geolocation {
            writeln!(out, "  geolocation: {}: {}", g.database, g.countries)?;
        }
        out.flush()
    }
}
