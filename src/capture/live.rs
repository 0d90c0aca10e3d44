//! Live capture from a network interface through libpcap (the `pcap`
//! crate). Packets are handed out as [`RawPacket`]s borrowing libpcap's
//! buffer, so the analysis of files and of interfaces is the same code.
//!
//! Packets are analysed in the thread that reads them: there is no queue
//! inside callpath, so an analysis too slow for the traffic shows up as
//! packets the kernel dropped (`pcap_stats`), never as silent loss.

use std::net::IpAddr;
use std::os::fd::AsFd;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::{LinkType, RawPacket, Timestamp};

/// Whole packets: media payloads and TLS/DTLS handshakes are dissected.
pub const SNAPLEN: u32 = 262_144;

/// How long one read waits for a packet before giving the caller a chance
/// to check its clock (duration, periodic output, Ctrl-C).
const READ_TIMEOUT_MS: u16 = 100;

/// The advice given whenever opening an interface is refused.
pub const PRIVILEGE_ADVICE: &str = "capturing needs root or the CAP_NET_RAW capability; \
run as root, or grant the capability once with: \
sudo setcap cap_net_raw,cap_net_admin=eip $(which callpath)";

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("cannot capture on {interface}: permission denied ({detail}); {PRIVILEGE_ADVICE}")]
    PermissionDenied { interface: String, detail: String },
    #[error("cannot capture on {interface}: no such interface (`callpath interfaces` lists them)")]
    NoSuchInterface { interface: String },
    #[error("cannot capture on {interface}: {detail}")]
    Open { interface: String, detail: String },
    #[error("capture filter {filter:?}: {detail}")]
    Filter { filter: String, detail: String },
    #[error("cannot list interfaces: {0}")]
    List(String),
    #[error("reading from {interface}: {detail}")]
    Read { interface: String, detail: String },
}

/// How to open an interface.
#[derive(Clone, Debug)]
pub struct LiveConfig {
    pub interface: String,
    /// BPF capture filter (tcpdump syntax).
    pub filter: Option<String>,
    pub promiscuous: bool,
    /// Kernel buffer size in bytes.
    pub buffer_bytes: u32,
}

/// Counters of `pcap_stats` at one moment (from the start of the capture).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelStats {
    /// Packets that passed the filter and reached libpcap's buffer.
    pub received: u64,
    /// Packets the kernel dropped because the buffer was full.
    pub dropped: u64,
    /// Packets dropped by the interface or its driver.
    pub if_dropped: u64,
}

/// One capture device as `pcap_findalldevs` reports it.
#[derive(Clone, Debug)]
pub struct InterfaceInfo {
    pub name: String,
    pub description: Option<String>,
    /// Addresses with their prefix length when a netmask is known.
    pub addresses: Vec<(IpAddr, Option<u8>)>,
    pub up: bool,
    pub running: bool,
    pub loopback: bool,
    pub wireless: bool,
}

/// What one read returned.
pub enum LiveRead<'a> {
    Packet(RawPacket<'a>),
    /// No packet within the read timeout.
    Idle,
}

pub struct LiveCapture {
    capture: pcap::Capture<pcap::Active>,
    interface: String,
    link: LinkType,
    frames: u64,
    /// The last read returned a packet, so more may be buffered: read
    /// again before waiting.
    pending: bool,
}

/// A permission refusal, told by libpcap's message (the crate does not
/// pass on `PCAP_ERROR_PERM_DENIED` itself).
fn is_permission_error(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("permission") || d.contains("operation not permitted")
}

fn is_missing_device(detail: &str) -> bool {
    let d = detail.to_ascii_lowercase();
    d.contains("no such device") || d.contains("doesn't exist")
}

fn open_error(interface: &str, e: pcap::Error) -> LiveError {
    let detail = e.to_string();
    let interface = interface.to_string();
    if is_permission_error(&detail) {
        LiveError::PermissionDenied { interface, detail }
    } else if is_missing_device(&detail) {
        LiveError::NoSuchInterface { interface }
    } else {
        LiveError::Open { interface, detail }
    }
}

impl LiveCapture {
    /// Opens the interface (the only step that needs privileges), sets the
    /// filter, and starts capturing.
    pub fn open(config: &LiveConfig) -> Result<LiveCapture, LiveError> {
        let iface = config.interface.as_str();
        let mut capture = pcap::Capture::from_device(iface)
            .map_err(|e| open_error(iface, e))?
            .snaplen(SNAPLEN as i32)
            .promisc(config.promiscuous)
            .immediate_mode(true)
            .buffer_size(config.buffer_bytes.min(i32::MAX as u32) as i32)
            .open()
            .map_err(|e| open_error(iface, e))?
            // libpcap's read timeout is not honoured on every Linux packet
            // ring (a read can block forever on a quiet link), so reads
            // never block and `next` waits with poll(2) itself.
            .setnonblock()
            .map_err(|e| open_error(iface, e))?;
        if let Some(filter) = &config.filter {
            capture
                .filter(filter, true)
                .map_err(|e| LiveError::Filter {
                    filter: filter.clone(),
                    detail: e.to_string(),
                })?;
        }
        let link = LinkType::from_code(capture.get_datalink().0);
        Ok(LiveCapture {
            capture,
            interface: config.interface.clone(),
            link,
            frames: 0,
            pending: true,
        })
    }

    pub fn interface(&self) -> &str {
        &self.interface
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// Waits until the descriptor is readable or the read timeout passes.
    fn wait_readable(&self) -> Result<(), LiveError> {
        let mut fds = [PollFd::new(self.capture.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(READ_TIMEOUT_MS)) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => Err(LiveError::Read {
                interface: self.interface.clone(),
                detail: e.to_string(),
            }),
        }
    }

    /// Waits up to the read timeout for the next packet.
    pub fn next_packet(&mut self) -> Result<LiveRead<'_>, LiveError> {
        if !self.pending {
            self.wait_readable()?;
        }
        match self.capture.next_packet() {
            Ok(p) => {
                self.pending = true;
                self.frames += 1;
                // time_t is 32 bits on some targets, hence the conversion.
                #[allow(clippy::useless_conversion)]
                let ts = Timestamp::from_secs_frac(
                    i64::from(p.header.ts.tv_sec),
                    u64::try_from(p.header.ts.tv_usec).unwrap_or(0),
                    1_000_000,
                );
                Ok(LiveRead::Packet(RawPacket {
                    ts,
                    link: self.link,
                    data: p.data,
                    orig_len: p.header.len,
                    frame: self.frames,
                    app: None,
                }))
            }
            // Non-blocking read with nothing buffered.
            Err(pcap::Error::TimeoutExpired) => {
                self.pending = false;
                Ok(LiveRead::Idle)
            }
            Err(e) => Err(LiveError::Read {
                interface: self.interface.clone(),
                detail: e.to_string(),
            }),
        }
    }

    /// The kernel's counters since the capture started.
    pub fn stats(&mut self) -> Result<KernelStats, LiveError> {
        let s = self.capture.stats().map_err(|e| LiveError::Read {
            interface: self.interface.clone(),
            detail: e.to_string(),
        })?;
        Ok(KernelStats {
            received: u64::from(s.received),
            dropped: u64::from(s.dropped),
            if_dropped: u64::from(s.if_dropped),
        })
    }
}

fn prefix_len(mask: IpAddr) -> u8 {
    match mask {
        IpAddr::V4(m) => u32::from(m).count_ones() as u8,
        IpAddr::V6(m) => u128::from(m).count_ones() as u8,
    }
}

/// The capture devices libpcap can open, with their addresses.
pub fn list_interfaces() -> Result<Vec<InterfaceInfo>, LiveError> {
    let devices = pcap::Device::list().map_err(|e| LiveError::List(e.to_string()))?;
    Ok(devices
        .into_iter()
        .map(|d| InterfaceInfo {
            addresses: d
                .addresses
                .iter()
                .map(|a| (a.addr, a.netmask.map(prefix_len)))
                .collect(),
            up: d.flags.is_up(),
            running: d.flags.is_running(),
            loopback: d.flags.is_loopback(),
            wireless: d.flags.is_wireless(),
            name: d.name,
            description: d.desc,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpcap_refusals_are_told_apart() {
        assert!(is_permission_error(
            "You don't have permission to perform this capture on that device (socket: Operation not permitted)"
        ));
        assert!(is_permission_error("socket: Operation not permitted"));
        assert!(!is_permission_error("SIOCGIFHWADDR: No such device"));
        assert!(is_missing_device("SIOCGIFHWADDR: No such device"));
    }

    #[test]
    fn permission_message_names_the_capability_and_the_fix() {
        let e = LiveError::PermissionDenied {
            interface: "eth0".into(),
            detail: "socket: Operation not permitted".into(),
        };
        let msg = e.to_string();
        assert!(msg.contains("CAP_NET_RAW"), "{msg}");
        assert!(
            msg.contains("setcap cap_net_raw,cap_net_admin=eip"),
            "{msg}"
        );
    }

    #[test]
    fn netmasks_become_prefix_lengths() {
        assert_eq!(prefix_len("255.255.255.0".parse().unwrap()), 24);
        assert_eq!(prefix_len("ffff:ffff:ffff:ffff::".parse().unwrap()), 64);
    }
}
