//! The `remote` object of a record: the far end's location, operator and
//! the law that reaches it, plus a one-line summary for people.

use std::sync::Arc;

use serde::Serialize;

use crate::geo::FarEnd;

#[derive(Clone, Debug, Serialize)]
pub struct Remote {
    #[serde(flatten)]
    pub far_end: Arc<FarEnd>,
    pub summary: String,
}

impl Remote {
    pub fn new(far_end: Arc<FarEnd>) -> Remote {
        let summary = far_end.summary();
        Remote { far_end, summary }
    }
}
