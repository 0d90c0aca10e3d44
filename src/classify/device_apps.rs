//! Which app on the capturing device owns each flow, when the capture says
//! so (PCAPdroid's trailer, `capture::pcapdroid`, or its pcapng extension,
//! `capture::pcapdroid_blocks`, on Android; the PKTAP header of a macOS
//! capture, `capture::pktap_process`). The reading side notes
//! each flow's app as its packets are read; the verdict reads it back.
//! Unlike the other knowledge it does not age: a flow's own packets name
//! its app, so the answer is the same whenever the verdict asks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::DashMap;
use serde::Serialize;

use crate::flow::FlowKey;

/// Most flows remembered; beyond it new flows go without (a phone's
/// capture over days has far fewer).
const MAX_FLOWS: usize = 1 << 20;

/// Who owns a flow's socket on the capturing device, as it numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Owner {
    /// Android UID of the app (apps signed alike may share one).
    #[serde(rename = "uid")]
    AndroidUid(i32),
    /// macOS process ID.
    #[serde(rename = "pid")]
    MacosPid(i32),
}

/// The app the capturing device attributed a flow to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceApp {
    /// Written as `"uid"` or `"pid"`.
    #[serde(flatten)]
    pub owner: Owner,
    /// The app's name as the device wrote it, if it wrote one.
    pub name: Option<Arc<str>>,
    /// Its Android package ("com.whatsapp"), where the capture gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<Arc<str>>,
    /// What told: "PCAPdroid trailer", "PCAPdroid pcapng extension",
    /// "macOS PKTAP header".
    pub source: &'static str,
}

impl DeviceApp {
    /// "WhatsApp (Android uid 10123)", "WhatsApp (com.whatsapp, Android
    /// uid 10123)", "zoom.us (macOS process 844)".
    pub fn describe(&self) -> String {
        let owner = match self.owner {
            Owner::AndroidUid(uid) => format!("Android uid {uid}"),
            Owner::MacosPid(pid) => format!("macOS process {pid}"),
        };
        let id = match &self.package {
            Some(package) => format!("{package}, {owner}"),
            None => owner,
        };
        match &self.name {
            Some(name) => format!("{name} ({id})"),
            None => id,
        }
    }
}

/// Flow key → the app its packets were tagged with.
#[derive(Debug, Default)]
pub struct DeviceApps {
    flows: DashMap<FlowKey, Arc<DeviceApp>>,
    entries: AtomicUsize,
}

impl DeviceApps {
    /// Notes that a packet of the flow `key` was tagged with `app`. A flow
    /// whose 5-tuple another app takes over later (a port reused) takes
    /// the newer app.
    pub fn note(&self, key: FlowKey, app: &Arc<DeviceApp>) {
        if let Some(known) = self.flows.get(&key) {
            if Arc::ptr_eq(&known, app) || **known == **app {
                return;
            }
        }
        if self.entries.load(Ordering::Relaxed) >= MAX_FLOWS && !self.flows.contains_key(&key) {
            return;
        }
        if self.flows.insert(key, Arc::clone(app)).is_none() {
            self.entries.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The app the flow `key` was tagged with.
    pub fn of(&self, key: &FlowKey) -> Option<Arc<DeviceApp>> {
        if self.entries.load(Ordering::Relaxed) == 0 {
            return None;
        }
        self.flows.get(key).map(|a| Arc::clone(&a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::L4Proto;
    use crate::flow::Endpoint;

    fn key(port: u16) -> FlowKey {
        let ep = |s: &str| Endpoint::from(s.parse::<std::net::SocketAddr>().unwrap());
        FlowKey::new(
            L4Proto::Udp,
            ep(&format!("10.0.0.1:{port}")),
            ep("192.0.2.7:3478"),
        )
        .0
    }

    fn app(uid: i32, name: &str) -> Arc<DeviceApp> {
        Arc::new(DeviceApp {
            owner: Owner::AndroidUid(uid),
            name: Some(name.into()),
            package: None,
            source: "PCAPdroid trailer",
        })
    }

    #[test]
    fn answers_per_flow_and_takes_the_newer_app_of_a_reused_tuple() {
        let apps = DeviceApps::default();
        assert_eq!(apps.of(&key(5000)), None);
        let wa = app(10_123, "WhatsApp");
        apps.note(key(5000), &wa);
        apps.note(key(5000), &wa);
        assert_eq!(apps.of(&key(5000)).as_deref(), Some(&*wa));
        assert_eq!(apps.of(&key(5001)), None);
        let signal = app(10_200, "Signal");
        apps.note(key(5000), &signal);
        assert_eq!(
            apps.of(&key(5000)).map(|a| a.owner),
            Some(Owner::AndroidUid(10_200))
        );
        assert_eq!(apps.entries.load(Ordering::Relaxed), 1);
        assert_eq!(wa.describe(), "WhatsApp (Android uid 10123)");
        let zoom = DeviceApp {
            owner: Owner::MacosPid(844),
            name: Some("zoom.us".into()),
            package: None,
            source: "macOS PKTAP header",
        };
        assert_eq!(zoom.describe(), "zoom.us (macOS process 844)");
        assert_eq!(
            serde_json::to_string(&zoom).unwrap(),
            r#"{"pid":844,"name":"zoom.us","source":"macOS PKTAP header"}"#
        );
        assert!(serde_json::to_string(&*wa)
            .unwrap()
            .starts_with(r#"{"uid":10123,"#));
    }
}
