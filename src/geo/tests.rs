//! Lookups against the real embedded database and against user databases built in the test.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use super::far_end::{DescribedNetwork, Network};
use super::test_mmdb::{build, Value};
use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn resolver() -> GeoResolver {
    GeoResolver::embedded().unwrap()
}

#[test]
fn embedded_db_identifies_itself() {
    let db = GeoDb::embedded().unwrap();
    let src = db.sources();
    assert_eq!(src.len(), 1);
    assert_eq!(src[0].database_type, "callpath-geo-asn-country");
    assert_eq!(src[0].schema, DbSchema::IpLocationDb);
    assert!(src[0].embedded);
    let version = include_str!("../../data/geo/VERSION");
    let stamp = version.trim().rsplit('.').next().unwrap();
    let date = format!("{}-{}-{}", &stamp[0..4], &stamp[4..6], &stamp[6..8]);
    assert_eq!(
        src[0].build_date, date,
        "metadata date matches data/geo/VERSION"
    );
}

#[test]
fn teams_relay_is_microsoft_with_us_operator() {
    let far = resolver().resolve(ip("52.114.77.136"));
    assert_eq!(far.special, None);
    assert!(
        far.country.as_deref().is_some_and(|c| c.len() == 2),
        "{far:?}"
    );
    assert_eq!(far.asn, Some(8075));
    assert_eq!(far.operator.as_deref(), Some("Microsoft"));
    assert_eq!(far.operator_country.as_deref(), Some("US"));
    assert!(far
        .operator_jurisdiction
        .iter()
        .any(|r| &**r == "us-cloud-act"));
    assert!(far
        .operator_jurisdiction
        .iter()
        .any(|r| &**r == "us-fisa-702"));
    assert!(far.source.as_deref().unwrap().contains("callpath-geo.mmdb"));
}

#[test]
fn google_dns_v4_and_v6() {
    let r = resolver();
    for addr in ["8.8.8.8", "2001:4860:4860::8888"] {
        let far = r.resolve(ip(addr));
        assert_eq!(far.asn, Some(15169), "{addr}: {far:?}");
        assert_eq!(far.operator.as_deref(), Some("Google"), "{addr}");
        assert_eq!(far.operator_country.as_deref(), Some("US"), "{addr}");
        assert!(far.country.is_some(), "{addr}");
        assert!(far.org.as_deref().unwrap().contains("Google"), "{addr}");
    }
}

#[test]
fn azure_address_is_microsoft() {
    let far = resolver().resolve(ip("104.46.40.49"));
    assert_eq!(far.asn, Some(8075));
    assert!(far.country.is_some());
    assert_eq!(far.operator_country.as_deref(), Some("US"));
}

#[test]
fn private_address_is_not_looked_up() {
    let r = resolver();
    let far = r.resolve(ip("192.168.1.6"));
    assert_eq!(far.special.as_deref(), Some("private"));
    assert_eq!(
        (far.country.clone(), far.asn, far.operator.clone()),
        (None, None, None)
    );
    assert!(far.jurisdiction.is_empty() && far.operator_jurisdiction.is_empty());
    assert_eq!(r.db().lookups(), 0);
    assert_eq!(far.summary(), "private network (RFC 1918), not geolocated");
}

#[test]
fn special_ranges_share_one_description_each() {
    let r = resolver();
    let a = r.resolve(ip("239.255.255.250"));
    let b = r.resolve(ip("224.0.0.251"));
    let v6 = r.resolve(ip("ff02::fb"));
    assert_eq!(a.special.as_deref(), Some("multicast"));
    assert!(Arc::ptr_eq(&a.described, &b.described) && Arc::ptr_eq(&a.described, &v6.described));
    assert_eq!((b.ip, v6.ip), (ip("224.0.0.251"), ip("ff02::fb")));
    // As described without the cache, and another range its own.
    assert_eq!(b, r.describe(ip("224.0.0.251")));
    let private = r.resolve(ip("10.1.2.3"));
    assert_eq!(private.special.as_deref(), Some("private"));
    assert_eq!(r.cached(), 0);
}

#[test]
fn nat64_looks_up_the_embedded_ipv4() {
    let far = resolver().resolve(ip("64:ff9b::808:808"));
    assert_eq!(far.special.as_deref(), Some("nat64"));
    assert_eq!(far.asn, Some(15169));
}

#[test]
fn one_lookup_per_address_per_run() {
    let r = resolver();
    let a = r.resolve(ip("8.8.8.8"));
    let b = r.resolve(ip("8.8.8.8"));
    assert!(a == b && Arc::ptr_eq(&a.described, &b.described));
    r.resolve(ip("10.0.0.1"));
    r.resolve(ip("10.0.0.1"));
    assert_eq!(r.db().lookups(), 1);
    r.resolve(ip("52.114.77.136"));
    assert_eq!(r.db().lookups(), 2);
    // Public IPv4 addresses are answered from their network's range, the
    // private one from its special range: none takes an entry of its own.
    assert_eq!(r.cached(), 0);
    r.resolve(ip("52.114.77.137"));
    assert_eq!(r.db().lookups(), 2);
}

#[test]
fn the_cache_stays_bounded_under_a_flood_of_addresses() {
    let r = resolver();
    // IPv6 addresses each take an entry (IPv4 ones share their network's).
    for i in 0..(super::resolver::MAX_CACHED as u128 + 10) {
        r.resolve(IpAddr::from(
            ((0x2a00_u128 << 112) + (i << 64)).to_be_bytes(),
        ));
        assert!(r.cached() <= super::resolver::MAX_CACHED);
    }
    // Started over once full: only the last addresses are kept.
    assert_eq!(r.cached(), 10);
}

#[test]
fn unknown_asn_falls_back_to_asn_registration_country() {
    // AS3320 (Deutsche Telekom) is not in operators.toml; its registration country is DE.
    let far = resolver().resolve(ip("80.146.0.1"));
    assert_eq!(far.asn, Some(3320), "{far:?}");
    assert_eq!(far.operator, None);
    assert_eq!(far.operator_country.as_deref(), Some("DE"));
    assert!(far.operator_jurisdiction.iter().any(|r| &**r == "eu-gdpr"));
    assert!(
        far.summary().contains("ASN registered in DE (GDPR"),
        "{}",
        far.summary()
    );
}

#[test]
fn summary_line() {
    let network = Network {
        special: None,
        country: Some("IE".into()),
        asn: Some(8075),
        org: Some("Microsoft Corporation".into()),
        operator: Some("Microsoft".into()),
        operator_country: Some("US".into()),
        jurisdiction: vec!["eu-gdpr".into()],
        operator_jurisdiction: vec!["us-cloud-act".into(), "us-fisa-702".into()],
        alliances: vec![],
        source: None,
        other_countries: vec![],
        special_name: None,
        jurisdiction_short: vec!["GDPR".into()],
        operator_jurisdiction_short: vec!["CLOUD Act".into(), "FISA 702".into()],
    };
    let far = FarEnd::new(
        ip("52.114.77.136"),
        Arc::new(DescribedNetwork::new(network)),
    );
    assert_eq!(
        far.summary(),
        "IE (GDPR) · AS8075 Microsoft Corporation · operator home US (CLOUD Act, FISA 702)"
    );
    // The record's `remote` object: address, network fields, summary, in that order.
    let json = serde_json::to_string(&crate::report::remote::Remote::new(far)).unwrap();
    assert!(
        json.starts_with(r#"{"ip":"52.114.77.136","special":null,"#),
        "{json}"
    );
    assert!(json.ends_with(r#""summary":"IE (GDPR) · AS8075 Microsoft Corporation · operator home US (CLOUD Act, FISA 702)"}"#), "{json}");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["special"], serde_json::Value::Null);
    assert_eq!(json["operator_jurisdiction"][0], "us-cloud-act");
    assert!(json.get("jurisdiction_short").is_none());
}

fn write_db(dir: &tempfile::TempDir, name: &str, bytes: Vec<u8>) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// 2024-05-01T00:00:00Z
const MAY_2024: u64 = 1_714_521_600;

#[test]
fn user_maxmind_db_overrides_embedded_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let city = build(
        "GeoLite2-City",
        MAY_2024,
        vec![(
            ip("52.114.0.0"),
            16,
            Value::Map(vec![
                (
                    "city",
                    Value::Map(vec![(
                        "names",
                        Value::Map(vec![("en", Value::Str("Stockholm"))]),
                    )]),
                ),
                (
                    "country",
                    Value::Map(vec![
                        ("iso_code", Value::Str("SE")),
                        ("geoname_id", Value::U32(2661886)),
                    ]),
                ),
                (
                    "registered_country",
                    Value::Map(vec![("iso_code", Value::Str("US"))]),
                ),
            ]),
        )],
    );
    let asn = build(
        "GeoLite2-ASN",
        MAY_2024,
        vec![(
            ip("52.114.77.0"),
            24,
            Value::Map(vec![
                ("autonomous_system_number", Value::U32(64500)),
                (
                    "autonomous_system_organization",
                    Value::Str("Test Carrier AB"),
                ),
            ]),
        )],
    );
    let paths = [
        write_db(&dir, "GeoLite2-City.mmdb", city),
        write_db(&dir, "GeoLite2-ASN.mmdb", asn),
    ];
    let db = GeoDb::with_user_databases(&paths).unwrap();
    let names: Vec<String> = db.sources().iter().map(|s| s.name.clone()).collect();
    assert_eq!(
        names,
        [
            "GeoLite2-City.mmdb",
            "GeoLite2-ASN.mmdb",
            "callpath-geo.mmdb (embedded)"
        ]
    );

    let a = db.lookup(ip("52.114.77.136"));
    assert_eq!(a.country.as_deref(), Some("SE"));
    assert_eq!(a.asn, Some(64500));
    assert_eq!(a.org.as_deref(), Some("Test Carrier AB"));
    // The embedded DB disagrees on the ASN, so its ASN country is not mixed in.
    assert_eq!(a.asn_country, None);
    assert_eq!(
        a.source.as_deref(),
        Some("GeoLite2-City.mmdb (GeoLite2-City, 2024-05-01) + GeoLite2-ASN.mmdb (GeoLite2-ASN, 2024-05-01)")
    );

    // Outside the ASN block: country from the user City DB, ASN filled in from the embedded DB.
    let b = db.lookup(ip("52.114.1.1"));
    assert_eq!(b.country.as_deref(), Some("SE"));
    assert!(b.asn.is_some());
    let src = b.source.unwrap();
    assert!(
        src.starts_with("GeoLite2-City.mmdb")
            && src.ends_with("callpath-geo.mmdb (embedded) (callpath-geo-asn-country, 2026-06-17)"),
        "{src}"
    );

    // Not covered by any user DB: the embedded answer, named as such.
    let c = db.lookup(ip("8.8.8.8"));
    assert_eq!(c.asn, Some(15169));
    assert!(c.source.unwrap().starts_with("callpath-geo.mmdb"));

    // User DBs alone answer nothing outside their blocks.
    let only = GeoDb::open(&paths).unwrap();
    assert_eq!(only.lookup(ip("8.8.8.8")).source, None);

    // The embedded DB places 52.114.0.0/16 in IE (Microsoft's GeoFeed):
    // the City DB's SE is the answer, and the disagreement is kept with the
    // database that has it. Where nothing disagrees, nothing is kept.
    assert_eq!(
        a.other_countries,
        [("IE".to_string(), "callpath-geo.mmdb (embedded)".to_string())]
    );
    assert!(c.other_countries.is_empty());
    let resolver = GeoResolver::new(
        GeoDb::with_user_databases(&paths).unwrap(),
        Operators::embedded().unwrap(),
        Jurisdictions::embedded().unwrap(),
    );
    let far = resolver.resolve(ip("52.114.77.136"));
    assert_eq!(
        far.summary(),
        "SE (GDPR, e-Evidence) · callpath-geo.mmdb (embedded) says IE (GDPR, e-Evidence) · AS64500 Test Carrier AB"
    );
    let json = serde_json::to_value(crate::report::remote::Remote::new(far)).unwrap();
    assert_eq!(json["other_countries"][0]["country"], "IE", "{json}");
    assert_eq!(
        json["other_countries"][0]["jurisdiction"][0], "eu-gdpr",
        "{json}"
    );
    let json = serde_json::to_value(crate::report::remote::Remote::new(
        resolver.resolve(ip("8.8.8.8")),
    ))
    .unwrap();
    assert!(json.get("other_countries").is_none(), "{json}");
}

#[test]
fn user_ipinfo_db_schema() {
    let dir = tempfile::tempdir().unwrap();
    let ipinfo = build(
        "ipinfo country_asn.mmdb",
        MAY_2024,
        vec![
            (
                ip("8.8.8.0"),
                24,
                Value::Map(vec![
                    ("country", Value::Str("FR")),
                    ("country_name", Value::Str("France")),
                    ("asn", Value::Str("AS13335")),
                    ("as_name", Value::Str("Cloudflare Test")),
                    ("as_domain", Value::Str("cloudflare.com")),
                ]),
            ),
            (
                ip("2001:4860::"),
                32,
                Value::Map(vec![
                    // IPinfo Lite: `country` is the name, `country_code` the code.
                    ("country", Value::Str("Germany")),
                    ("country_code", Value::Str("DE")),
                    ("asn", Value::Str("AS64501")),
                    ("as_name", Value::Str("Lite Test GmbH")),
                ]),
            ),
        ],
    );
    let path = write_db(&dir, "country_asn.mmdb", ipinfo);
    let resolver = GeoResolver::new(
        GeoDb::with_user_databases(&[path]).unwrap(),
        Operators::embedded().unwrap(),
        Jurisdictions::embedded().unwrap(),
    );
    assert_eq!(resolver.db().sources()[0].schema, DbSchema::IpInfo);
    let far = resolver.resolve(ip("8.8.8.8"));
    assert_eq!(far.country.as_deref(), Some("FR"));
    assert_eq!(far.asn, Some(13335));
    assert_eq!(far.org.as_deref(), Some("Cloudflare Test"));
    assert_eq!(far.operator.as_deref(), Some("Cloudflare"));
    assert!(far.jurisdiction.iter().any(|r| &**r == "eu-gdpr"));
    assert!(far
        .source
        .as_deref()
        .unwrap()
        .starts_with("country_asn.mmdb (ipinfo country_asn.mmdb, 2024-05-01)"));

    let v6 = resolver.resolve(ip("2001:4860:4860::8888"));
    assert_eq!(v6.country.as_deref(), Some("DE"));
    assert_eq!(v6.asn, Some(64501));
}

#[test]
fn bad_user_database_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_db(&dir, "broken.mmdb", b"not a database".to_vec());
    let err = GeoDb::with_user_databases(&[path]).unwrap_err().to_string();
    assert!(err.starts_with("broken.mmdb:"), "{err}");
    let missing = GeoDb::open(&[dir.path().join("absent.mmdb")])
        .unwrap_err()
        .to_string();
    assert!(missing.contains("absent.mmdb"), "{missing}");
}

#[test]
fn discovery_lists_mmdb_files_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("GeoLite2-Country.mmdb"), b"x").unwrap();
    std::fs::write(dir.path().join("GeoIP.conf"), b"x").unwrap();
    std::fs::write(dir.path().join("A.MMDB"), b"x").unwrap();
    let found = GeoDb::discover_in(&[dir.path(), std::path::Path::new("/nonexistent/callpath")]);
    let names: Vec<_> = found
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["A.MMDB", "GeoLite2-Country.mmdb"]);
}

/// The Teams conference capture of the reference corpus: its relay
/// 104.46.40.49 gets a location, AS8075 Microsoft, operator home US and
/// the regimes of both; a user database (`--geoip`) changes the location
/// and the record names that database.
#[test]
fn teams_relay_in_the_corpus_with_embedded_and_user_databases() {
    use crate::analysis::{Analysis, AnalysisConfig, Input, NoProgress};
    use crate::report::sink::sink_for;
    use crate::report::OutputFormat;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    let capture = crate::dissect::test_corpus::ndpi_dir().join("skype-conference-call.pcap");
    if !capture.exists() {
        eprintln!("SKIPPED: {} not found", capture.display());
        return;
    }
    #[derive(Clone)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let relay_remote = |geoip: Vec<std::path::PathBuf>| -> serde_json::Value {
        let out = Shared(Arc::new(Mutex::new(Vec::new())));
        let config = AnalysisConfig {
            geoip,
            ..Default::default()
        };
        let mut a = Analysis::new(
            &config,
            sink_for(OutputFormat::Ndjson, Box::new(out.clone())),
        )
        .unwrap();
        a.run_input(&Input::File(capture.clone()), &NoProgress)
            .unwrap();
        a.finish().unwrap();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|r| r["type"] == "flow" && r["role"] == "relay")
            .expect("a relay flow")["remote"]
            .clone()
    };
    let embedded = relay_remote(Vec::new());
    assert_eq!(embedded["ip"], "104.46.40.49");
    assert!(embedded["country"].is_string(), "{embedded}");
    assert_eq!(embedded["asn"], 8075);
    assert_eq!(embedded["operator_country"], "US");
    assert!(!embedded["jurisdiction"].as_array().unwrap().is_empty());
    assert!(
        embedded["operator_jurisdiction"]
            .to_string()
            .contains("cloud"),
        "{embedded}"
    );

    let dir = tempfile::tempdir().unwrap();
    let city = build(
        "GeoLite2-City",
        MAY_2024,
        vec![(
            ip("104.46.0.0"),
            16,
            Value::Map(vec![(
                "country",
                Value::Map(vec![("iso_code", Value::Str("SE"))]),
            )]),
        )],
    );
    let path = dir.path().join("GeoLite2-City.mmdb");
    std::fs::write(&path, city).unwrap();
    let user = relay_remote(vec![path]);
    assert_eq!(user["country"], "SE", "{user}");
    assert!(
        user["source"]
            .as_str()
            .unwrap()
            .contains("GeoLite2-City.mmdb"),
        "{user}"
    );
    assert_eq!(
        user["asn"], 8075,
        "the embedded database still fills the ASN"
    );
    // Where the embedded database placed it is still shown, and named.
    assert!(embedded.get("other_countries").is_none(), "{embedded}");
    if embedded["country"] != "SE" {
        assert_eq!(
            user["other_countries"][0]["country"], embedded["country"],
            "{user}"
        );
        assert_eq!(
            user["other_countries"][0]["source"], "callpath-geo.mmdb (embedded)",
            "{user}"
        );
        assert!(
            user["summary"]
                .as_str()
                .unwrap()
                .contains("callpath-geo.mmdb (embedded) says"),
            "{user}"
        );
    }
}

/// Addresses answered from a network looked up before get exactly what a
/// lookup of their own would give, and the networks save lookups.
#[test]
fn network_cache_answers_as_a_lookup_would() {
    let addresses = cache_test_addresses();
    // The embedded database alone (its flat IPv4 table), and the same
    // bytes as a user's file (remembered network ranges).
    let dir = tempfile::tempdir().unwrap();
    let file = write_db(
        &dir,
        "copy.mmdb",
        super::database::embedded_bytes().to_vec(),
    );
    let from_file = || {
        GeoResolver::new(
            GeoDb::open(std::slice::from_ref(&file)).unwrap(),
            Operators::embedded().unwrap(),
            Jurisdictions::embedded().unwrap(),
        )
    };
    assert!(resolver().db().v4_table().is_some());
    assert!(from_file().db().v4_table().is_none());
    let makers: [&dyn Fn() -> GeoResolver; 2] = [&resolver, &from_file];
    for make in makers {
        let cached = make();
        for &ip in &addresses {
            let fresh = make().describe(ip);
            // `describe`: past the per-address cache, to the networks'.
            let got = cached.describe(ip);
            assert_eq!(got.described.network, fresh.described.network, "{ip}");
            assert_eq!(got.summary(), fresh.summary(), "{ip}");
        }
        assert!(
            cached.db().lookups() < addresses.len() as u64,
            "{} lookups for {} addresses",
            cached.db().lookups(),
            addresses.len()
        );
    }
    // Both ways give one answer (but for the database's name).
    let (table, ranges) = (resolver(), from_file());
    for &ip in &addresses {
        let mut a = table.resolve(ip).described.network.clone();
        let mut b = ranges.resolve(ip).described.network.clone();
        (a.source, b.source) = (None, None);
        assert_eq!(a, b, "{ip}");
    }
}

/// Blocks inside wide networks, blocks split into small networks, special
/// ranges inside ordinary /16s (192.0.2.0/24, 198.51.100.0/24); in both
/// orders: a wide network first, then the narrow ones inside it, and the
/// other way round.
fn cache_test_addresses() -> Vec<IpAddr> {
    let mut addresses = Vec::new();
    for (a, b) in [
        (52, 114),
        (8, 8),
        (223, 182),
        (111, 225),
        (192, 0),
        (198, 51),
        (1, 1),
    ] {
        for c in (0..=255u8).step_by(37) {
            for d in [1u8, 100, 254] {
                addresses.push(IpAddr::from([a, b, c, d]));
            }
        }
    }
    let reversed: Vec<IpAddr> = addresses.iter().rev().copied().collect();
    addresses.extend(reversed);
    addresses
}
