//! The company that runs a call app's server, when the network it sits in
//! is someone else's.

use std::sync::Arc;

use serde::Serialize;

/// Who runs a server of a call app and the laws that follow that company
/// home: Meta runs WhatsApp's relays also inside ISPs' networks, Signal
/// its relays on Google Cloud. The network's own operator (the far end's
/// `operator`) may answer to other laws; both reach what the server sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceOperator {
    /// The app's signature id ("whatsapp").
    pub app: Arc<str>,
    /// The company's display name in operators.toml ("Meta").
    pub operator: Arc<str>,
    pub legal_entity: Arc<str>,
    /// ISO code of the company's home country.
    pub operator_country: Arc<str>,
    /// Ids of the regimes following that home country.
    pub operator_jurisdiction: Vec<Arc<str>>,
    /// Their short names, for summaries.
    #[serde(skip)]
    pub operator_jurisdiction_short: Vec<Arc<str>>,
    /// One line for people: "a WhatsApp server, run by Meta: home US
    /// (CLOUD Act, FISA 702)".
    pub summary: Arc<str>,
    /// This object as JSON, written once: thousands of records may carry
    /// it (`with_json`).
    #[serde(skip)]
    pub json: Box<str>,
}

impl ServiceOperator {
    /// Fills in `json` from the other fields.
    pub fn with_json(mut self) -> ServiceOperator {
        // (Strings and string lists cannot fail to serialise; `null` keeps
        // the record valid JSON all the same.)
        self.json = serde_json::to_string(&self)
            .unwrap_or_else(|_| "null".into())
            .into_boxed_str();
        self
    }
}
