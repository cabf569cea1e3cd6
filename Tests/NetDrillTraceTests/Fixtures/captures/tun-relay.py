# Joins two tun devices, each in its own network namespace, into one
# point-to-point link: what one kernel sends out of its tun0 the other
# receives on its tun0. Captures on tun0 are then genuine raw IP
# (LINKTYPE_RAW), which veth (Ethernet) cannot give.
#
# Usage: ip netns exec A python3 tun-relay.py B
# Opens tun0 in A, then re-runs itself under `ip netns exec B` with that
# descriptor inherited (a tun descriptor stays bound to its namespace).
import fcntl, os, select, struct, sys

TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000

def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd

if sys.argv[1] != "--peer-fd":
    first = open_tun("tun0")
    os.set_inheritable(first, True)
    os.execvp("ip", ["ip", "netns", "exec", sys.argv[1], sys.executable, __file__, "--peer-fd", str(first)])

first, second = int(sys.argv[2]), open_tun("tun0")
print("ready", flush=True)
other = {first: second, second: first}
while True:
    for fd in select.select([first, second], [], [])[0]:
        packet = os.read(fd, 65535)
        try:
            os.write(other[fd], packet)
        except OSError:
            pass  # The other tun0 is still down: the packet is lost, as on a cable.
