#!/usr/bin/env python3
"""Turns a classic pcap (from gen-pcap.py) into a netdrill trace of the same packets: the
section, interface, statistics and manifest blocks of a netdrill trace (a golden), with every
packet block replaced by the capture's packets, written as netdrill writes them (enhanced
packet blocks on interface 0, nanosecond timestamps starting at the golden's first packet,
manifest last). So `show` of a big netdrill trace can be measured without recording one.
Usage: graft-manifest.py GOLDEN.pcapng CAPTURE.pcap OUT.pcapng"""
import struct, sys

golden, capture, out = sys.argv[1:4]

def blocks(data):
    """(type, raw bytes) of every pcapng block, little- or big-endian as the section says."""
    order = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    offset = 0
    while offset < len(data):
        kind, length = struct.unpack(order + "II", data[offset:offset + 8])
        yield order, kind, data[offset:offset + length]
        offset += length

with open(golden, "rb") as f:
    parts = list(blocks(f.read()))
order = parts[0][0]
before, after, first_time = [], [], None
for _, kind, raw in parts:
    if kind == 6:  # enhanced packet block: replaced
        if first_time is None:
            high, low = struct.unpack(order + "II", raw[12:20])
            first_time = (high << 32) | low
        continue
    (before if first_time is None else after).append(raw)
first_time = first_time or 0

with open(capture, "rb") as f, open(out, "wb", buffering=1 << 20) as o:
    head = f.read(24)
    magic = struct.unpack("<I", head[:4])[0]
    cap_order = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nanos = struct.unpack(cap_order + "I", head[:4])[0] == 0xA1B23C4D
    for raw in before:
        o.write(raw)
    base = None
    while True:
        record = f.read(16)
        if len(record) < 16:
            break
        seconds, fraction, captured, original = struct.unpack(cap_order + "IIII", record)
        frame = f.read(captured)
        time = seconds * 1_000_000_000 + (fraction if nanos else fraction * 1000)
        base = time if base is None else base
        stamp = first_time + (time - base)
        pad = (4 - captured % 4) % 4
        length = 32 + captured + pad
        o.write(struct.pack(order + "IIIIIII", 6, length, 0, stamp >> 32, stamp & 0xFFFFFFFF, captured, original))
        o.write(frame + b"\0" * pad + struct.pack(order + "I", length))
    for raw in after:
        o.write(raw)
