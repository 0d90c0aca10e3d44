//! Reads the app tags a capturing device wrote with each packet (on a
//! phone, PCAPdroid's trailer, or its pcapng extension, which the capture
//! reader hands over with the packet; on a Mac, the process in each PKTAP
//! header) and notes each flow's app for its verdict. Whether an input
//! carries them is decided by its first frame, so inputs without them pay
//! one branch per packet; a tagged input's packets are decoded once more
//! here to find their flow (one device's own captures are small, and the reading
//! stage stays free of the flow table).

use std::collections::HashMap;
use std::sync::Arc;

use crate::capture::pcapdroid::{self, AppTag};
use crate::capture::pcapdroid_blocks::{AppName, PacketApp};
use crate::capture::pktap_process::{self, Process};
use crate::capture::{LinkType, RawPacket};
use crate::classify::device_apps::{DeviceApp, Owner};
use crate::classify::knowledge::Knowledge;
use crate::decode::{decode, Decoded};
use crate::flow::{Endpoint, FlowKey};

/// Whether the input being read carries tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tagged {
    /// No frame of the input read yet.
    Unknown,
    Yes,
    No,
}

pub struct DeviceTags {
    knowledge: Arc<Knowledge>,
    tagged: Tagged,
    /// One description per UID and source (the name the first tag of it
    /// gave), shared by that app's flows.
    apps: HashMap<AppKey, Arc<DeviceApp>>,
}

/// Where a packet's tag came from.
enum Tag<'a> {
    Trailer(AppTag<'a>),
    Pcapng(PacketApp),
    Pktap(Process<'a>),
}

/// Owner, source, and the names a pcapng capture mapped a UID to.
type AppKey = (Owner, &'static str, Option<&'static AppName>);

const TRAILER: &str = "PCAPdroid trailer";
const PCAPNG: &str = "PCAPdroid pcapng extension";
const PKTAP: &str = "macOS PKTAP header";

impl DeviceTags {
    pub fn new(knowledge: Arc<Knowledge>) -> DeviceTags {
        DeviceTags {
            knowledge,
            tagged: Tagged::Unknown,
            apps: HashMap::new(),
        }
    }

    /// A new input begins: it may or may not carry tags.
    pub fn new_input(&mut self) {
        self.tagged = Tagged::Unknown;
    }

    /// Notes the app of the flow `pkt` belongs to, if the input tags it.
    #[inline]
    pub fn note(&mut self, pkt: &RawPacket<'_>) {
        // A pcapng tag comes with the packet, whatever the first one had.
        if self.tagged != Tagged::No || pkt.app.is_some() {
            self.note_tagged(pkt);
        }
    }

    #[cold]
    #[inline(never)]
    fn note_tagged(&mut self, pkt: &RawPacket<'_>) {
        let tag = match pkt.app {
            Some(app) => Some(Tag::Pcapng(app)),
            // PCAPdroid writes trailers on Ethernet frames only.
            None if pkt.link == LinkType::Ethernet => {
                pcapdroid::trailer(pkt.data).map(Tag::Trailer)
            }
            None if pkt.link == LinkType::Pktap => pktap_process::process(pkt.data).map(Tag::Pktap),
            None => None,
        };
        if self.tagged == Tagged::Unknown {
            // (Every PKTAP header may name a process, though the kernel's
            // own packets, which may come first, name none.)
            self.tagged = if tag.is_some() || pkt.link == LinkType::Pktap {
                Tagged::Yes
            } else {
                Tagged::No
            };
        }
        let (Some(tag), Decoded::Packet(view)) = (tag, decode(pkt.link, pkt.data)) else {
            return;
        };
        let (src, dst) = Endpoint::ends_of(&view);
        let (key, _) = FlowKey::new(view.l4, src, dst);
        let app = self.app_of(tag);
        self.knowledge.device_apps().note(key, &app);
    }

    fn app_of(&mut self, tag: Tag<'_>) -> Arc<DeviceApp> {
        let (owner, source, names) = match &tag {
            Tag::Trailer(t) => (Owner::AndroidUid(t.uid), TRAILER, None),
            Tag::Pcapng(a) => (Owner::AndroidUid(a.uid), PCAPNG, a.names),
            Tag::Pktap(p) => (Owner::MacosPid(p.pid), PKTAP, None),
        };
        let app = self.apps.entry((owner, source, names)).or_insert_with(|| {
            let text = |s: &str| (!s.is_empty()).then(|| Arc::from(s));
            let (name, package) = match tag {
                Tag::Trailer(t) => (t.name_text().map(Arc::from), None),
                Tag::Pcapng(a) => a
                    .names
                    .map_or((None, None), |n| (text(&n.name), text(&n.package))),
                Tag::Pktap(p) => (text(p.name), None),
            };
            Arc::new(DeviceApp {
                owner,
                name,
                package,
                source,
            })
        });
        Arc::clone(app)
    }
}
