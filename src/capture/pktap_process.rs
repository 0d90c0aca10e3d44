//! The process a macOS PKTAP frame names. Capturing on the `pktap`
//! pseudo-interface (`sudo tcpdump -i pktap,en0 -w call.pcap`) makes the
//! kernel write, before each packet, which process sent or received it:
//! its ID and command name, and the "effective" process on whose behalf
//! it acted (a daemon serving an app). Layout from xnu's bsd/net/pktap.h
//! (`struct pktap_header`, packed, little-endian): `pth_length` at 0,
//! `pth_pid` at 52, `pth_comm[17]` at 56, `pth_epid` at 81,
//! `pth_ecomm[17]` at 85; the header is at least 108 bytes.

/// Bytes of a command name field (MAXCOMLEN + 1).
const COMM_LEN: usize = 17;
const PID_AT: usize = 52;
const COMM_AT: usize = 56;
const EPID_AT: usize = 81;
const ECOMM_AT: usize = 85;
/// The shortest header: a packet behind a shorter one is not read.
pub const MIN_HEADER: usize = 108;

/// The process a PKTAP header names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Process<'a> {
    pub pid: i32,
    /// The command name as the kernel keeps it (its first 16 bytes).
    pub name: &'a str,
}

/// The process that owns the packet behind a PKTAP header: the effective
/// one when the header names it, else the process itself; `None` when it
/// names neither (the kernel's own packets: ARP, some ICMP) or the header
/// is cut short.
pub fn process(frame: &[u8]) -> Option<Process<'_>> {
    let length = u32::from_le_bytes(frame.first_chunk::<4>().copied()?) as usize;
    let header = frame.get(..length).filter(|_| length >= MIN_HEADER)?;
    let named = |pid_at: usize, comm_at: usize| {
        let pid = i32::from_le_bytes(header.get(pid_at..pid_at + 4)?.try_into().ok()?);
        let field = header.get(comm_at..comm_at + COMM_LEN)?;
        let end = field.iter().position(|&b| b == 0).unwrap_or(COMM_LEN);
        let name = std::str::from_utf8(field.get(..end)?).ok()?.trim();
        (pid > 0 && !name.is_empty()).then_some(Process { pid, name })
    };
    named(EPID_AT, ECOMM_AT).or_else(|| named(PID_AT, COMM_AT))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PKTAP header of `MIN_HEADER` bytes (record type 1, Ethernet
    /// behind it) naming `(pid, comm)` and the effective `(epid, ecomm)`.
    fn header(process: (i32, &str), effective: (i32, &str)) -> Vec<u8> {
        let mut h = vec![0u8; MIN_HEADER];
        h[..4].copy_from_slice(&(MIN_HEADER as u32).to_le_bytes());
        h[4..8].copy_from_slice(&1u32.to_le_bytes());
        h[8..12].copy_from_slice(&1u32.to_le_bytes());
        h[12..15].copy_from_slice(b"en0");
        for ((pid, name), (pid_at, comm_at)) in [process, effective]
            .into_iter()
            .zip([(PID_AT, COMM_AT), (EPID_AT, ECOMM_AT)])
        {
            h[pid_at..pid_at + 4].copy_from_slice(&pid.to_le_bytes());
            let n = name.len().min(COMM_LEN - 1);
            h[comm_at..comm_at + n].copy_from_slice(&name.as_bytes()[..n]);
        }
        h
    }

    #[test]
    fn the_effective_process_names_the_packet() {
        let h = header((312, "nsurlsessiond"), (844, "zoom.us"));
        assert_eq!(
            process(&h),
            Some(Process {
                pid: 844,
                name: "zoom.us"
            })
        );
        let own = header((844, "zoom.us"), (0, ""));
        assert_eq!(process(&own).map(|p| p.pid), Some(844));
    }

    #[test]
    fn kernel_packets_and_cut_headers_name_none() {
        assert_eq!(process(&header((0, ""), (0, ""))), None);
        let h = header((844, "zoom.us"), (844, "zoom.us"));
        assert_eq!(process(&h[..60]), None);
        let mut short = h.clone();
        short[..4].copy_from_slice(&40u32.to_le_bytes());
        assert_eq!(process(&short), None);
        assert_eq!(process(&[]), None);
    }
}
