#!/bin/sh
# Re-records the trace fixtures. Run as root from this directory.
# All traffic stays on loopback inside a private network namespace (unshare -n).
set -e
unshare -n sh -c '
ip link set lo up
tcpdump -i lo -U -s 262144 -w lo-ethernet-usec.pcap 2>/dev/null & P1=$!
tcpdump -i lo -U --time-stamp-precision=nano -w lo-ethernet-nsec.pcap 2>/dev/null & P2=$!
tcpdump -i any -y LINUX_SLL -U -w any-sll.pcap 2>/dev/null & P3=$!
tcpdump -i any -y LINUX_SLL2 -U -w any-sll2.pcap 2>/dev/null & P4=$!
sleep 1.5
python3 traffic.py
sleep 0.5
kill -INT $P1 $P2 $P3 $P4; wait'
editcap -F pcapng lo-ethernet-usec.pcap lo-ethernet.pcapng
editcap -F pcapng lo-ethernet-nsec.pcap lo-ethernet-nsec.pcapng
editcap -F pcapng any-sll2.pcap any-sll2.pcapng
# Big-endian, BSD-null and raw-IP pcaps derived from the little-endian capture.
python3 convert.py
