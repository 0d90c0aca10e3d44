//! Far-end location, operator and jurisdiction, from local data only.
//!
//! `GeoDb` answers country/ASN/organisation from the embedded database (data/geo, built by
//! scripts/build-geo-db.sh) and any MaxMind-format files the user gives; `Operators` maps ASNs
//! to companies and their home country; `Jurisdictions` maps countries to the laws that reach
//! data there; `GeoResolver` combines them into a cached `FarEnd` per address. Nothing here
//! sends a packet.

mod bounded_cache;
mod database;
mod error;
pub mod far_end;
mod jurisdictions;
mod operators;
mod record;
mod resolver;
mod service_operator;
mod special_range;
mod v4_table;

#[cfg(test)]
mod test_mmdb;
#[cfg(test)]
mod tests;

pub use database::{DbInfo, DbSchema, GeoAnswer, GeoDb, SYSTEM_GEOIP_DIRS};
pub use error::GeoError;
pub use far_end::{DescribedNetwork, FarEnd, OtherCountry};
pub use jurisdictions::{Alliance, Jurisdictions, Regime};
pub use operators::{Operator, Operators};
pub use resolver::GeoResolver;
pub use service_operator::ServiceOperator;
pub use special_range::SpecialRange;
