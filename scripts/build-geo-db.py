#!/usr/bin/env python3
"""Build callpath's embedded geolocation database (data/geo/callpath-geo.mmdb).

Input: the unpacked npm packages of ip-location-db (see build-geo-db.sh, which fetches them):
  --geo  DIR  @ip-location-db/geo-whois-asn-country  (IP range -> country, *-num.csv)
  --asn  DIR  @ip-location-db/asn                    (IP range -> ASN + organisation, *-num.csv)
  --asnc DIR  @ip-location-db/asn-country            (IP range -> country of the ASN's registration)

Output: one MaxMind DB (format 2.0, ip_version 6, IPv4 under ::/96) whose records are
  {"country_code": "IE", "autonomous_system_number": 8075,
   "autonomous_system_organization": "Microsoft Corporation", "asn_country_code": "US"}
with any field absent when unknown. Precision is capped (--v4-bits 24, --v6-bits 48 by default):
that is what keeps the file near 13 MB instead of 17 MB. The asn_country_code is a property of the ASN: the country
that covers most of the ASN's address ranges in the asn-country data (one value per ASN keeps the
tree as small as the ASN tree alone).

The MMDB writer is written here from the public spec
(https://maxmind.github.io/MaxMind-DB/), using the Python standard library only.
"""
import argparse
import calendar
import csv
import os
import struct
import sys
import time
from bisect import bisect_right
from collections import Counter, defaultdict

sys.setrecursionlimit(10000)
V4_OFFSET = 0  # IPv4 lives at ::a.b.c.d (the first 96 bits zero), as in MaxMind's own files.


def read_ranges(path, v4, value_cols):
    """Yields (start, end_inclusive, values) in 128-bit space from an ip-location-db *-num.csv."""
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            if len(row) < 2 + value_cols:
                continue
            start, end = int(row[0]), int(row[1])
            yield start, end, tuple(row[2:2 + value_cols])


def load(dirpath, stem, value_cols):
    out = []
    for fam in ("ipv4", "ipv6"):
        path = os.path.join(dirpath, f"{stem}-{fam}-num.csv")
        for s, e, v in read_ranges(path, fam == "ipv4", value_cols):
            if fam == "ipv6" and s < (1 << 96):
                # IPv6 rows inside ::/96 would collide with the IPv4 subtree: skip them.
                continue
            out.append((s, e, v))
    out.sort()
    # Drop overlaps (keep the first row), so every list is disjoint.
    clean, last_end = [], -1
    for s, e, v in out:
        if s <= last_end:
            if e <= last_end:
                continue
            s = last_end + 1
        clean.append((s, e, v))
        last_end = e
    return clean


def asn_home_countries(asn_rows, asnc_rows):
    """ASN -> the country covering most of its addresses in the asn-country data."""
    starts = [r[0] for r in asnc_rows]
    votes = defaultdict(Counter)
    for s, e, (asn, _org) in asn_rows:
        i = bisect_right(starts, s) - 1
        # Walk the asn-country rows overlapping [s, e].
        while 0 <= i < len(asnc_rows) and asnc_rows[i][0] <= e:
            cs, ce, (cc,) = asnc_rows[i]
            lo, hi = max(s, cs), min(e, ce)
            if lo <= hi and cc:
                # Weight by log2 of the size so one huge block does not hide every other one,
                # but bigger blocks still count more than tiny ones.
                votes[asn][cc] += (hi - lo + 1).bit_length()
            i += 1
    return {asn: c.most_common(1)[0][0] for asn, c in votes.items()}


def merge_segments(geo_rows, asn_rows, asn_cc):
    """Union of the two disjoint range lists into disjoint segments with combined values."""
    points = set()
    for rows in (geo_rows, asn_rows):
        for s, e, _ in rows:
            points.add(s)
            points.add(e + 1)
    bounds = sorted(points)
    gi = ai = 0
    segs = []
    for k in range(len(bounds) - 1):
        s, nxt = bounds[k], bounds[k + 1]
        while gi < len(geo_rows) and geo_rows[gi][1] < s:
            gi += 1
        while ai < len(asn_rows) and asn_rows[ai][1] < s:
            ai += 1
        rec = {}
        if gi < len(geo_rows) and geo_rows[gi][0] <= s and geo_rows[gi][2][0]:
            rec["country_code"] = geo_rows[gi][2][0]
        if ai < len(asn_rows) and asn_rows[ai][0] <= s:
            asn, org = asn_rows[ai][2]
            if asn.isdigit() and int(asn) > 0:
                rec["autonomous_system_number"] = int(asn)
                if org:
                    rec["autonomous_system_organization"] = org
                if asn in asn_cc:
                    rec["asn_country_code"] = asn_cc[asn]
        if not rec:
            continue
        key = tuple(sorted(rec.items()))
        if segs and segs[-1][1] + 1 == s and segs[-1][2] == key:
            segs[-1] = (segs[-1][0], nxt - 1, key)
        else:
            segs.append((s, nxt - 1, key))
    return segs


class DataWriter:
    """MMDB data section encoder with de-duplication by pointers."""

    def __init__(self):
        self.buf = bytearray()
        self.cache = {}

    @staticmethod
    def ctrl(type_, size):
        out = bytearray()
        if size < 29:
            first = size
            extra = b""
        elif size < 29 + 256:
            first, extra = 29, bytes([size - 29])
        elif size < 285 + 65536:
            first, extra = 30, struct.pack(">H", size - 285)
        else:
            first, extra = 31, struct.pack(">I", size - 65821)[1:]
        if type_ <= 7:
            out.append((type_ << 5) | first)
        else:
            out.append(first)
            out.append(type_ - 7)
        out += extra
        return bytes(out)

    @staticmethod
    def pointer(off):
        if off < 2048:
            return bytes([0x20 | (off >> 8), off & 0xFF])
        if off < 2048 + 524288:
            v = off - 2048
            return bytes([0x28 | (v >> 16), (v >> 8) & 0xFF, v & 0xFF])
        if off < 526336 + 134217728:
            v = off - 526336
            return bytes([0x30 | (v >> 24)]) + struct.pack(">I", v)[1:]
        return bytes([0x38]) + struct.pack(">I", off)

    def encode(self, value):
        if isinstance(value, str):
            b = value.encode("utf-8")
            return self.ctrl(2, len(b)) + b
        if isinstance(value, bool):
            raise TypeError("bool unsupported")
        if isinstance(value, int):
            n = (value.bit_length() + 7) // 8
            if n <= 4:
                return self.ctrl(6, n) + (value.to_bytes(n, "big") if n else b"")
            return self.ctrl(9, n) + value.to_bytes(n, "big")
        if isinstance(value, tuple) and value and value[0] == "__u16":
            v = value[1]
            n = (v.bit_length() + 7) // 8
            return self.ctrl(5, n) + (v.to_bytes(n, "big") if n else b"")
        if isinstance(value, list):
            return self.ctrl(11, len(value)) + b"".join(self.encode(v) for v in value)
        if isinstance(value, dict):
            out = self.ctrl(7, len(value))
            for k, v in value.items():
                out += self.encode(k) + self.encode(v)
            return out
        raise TypeError(type(value))

    def store(self, value):
        """Stores a value (dedup) and returns its offset. Strings are shared through pointers."""
        key = ("v", repr(value))
        if key in self.cache:
            return self.cache[key]
        if isinstance(value, dict):
            body = self.ctrl(7, len(value))
            for k, v in value.items():
                body += self.ref(k) + self.ref(v)
        else:
            body = self.encode(value)
        off = len(self.buf)
        self.buf += body
        self.cache[key] = off
        return off

    def ref(self, value):
        """Encoding of a map member: a pointer to a shared copy when that is shorter."""
        direct = self.encode(value)
        if isinstance(value, str) and len(direct) > 3:
            return self.pointer(self.store(value))
        return direct


def build_tree(segs, data_offsets, v4_bits, v6_bits):
    """Binary trie over 128 bits, returned as a node list [(left, right)].

    Precision is capped at /v4_bits for IPv4 and /v6_bits for IPv6: a block smaller than that
    takes the value of the segment at its first address. This bounds the tree (most of the size
    comes from tiny GeoFeed blocks) at the cost of answers inside such small blocks."""
    starts = [s for s, _, _ in segs]
    nodes = []
    EMPTY, DATA = "E", "D"

    def rec(base, depth):
        size = 1 << (128 - depth)
        end = base + size - 1
        i = bisect_right(starts, base) - 1
        if i < 0 or segs[i][1] < base:
            i += 1
        if i >= len(segs) or segs[i][0] > end:
            return (EMPTY, 0)
        s, e, key = segs[i]
        if s <= base and e >= end:
            return (DATA, data_offsets[key])
        if base < (1 << 32):
            # On the all-zero path to ::/96 (depth < 96) nothing is capped; inside it, IPv4 is.
            cap = 96 + v4_bits if depth >= 96 else 128
        else:
            cap = v6_bits
        if depth >= cap:
            # Too fine: the first segment that starts in or covers this block answers for it.
            return (DATA, data_offsets[key])
        idx = len(nodes)
        nodes.append(None)
        half = size >> 1
        left = rec(base, depth + 1)
        right = rec(base + half, depth + 1)
        nodes[idx] = (left, right)
        return ("N", idx)

    root = rec(0, 0)
    if root[0] != "N":
        raise SystemExit("degenerate tree")
    return nodes


def write_mmdb(path, segs, build_epoch, description, v4_bits, v6_bits):
    dw = DataWriter()

    class LazyOffsets(dict):
        # Only records the tree references are written to the data section.
        def __missing__(self, key):
            off = dw.store(dict(key))
            self[key] = off
            return off

    data_offsets = LazyOffsets()
    nodes = build_tree(segs, data_offsets, v4_bits, v6_bits)
    print(f"{len(data_offsets)} distinct records")
    n = len(nodes)

    def value(r):
        kind, v = r
        if kind == "N":
            return v
        if kind == "E":
            return n
        return n + 16 + v

    max_val = n + 16 + len(dw.buf)
    record_size = 24 if max_val < (1 << 24) else 28 if max_val < (1 << 28) else 32
    tree = bytearray()
    for left, right in nodes:
        lv, rv = value(left), value(right)
        if record_size == 24:
            tree += lv.to_bytes(3, "big") + rv.to_bytes(3, "big")
        elif record_size == 28:
            tree += (lv & 0xFFFFFF).to_bytes(3, "big")
            tree.append(((lv >> 24) << 4) | (rv >> 24))
            tree += (rv & 0xFFFFFF).to_bytes(3, "big")
        else:
            tree += lv.to_bytes(4, "big") + rv.to_bytes(4, "big")
    meta = DataWriter()
    meta_map = {
        "binary_format_major_version": ("__u16", 2),
        "binary_format_minor_version": ("__u16", 0),
        "build_epoch": build_epoch,
        "database_type": "callpath-geo-asn-country",
        "description": {"en": description},
        "ip_version": ("__u16", 6),
        "languages": ["en"],
        "node_count": n,
        "record_size": ("__u16", record_size),
    }
    # build_epoch must be uint64 (type 9) even when small.
    meta_bytes = meta.ctrl(7, len(meta_map))
    for k, v in meta_map.items():
        meta_bytes += meta.encode(k)
        if k == "build_epoch":
            meta_bytes += meta.ctrl(9, 8) + v.to_bytes(8, "big")
        else:
            meta_bytes += meta.encode(v)
    with open(path, "wb") as f:
        f.write(tree)
        f.write(b"\x00" * 16)
        f.write(dw.buf)
        f.write(b"\xab\xcd\xefMaxMind.com")
        f.write(meta_bytes)
    return n, record_size, len(tree), len(dw.buf)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--geo", required=True)
    ap.add_argument("--asn", required=True)
    ap.add_argument("--asnc", required=True)
    ap.add_argument("--version", required=True, help="npm package version (data date)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--v4-bits", type=int, default=24, help="finest IPv4 prefix kept (default /24)")
    ap.add_argument("--v6-bits", type=int, default=48, help="finest IPv6 prefix kept (default /48)")
    args = ap.parse_args()

    t0 = time.time()
    geo = load(args.geo, "geo-whois-asn-country", 1)
    asn = load(args.asn, "asn", 2)
    asnc = load(args.asnc, "asn-country", 1)
    print(f"loaded geo={len(geo)} asn={len(asn)} asn-country={len(asnc)} rows ({time.time()-t0:.0f}s)")
    asn_cc = asn_home_countries(asn, asnc)
    segs = merge_segments(geo, asn, asn_cc)
    print(f"merged into {len(segs)} segments ({time.time()-t0:.0f}s)")
    # The package version is YYYYMMDDHH after "2.3."; use it as the build epoch.
    stamp = args.version.split(".")[-1]
    epoch = calendar.timegm(time.strptime(stamp[:8], "%Y%m%d")) if len(stamp) >= 8 else int(time.time())
    desc = (f"callpath embedded geo DB from ip-location-db {args.version}: "
            "geo-whois-asn-country (CC0), asn (CC BY 4.0 RouteViews, DB-IP, NRO), asn-country (NRO)")
    n, rs, tsz, dsz = write_mmdb(args.out, segs, epoch, desc, args.v4_bits, args.v6_bits)
    print(f"wrote {args.out}: nodes={n} record_size={rs} tree={tsz} data={dsz} ({time.time()-t0:.0f}s)")


if __name__ == "__main__":
    main()
