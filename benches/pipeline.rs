//! Criterion benchmarks of callpath's stages on real bytes: capture reader,
//! decode, flow table, each dissector and the whole pipeline.
//!
//! Inputs: samples/*.pcap (in the repository) and, when present, a few
//! captures of the nDPI corpus (`$CALLPATH_CORPUS/ndpi`, default the corpus
//! next to the repository, ../shared/corpus). A bench whose input is missing is skipped with
//! a message. Smoke run: `cargo bench --bench pipeline -- --test`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use callpath::analysis::run::NoProgress;
use callpath::analysis::{Analysis, AnalysisConfig, Input};
use callpath::capture::{CaptureFile, Timestamp};
use callpath::decode::{self, Decoded, L4Proto};
use callpath::dissect::probe::Probe;
use callpath::dissect::rtp_quality::RtpStreamQuality;
use callpath::dissect::{
    discord, dns, dtls, h225, iax2, mgcp, quic, rtcp, rtp, rtsp, sccp, sdp, sip, skype, stun,
    telegram, tls, turn_channel, whatsapp, zoom,
};
use callpath::flow::{FlowTable, FlowTableConfig};
use callpath::report::json::NdjsonSink;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
}

/// The nDPI reference captures: `$CALLPATH_CORPUS/ndpi`, by default the
/// corpus next to the repository (`../shared/corpus`), as the tests find it.
fn corpus() -> PathBuf {
    std::env::var_os("CALLPATH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"))
        .join("ndpi")
}

/// Captures read for dissector payloads: the repository's samples and the
/// corpus captures that hold SIP, TLS, QUIC, DNS and the app framings and
/// legacy VoIP signalling the samples lack.
fn payload_sources() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "relayed-call.pcap",
        "direct-call.pcap",
        "webrtc-call.pcap",
        "lookups-only.pcap",
    ]
    .iter()
    .map(|f| samples().join(f))
    .collect();
    for f in [
        "sip.pcap",
        "quic-29.pcap",
        "dns.pcap",
        "dtls.pcap",
        "tls-rdn-extract.pcap",
        "stun.pcap",
        "zoom.pcap",
        "discord.pcap",
        "telegram.pcap",
        "whatsapp_login_chat.pcap",
        "whatsapp_voice_and_message.pcap",
        "h323.pcap",
        "iax.pcap",
        "mgcp.pcap",
        "sccp_hw_conf_register.pcapng",
        "rtsp.pcap",
    ] {
        v.push(corpus().join(f));
    }
    v.retain(|p| p.exists());
    v
}

/// UDP and TCP payloads (with transport, ports and capture time in ns) of
/// every decodable packet.
fn payloads(paths: &[PathBuf]) -> Vec<(L4Proto, u16, u16, Vec<u8>, i64)> {
    let mut out = Vec::new();
    for p in paths {
        let Ok(cap) = CaptureFile::open(p) else {
            continue;
        };
        cap.read(|pkt, _| {
            if let Decoded::Packet(v) = decode::decode(pkt.link, pkt.data) {
                if !v.payload.is_empty() {
                    out.push((v.l4, v.src_port, v.dst_port, v.payload.to_vec(), pkt.ts.0));
                }
            }
        });
    }
    out
}

fn bench_capture_and_decode(c: &mut Criterion) {
    let path = samples().join("relayed-call.pcap");
    let Ok(cap) = CaptureFile::open(&path) else {
        eprintln!(
            "skipping capture/decode benches: {} is missing",
            path.display()
        );
        return;
    };
    let packets = cap.read(|_, _| {}).packets;
    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Elements(packets));
    g.bench_function("capture_read", |b| {
        b.iter(|| {
            let mut n = 0usize;
            cap.read(|pkt, _| n += pkt.data.len());
            black_box(n)
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            let mut n = 0usize;
            cap.read(|pkt, _| {
                if let Decoded::Packet(v) = decode::decode(pkt.link, pkt.data) {
                    n += v.payload.len();
                }
            });
            black_box(n)
        })
    });
    g.bench_function("flow_table", |b| {
        b.iter(|| {
            let mut table = FlowTable::new(FlowTableConfig::default());
            let mut ended = 0usize;
            cap.read(|pkt, _| {
                if let Decoded::Packet(v) = decode::decode(pkt.link, pkt.data) {
                    let _ =
                        table.track(&v, pkt.ts, pkt.orig_len, pkt.frame, 0, &mut |_| ended += 1);
                }
            });
            table.expire(Timestamp(i64::MAX), &mut |_| ended += 1);
            black_box(ended)
        })
    });
    g.finish();
}

/// Benchmarks `parse` over the payloads it accepts; skipped when none.
fn bench_dissector<F>(c: &mut Criterion, name: &str, inputs: Vec<&[u8]>, parse: F)
where
    F: Fn(&[u8]) -> bool,
{
    let inputs: Vec<&[u8]> = inputs.into_iter().filter(|p| parse(p)).collect();
    if inputs.is_empty() {
        eprintln!("skipping dissect/{name}: no such payloads in the inputs");
        return;
    }
    let mut g = c.benchmark_group("dissect");
    g.throughput(Throughput::Elements(inputs.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| inputs.iter().filter(|p| parse(black_box(p))).count())
    });
    g.finish();
}

fn bench_dissectors(c: &mut Criterion) {
    let all = payloads(&payload_sources());
    let udp = || {
        all.iter()
            .filter(|p| p.0 == L4Proto::Udp)
            .map(|p| p.3.as_slice())
    };
    let tcp = || {
        all.iter()
            .filter(|p| p.0 == L4Proto::Tcp)
            .map(|p| p.3.as_slice())
    };
    // Payloads with either port in `ports`, for dissectors tried only there.
    let on = |ports: RangeInclusive<u16>| {
        all.iter()
            .filter(|p| ports.contains(&p.1) || ports.contains(&p.2))
            .map(|p| p.3.as_slice())
            .collect::<Vec<_>>()
    };
    bench_dissector(c, "stun", udp().collect(), |p| {
        stun::probe(p) == Probe::Certain && stun::parse(p).is_ok()
    });
    bench_dissector(c, "rtp", udp().collect(), |p| {
        rtp::probe(p) != Probe::NotForUs && rtp::parse(p).is_some()
    });
    bench_dissector(c, "dtls", udp().collect(), |p| {
        dtls::probe(p) == Probe::Certain && dtls::records(p).count() > 0
    });
    bench_dissector(c, "dtls_client_hello", udp().collect(), |p| {
        dtls::records(p).any(|r| dtls::client_hello_info(&r).is_some())
    });
    bench_dissector(c, "sip", on(5060..=5060), |p| sip::parse(p).is_ok());
    bench_dissector(c, "tls_client_hello", tcp().collect(), |p| {
        matches!(tls::scan_client_hello(p), tls::ClientHelloScan::Hello(_))
    });
    bench_dissector(c, "quic_initial", udp().collect(), |p| {
        quic::initial_server_name(p).is_some()
    });
    bench_dissector(c, "dns_response", udp().collect(), |p| {
        dns::probe(p) != Probe::NotForUs && dns::response_addresses(p).is_ok_and(|a| !a.is_empty())
    });
    // Unsure is SRTCP (the encrypted tail breaks the length chain), which
    // the pipeline takes inside a call.
    bench_dissector(c, "rtcp", udp().collect(), |p| {
        rtcp::probe(p) != Probe::NotForUs
            && rtcp::packets(p).all(|r| r.report_blocks().count() <= usize::from(r.count))
    });
    bench_dissector(c, "turn_channel", udp().collect(), |p| {
        turn_channel::parse(p).is_some()
    });
    // The SDP bodies of SIP messages that declare one, as the pipeline
    // parses them.
    let sdp_bodies = on(5060..=5060)
        .into_iter()
        .filter_map(|p| sip::parse(p).ok())
        .filter(|m| {
            m.content_type
                .is_some_and(|t| t.to_ascii_lowercase().contains("sdp"))
        })
        .map(|m| m.body)
        .collect();
    bench_dissector(c, "sdp", sdp_bodies, |b| sdp::parse(b).is_ok());
    bench_dissector(
        c,
        "zoom",
        on(zoom::SERVER_PORT_FIRST..=zoom::SERVER_PORT_LAST),
        |p| zoom::probe(p, true) != Probe::NotForUs && zoom::parse_server(p).is_some(),
    );
    bench_dissector(c, "discord", udp().collect(), |p| {
        discord::parse(p).is_some()
    });
    // Relayed data (any 16n-byte datagram fits its shape) only behind a peer
    // tag a reflector control packet proved, as the pipeline counts it.
    let tags: Vec<&[u8]> = udp()
        .filter(|p| telegram::probe(p) == Probe::Certain)
        .map(|p| &p[..telegram::PEER_TAG_LEN])
        .collect();
    let tagged = udp().filter(|p| tags.iter().any(|t| p.starts_with(t)));
    bench_dissector(c, "telegram", tagged.collect(), |p| {
        telegram::probe(p) != Probe::NotForUs && telegram::parse(p).is_some()
    });
    bench_dissector(c, "whatsapp", tcp().collect(), |p| {
        whatsapp::probe_tcp_stream_start(p) == Probe::Certain
    });
    // Legacy Skype framing has no redundancy and no capture holds it
    // (skype.rs): this times probe and parse on what they let through as
    // Unsure, i.e. on false positives (SSDP, encrypted datagrams).
    bench_dissector(c, "skype", udp().collect(), |p| {
        skype::probe(p) != Probe::NotForUs && skype::parse(p).is_some()
    });
    bench_dissector(c, "h225", tcp().collect(), |p| {
        h225::probe(p) == Probe::Certain && h225::parse_tpkt_q931(p).is_some()
    });
    bench_dissector(c, "h225_ras", on(h225::RAS_PORT..=h225::RAS_PORT), |p| {
        h225::probe_ras(p) == Probe::Certain
    });
    bench_dissector(c, "iax2", on(iax2::PORT..=iax2::PORT), |p| {
        iax2::probe(p) != Probe::NotForUs && iax2::parse(p).is_some()
    });
    bench_dissector(c, "mgcp", udp().collect(), |p| {
        mgcp::probe(p) != Probe::NotForUs && mgcp::parse(p).is_some()
    });
    // RTSP messages (rtsp.pcap) with their Transport headers read.
    bench_dissector(c, "rtsp", tcp().collect(), |p| {
        rtsp::parse(p).is_some_and(|m| m.transports().len() <= 8)
    });
    bench_dissector(c, "sccp", on(sccp::PORT..=sccp::PORT), |p| {
        sccp::probe(p) != Probe::NotForUs && !sccp::parse_all(p).is_empty()
    });
    // RTP stream statistics are kept per stream, not per payload: the RTP
    // headers of each (ports, SSRC) in capture order, with their capture
    // times, fed to one `RtpStreamQuality` as the flow table does.
    let mut streams: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for p in all.iter().filter(|p| p.0 == L4Proto::Udp) {
        if let Some(h) = rtp::parse(&p.3).filter(|_| rtp::probe(&p.3) != Probe::NotForUs) {
            streams
                .entry((p.1, p.2, h.ssrc))
                .or_default()
                .push((h, p.4));
        }
    }
    // A lone header is random bytes that passed the probe, not a stream.
    streams.retain(|_, s| s.len() > 1);
    let packets: usize = streams.values().map(Vec::len).sum();
    if packets == 0 {
        eprintln!("skipping dissect/rtp_quality: no RTP streams in the inputs");
        return;
    }
    let mut g = c.benchmark_group("dissect");
    g.throughput(Throughput::Elements(packets as u64));
    g.bench_function("rtp_quality", |b| {
        b.iter(|| {
            let mut lost = 0i64;
            for s in black_box(&streams).values() {
                let (first, _) = s[0];
                let rate = rtp::clock_rate(first.payload_type);
                let mut q = RtpStreamQuality::new(first.ssrc, first.sequence, rate);
                for (h, at) in s {
                    q.update(h.sequence, h.timestamp, *at);
                }
                lost += q.lost();
            }
            lost
        })
    });
    g.finish();
}

/// The whole analysis of one capture, NDJSON written to a sink that
/// discards it.
fn analyse(path: &Path) -> u64 {
    let sink = NdjsonSink::new(Box::new(std::io::sink()));
    let Ok(mut analysis) = Analysis::new(&AnalysisConfig::default(), Box::new(sink)) else {
        return 0;
    };
    let _ = analysis.run_input(&Input::File(path.to_path_buf()), &NoProgress);
    analysis.finish().map(|s| s.flows).unwrap_or(0)
}

fn bench_pipeline(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    let inputs = [
        samples().join("relayed-call.pcap"),
        corpus().join("zoom.pcap"),
        corpus().join("telegram.pcap"),
    ];
    for path in inputs {
        let Ok(cap) = CaptureFile::open(&path) else {
            eprintln!("skipping pipeline on {}: missing", path.display());
            continue;
        };
        g.throughput(Throughput::Elements(cap.read(|_, _| {}).packets));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        g.bench_function(name, |b| b.iter(|| black_box(analyse(&path))));
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_capture_and_decode,
    bench_dissectors,
    bench_pipeline
);
criterion_main!(benches);
