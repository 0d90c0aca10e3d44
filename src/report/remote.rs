//! The `remote` object of a record: the far end's location, operator and
//! the law that reaches it, plus a one-line summary for people.

use serde::{Serialize, Serializer};

use crate::geo::FarEnd;

#[derive(Clone, Debug)]
pub struct Remote {
    pub far_end: FarEnd,
}

impl Remote {
    pub fn new(far_end: FarEnd) -> Remote {
        Remote { far_end }
    }

    /// "IE (GDPR) · AS8075 Microsoft Corporation · operator home US (…)".
    pub fn summary(&self) -> &str {
        self.far_end.summary()
    }
}

impl Serialize for Remote {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.far_end.serialize_remote(s)
    }
}
