"""Seeds capture_reader with the heads of real captures (first 8 KiB, so
libFuzzer can mutate them, and the same heads gzip-compressed) and decode
with whole frames of classic pcap files, prefixed by the byte that makes
the decode target pick their link type."""
import gzip
import hashlib
import os
import struct
import sys

# Must match CODES in fuzz_targets/decode.rs.
CODES = [0, 1, 9, 12, 101, 104, 105, 108, 113, 127, 147, 192, 228, 229, 239, 258, 276]
out = sys.argv[1]
files = sys.argv[2:]


def save(target, data, limit):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if len(os.listdir(d)) >= limit:
        return
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


for path in files:
    with open(path, "rb") as f:
        data = f.read()
    save("capture_reader", data[:8192], 600)
    save("capture_reader", gzip.compress(data[:8192], mtime=0), 700)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        continue
    if len(data) < 24:
        continue
    link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
    if link not in CODES:
        continue
    pick = bytes([CODES.index(link)])
    off, n = 24, 0
    while off + 16 <= len(data) and n < 20:
        caplen = struct.unpack(e + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        save("decode", pick + frame, 2000)
        off += 16 + caplen
        n += 1
