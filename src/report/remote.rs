//! The `remote` object of a record: the far end's location, operator and
//! the law that reaches it, plus a one-line summary for people.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::geo::far_end::RemoteFields;
use crate::geo::FarEnd;

#[derive(Clone, Debug)]
pub struct Remote {
    pub far_end: Arc<FarEnd>,
}

impl Remote {
    pub fn new(far_end: Arc<FarEnd>) -> Remote {
        Remote { far_end }
    }

    /// "IE (GDPR) · AS8075 Microsoft Corporation · operator home US (…)".
    pub fn summary(&self) -> Cow<'_, str> {
        self.far_end.summary_text()
    }
}

impl Serialize for Remote {
    /// Written from the far end's JSON made once per address when there is
    /// one (the same bytes the fields would give).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.far_end.rendered {
            Some(r) => r.remote_json.serialize(s),
            None => RemoteFields {
                far_end: &self.far_end,
                summary: &self.far_end.summary(),
            }
            .serialize(s),
        }
    }
}
