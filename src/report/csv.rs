//! CSV of flows (RFC 4180 quoting), one line per flow as it ends; calls and
//! the summary are not tabular and go to the other formats.

use std::io::{self, Write};

use super::{CallRecord, FlowRecord, RecordSink, Summary};

const HEADER: &str = "l4,src,dst,first_seen,last_seen,duration,packets,bytes,packets_src_to_dst,packets_dst_to_src,bytes_src_to_dst,bytes_dst_to_src,community_id,app,role,confidence,call,remote_country,remote_other_countries,remote_asn,remote_org,operator_country,service_operator,server_name,device_app,tunnel,public_address_learned,evidence";

pub struct CsvSink {
    out: io::BufWriter<Box<dyn Write + Send>>,
    header_written: bool,
}

impl CsvSink {
    pub fn new(out: Box<dyn Write + Send>) -> CsvSink {
        CsvSink {
            out: io::BufWriter::new(out),
            header_written: false,
        }
    }
}

/// Quotes a field when it holds a comma, quote or line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn remote_field(r: &FlowRecord, pick: impl Fn(&crate::geo::FarEnd) -> Option<String>) -> String {
    r.remote
        .as_ref()
        .and_then(|v| pick(&v.far_end))
        .unwrap_or_default()
}

impl RecordSink for CsvSink {
    fn flow(&mut self, r: &FlowRecord) -> io::Result<()> {
        if !self.header_written {
            writeln!(self.out, "{HEADER}")?;
            self.header_written = true;
        }
        let cols = [
            r.l4.to_string(),
            r.src.to_string(),
            r.dst.to_string(),
            format!("{:.6}", r.first_seen),
            format!("{:.6}", r.last_seen),
            format!("{:.6}", r.duration),
            r.packets.to_string(),
            r.bytes.to_string(),
            r.packets_src_to_dst.to_string(),
            r.packets_dst_to_src.to_string(),
            r.bytes_src_to_dst.to_string(),
            r.bytes_dst_to_src.to_string(),
            r.community_id.to_string(),
            r.app.as_deref().unwrap_or_default().to_string(),
            r.role.unwrap_or("").to_string(),
            r.confidence.map(|c| format!("{c:.2}")).unwrap_or_default(),
            r.call.map(|c| c.to_string()).unwrap_or_default(),
            remote_field(r, |f| f.country.as_deref().map(str::to_string)),
            // "US per callpath-geo.mmdb (embedded); …": databases that disagree.
            remote_field(r, |f| {
                let others: Vec<String> = f
                    .other_countries
                    .iter()
                    .map(|o| format!("{} per {}", o.country, o.source))
                    .collect();
                (!others.is_empty()).then(|| others.join("; "))
            }),
            remote_field(r, |f| f.asn.map(|a| a.to_string())),
            remote_field(r, |f| f.org.as_deref().map(str::to_string)),
            remote_field(r, |f| f.operator_country.as_deref().map(str::to_string)),
            // Who runs the app's server there, and its home: "Meta (US)".
            r.service_operator
                .as_ref()
                .map(|s| format!("{} ({})", s.operator, s.operator_country))
                .unwrap_or_default(),
            r.server_name.as_deref().unwrap_or_default().to_string(),
            // The capturing phone's own word on the app (PCAPdroid).
            r.device_app
                .as_ref()
                .map(|a| a.describe())
                .unwrap_or_default(),
            // A VPN tunnel hides what it carries.
            r.tunnel.unwrap_or_default().to_string(),
            // What the far end told the device its public address is.
            r.public_address_learned
                .as_ref()
                .map(|l| l.address.to_string())
                .unwrap_or_default(),
            r.evidence.join("; "),
        ];
        let line: Vec<String> = cols.iter().map(|c| field(c)).collect();
        writeln!(self.out, "{}", line.join(","))
    }

    fn call(&mut self, _record: &CallRecord) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        if !self.header_written {
            writeln!(self.out, "{HEADER}")?;
        }
        self.out.flush()
    }
}
