# Derives byte-swapped, BSD-null and raw-IP fixtures from a little-endian usec pcap.
import struct, sys
def records(data):
    off = 24
    while off + 16 <= len(data):
        ts, us, incl, orig = struct.unpack_from("<IIII", data, off)
        yield ts, us, incl, orig, data[off+16:off+16+incl]
        off += 16 + incl
src = open("lo-ethernet-usec.pcap", "rb").read()
magic, vmaj, vmin, tz, sig, snap, lt = struct.unpack_from("<IHHiIII", src, 0)
# Big-endian copy, same link type.
out = bytearray(struct.pack(">IHHiIII", magic, vmaj, vmin, tz, sig, snap, lt))
for ts, us, incl, orig, d in records(src):
    out += struct.pack(">IIII", ts, us, incl, orig) + d
open("lo-ethernet-be.pcap", "wb").write(out)
# LINKTYPE_NULL (host order = little endian here) with AF_INET=2 / AF_INET6=10, ethernet header stripped.
out = bytearray(struct.pack("<IHHiIII", magic, vmaj, vmin, tz, sig, snap, 0))
for ts, us, incl, orig, d in records(src):
    et = struct.unpack_from(">H", d, 12)[0]
    fam = 2 if et == 0x0800 else 24  # BSD AF_INET6 (NetBSD/OpenBSD value)
    body = struct.pack("<I", fam) + d[14:]
    out += struct.pack("<IIII", ts, us, len(body), orig - 14 + 4) + body
open("lo-null.pcap", "wb").write(out)
# LINKTYPE_RAW: the bare IP packet; both lengths shrink by the 14-byte header.
out = bytearray(struct.pack("<IHHiIII", magic, vmaj, vmin, tz, sig, snap, 101))
for ts, us, incl, orig, d in records(src):
    out += struct.pack("<IIII", ts, us, incl - 14, orig - 14) + d[14:]
open("lo-rawip.pcap", "wb").write(out)
