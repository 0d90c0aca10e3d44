#!/usr/bin/env python3
"""Writes tests/data/tshark-conv.json: per capture, tshark's view of every
UDP/TCP conversation (unordered endpoints, frames, frame bytes), the
expectation the integration test `tshark_agreement` checks callpath against.

tshark dissects each frame; frames are summed per conversation exactly as
`tshark -z conv,udp -z conv,tcp` does. Frames carrying more than one
transport header (tunnels, ICMP errors quoting a datagram) are left out of
the expectation, as the two tools count those differently by design.

usage: make-tshark-conv.py CORPUS_DIR CAPTURE... > tests/data/tshark-conv.json
"""
import collections, json, os, subprocess, sys

FIELDS = ["frame.len", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "icmp.type", "icmpv6.type"]

def ep(ip, port):
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"

def conversations(path):
    out = subprocess.run(["tshark", "-r", path, "-T", "fields", "-E", "separator=\t",
                          *sum((["-e", f] for f in FIELDS), [])],
                         capture_output=True, text=True, check=False).stdout
    conv = collections.defaultdict(lambda: [0, 0])
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (len(FIELDS) - len(f))
        length, s4, s6, d4, d6, us, ud, ts, td, icmp, icmp6 = f
        src, dst = s4 or s6, d4 or d6
        if icmp or icmp6 or not src or any("," in x for x in (src, dst, us, ud, ts, td)):
            continue
        if us and ud:
            l4, sp, dp = "udp", us, ud
        elif ts and td:
            l4, sp, dp = "tcp", ts, td
        else:
            continue
        key = (l4, tuple(sorted([ep(src, sp), ep(dst, dp)])))
        conv[key][0] += 1
        conv[key][1] += int(length)
    return [{"l4": k[0], "a": k[1][0], "b": k[1][1], "packets": v[0], "bytes": v[1]}
            for k, v in sorted(conv.items())]

corpus, names = sys.argv[1], sys.argv[2:]
json.dump({n: conversations(os.path.join(corpus, n)) for n in names}, sys.stdout, indent=1)
print()
