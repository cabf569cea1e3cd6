// udpsession is a getty-style connected-UDP client: it talks to an echo
// server over a net.DialUDP conn, and when the server's port closes it learns
// it the way getty does — the datagram it sends is answered by an ICMP port
// unreachable, and its next call on the conn fails with ECONNREFUSED — then
// it reconnects to another server and goes on.
//
//	udpsession LOCAL CONTROL SERVER_A SERVER_B
//
// LOCAL is the session's fixed local address (the same on reconnect, as a
// client with a configured port would), CONTROL an unconnected socket on
// which the test harness says "server A is gone" once server A has stopped:
// after two exchanges the client prints "waiting for the harness" (netdrill's
// readiness check waits for that line), so the datagram that meets the closed
// port is sent after the server is gone, every run, instead of racing it. It
// prints one line per call; it exits 0 when the session ran as described, 1
// when a call answered otherwise, 2 when it cannot set up its sockets. Every
// read has a deadline.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: udpsession LOCAL CONTROL SERVER_A SERVER_B")
		os.Exit(2)
	}
	local, control, serverA, serverB := resolve(os.Args[1]), resolve(os.Args[2]), resolve(os.Args[3]), resolve(os.Args[4])
	harness, err := net.ListenUDP("udp4", control)
	check(err, 2)
	conn, err := net.DialUDP("udp4", local, serverA)
	check(err, 2)
	fmt.Printf("DialUDP(%v, %v)\n", local, serverA)

	exchange(conn, "one")
	exchange(conn, "two")

	fmt.Println("waiting for the harness")
	buf := make([]byte, 1500)
	harness.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := harness.Read(buf)
	check(err, 1)
	fmt.Printf("harness: %q\n", buf[:n])

	// The port is closed now: the write itself succeeds (UDP has no handshake),
	// the kernel's ICMP port unreachable comes back, and the next call fails.
	n, err = conn.Write([]byte("three"))
	fmt.Printf("Write(%q) = %d, %v\n", "three", n, err)
	check(err, 1)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err = conn.Read(buf)
	refused := errors.Is(err, syscall.ECONNREFUSED)
	fmt.Printf("Read() = %d, %v (ECONNREFUSED: %v)\n", n, err, refused)
	if !refused {
		os.Exit(1)
	}

	// What getty does on ECONNREFUSED: close the session and dial again.
	conn.Close()
	conn, err = net.DialUDP("udp4", local, serverB)
	check(err, 1)
	fmt.Printf("reconnected: DialUDP(%v, %v)\n", local, serverB)
	exchange(conn, "four")
	exchange(conn, "five")
	conn.Close()
}

// exchange writes one message and reads its echo.
func exchange(conn *net.UDPConn, message string) {
	n, err := conn.Write([]byte(message))
	fmt.Printf("Write(%q) = %d, %v\n", message, n, err)
	check(err, 1)
	buf := make([]byte, 1500)
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err = conn.Read(buf)
	fmt.Printf("Read() = %d %q, %v\n", n, buf[:n], err)
	check(err, 1)
	if string(buf[:n]) != message {
		os.Exit(1)
	}
}

func resolve(text string) *net.UDPAddr {
	addr, err := net.ResolveUDPAddr("udp4", text)
	check(err, 2)
	return addr
}

func check(err error, status int) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(status)
	}
}
