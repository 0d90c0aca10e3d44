//! The options that shape an analysis, shared by every subcommand that
//! runs one (`analyze`, `report`, `check`, `extract`): the same options
//! give the same flows, calls and call numbers whichever is asked.

use std::path::PathBuf;
use std::sync::Arc;

use callpath::analysis::AnalysisConfig;
use callpath::decode::filter::PacketFilter;
use callpath::flow::FlowTableConfig;
use clap::Args;

#[derive(Args, Clone, Debug)]
pub struct AnalysisOptions {
    /// Idle timeout of UDP (and other non-TCP) flows, in seconds of packet time.
    #[arg(long, default_value_t = FlowTableConfig::default().udp_timeout_secs, value_name = "SECS",
        value_parser = super::at_least_one::<u64>)]
    pub udp_timeout: u64,

    /// Idle timeout of TCP flows, in seconds of packet time (TCP flows also
    /// end on FIN from both sides or RST).
    #[arg(long, default_value_t = FlowTableConfig::default().tcp_timeout_secs, value_name = "SECS",
        value_parser = super::at_least_one::<u64>)]
    pub tcp_timeout: u64,

    /// Most flows tracked at once; beyond it the flow closest to expiry is
    /// written out early and counted as evicted in the summary.
    #[arg(long, default_value_t = FlowTableConfig::default().max_flows, value_name = "N",
        value_parser = super::at_least_one::<usize>)]
    pub max_flows: usize,

    /// How far back, in seconds of packet time before a flow's last packet,
    /// what other flows taught (DNS names, STUN/TURN and signalling
    /// servers, app sockets, SDP media endpoints) still counts for its
    /// verdict. Older facts (by up to a quarter of the window more) are
    /// forgotten, so memory stays flat over long captures.
    #[arg(long, default_value_t = callpath::classify::knowledge::DEFAULT_WINDOW_SECS,
        value_name = "SECS", value_parser = super::at_least_one::<u64>)]
    pub knowledge_window: u64,

    /// Threads: 1 does everything; 2 track flows on one and read and write
    /// on the other; from 3, the output gets a thread and the rest track
    /// flows. The output is the same for any number.
    #[arg(long, default_value_t = 1, value_name = "N",
        value_parser = super::at_least_one::<usize>)]
    pub threads: usize,

    /// A geolocation database (MaxMind GeoLite2/GeoIP2 City, Country or ASN;
    /// DB-IP; IPinfo) preferred over the embedded one; repeat for several.
    /// Each far end's record names the database that answered.
    #[arg(long, value_name = "FILE")]
    pub geoip: Vec<PathBuf>,

    /// Also use the databases found in the usual GeoIP directories
    /// (/usr/share/GeoIP, /var/lib/GeoIP, /usr/local/share/GeoIP).
    #[arg(long)]
    pub system_geoip: bool,

    /// A directory of app signature files (signatures/README.md) that add
    /// apps or replace embedded ones with the same id.
    #[arg(long, value_name = "DIR")]
    pub signatures: Option<PathBuf>,

    /// Analyse only the packets this matches, in tcpdump's filter words for
    /// addresses, ports and protocols: e.g. `host 192.168.1.23`, `not port
    /// 53`, `udp and net 10.0.0.0/8`, `src host fd00::5 or portrange
    /// 3478-3481`. Matched against the decoded packet: inside tunnels, on
    /// any link type. The others are counted as skipped (`filtered_out`);
    /// what they would have taught (DNS names, servers) is not learned.
    #[arg(short = 'f', long, value_name = "EXPR", value_parser = FilterArg::parse)]
    pub filter: Option<FilterArg>,

    /// Count copies of a packet as packets of their own. By default a
    /// packet that repeats the one just before it on its flow (the same
    /// payload, transport checksum and IPv4 id, under 1 ms later: a mirror
    /// port copying both directions, or a capture on both sides of a
    /// router) is counted once and the copy skipped as `duplicate`.
    #[arg(long)]
    pub keep_duplicates: bool,
}

/// A `--filter` as typed (for the evidence manifest) and as parsed.
#[derive(Clone, Debug)]
pub struct FilterArg {
    text: String,
    filter: Arc<PacketFilter>,
}

impl FilterArg {
    fn parse(text: &str) -> Result<FilterArg, String> {
        let filter = text.parse::<PacketFilter>().map_err(|e| e.to_string())?;
        Ok(FilterArg {
            text: text.to_string(),
            filter: Arc::new(filter),
        })
    }
}

impl AnalysisOptions {
    /// Every file the run reads: the captures, then the databases (an
    /// output must be none of them).
    pub fn files_read(&self, captures: impl IntoIterator<Item = PathBuf>) -> Vec<PathBuf> {
        captures
            .into_iter()
            .chain(self.geoip.iter().cloned())
            .collect()
    }

    pub fn config(&self) -> AnalysisConfig {
        AnalysisConfig {
            flow_table: FlowTableConfig {
                udp_timeout_secs: self.udp_timeout,
                tcp_timeout_secs: self.tcp_timeout,
                max_flows: self.max_flows,
                skip_duplicates: !self.keep_duplicates,
                ..Default::default()
            },
            threads: self.threads,
            knowledge_window_secs: Some(self.knowledge_window),
            filter: self.filter.as_ref().map(|f| Arc::clone(&f.filter)),
            signatures_dir: self.signatures.clone(),
            geoip: {
                let mut dbs = self.geoip.clone();
                if self.system_geoip {
                    dbs.extend(callpath::geo::GeoDb::discover_system_databases());
                }
                dbs
            },
        }
    }

    /// The options given that change what the analysis finds, as they
    /// would be typed again (the evidence manifest's `reproduce` line):
    /// values away from their defaults, the databases and signatures.
    /// `--threads` is not (the same records for any number).
    pub fn changing_results(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut valued = |name: &str, value: String, default: String| {
            if value != default {
                out.push(name.to_string());
                out.push(value);
            }
        };
        let table = FlowTableConfig::default();
        let (udp, tcp) = (table.udp_timeout_secs, table.tcp_timeout_secs);
        valued(
            "--udp-timeout",
            self.udp_timeout.to_string(),
            udp.to_string(),
        );
        valued(
            "--tcp-timeout",
            self.tcp_timeout.to_string(),
            tcp.to_string(),
        );
        valued(
            "--max-flows",
            self.max_flows.to_string(),
            table.max_flows.to_string(),
        );
        valued(
            "--knowledge-window",
            self.knowledge_window.to_string(),
            callpath::classify::knowledge::DEFAULT_WINDOW_SECS.to_string(),
        );
        for db in &self.geoip {
            out.push("--geoip".into());
            out.push(db.display().to_string());
        }
        if self.system_geoip {
            out.push("--system-geoip".into());
        }
        if let Some(dir) = &self.signatures {
            out.push("--signatures".into());
            out.push(dir.display().to_string());
        }
        if let Some(filter) = &self.filter {
            out.push("--filter".into());
            out.push(filter.text.clone());
        }
        if self.keep_duplicates {
            out.push("--keep-duplicates".into());
        }
        out
    }
}
