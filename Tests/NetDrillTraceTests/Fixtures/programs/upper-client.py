#!/usr/bin/env python3
"""A small client under test for `netdrill replay --respond`: sends "first"
and "second" (a line each) over UDP or TCP to 127.0.0.1:PORT and exits 0
only if the answers are the same lines in upper case, 1 if one is wrong or
missing (5 s). `--mutate` expects a different second answer (a deliberate
defect the replay must find)."""
import socket, sys

proto, port = sys.argv[1], int(sys.argv[2])
expected = [b"FIRST\n", b"SECOND!" if "--mutate" in sys.argv else b"SECOND\n"]

def check(got, want):
    if got != want:
        print(f"expected {want!r}, got {got!r}", file=sys.stderr)
        sys.exit(1)

try:
    if proto == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        for request, want in zip([b"first\n", b"second\n"], expected):
            s.sendto(request, ("127.0.0.1", port))
            check(s.recvfrom(65535)[0], want)
    else:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        f = s.makefile("rb")
        for request, want in zip([b"first\n", b"second\n"], expected):
            s.sendall(request)
            check(f.read(len(want)), want)
        s.shutdown(socket.SHUT_WR)
        check(f.read(), b"")
except OSError as error:
    print(f"no answer: {error}", file=sys.stderr)
    sys.exit(1)
print("all answers as expected")
