//! Far-end location, operator and jurisdiction, from local data only.
