// udpmatrix makes one call of Go's net.UDPConn API and prints what Go
// answered, so a netdrill scenario can set Go's answer beside the kernel's.
//
//	udpmatrix BEHAVIOUR LOCAL PEER OTHER
//
// BEHAVIOUR is one of the names in `behaviours` below. LOCAL is the address
// the conn binds (fixed, so output and traces are the same every run), PEER
// the address a DialUDP conn connects to or a ListenUDP conn writes to, OTHER
// a second address. It prints "ready ..." once its conn exists (netdrill's
// readiness check waits for that line), then one line per call:
// `Call(args) = results, error`. It exits 0 whatever Go answered (the
// scenario checks the output), 2 when it cannot set up its conn, and every
// read has a deadline, so it never hangs.
package main

import (
	"fmt"
	"net"
	"os"
	"time"
)

type addresses struct{ local, peer, other *net.UDPAddr }

var behaviours = map[string]func(addresses){
	"dial-write":           dialWrite,
	"dial-read":            dialRead,
	"dial-writetoudp":      dialWriteToUDP,
	"dial-readfromudp":     dialReadFromUDP,
	"listen-writetoudp":    listenWriteToUDP,
	"listen-readfromudp":   listenReadFromUDP,
	"listen-write":         listenWrite,
	"listen-read":          listenRead,
	"writemsgudp-dialed":   writeMsgUDPDialed,
	"writemsgudp-listened": writeMsgUDPListened,
}

func main() {
	if len(os.Args) != 5 || behaviours[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: udpmatrix BEHAVIOUR LOCAL PEER OTHER")
		os.Exit(2)
	}
	var addrs addresses
	for i, target := range []**net.UDPAddr{&addrs.local, &addrs.peer, &addrs.other} {
		addr, err := net.ResolveUDPAddr("udp4", os.Args[i+2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		*target = addr
	}
	behaviours[os.Args[1]](addrs)
}

// dial is net.DialUDP: a connected socket (connect(2) sends nothing).
func dial(a addresses) *net.UDPConn {
	conn, err := net.DialUDP("udp4", a.local, a.peer)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("ready: DialUDP(%v, %v)\n", a.local, a.peer)
	return conn
}

// listen is net.ListenUDP: an unconnected socket bound to LOCAL.
func listen(a addresses) *net.UDPConn {
	conn, err := net.ListenUDP("udp4", a.local)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Printf("ready: ListenUDP(%v)\n", a.local)
	return conn
}

func deadline(conn *net.UDPConn) { conn.SetReadDeadline(time.Now().Add(5 * time.Second)) }

func dialWrite(a addresses) {
	conn := dial(a)
	n, err := conn.Write([]byte("go: Write"))
	fmt.Printf("Write(%q) = %d, %v\n", "go: Write", n, err)
}

func dialRead(a addresses) {
	conn := dial(a)
	buf := make([]byte, 1500)
	deadline(conn)
	n, err := conn.Read(buf)
	fmt.Printf("Read() = %d %q, %v\n", n, buf[:n], err)
}

func dialWriteToUDP(a addresses) {
	conn := dial(a)
	n, err := conn.WriteToUDP([]byte("go: WriteToUDP"), a.other)
	fmt.Printf("WriteToUDP(%q, %v) = %d, %v\n", "go: WriteToUDP", a.other, n, err)
}

func dialReadFromUDP(a addresses) {
	conn := dial(a)
	buf := make([]byte, 1500)
	deadline(conn)
	n, from, err := conn.ReadFromUDP(buf)
	fmt.Printf("ReadFromUDP() = %d %q from %v, %v\n", n, buf[:n], from, err)
}

func listenWriteToUDP(a addresses) {
	conn := listen(a)
	n, err := conn.WriteToUDP([]byte("go: WriteToUDP"), a.peer)
	fmt.Printf("WriteToUDP(%q, %v) = %d, %v\n", "go: WriteToUDP", a.peer, n, err)
}

func listenReadFromUDP(a addresses) {
	conn := listen(a)
	buf := make([]byte, 1500)
	for i := 0; i < 2; i++ {
		deadline(conn)
		n, from, err := conn.ReadFromUDP(buf)
		fmt.Printf("ReadFromUDP() = %d %q from %v, %v\n", n, buf[:n], from, err)
	}
}

func listenWrite(a addresses) {
	conn := listen(a)
	n, err := conn.Write([]byte("go: Write"))
	fmt.Printf("Write(%q) = %d, %v\n", "go: Write", n, err)
}

func listenRead(a addresses) {
	conn := listen(a)
	buf := make([]byte, 1500)
	deadline(conn)
	n, err := conn.Read(buf)
	fmt.Printf("Read() = %d %q, %v\n", n, buf[:n], err)
}

func writeMsgUDPDialed(a addresses) {
	conn := dial(a)
	n, oobn, err := conn.WriteMsgUDP([]byte("go: WriteMsgUDP"), nil, nil)
	fmt.Printf("WriteMsgUDP(%q, nil, nil) = %d %d, %v\n", "go: WriteMsgUDP", n, oobn, err)
	n, oobn, err = conn.WriteMsgUDP([]byte("go: WriteMsgUDP"), nil, a.other)
	fmt.Printf("WriteMsgUDP(%q, nil, %v) = %d %d, %v\n", "go: WriteMsgUDP", a.other, n, oobn, err)
}

func writeMsgUDPListened(a addresses) {
	conn := listen(a)
	n, oobn, err := conn.WriteMsgUDP([]byte("go: WriteMsgUDP"), nil, a.peer)
	fmt.Printf("WriteMsgUDP(%q, nil, %v) = %d %d, %v\n", "go: WriteMsgUDP", a.peer, n, oobn, err)
	n, oobn, err = conn.WriteMsgUDP([]byte("go: WriteMsgUDP"), nil, nil)
	fmt.Printf("WriteMsgUDP(%q, nil, nil) = %d %d, %v\n", "go: WriteMsgUDP", n, oobn, err)
}
