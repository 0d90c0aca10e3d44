//! Which company runs each call app's servers (an app file's `operator`),
//! for servers in a network that company does not operate.

use std::sync::Arc;

use super::signatures::{AppId, Signatures};
use super::verdict::Role;
use crate::geo::{FarEnd, GeoResolver, ServiceOperator};

/// The company whose relays speak STUN types 0x0800-0x0805 (WhatsApp's
/// and Messenger's alike), by its name in operators.toml.
const META: &str = "Meta";

/// Each app's `ServiceOperator`, made once per run.
#[derive(Debug, Default)]
pub struct ServiceOperators {
    by_app: Vec<Option<Arc<ServiceOperator>>>,
    /// A relay that speaks Meta's relay messages, for a flow no app of
    /// Meta's was named on (a browser's Messenger call reads as generic
    /// WebRTC or other VoIP).
    meta_relay: Option<Arc<ServiceOperator>>,
}

impl ServiceOperators {
    /// Fails with the app file and the name when an app names an operator
    /// operators.toml does not list.
    pub fn new(sigs: &Signatures, geo: &GeoResolver) -> Result<ServiceOperators, String> {
        let mut by_app = Vec::new();
        for (id, app) in sigs.apps() {
            let index = usize::from(id.0);
            if by_app.len() <= index {
                by_app.resize(index + 1, None);
            }
            let Some(name) = &app.operator else { continue };
            let service = geo
                .service_operator(&app.id, &app.display_name, name)
                .ok_or_else(|| {
                    format!(
                        "{}: operator {name:?} is not listed in signatures/operators.toml",
                        app.file
                    )
                })?;
            if let Some(slot) = by_app.get_mut(index) {
                *slot = Some(Arc::new(service));
            }
        }
        let meta_relay = geo
            .service_operator(&Arc::from("other_voip"), "Meta relay", META)
            .map(Arc::new);
        Ok(ServiceOperators { by_app, meta_relay })
    }

    /// Who runs a server of `app` at `far`, when the far end's network is
    /// not that company's own: for relays and lookup servers only (a peer
    /// is a person's device), and not on private or other special
    /// addresses (a company's own deployment).
    ///
    /// `meta_relay`: the far end answered Meta's relay messages on the
    /// flow, which names Meta whatever the app.
    pub fn of_server(
        &self,
        app: Option<AppId>,
        role: Role,
        far: &FarEnd,
        meta_relay: bool,
    ) -> Option<Arc<ServiceOperator>> {
        if !matches!(role, Role::Relay | Role::Lookup) || far.special.is_some() {
            return None;
        }
        let of_app = app.and_then(|a| self.by_app.get(usize::from(a.0))?.as_ref());
        let service = match of_app {
            Some(s) => s,
            None if meta_relay => self.meta_relay.as_ref()?,
            None => return None,
        };
        if far.operator.as_deref() == Some(&*service.operator) {
            return None;
        }
        Some(Arc::clone(service))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app_file(operator: &str) -> String {
        format!(
            "id = \"fakecall\"\ndisplay_name = \"FakeCall\"\nvendor = \"Example Inc.\"\noperator = \"{operator}\"\n\n[media]\nalways_server_routed = true\nwhy = \"test app\"\n"
        )
    }

    fn with_app(operator: &str) -> Result<ServiceOperators, String> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fakecall.toml"), app_file(operator)).unwrap();
        let sigs = Signatures::load(Some(dir.path())).unwrap();
        ServiceOperators::new(&sigs, &GeoResolver::embedded().unwrap())
    }

    #[test]
    fn an_operator_missing_from_the_table_stops_the_run() {
        let e = with_app("Nobody Ltd").unwrap_err();
        assert!(e.contains("fakecall.toml"), "{e}");
        assert!(e.contains("\"Nobody Ltd\""), "{e}");
    }

    #[test]
    fn a_listed_operator_is_taken_with_its_home_laws() {
        let services = with_app("Hetzner").unwrap();
        let service = services
            .by_app
            .iter()
            .flatten()
            .find(|s| &*s.app == "fakecall")
            .unwrap();
        assert_eq!(&*service.operator_country, "DE");
        assert!(service
            .summary
            .starts_with("a FakeCall server, run by Hetzner: home DE"));
    }
}
