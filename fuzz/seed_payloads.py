"""Reads `protocols|udp.payload|tcp.payload` lines (tshark fields) and writes
each payload into the corpus of the dissector targets its protocols name.
At most PER_TARGET seeds per target, named by their SHA-1 (deduplicated)."""
import hashlib
import os
import sys

PER_TARGET = 400
# tshark protocol name -> fuzz targets fed with that payload.
TARGETS = {
    "stun": ["stun", "turn_channel"], "classicstun": ["stun"], "rtp": ["rtp"],
    "rtcp": ["rtcp"], "dtls": ["dtls"], "sip": ["sip_sdp"], "sdp": ["sip_sdp"],
    "tls": ["tls"], "quic": ["quic"], "dns": ["dns"], "mdns": ["dns"],
    "iax2": ["iax2"], "mgcp": ["mgcp"], "h225": ["h225"], "q931": ["h225"],
    "tpkt": ["h225"], "skinny": ["sccp"], "rtpevent": ["rtp"],
}
# Payloads no tshark dissector names go to the app-framing targets.
UNNAMED = ["zoom", "discord", "telegram", "skype", "whatsapp"]

out = sys.argv[1]
counts = {}


def save(target, payload):
    if counts.get(target, 0) >= PER_TARGET or not payload:
        return
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha1(payload).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(payload)
        counts[target] = counts.get(target, 0) + 1


for line in sys.stdin:
    parts = line.rstrip("\n").split("|")
    if len(parts) < 3:
        continue
    protocols, udp, tcp = parts[0].split(":"), parts[1], parts[2]
    hexed = (udp or tcp).replace(":", "")
    try:
        payload = bytes.fromhex(hexed)
    except ValueError:
        continue
    named = [t for p in protocols for t in TARGETS.get(p, [])]
    for t in named:
        save(t, payload)
    if not named and payload:
        for t in UNNAMED:
            save(t, payload)
    if udp and payload:
        # inspect: first byte 0x00 = UDP to port 3478 from the client.
        save("inspect", b"\x00" + payload[:1500])
