#!/usr/bin/env python3
"""A small server under test for `netdrill replay --program`: answers each
request with it in upper case, over UDP or TCP (one reply per received chunk
for TCP, a line at a time). `--mutate` changes the second answer (a
deliberate defect the replay must find)."""
import signal, socket, sys

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
proto, port = sys.argv[1], int(sys.argv[2])
mutate = "--mutate" in sys.argv
count = 0

def answer(data):
    global count
    count += 1
    reply = data.upper()
    if mutate and count == 2:
        reply = reply[:-1] + b"!"
    return reply

if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(answer(data), peer)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(8)
    while True:
        conn, _ = s.accept()
        f = conn.makefile("rb")
        for line in f:
            conn.sendall(answer(line))
        f.close()  # the file holds the socket open: both must close for the FIN
        conn.close()
