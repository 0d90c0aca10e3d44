//! Reads the app tags a capturing phone wrote into each packet (PCAPdroid's
//! trailer) and notes each flow's app for its verdict. Whether an input
//! carries them is decided by its first frame, so inputs without them pay
//! one branch per packet; a tagged input's packets are decoded once more
//! here to find their flow (phone captures are small, and the reading
//! stage stays free of the flow table).

use std::collections::HashMap;
use std::sync::Arc;

use crate::capture::pcapdroid::{self, AppTag};
use crate::capture::{LinkType, RawPacket};
use crate::classify::device_apps::DeviceApp;
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
    /// One description per UID (the name the first tag of it gave),
    /// shared by that app's flows.
    apps: HashMap<i32, Arc<DeviceApp>>,
}

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
        if self.tagged != Tagged::No {
            self.note_tagged(pkt);
        }
    }

    #[cold]
    #[inline(never)]
    fn note_tagged(&mut self, pkt: &RawPacket<'_>) {
        if pkt.link != LinkType::Ethernet {
            // PCAPdroid writes Ethernet frames only.
            self.tagged = Tagged::No;
            return;
        }
        let tag = pcapdroid::trailer(pkt.data);
        if self.tagged == Tagged::Unknown {
            self.tagged = if tag.is_some() {
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

    fn app_of(&mut self, tag: AppTag<'_>) -> Arc<DeviceApp> {
        let app = self.apps.entry(tag.uid).or_insert_with(|| {
            Arc::new(DeviceApp {
                uid: tag.uid,
                name: tag.name_text().map(Arc::from),
                source: "PCAPdroid trailer",
            })
        });
        Arc::clone(app)
    }
}
