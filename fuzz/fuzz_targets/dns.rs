#![no_main]

use std::net::IpAddr;

use callpath::dissect::dns;
use libfuzzer_sys::fuzz_target;

/// The name cache's lean path must give the full parse's addresses.
fn check(msg: &[u8]) {
    let full = dns::parse_response(msg).map(|answers| {
        answers
            .into_iter()
            .filter_map(|a| match a.kind {
                dns::DnsAnswerKind::A(ip) => Some(IpAddr::V4(ip)),
                dns::DnsAnswerKind::Aaaa(ip) => Some(IpAddr::V6(ip)),
                dns::DnsAnswerKind::Cname(_) => None,
            })
            .collect::<Vec<_>>()
    });
    assert_eq!(dns::response_addresses(msg), full);
}

fuzz_target!(|data: &[u8]| {
    let _ = dns::probe(data);
    std::hint::black_box(dns::query_name(data));
    check(data);
    if let Some(msg) = dns::tcp_message(data) {
        check(msg);
    }
});
