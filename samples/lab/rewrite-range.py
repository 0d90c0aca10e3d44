#!/usr/bin/env python3
"""Moves a capture's data-centre addresses into another /24, in IP headers
and inside the payloads that name them, so the copy stays consistent with
itself: STUN address attributes (XOR-MAPPED, XOR-RELAYED, XOR-PEER,
MAPPED, RESPONSE-ORIGIN, OTHER-ADDRESS, ALTERNATE-SERVER; FINGERPRINT
recomputed), also in the STUN messages TURN carries (Send and Data
indications, ChannelData), addresses written as text (SIP headers, SDP, HTTP and
unmasked WebSocket signalling) and the datagrams ICMP errors quote. Both prefixes have the same length, so no
payload changes length and TCP sequence numbers stay valid. Not rewritten:
WebSocket frames a browser sends (masked), and STUN MESSAGE-INTEGRITY
(an HMAC under the TURN credentials, left as it was: callpath does not
check it).

usage: rewrite-range.py IN.pcap OUT.pcap FROM_PREFIX TO_PREFIX
       (e.g. 203.0.113. 52.114.77.; classic pcap, Ethernet, as samples/make.sh writes)
"""
import re
import struct
import sys
import zlib

MAGIC_COOKIE = 0x2112A442
# STUN attributes holding an address (RFC 8489, RFC 8656, RFC 5780).
XOR_ADDRESS = {0x0020, 0x0012, 0x0016, 0x8020}
PLAIN_ADDRESS = {0x0001, 0x802B, 0x802C, 0x8023}
FINGERPRINT = 0x8028
DATA = 0x0013


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def move(addr, old, new):
    """A 4-byte address moved from prefix `old` to `new` (3 bytes each)."""
    return new + addr[3:] if addr[:3] == old else addr


def rewrite_stun(payload, old, new):
    """STUN message with its address attributes moved; None if not STUN."""
    if len(payload) < 20 or payload[0] & 0xC0:
        return None
    length, cookie = struct.unpack("!H I", payload[2:8])
    if cookie != MAGIC_COOKIE or 20 + length != len(payload) or length % 4:
        return None
    out = bytearray(payload)
    cookie_bytes = payload[4:8]
    at = 20
    while at + 4 <= len(out):
        kind, size = struct.unpack("!HH", out[at:at + 4])
        value = at + 4
        if kind in XOR_ADDRESS | PLAIN_ADDRESS and size == 8 and out[value + 1] == 1:
            raw = bytes(out[value + 4:value + 8])
            if kind in XOR_ADDRESS:
                plain = bytes(a ^ b for a, b in zip(raw, cookie_bytes))
                moved = move(plain, old, new)
                raw = bytes(a ^ b for a, b in zip(moved, cookie_bytes))
            else:
                raw = move(raw, old, new)
            out[value + 4:value + 8] = raw
        elif kind == DATA:
            # A TURN Send or Data indication carries the peer's datagram,
            # often a STUN message of its own (an ICE check or its answer).
            inner = bytes(out[value:value + size])
            out[value:value + size] = rewrite_stun(inner, old, new) or inner
        elif kind == FINGERPRINT and size == 4:
            crc = zlib.crc32(bytes(out[:at])) ^ 0x5354554E
            out[value:value + 4] = struct.pack("!I", crc & 0xFFFFFFFF)
        at = value + size + (-size % 4)
    return bytes(out)


def rewrite_channel_data(payload, old, new):
    """TURN ChannelData (channel 0x4000-0x7FFF, length, data) whose data is
    a STUN message, rewritten like one; anything else as it was."""
    if len(payload) < 4 or not 0x40 <= payload[0] <= 0x7F:
        return payload
    length = struct.unpack("!H", payload[2:4])[0]
    inner = payload[4:4 + length]
    if len(inner) != length:
        return payload
    moved = rewrite_stun(inner, old, new)
    return payload[:4] + moved + payload[4 + length:] if moved else payload


def rewrite_text(payload, old_text, new_text):
    pattern = re.compile(rb"(?<![0-9.])" + re.escape(old_text) + rb"(?=[0-9])")
    return pattern.sub(new_text, payload)


def rewrite_frame(frame, old, new, old_text, new_text):
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ip_at = 14
    ihl = (frame[ip_at] & 0x0F) * 4
    total = struct.unpack("!H", frame[ip_at + 2:ip_at + 4])[0]
    proto = frame[ip_at + 9]
    ip = bytearray(frame[ip_at:ip_at + total])
    if len(ip) < total:
        return frame  # cut by the snap length: left as it was
    src, dst = move(bytes(ip[12:16]), old, new), move(bytes(ip[16:20]), old, new)
    ip[12:16], ip[16:20] = src, dst
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", checksum(bytes(ip[:ihl])))
    fragmented = struct.unpack("!H", ip[6:8])[0] & 0x3FFF
    if proto in (6, 17) and not fragmented:
        segment = ip[ihl:]
        header = 8 if proto == 17 else (segment[12] >> 4) * 4
        body = bytes(segment[header:])
        if proto == 17:
            body = rewrite_stun(body, old, new) or rewrite_channel_data(body, old, new)
        body = rewrite_text(body, old_text, new_text)
        segment[header:] = body
        at = 6 if proto == 17 else 16
        segment[at:at + 2] = b"\0\0"
        pseudo = src + dst + struct.pack("!BBH", 0, proto, len(segment))
        value = checksum(pseudo + bytes(segment))
        if proto == 17 and value == 0:
            value = 0xFFFF
        segment[at:at + 2] = struct.pack("!H", value)
        ip[ihl:] = segment
    elif proto == 1 and not fragmented and len(ip) >= ihl + 8 + 20 and ip[ihl] in (3, 11):
        # An ICMP error quotes the datagram it answers: its addresses too.
        icmp = ip[ihl:]
        quoted = bytearray(icmp[8:])
        quoted[12:16] = move(bytes(quoted[12:16]), old, new)
        quoted[16:20] = move(bytes(quoted[16:20]), old, new)
        quoted = rewrite_text(bytes(quoted), old_text, new_text)
        icmp[8:] = quoted
        icmp[2:4] = b"\0\0"
        icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
        ip[ihl:] = icmp
    return frame[:ip_at] + bytes(ip) + frame[ip_at + total:]


def main():
    src, dst, old_text, new_text = sys.argv[1:5]
    old_text, new_text = old_text.encode(), new_text.encode()
    if len(old_text) != len(new_text):
        sys.exit("the two prefixes must have the same length (payloads keep theirs)")
    old = bytes(int(x) for x in old_text.decode().strip(".").split("."))
    new = bytes(int(x) for x in new_text.decode().strip(".").split("."))
    data = open(src, "rb").read()
    if data[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", data[20:24])[0] != 1:
        sys.exit("expects a little-endian classic pcap of Ethernet frames")
    out = bytearray(data[:24])
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack("<I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + caplen]
        out += data[at:at + 16] + rewrite_frame(frame, old, new, old_text, new_text)
        at += 16 + caplen
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
