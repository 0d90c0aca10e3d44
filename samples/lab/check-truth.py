#!/usr/bin/env python3
"""Check that a truth file covers exactly the flows of its capture.

    python3 samples/lab/check-truth.py samples/*.pcap [samples/rewritten/*.pcap]

For each X.pcap reads X.truth.jsonl; lists the capture's conversations with
tshark (-z conv,udp -z conv,tcp, plus ICMP by outer addresses, port 0) and
compares them with the truth file's (l4, {a, b}) keys. Exit 1 on any mismatch.
"""
import json
import subprocess
import sys

ROLES = {"p2p_media", "relay_media", "lookup", "none"}


def bracketed(ep):
    """tshark's "2001:db8::1:5000" as "[2001:db8::1]:5000"; IPv4 as it is."""
    addr, _, port = ep.rpartition(":")
    return f"[{addr}]:{port}" if ":" in addr else ep


def conversations(pcap):
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-z", "conv,udp", "-z", "conv,tcp"],
                         capture_output=True, text=True, check=True).stdout
    kind, conv = None, set()
    for line in out.splitlines():
        if line.startswith("UDP Conversations"):
            kind = "udp"
        elif line.startswith("TCP Conversations"):
            kind = "tcp"
        elif "<->" in line:
            f = line.split()
            conv.add((kind, frozenset([bracketed(f[0]), bracketed(f[2])])))
    icmp = subprocess.run(["tshark", "-r", pcap, "-Y", "icmp", "-T", "fields", "-E", "occurrence=f",
                           "-e", "ip.src", "-e", "ip.dst"], capture_output=True, text=True, check=True).stdout
    for line in icmp.splitlines():
        if line.strip():
            a, b = line.split("\t")
            conv.add(("icmp", frozenset([a + ":0", b + ":0"])))
    return conv


bad = 0
for pcap in sys.argv[1:]:
    truth_path = pcap[:-len(".pcap")] + ".truth.jsonl"
    recs = [json.loads(l) for l in open(truth_path) if l.strip()]
    truth = {(r["l4"], frozenset([r["a"], r["b"]])): r for r in recs}
    conv = conversations(pcap)
    missing, extra = conv - set(truth), set(truth) - conv
    wrong = [r for r in recs if r["role"] not in ROLES or not r.get("why") or not r.get("app")]
    roles = {}
    for r in recs:
        roles[r["role"]] = roles.get(r["role"], 0) + 1
    ok = not missing and not extra and not wrong and len(truth) == len(recs)
    bad += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {pcap}: {len(conv)} flows, roles {roles}"
          + (f", missing {sorted(map(sorted, (k[1] for k in missing)))}" if missing else "")
          + (f", extra {sorted(map(sorted, (k[1] for k in extra)))}" if extra else "")
          + (f", bad records {len(wrong)}" if wrong else ""))
sys.exit(1 if bad else 0)
