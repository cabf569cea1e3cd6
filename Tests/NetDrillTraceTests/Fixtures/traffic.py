# Loopback-only traffic for netdrill trace fixtures (run inside `unshare -n`).
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 41234))
s.sendto(b"hello", ("127.0.0.1", 9))          # closed port -> ICMP port unreachable
time.sleep(0.05)
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.bind(("::1", 41235))
s6.sendto(b"hi6", ("::1", 9))                 # closed port -> ICMPv6 1/4
time.sleep(0.05)
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 5000)); l.listen()
c = socket.socket(); c.bind(("127.0.0.1", 41000)); c.connect(("127.0.0.1", 5000))
a, _ = l.accept()
c.send(b"ping"); a.recv(10); a.send(b"pong"); c.recv(10)
c.close(); time.sleep(0.05); a.close(); l.close()
time.sleep(0.05)
r = socket.socket()
try:
    r.connect(("127.0.0.1", 5001))           # closed port -> RST
except OSError:
    pass
time.sleep(0.2)
