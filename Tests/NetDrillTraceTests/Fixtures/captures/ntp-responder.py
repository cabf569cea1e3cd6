# A minimal NTP server (RFC 5905 mode 4 replies) for make-captures.sh:
# answers each client request once with the local clock, stratum 2.
import socket, struct, sys, time

NTP_EPOCH_OFFSET = 2208988800  # seconds from 1900 to 1970

def ntp_time(now):
    seconds = int(now) + NTP_EPOCH_OFFSET
    return struct.pack("!II", seconds, int((now % 1) * 2**32))

family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
sock = socket.socket(family, socket.SOCK_DGRAM)
sock.bind((sys.argv[1], 123))
print("ready", flush=True)
while True:
    request, client = sock.recvfrom(512)
    received = time.time()
    if len(request) < 48:
        continue
    version = (request[0] >> 3) & 7
    header = struct.pack("!BBbb", (version << 3) | 4, 2, request[2], -20)
    header += struct.pack("!II", 0, 0) + b"LOCL"
    reply = header + ntp_time(received) + request[40:48] + ntp_time(received) + ntp_time(time.time())
    sock.sendto(reply, client)
