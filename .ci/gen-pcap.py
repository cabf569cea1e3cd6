#!/usr/bin/env python3
"""Writes a classic pcap (Ethernet, microseconds) of N synthetic packets for the benchmark:
UDP request/response conversations over many client ports, some TCP, ICMP port unreachables.
Usage: gen-pcap.py OUT N [FLOWS] [SEED]   (deterministic for a given seed)."""
import struct, sys, random

out, count = sys.argv[1], int(sys.argv[2])
flows = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)

def csum(data):
    if len(data) % 2: data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16: s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def ipv4(src, dst, proto, payload, ident):
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, src, dst)
    return head[:10] + struct.pack("!H", csum(head)) + head[12:] + payload

ETH = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
client, server = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
frames = []
# A pool of distinct frames, written round-robin: generation stays fast for 10M packets.
for flow in range(flows):
    port = 20000 + flow
    kind = flow % 10
    payload = bytes(rng.randrange(256) for _ in range(32))
    if kind < 7:  # UDP request and answer
        frames.append(ipv4(client, server, 17, struct.pack("!HHHH", port, 53, 8 + len(payload), 0) + payload, flow))
        frames.append(ipv4(server, client, 17, struct.pack("!HHHH", 53, port, 8 + len(payload), 0) + payload, flow))
    elif kind < 9:  # TCP data both ways
        frames.append(ipv4(client, server, 6, struct.pack("!HHIIHHHH", port, 80, 1000, 1, 0x5018, 512, 0, 0) + payload, flow))
        frames.append(ipv4(server, client, 6, struct.pack("!HHIIHHHH", 80, port, 1, 1032, 0x5018, 512, 0, 0) + payload, flow))
    else:  # UDP to a closed port and the ICMP port unreachable quoting it
        datagram = ipv4(client, server, 17, struct.pack("!HHHH", port, 9, 8 + len(payload), 0) + payload, flow)
        frames.append(datagram)
        frames.append(ipv4(server, client, 1, struct.pack("!BBHI", 3, 3, 0, 0) + datagram[:28], flow))
with open(out, "wb", buffering=1 << 20) as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    t = 1_700_000_000 * 1_000_000
    for i in range(count):
        frame = ETH + frames[i % len(frames)]
        t += 7
        f.write(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(frame), len(frame)))
        f.write(frame)
