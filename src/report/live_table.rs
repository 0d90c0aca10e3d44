//! The table format during a live capture on a terminal: every second the
//! screen is cleared and redrawn with the capture's counters, the flows
//! that ended most recently and the calls found so far. At the end the
//! screen is cleared once more and the ordinary table is written.

use std::collections::VecDeque;
use std::io::{self, Write};

use super::live_status::LiveStatus;
use super::table::TableSink;
use super::{CallRecord, FlowRecord, RecordSink, Summary};

/// Finished flows shown on screen.
const RECENT_FLOWS: usize = 15;
/// Calls shown on screen (the latest ones).
const RECENT_CALLS: usize = 8;

const CLEAR_SCREEN: &str = "\x1b[H\x1b[2J";

pub struct LiveTableSink {
    screen: Box<dyn Write + Send>,
    table: TableSink,
    recent_flows: VecDeque<FlowRecord>,
    recent_calls: VecDeque<CallRecord>,
}

impl LiveTableSink {
    /// `screen` is the terminal redrawn every second; `out` receives the
    /// final table (usually the same terminal).
    pub fn new(screen: Box<dyn Write + Send>, out: Box<dyn Write + Send>) -> LiveTableSink {
        LiveTableSink {
            screen,
            table: TableSink::new(out),
            recent_flows: VecDeque::new(),
            recent_calls: VecDeque::new(),
        }
    }

    fn draw(&mut self, s: &LiveStatus) -> io::Result<()> {
        let mut w = io::BufWriter::new(&mut self.screen);
        write!(w, "{CLEAR_SCREEN}")?;
        writeln!(
            w,
            "callpath live on {} · {:.0}s · {} packets ({} dropped by the kernel) · {} active flows · {} flows ended · {} calls   (Ctrl-C ends)\n",
            s.interface, s.elapsed, s.packets, s.kernel_dropped, s.active_flows, s.flows_written, s.calls
        )?;
        writeln!(w, "CALLS")?;
        if self.recent_calls.is_empty() {
            writeln!(
                w,
                "  none yet (a call is written once its flows have ended)"
            )?;
        }
        for c in &self.recent_calls {
            writeln!(
                w,
                "  Call {} · {} · {} flows · {}",
                c.call,
                c.app.as_deref().unwrap_or("unknown app"),
                c.flows,
                c.verdict
            )?;
        }
        writeln!(w, "\nRECENTLY ENDED FLOWS")?;
        for f in &self.recent_flows {
            writeln!(
                w,
                "  {:<4} {:<45} {:<45} {:>7} pkts  {:<14} {}",
                f.l4,
                f.src,
                f.dst,
                f.packets,
                // A VPN tunnel has no app, and says what it is.
                f.app.as_deref().or(f.tunnel).unwrap_or("-"),
                f.role.unwrap_or("-")
            )?;
        }
        w.flush()
    }
}

impl RecordSink for LiveTableSink {
    fn flow(&mut self, record: &FlowRecord) -> io::Result<()> {
        if self.recent_flows.len() == RECENT_FLOWS {
            self.recent_flows.pop_front();
        }
        self.recent_flows.push_back(record.clone());
        self.table.flow(record)
    }

    fn call(&mut self, record: &CallRecord) -> io::Result<()> {
        if self.recent_calls.len() == RECENT_CALLS {
            self.recent_calls.pop_front();
        }
        self.recent_calls.push_back(record.clone());
        self.table.call(record)
    }

    fn refresh(&mut self, status: &LiveStatus) -> io::Result<()> {
        self.draw(status)
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        write!(self.screen, "{CLEAR_SCREEN}")?;
        self.screen.flush()?;
        self.table.finish(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn redraw_clears_and_shows_counters_then_final_table_follows() {
        let screen = Shared::default();
        let mut sink = LiveTableSink::new(Box::new(screen.clone()), Box::new(screen.clone()));
        sink.refresh(&LiveStatus {
            interface: "veth0".into(),
            elapsed: 3.0,
            packets: 42,
            kernel_dropped: 1,
            active_flows: 5,
            flows_written: 2,
            calls: 0,
        })
        .unwrap();
        let drawn = String::from_utf8(screen.0.lock().unwrap().clone()).unwrap();
        assert!(drawn.starts_with(CLEAR_SCREEN));
        assert!(
            drawn.contains("42 packets (1 dropped by the kernel)"),
            "{drawn}"
        );
        assert!(drawn.contains("5 active flows"), "{drawn}");
        sink.finish(&Summary::default()).unwrap();
        let all = String::from_utf8(screen.0.lock().unwrap().clone()).unwrap();
        let tail = all.rsplit(CLEAR_SCREEN).next().unwrap();
        assert!(tail.starts_with("CALLS: none found"), "{tail}");
    }
}
