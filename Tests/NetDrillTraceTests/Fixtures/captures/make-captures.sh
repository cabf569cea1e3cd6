#!/bin/sh
# Re-records the real-world capture fixtures in this directory. Run as root:
#   sh Tests/NetDrillTraceTests/Fixtures/captures/make-captures.sh
#
# Real programs talk inside two private network namespaces made here (client
# and server, joined by a veth pair, or by a tun pair for raw IP). Every
# address lives only inside those namespaces; there is no default route and
# dnsmasq has no upstream server, so nothing can leave them. tcpdump captures
# inside the client (or server) namespace; editcap (Wireshark) converts to
# pcapng, which tcpdump cannot write.
#
# The generators come from Debian packages that only this script needs; the
# tests read the committed files and need only tshark (in .ci/install-deps):
#   apt-get install bind9-dnsutils dnsmasq-base tftp-hpa sntp tcpdump tshark curl python3
# (dig; dnsmasq as DNS and TFTP server; tftp client; ntpdig as `sntp`.)
# The packet counts change from run to run (ARP/NDP timing, retransmits);
# the tests compare each file with tshark, not with fixed numbers.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
C=ndfx-client-$$
S=ndfx-server-$$
PIDS=""

cleanup() {
  for pid in $PIDS; do kill "$pid" 2>/dev/null || true; done
  ip netns del "$C" 2>/dev/null || true
  ip netns del "$S" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

in_c() { ip netns exec "$C" "$@"; }
in_s() { ip netns exec "$S" "$@"; }

# Starts "$@" in the background and remembers its pid in $LAST.
spawn() {
  "$@" &
  LAST=$!
  PIDS="$PIDS $LAST"
}

# Waits until file $1 contains $2 (a server's or tcpdump's "ready" line).
wait_for() {
  tries=0
  until grep -q "$2" "$1" 2>/dev/null; do
    tries=$((tries + 1))
    [ $tries -lt 100 ] || { echo "timed out waiting for '$2' in $1" >&2; cat "$1" >&2; exit 1; }
    sleep 0.1
  done
}

# stop PID [SIGNAL]: ends one background process and waits for it.
stop() {
  kill -"${2:-TERM}" "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Fresh namespaces for every capture, so ARP and neighbour caches start cold.
# $1 = veth | tun.
net_up() {
  ip netns add "$C"
  ip netns add "$S"
  for ns in "$C" "$S"; do
    # No router solicitations: there is no router, and they would only add noise.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0
    ip netns exec "$ns" ip link set lo up
  done
  if [ "$1" = veth ]; then
    ip link add c0 netns "$C" address 02:00:00:00:01:01 type veth peer s0 netns "$S" address 02:00:00:00:01:02
    in_c ip addr add 10.1.0.1/24 dev c0
    in_c ip addr add fd00:1::1/64 dev c0 nodad
    in_s ip addr add 10.1.0.2/24 dev s0
    in_s ip addr add fd00:1::2/64 dev s0 nodad
    in_c ip link set c0 up
    in_s ip link set s0 up
  else
    spawn ip netns exec "$C" python3 "$HERE/tun-relay.py" "$S" >"$WORK/relay.out"
    wait_for "$WORK/relay.out" ready
    # Up first: an IPv6 peer address added to a down link gets no route to the peer.
    in_c ip link set tun0 up
    in_s ip link set tun0 up
    in_c ip addr add 10.9.0.1 peer 10.9.0.2 dev tun0
    in_c ip addr add fd00:9::1 peer fd00:9::2 dev tun0 nodad
    in_s ip addr add 10.9.0.2 peer 10.9.0.1 dev tun0
    in_s ip addr add fd00:9::2 peer fd00:9::1 dev tun0 nodad
  fi
  # Let link-up chatter (MLD reports) pass before capturing.
  sleep 1
}

net_down() {
  for pid in $PIDS; do stop "$pid"; done
  PIDS=""
  ip netns del "$C"
  ip netns del "$S"
}

# capture NS FILE tcpdump-args...: starts tcpdump in NS and waits until it listens.
capture() {
  ns=$1 file=$2
  shift 2
  # Immediate mode: without it, packets still in libpcap's ring-buffer block
  # when tcpdump is stopped are never written.
  spawn ip netns exec "$ns" tcpdump --immediate-mode -U -s 262144 -w "$WORK/$file" "$@" 2>"$WORK/tcpdump.err"
  CAPTURE=$LAST
  wait_for "$WORK/tcpdump.err" "listening on"
}

# finish FILE [pcapng]: stops the capture and puts the file here, as pcapng if asked.
finish() {
  sleep 0.5
  # tcpdump flushes and closes its file on SIGINT.
  stop "$CAPTURE" INT
  PIDS=$(echo "$PIDS" | sed "s/ $CAPTURE\b//")
  if [ "${2:-}" = pcapng ]; then
    editcap -F pcapng "$WORK/$1" "$HERE/${1%.pcap}.pcapng"
  else
    cp "$WORK/$1" "$HERE/$1"
  fi
}

dnsmasq_in() {
  ns=$1
  shift
  spawn ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces --user=root --group=root --pid-file= --log-facility="$WORK/dnsmasq.log" \
    --host-record=www.example.test,10.1.0.2,fd00:1::2 --enable-tftp --tftp-root="$WORK/tftp" "$@"
  wait_for "$WORK/dnsmasq.log" "started"
}

mkdir -p "$WORK/tftp" "$WORK/www"
printf 'hello over tftp\n' >"$WORK/tftp/hello.txt"
printf 'hello over http\n' >"$WORK/www/hello.txt"
chmod 644 "$WORK/tftp/hello.txt" "$WORK/www/hello.txt"
cd "$WORK"

echo "dns-ipv4-ethernet.pcap: dig A over veth"
net_up veth
dnsmasq_in "$S" --listen-address=10.1.0.2
capture "$C" dns-ipv4-ethernet.pcap -i c0
in_c dig +tries=1 +time=2 @10.1.0.2 www.example.test A
finish dns-ipv4-ethernet.pcap
net_down

echo "dns-ipv6-ethernet.pcapng: dig AAAA over IPv6 veth"
net_up veth
dnsmasq_in "$S" --listen-address=fd00:1::2
capture "$C" dns-ipv6-ethernet.pcap -i c0
in_c dig +tries=1 +time=2 @fd00:1::2 www.example.test AAAA
finish dns-ipv6-ethernet.pcap pcapng
net_down

echo "tftp-ipv4-sll2.pcapng: tftp get; dnsmasq answers from a new port"
net_up veth
dnsmasq_in "$S" --listen-address=10.1.0.2
capture "$C" tftp-ipv4-sll2.pcap -i any -y LINUX_SLL2
in_c tftp 10.1.0.2 -c get hello.txt "$WORK/got.txt"
cmp "$WORK/got.txt" "$WORK/tftp/hello.txt"
finish tftp-ipv4-sll2.pcap pcapng
net_down

echo "ntp-ipv4-sll.pcap: sntp (ntpdig) against an NTP responder"
net_up veth
spawn ip netns exec "$S" python3 "$HERE/ntp-responder.py" 10.1.0.2 >"$WORK/ntp.out"
wait_for "$WORK/ntp.out" ready
capture "$C" ntp-ipv4-sll.pcap -i any -y LINUX_SLL
in_c sntp -t 2 10.1.0.2
finish ntp-ipv4-sll.pcap
net_down

echo "http-ipv4-ethernet.pcapng: curl to python3 -m http.server over veth"
net_up veth
spawn ip netns exec "$S" python3 -u -m http.server --bind 10.1.0.2 --directory "$WORK/www" 80 >"$WORK/http.out" 2>&1
wait_for "$WORK/http.out" "Serving HTTP"
capture "$C" http-ipv4-ethernet.pcap -i c0
in_c curl -sS --max-time 5 http://10.1.0.2/hello.txt
finish http-ipv4-ethernet.pcap pcapng
net_down

echo "http-ipv6-sll2.pcap: curl over IPv6, nanosecond timestamps"
net_up veth
spawn ip netns exec "$S" python3 -u -m http.server --bind fd00:1::2 --directory "$WORK/www" 80 >"$WORK/http.out" 2>&1
wait_for "$WORK/http.out" "Serving HTTP"
capture "$C" http-ipv6-sll2.pcap -i any -y LINUX_SLL2 --time-stamp-precision=nano
in_c curl -sS --max-time 5 -g "http://[fd00:1::2]/hello.txt"
finish http-ipv6-sll2.pcap
net_down

echo "unreachable-ipv4-rawip.pcap: dig to a closed port over tun"
net_up tun
capture "$C" unreachable-ipv4-rawip.pcap -i tun0
# dig exits 9 when it gets no answer; the ICMP error is the point here.
in_c dig +tries=1 +time=2 -p 5300 @10.9.0.2 www.example.test A || true
finish unreachable-ipv4-rawip.pcap
net_down

echo "dns-ipv6-rawip.pcapng: dig AAAA over IPv6 on tun"
net_up tun
dnsmasq_in "$S" --listen-address=fd00:9::2
capture "$C" dns-ipv6-rawip.pcap -i tun0
in_c dig +tries=1 +time=2 @fd00:9::2 www.example.test AAAA
finish dns-ipv6-rawip.pcap pcapng
net_down

echo "http-ipv4-lo.pcap: curl to http.server on 127.0.0.1, captured on lo"
net_up veth
spawn ip netns exec "$S" python3 -u -m http.server --bind 127.0.0.1 --directory "$WORK/www" 8080 >"$WORK/http.out" 2>&1
wait_for "$WORK/http.out" "Serving HTTP"
capture "$S" http-ipv4-lo.pcap -i lo
in_s curl -sS --max-time 5 http://127.0.0.1:8080/hello.txt
finish http-ipv4-lo.pcap
net_down

echo "unreachable-ipv6-lo.pcapng: dig to a closed port on ::1, captured on lo"
net_up veth
capture "$S" unreachable-ipv6-lo.pcap -i lo
in_s dig +tries=1 +time=2 -p 5300 @::1 www.example.test AAAA || true
finish unreachable-ipv6-lo.pcap pcapng
net_down

ls -l "$HERE"/*.pcap "$HERE"/*.pcapng
