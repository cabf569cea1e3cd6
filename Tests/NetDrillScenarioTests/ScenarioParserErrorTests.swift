import Foundation
import NetDrillSockets
import Testing

@testable import NetDrillScenario

@Suite("ScenarioParser rejects malformed scenarios with path, line:column and a fix")
struct ScenarioParserErrorTests {
  // Each line:column below was worked out from the text by hand (a marker at
  // the offending character), not copied from the parser's output.
  static let cases: [MalformedCase] = [
    .init(
      "invalid JSON", doc: #"{"netdrill": 1 "name": "x", "steps": []}"#,
      at: (1, 16), path: "$", "expected ',' or '}' after object member"),
    .init(
      "trailing comma in an array", doc: #"{"netdrill": 1, "name": "x", "steps": [{"wait": "1s"},]}"#,
      at: (1, 55), path: "$.steps", "trailing comma before ']' is not allowed"),
    .init(
      "trailing comma in an object", doc: #"{"netdrill": 1, "name": "x", "steps": [],}"#,
      at: (1, 42), path: "$", "trailing comma before '}' is not allowed"),
    .init(
      "comment", doc: #"{"netdrill": 1,\#n  // a comment\#n  "name": "x", "steps": []}"#,
      at: (2, 3), path: "$", "comments are not allowed in JSON"),
    .init(
      "duplicate key", doc: #"{"netdrill": 1, "name": "x", "name": "y", "steps": []}"#,
      at: (1, 30), path: "$.name", "duplicate key \"name\" (first written at 1:17)"),
    .init(
      "empty file", doc: #""#,
      at: (1, 1), path: "$", "expected a JSON value, found an empty document"),
    .init(
      "not an object", doc: #"["netdrill", 1]"#,
      at: (1, 1), path: "$", "a scenario is a JSON object, found an array"),
    .init(
      "missing version", doc: #"{"name": "x", "steps": []}"#,
      at: (1, 1), path: "$", "missing \"netdrill\": 1 version key"),
    .init(
      "unsupported version", doc: #"{"netdrill": 2, "name": "x", "steps": []}"#,
      at: (1, 14), path: "$.netdrill", "unsupported format version 2 (this netdrill reads 1)"),
    .init(
      "version as a string", doc: #"{"netdrill": "1", "name": "x", "steps": []}"#,
      at: (1, 14), path: "$.netdrill", "expected the format version as an integer"),
    .init(
      "unknown top-level key", doc: #"{"netdrill": 1, "name": "x", "steps": [], "sokets": {}}"#,
      at: (1, 43), path: "$.sokets", "unknown key \"sokets\" in the scenario", suggestion: "sockets"),
    .init(
      "missing name", doc: #"{"netdrill": 1, "steps": []}"#,
      at: (1, 1), path: "$", "missing required key \"name\""),
    .init(
      "wrong type", doc: #"{"netdrill": 1, "name": 5, "steps": []}"#,
      at: (1, 25), path: "$.name", "expected a string, found a number"),
    .init(
      "bad default timeout", doc: #"{"netdrill": 1, "name": "x", "defaults": {"timeout": 5}, "steps": []}"#,
      at: (1, 54), path: "$.defaults.timeout", "expected a duration like \"20ms\", found a number"),
    .init(
      "negative seed", doc: #"{"netdrill": 1, "name": "x", "defaults": {"seed": -1}, "steps": []}"#,
      at: (1, 51), path: "$.defaults.seed", "a seed must be between 0 and 18446744073709551615, found -1"),
    .init(
      "socket named like a verb",
      doc: #"{"netdrill": 1, "name": "x", "sockets": {"send": {"type": "udp"}}, "steps": []}"#,
      at: (1, 42), path: "$.sockets.send", "\"send\" is a verb and cannot be a socket name"),
    .init(
      "invalid socket name",
      doc: #"{"netdrill": 1, "name": "x", "sockets": {"my socket": {"type": "udp"}}, "steps": []}"#,
      at: (1, 42), path: "$.sockets[\"my socket\"]", "is not a valid socket name"),
    .init(
      "unknown socket type", doc: #"{"netdrill": 1, "name": "x", "sockets": {"c": {"type": "udpp"}}, "steps": []}"#,
      at: (1, 56), path: "$.sockets.c.type", "unknown socket type \"udpp\"", suggestion: "udp"),
    .init(
      "missing socket type", doc: #"{"netdrill": 1, "name": "x", "sockets": {"c": {"family": "ipv6"}}, "steps": []}"#,
      at: (1, 47), path: "$.sockets.c", "a socket declaration needs \"type\""),
    .init(
      "get-only option declared",
      doc:
        #"{"netdrill": 1, "name": "x", "sockets": {"c": {"type": "udp", "options": {"IP_MTU": 1500}}}, "steps": []}"#,
      at: (1, 75), path: "$.sockets.c.options.IP_MTU", "IP_MTU can only be read (getsockopt), not set"),
    .init(
      "unknown step key", step: #"{"send": "client", "data": "x", "tiemout": "1s"}"#,
      at: (4, 33), path: "$.steps[0].tiemout", "unknown key \"tiemout\" in a send step", suggestion: "timeout"),
    .init(
      "unknown verb", step: #"{"sned": "client", "data": "x"}"#,
      at: (4, 2), path: "$.steps[0].sned", "unknown key \"sned\" in a step", suggestion: "send"),
    .init(
      "two verbs in one step", step: #"{"send": "client", "recv": "client"}"#,
      at: (4, 20), path: "$.steps[0].recv", "a step has exactly one verb, but this one has both \"send\" and \"recv\""),
    .init(
      "step without a verb", step: #"{"note": "hello"}"#,
      at: (4, 1), path: "$.steps[0]", "a step needs one verb key"),
    .init(
      "step that is not an object", step: #""close client""#,
      at: (4, 1), path: "$.steps[0]", "expected a step object"),
    .init(
      "flags on write", step: #"{"write": "client", "data": "x", "flags": ["MSG_MORE"]}"#,
      at: (4, 34), path: "$.steps[0].flags", "\"flags\" does not apply to write (it is used by send, sendto"),
    .init(
      "expect on wait", step: #"{"wait": "1s", "expect": {}}"#,
      at: (4, 16), path: "$.steps[0].expect", "a wait step makes no call, so it takes no \"expect\""),
    .init(
      "missing required field", step: #"{"connect": "client"}"#,
      at: (4, 1), path: "$.steps[0]", "a connect step needs \"to\""),
    .init(
      "wrong field type", step: #"{"listen": "server", "backlog": "4"}"#,
      at: (4, 33), path: "$.steps[0].backlog", "expected an integer, found a string"),
    .init(
      "unknown errno", step: #"{"send": "client", "data": "x", "expect": {"error": "ECONREFUSED"}}"#,
      at: (4, 53), path: "$.steps[0].expect.error", "unknown errno \"ECONREFUSED\"", suggestion: "ECONNREFUSED"),
    .init(
      "returns with error", step: #"{"send": "client", "data": "x", "expect": {"returns": 1, "error": "EPIPE"}}"#,
      at: (4, 67), path: "$.steps[0].expect.error", "\"returns\" and \"error\" cannot both be given"),
    .init(
      "negative returns", step: #"{"send": "client", "data": "x", "expect": {"returns": -1}}"#,
      at: (4, 55), path: "$.steps[0].expect.returns", "a failing call is written \"error\""),
    .init(
      "expect key that does not fit", step: #"{"send": "client", "data": "x", "expect": {"revents": ["POLLIN"]}}"#,
      at: (4, 44), path: "$.steps[0].expect.revents",
      "\"revents\" cannot be checked on a send step (it applies to poll)"),
    .init(
      "unknown expect key", step: #"{"recv": "client", "expect": {"dta": "x"}}"#,
      at: (4, 31), path: "$.steps[0].expect.dta", "unknown key \"dta\" in expect", suggestion: "data"),
    .init(
      "unknown option", step: #"{"setsockopt": "client", "option": "SO_REUSADDR", "value": 1}"#,
      at: (4, 36), path: "$.steps[0].option", "unknown socket option \"SO_REUSADDR\"", suggestion: "SO_REUSEADDR"),
    .init(
      "get-only option set", step: #"{"setsockopt": "client", "option": "SO_ERROR", "value": 0}"#,
      at: (4, 36), path: "$.steps[0].option", "SO_ERROR can only be read (getsockopt), not set"),
    .init(
      "wrong option value kind", step: #"{"setsockopt": "client", "option": "SO_REUSEADDR", "value": "yes"}"#,
      at: (4, 61), path: "$.steps[0].value", "SO_REUSEADDR takes true/false or 0/1, found a string"),
    .init(
      "wrong linger value", step: #"{"setsockopt": "server", "option": "SO_LINGER", "value": 5}"#,
      at: (4, 58), path: "$.steps[0].value", "SO_LINGER takes {\"onoff\": 1, \"linger\": SECONDS}, found a number"),
    .init(
      "unknown option symbol",
      step: #"{"setsockopt": "client", "option": "IP_MTU_DISCOVER", "value": "IP_PMTUDISC_DOO"}"#,
      at: (4, 64), path: "$.steps[0].value", "unknown value \"IP_PMTUDISC_DOO\" for IP_MTU_DISCOVER",
      suggestion: "IP_PMTUDISC_DO"),
    .init(
      "SO_ERROR value that is not an errno",
      step: #"{"getsockopt": "client", "option": "SO_ERROR", "expect": {"value": "ECONNREFUSD"}}"#,
      at: (4, 68), path: "$.steps[0].expect.value", "unknown errno \"ECONNREFUSD\"", suggestion: "ECONNREFUSED"),
    .init(
      "undeclared socket", step: #"{"send": "clinet", "data": "x"}"#,
      at: (4, 10), path: "$.steps[0].send", "unknown socket \"clinet\"", suggestion: "client"),
    .init(
      "deferred socket used before creation", step: #"{"bind": "late"}"#,
      at: (4, 10), path: "$.steps[0].bind", "socket \"late\" is deferred and not created yet"),
    .init(
      "socket step on a socket created up front", step: #"{"socket": "client"}"#,
      at: (4, 12), path: "$.steps[0].socket", "declare it with \"deferred\": true"),
    .init(
      "accepted socket used before the accept",
      step: #"{"send": "conn", "data": "x"},\#n{"accept": "server", "as": "conn"}"#,
      at: (4, 10), path: "$.steps[0].send", "socket \"conn\" does not exist yet: it is accepted at $.steps[1]"),
    .init(
      "undeclared address name", step: #"{"connect": "client", "to": "nowhere"}"#,
      at: (4, 29), path: "$.steps[0].to", "unknown name \"nowhere\" in an address"),
    .init(
      "remembered name used before defined",
      step: #"{"connect": "client", "to": "srv"},\#n{"getsockname": "server", "remember": "srv"}"#,
      at: (4, 29), path: "$.steps[0].to", "\"srv\" is used before it is defined (at $.steps[1])"),
    .init(
      "remembered name used as a socket", step: #"{"getsockname": "server", "remember": "srv"},\#n{"close": "srv"}"#,
      at: (5, 11), path: "$.steps[1].close", "\"srv\" is a remembered address, not a socket"),
    .init(
      "duplicate socket name via accept", step: #"{"accept": "server", "as": "client"}"#,
      at: (4, 28), path: "$.steps[0].as", "\"client\" is already a socket (introduced at $.sockets.client)"),
    .init(
      "remember name clashes with a socket", step: #"{"getsockname": "server", "remember": "client"}"#,
      at: (4, 39), path: "$.steps[0].remember", "\"client\" is already a socket"),
    .init(
      "bad duration", step: #"{"wait": "20 ms"}"#,
      at: (4, 10), path: "$.steps[0].wait", "expected a duration like \"20ms\", \"1.5s\" or \"500us\""),
    .init(
      "bad address", step: #"{"connect": "client", "to": "127.0.0.256:80"}"#,
      at: (4, 29), path: "$.steps[0].to", "\"127.0.0.256\" is not an IPv4 address"),
    .init(
      "bad port", step: #"{"connect": "client", "to": "127.0.0.1:70000"}"#,
      at: (4, 29), path: "$.steps[0].to", "port 70000 is out of range 0-65535"),
    .init(
      "IPv6 without brackets", step: #"{"connect": "client", "to": "::1:80"}"#,
      at: (4, 29), path: "$.steps[0].to", "written in brackets"),
    .init(
      "bad hex", step: #"{"send": "client", "data": {"hex": "6g"}}"#,
      at: (4, 36), path: "$.steps[0].data.hex", "\"g\" at character 2 is not a hex digit"),
    .init(
      "odd hex", step: #"{"send": "client", "data": {"hex": "68 6"}}"#,
      at: (4, 36), path: "$.steps[0].data.hex", "odd number of hex digits"),
    .init(
      "bad base64", step: #"{"send": "client", "data": {"base64": "aGVsbG8"}}"#,
      at: (4, 39), path: "$.steps[0].data.base64", "base64 length must be a multiple of 4"),
    .init(
      "two payload encodings", step: #"{"send": "client", "data": {"text": "a", "hex": "00"}}"#,
      at: (4, 42), path: "$.steps[0].data.hex", "a payload has exactly one encoding"),
    .init(
      "payload too large", step: #"{"send": "client", "data": {"zeros": 2000000}}"#,
      at: (4, 38), path: "$.steps[0].data.zeros", "must be between 0 and 1048576, found 2000000"),
    .init(
      "seed without pattern", step: #"{"send": "client", "data": {"zeros": 4, "seed": 1}}"#,
      at: (4, 41), path: "$.steps[0].data.seed", "\"seed\" applies only to \"pattern\""),
    .init(
      "negative count", step: #"{"sendmmsg": "client", "to": "server", "data": "x", "count": -1}"#,
      at: (4, 62), path: "$.steps[0].count", "must be between 1 and 1024, found -1"),
    .init(
      "sendmmsg with data and messages", step: #"{"sendmmsg": "client", "data": "x", "messages": ["y"]}"#,
      at: (4, 49), path: "$.steps[0].messages", "give either \"data\""),
    .init(
      "more messages than recvmmsg count",
      step: #"{"recvmmsg": "client", "count": 1, "expect": {"messages": ["a", "b"]}}"#,
      at: (4, 59), path: "$.steps[0].expect.messages",
      "expects 2 messages, but this recvmmsg receives at most \"count\": 1"),
    .init(
      "unknown message flag", step: #"{"recv": "client", "flags": ["MSG_DONTWAIT", "MSG_PEAK"]}"#,
      at: (4, 46), path: "$.steps[0].flags[1]", "unknown message flag \"MSG_PEAK\"", suggestion: "MSG_PEEK"),
    .init(
      "unknown poll event", step: #"{"poll": "client", "events": ["POLLIM"]}"#,
      at: (4, 31), path: "$.steps[0].events[0]", "unknown poll event \"POLLIM\"", suggestion: "POLLIN"),
    .init(
      "unknown shutdown direction", step: #"{"shutdown": "server", "how": "writes"}"#,
      at: (4, 31), path: "$.steps[0].how", "unknown shutdown direction \"writes\"", suggestion: "write"),
    .init(
      "extended error without MSG_ERRQUEUE",
      step: #"{"recvmsg": "client", "expect": {"extended_error": {"origin": "icmp"}}}"#,
      at: (4, 52), path: "$.steps[0].expect.extended_error", "add \"flags\": [\"MSG_ERRQUEUE\"]"),
    .init(
      "IPv4 membership named by interface", step: #"{"join": "client", "group": "239.1.1.1", "interface": "eth0"}"#,
      at: (4, 55), path: "$.steps[0].interface", "an IPv4 socket names the interface by its IPv4 address"),
    .init(
      "bad multicast group", step: #"{"join": "client", "group": "239.1.1"}"#,
      at: (4, 29), path: "$.steps[0].group", "expected a multicast group address"),
    .init(
      "quotes out of range",
      doc:
        #"{"netdrill": 1, "name": "x", "sockets": {"c": {"type": "udp"}}, "steps": [],\#n"expect_packets": [{"udp": {"from": "c"}}, {"icmp": "port-unreachable", "quotes": 1}]}"#,
      at: (2, 83), path: "$.expect_packets[1].quotes", "\"quotes\": 1 must name an earlier expected packet (0 to 0)"),
    .init(
      "quotes an ICMP error",
      doc:
        #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": [{"udp": {}}, {"icmp": "port-unreachable", "quotes": 0}, {"icmp": "host-unreachable", "quotes": 1}]}"#,
      at: (2, 115), path: "$.expect_packets[2].quotes", "packet 1 is an ICMP error itself"),
    .init(
      "both packet match modes",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": {"exactly": [], "in_order": []}}"#,
      at: (2, 19), path: "$.expect_packets", "an object with exactly one of \"in_order\""),
    .init(
      "unknown packet match mode",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": {"exactyl": []}}"#,
      at: (2, 20), path: "$.expect_packets.exactyl", "unknown key \"exactyl\" in expected packets",
      suggestion: "exactly"),
    .init(
      "quotes on a udp packet in an exactly list",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": {"exactly": [{"udp": {}, "quotes": 0}]}}"#,
      at: (2, 54), path: "$.expect_packets.exactly[0].quotes", "\"quotes\" applies only to icmp packets"),
    .init(
      "returns on socket", step: #"{"socket": "late", "expect": {"returns": 3}}"#,
      at: (4, 31), path: "$.steps[0].expect.returns", "socket() returns a new descriptor"),
    .init(
      "returns on accept", step: #"{"accept": "server", "as": "conn", "expect": {"returns": 4}}"#,
      at: (4, 47), path: "$.steps[0].expect.returns", "accept() returns a new descriptor"),
    .init(
      "unknown requirement",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"requires": ["netemm"]}"#,
      at: (2, 14), path: "$.requires[0]", "unknown requirement \"netemm\"", suggestion: "netem"),
    .init(
      "program requirement that is not a name",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"requires": [{"program": 5}]}"#,
      at: (2, 26), path: "$.requires[0].program", "expected a program name"),
    .init(
      "quotes on a udp packet",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": [{"udp": {}, "quotes": 0}]}"#,
      at: (2, 42), path: "$.expect_packets[0].quotes", "\"quotes\" applies only to icmp packets"),
    .init(
      "unknown ICMP error",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": [{"icmp": "port-unreachible"}]}"#,
      at: (2, 29), path: "$.expect_packets[0].icmp", "unknown ICMP error \"port-unreachible\"",
      suggestion: "port-unreachable"),
    .init(
      "unknown TCP flag",
      doc: #"{"netdrill": 1, "name": "x", "steps": [],\#n"expect_packets": [{"tcp": {"flags": ["SYN", "AKC"]}}]}"#,
      at: (2, 46), path: "$.expect_packets[0].tcp.flags[1]", "unknown TCP flag \"AKC\"", suggestion: "ACK"),
    .init(
      "unknown packet address name",
      doc:
        #"{"netdrill": 1, "name": "x", "sockets": {"client": {"type": "udp"}}, "steps": [],\#n"expect_packets": [{"udp": {"from": "clent"}}]}"#,
      at: (2, 37), path: "$.expect_packets[0].udp.from", "unknown name \"clent\" in an address", suggestion: "client"),
    .init(
      "step timeout of 0s",
      doc:
        #"{"netdrill": 1, "name": "t", "sockets": {"c": {"type": "udp"}},\#n"steps": [{"recv": "c", "timeout": "0s"}]}"#,
      at: (2, 36), path: "$.steps[0].timeout", "a timeout must be at least 1us"),
    .init(
      "default timeout of 1ns",
      doc: #"{"netdrill": 1, "name": "t",\#n"defaults": {"timeout": "1ns"}, "steps": []}"#,
      at: (2, 25), path: "$.defaults.timeout", "a timeout must be at least 1us"),
    .init(
      "link subnet with host bits",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv4": "10.0.0.1/24"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv4", "has host bits set: did you mean \"10.0.0.0/24\"?"),
    .init(
      "/31 on a LAN",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b", "c"], "ipv4": "10.0.0.0/31"}], "steps": []}"#,
      at: (2, 59), path: "$.links[0].ipv4", "has room for 0 host address(es)"),
    .init(
      "loopback link subnet",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv4": "127.0.0.0/8"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv4", "the loopback range 127.0.0.0/8"),
    .init(
      "unspecified link subnet",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv4": "0.0.0.0/24"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv4", "the unspecified"),
    .init(
      "multicast link subnet",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv4": "224.0.0.0/24"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv4", "the multicast range 224.0.0.0/4"),
    .init(
      "IPv6 loopback link subnet",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv6": "::1/128"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv6", "the loopback address ::1"),
    .init(
      "IPv6 multicast link subnet",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv6": "ff00::/8"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv6", "the multicast range ff00::/8"),
    .init(
      "IPv6 unspecified link subnet",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv6": "::/64"}], "steps": []}"#,
      at: (2, 54), path: "$.links[0].ipv6", "the unspecified address ::"),
    .init(
      "overlapping link subnets",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}},\#n"links": [{"name": "w", "hosts": ["a", "b"], "ipv4": "10.0.0.0/16"}, {"name": "v", "hosts": ["b", "c"], "ipv4": "10.0.1.0/24"}], "steps": []}"#,
      at: (2, 113), path: "$.links[1].ipv4", "overlaps 10.0.0.0/16 of link \"w\""),
    .init(
      "::/0 beside a default route",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"routes": [{"host": "a", "to": "default", "via": "2001:db8:1::2"}, {"host": "a", "to": "::/0", "via": "2001:db8:1::2"}], "steps": []}"#,
      at: (2, 88), path: "$.routes[1].to", "a second route in host \"a\" to ::/0"),
    .init(
      "duplicate route",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"routes": [{"host": "a", "to": "203.0.113.0/24", "via": "192.0.2.2"}, {"host": "a", "to": "203.0.113.0/24", "via": "192.0.2.2"}], "steps": []}"#,
      at: (2, 91), path: "$.routes[1].to", "a second route in host \"a\" to 203.0.113.0/24"),
    .init(
      "route destination with host bits",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"routes": [{"host": "a", "to": "203.0.113.7/24", "via": "192.0.2.2"}], "steps": []}"#,
      at: (2, 32), path: "$.routes[0].to", "has host bits set"),
    .init(
      "rate limit on input",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"faults": {"f": {"host": "a", "direction": "input", "rate": {"rate": "1mbit"}}}, "steps": []}"#,
      at: (2, 44), path: "$.faults.f.direction", "a rate limit shapes what an interface sends"),
    .init(
      "delay without a direction",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"faults": {"f": {"host": "a", "delay": "5ms"}}, "steps": []}"#,
      at: (2, 40), path: "$.faults.f.delay", "without \"direction\" a fault acts on input"),
    .init(
      "NUL in a command word",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"programs": {"p": {"host": "a", "command": ["sh", "a\u0000b"]}}, "steps": []}"#,
      at: (2, 51), path: "$.programs.p.command[1]", "cannot contain a NUL character"),
    .init(
      "NUL in an environment value",
      doc:
        #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}, "c": {}}, "links": [{"name": "w", "hosts": ["a", "b"]}],\#n"programs": {"p": {"host": "a", "command": ["true"], "env": {"X": "1\u0000"}}}, "steps": []}"#,
      at: (2, 67), path: "$.programs.p.env.X", "cannot contain a NUL character"),
    .init(
      "start of a program started at set-up",
      doc: #"{"netdrill": 1, "name": "t",\#n"programs": {"p": {"command": ["true"]}}, "steps": [{"start": "p"}]}"#,
      at: (2, 63), path: "$.steps[0].start",
      "program \"p\" starts before the first step; declare it with \"deferred\": true"),
    .init(
      "second start of a deferred program",
      doc:
        #"{"netdrill": 1, "name": "t",\#n"programs": {"p": {"command": ["true"], "deferred": true}}, "steps": [{"start": "p"}, {"start": "p"}]}"#,
      at: (2, 97), path: "$.steps[1].start", "program \"p\" is already started by an earlier start step"),
    .init(
      "stop of a deferred program before its start",
      doc:
        #"{"netdrill": 1, "name": "t",\#n"programs": {"p": {"command": ["true"], "deferred": true}}, "steps": [{"stop": "p"}, {"start": "p"}]}"#,
      at: (2, 80), path: "$.steps[0].stop", "program \"p\" is deferred and not started yet: add {\"start\": \"p\"}"),
    .init(
      "recvfrom remember name clashes with a socket", step: #"{"recvfrom": "server", "remember": "client"}"#,
      at: (4, 36), path: "$.steps[0].remember", "\"client\" is already a socket"),
    .init(
      "remember on a receive call without a source address", step: #"{"recv": "server", "remember": "peer"}"#,
      at: (4, 20), path: "$.steps[0].remember", "\"remember\" does not apply to recv"),
  ]

  @Test(arguments: cases)
  func malformedScenario(_ testCase: MalformedCase) throws {
    try testCase.expectRefused()
  }

  @Test func thereAreEnoughCases() {
    #expect(Self.cases.count >= 25)
  }

  @Test func descriptionNamesFileLineColumnPathAndSuggestion() {
    let errors = TestSupport.errors(
      parsing: MalformedCase.scenario(steps: #"{"send": "client", "data": "x", "expect": {"error": "ECONREFUSED"}}"#),
      file: "udp.json")
    #expect(
      errors.first?.description
        == #"udp.json:4:53: error at $.steps[0].expect.error: unknown errno "ECONREFUSED" (did you mean "ECONNREFUSED"?)"#
    )
  }

  @Test func theVersionIsCheckedBeforeAnythingElse() {
    let errors = TestSupport.errors(parsing: #"{"nme": 5, "steps": "no", "netdrill": 3}"#)
    #expect(errors.count == 1)
    #expect(errors.first?.message == "unsupported format version 3 (this netdrill reads 1)")
  }

  @Test func everyProblemIsReportedInFileOrder() {
    let text = MalformedCase.scenario(
      steps: #"{"send": "clinet", "data": "x"},\#n{"wait": "soon"},\#n{"recv": "client", "flags": ["MSG_PEAK"]}"#)
    let errors = TestSupport.errors(parsing: text)
    #expect(errors.map(\.path) == ["$.steps[0].send", "$.steps[1].wait", "$.steps[2].flags[0]"])
    #expect(errors.map(\.line) == [4, 5, 6])
  }

  @Test func aBrokenDeclarationDoesNotCascadeIntoEveryStep() {
    let text = #"""
      {"netdrill": 1, "name": "t", "sockets": {"c": {"type": "udpp"}},
      "steps": [{"bind": "c"}, {"send": "c", "data": "x"}, {"close": "c"}]}
      """#
    let errors = TestSupport.errors(parsing: text)
    #expect(errors.map(\.path) == ["$.sockets.c.type"])
  }

  @Test func aMisspelledPayloadEncodingIsOneError() {
    let text = MalformedCase.scenario(steps: #"{"send": "client", "data": {"hx": "00"}}"#)
    let errors = TestSupport.errors(parsing: text)
    #expect(errors.count == 1)
    #expect(errors.first?.suggestion == "hex")
  }

  @Test func aMissingFileIsAScenarioError() {
    do {
      _ = try ScenarioParser.parse(file: "/nonexistent/netdrill/scenario.json")
      Issue.record("parsed a missing file")
    } catch {
      #expect(error.errors.count == 1)
      #expect(error.first?.line == 0)
      #expect(error.first?.message.contains("ENOENT") == true)
      #expect(
        error.first?.description
          == "/nonexistent/netdrill/scenario.json: error at $: cannot open the scenario: No such file or directory (ENOENT)"
      )
    }
  }

  @Test func aDirectoryIsAScenarioError() {
    do {
      _ = try ScenarioParser.parse(file: TestSupport.fixturesDirectory.path)
      Issue.record("parsed a directory")
    } catch {
      #expect(error.first?.message == "expected a regular file with a scenario, found a directory")
    }
  }

  /// Opening a FIFO for reading waits for a writer: without O_NONBLOCK and
  /// the file type check this test would never end.
  @Test(.timeLimit(.minutes(1))) func aFIFOIsRefusedAtOnce() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("netdrill-fifo-\(UUID().uuidString).json")
      .path
    #expect(mkfifo(path, 0o600) == 0)
    defer { unlink(path) }
    do {
      _ = try ScenarioParser.parse(file: path)
      Issue.record("parsed a FIFO")
    } catch {
      #expect(error.first?.line == 0)
      #expect(error.first?.message == "expected a regular file with a scenario, found a FIFO (named pipe)")
    }
  }

  /// Interfaces are eth0 to eth98: the 100th link of a host is refused at the host's name in it.
  @Test func aHostOnMoreThan99LinksIsRefusedWhereItIsListed() throws {
    let links = (0..<100).map { #"{"name": "l\#($0)", "hosts": ["a", "b"]}"# }.joined(separator: ", ")
    let text =
      #"{"netdrill": 1, "name": "t", "hosts": {"a": {}, "b": {}},"# + "\n" + #""links": ["# + links
      + #"], "steps": []}"#
    let secondLine = String(text.split(separator: "\n")[1])
    let marker = try #require(secondLine.range(of: #"{"name": "l99", "hosts": [""#))
    let column = secondLine.distance(from: secondLine.startIndex, to: marker.upperBound)  // the '"' before a
    let errors = TestSupport.errors(parsing: text, file: "links.json")
    #expect(errors.map(\.path) == ["$.links[99].hosts[0]", "$.links[99].hosts[1]"])
    #expect(errors.first.map { ($0.line, $0.column) } ?? (0, 0) == (2, column))
    #expect(errors.first?.message.contains("is on more than 99 links") == true)
  }

  /// A 10 MB unknown errno took 26 s: every candidate's distance was computed
  /// on the whole string. Candidates whose length alone rules them out are
  /// now dropped first, so no distance is computed at all for it: `nearest`
  /// computes one per candidate within reach, and there is none. (A bound on
  /// work rather than a time limit, which a busy machine breaks.)
  @Test func aHugeUnknownWordIsComparedWithNoCandidate() {
    let huge = String(repeating: "E", count: 10_000_000)
    // The candidates an unknown `expect.error` is compared with.
    let errnoWords = Errno.allNames + [ScenarioVocabulary.succeedsWord]
    #expect(ScenarioError.candidatesWithinReach(of: huge, in: errnoWords).isEmpty)
    #expect(ScenarioError.nearest(huge, in: errnoWords) == nil)
    // Words of about the right length still get their suggestion.
    #expect(ScenarioError.candidatesWithinReach(of: "ECONREFUSED", in: Errno.allNames).contains("ECONNREFUSED"))
  }

  @Test func suggestionsFindNearbyWordsOnly() {
    #expect(ScenarioError.nearest("sned", in: ["socket", "send", "recv"]) == "send")
    #expect(ScenarioError.nearest("tiemout", in: ["expect", "timeout", "note"]) == "timeout")
    #expect(ScenarioError.nearest("so_reuseaddr", in: ["SO_REUSEPORT", "SO_REUSEADDR"]) == "SO_REUSEADDR")
    #expect(ScenarioError.nearest("banana", in: ["send", "recv"]) == nil)
    #expect(ScenarioError.nearest("x", in: [String]()) == nil)
  }
}
