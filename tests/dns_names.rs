//! A DNS response names the far ends it gave addresses for: later flows to
//! those addresses carry the name the device asked for, and a name in an
//! app's domains makes the flow that app's lookup traffic.

mod common;

use common::*;

#[test]
fn flows_to_an_answered_address_carry_the_asked_name() {
    let Some(corpus) = corpus() else { return };
    // Frame 859 answers dl-obs.official.line.naver.jp with 203.69.81.73
    // (tshark -Y 'dns.qry.name contains "dl-obs"'); two HTTP connections
    // to that address follow, without a Host or SNI of their own.
    let (records, out) = analyze_ndjson(&corpus.join("ndpi/1kxun.pcap"));
    assert!(out.status.success(), "{out:?}");
    let flows = flows_by_id(&records);
    let flow = flows
        .get(&flow_id("tcp", "192.168.5.16:53628", "203.69.81.73:80"))
        .expect("the connection to the answered address is a flow");
    assert_eq!(
        flow["server_name"], "dl-obs.official.line.naver.jp",
        "{flow}"
    );
    assert_eq!(flow["app"], "line", "{flow}");
    assert_eq!(flow["role"], "lookup", "{flow}");
    let evidence = flow["evidence"].to_string();
    assert!(evidence.contains("resolved by DNS"), "{evidence}");
}
