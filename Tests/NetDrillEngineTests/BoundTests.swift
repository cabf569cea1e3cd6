import Foundation
import NetDrillEngine
import NetDrillScenario
import NetDrillTestSupport
import Testing

/// netdrill bounds every blocking call, but the bound must leave nothing a
/// scenario can read: SO_RCVTIMEO/SO_SNDTIMEO stay the kernel's (0) unless
/// the scenario set them, on every socket, the accepted ones included.
@Suite(
  "Engine: time bounds leave no trace", .privileged)
struct BoundTests {
  private func run(_ json: String) throws -> RunResult {
    let scenario = try ScenarioParser.parse(data: Array(json.utf8), file: "inline.json")
    return try ScenarioRunner.run(scenario)
  }

  private func seconds(_ outcome: StepOutcome) -> Double {
    Double(outcome.endNanoseconds - outcome.startNanoseconds) / 1e9
  }

  private func value(_ result: RunResult, _ call: String) -> String? {
    result.outcomes.first { $0.call == call }?.value
  }

  @Test("after a bounded accept, connect and recv, every socket's SO_RCVTIMEO/SO_SNDTIMEO reads 0")
  func boundsAreInvisible() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "invisible", "defaults": {"timeout": "200ms"},
       "sockets": {"listener": {"type": "tcp"}, "client": {"type": "tcp"}},
       "steps": [
         {"bind": "listener", "address": "127.0.0.1:0"}, {"listen": "listener"},
         {"accept": "listener", "as": "early"},
         {"connect": "client", "to": "listener"},
         {"accept": "listener", "as": "conn"},
         {"recv": "conn"}, {"recv": "client"},
         {"getsockopt": "listener", "option": "SO_RCVTIMEO"}, {"getsockopt": "listener", "option": "SO_SNDTIMEO"},
         {"getsockopt": "client", "option": "SO_RCVTIMEO"}, {"getsockopt": "client", "option": "SO_SNDTIMEO"},
         {"getsockopt": "conn", "option": "SO_RCVTIMEO"}, {"getsockopt": "conn", "option": "SO_SNDTIMEO"}]}
      """)
    // Each blocking call is still bounded, and says so.
    let early = try #require(result.outcomes.first { $0.call.hasPrefix("accept(listener) → early") })
    #expect(early.resultText == "EAGAIN (timed out)")
    #expect(seconds(early) >= 0.18 && seconds(early) < 1.0)
    #expect(result.outcomes.first { $0.verb == "connect" }?.returned == 0)
    let receives = result.outcomes.filter { $0.verb == "recv" }
    #expect(receives.map(\.resultText) == ["EAGAIN (timed out)", "EAGAIN (timed out)"])
    #expect(receives.allSatisfy { seconds($0) >= 0.18 && seconds($0) < 1.0 })
    // And nothing of it is left on the sockets.
    for name in ["listener", "client", "conn"] {
      for option in ["SO_RCVTIMEO", "SO_SNDTIMEO"] {
        #expect(value(result, "getsockopt(\(name), \(option))") == "0s", "\(name) \(option)")
      }
    }
  }

  @Test("a TCP connect that gets no answer is bounded, and leaves SO_SNDTIMEO at 0")
  func connectIsBounded() throws {
    // With backlog 0 the accept queue holds one connection; the next SYN is dropped.
    let result = try run(
      """
      {"netdrill": 1, "name": "connect-bound",
       "sockets": {"listener": {"type": "tcp"}, "first": {"type": "tcp"}, "second": {"type": "tcp"}},
       "steps": [
         {"bind": "listener", "address": "127.0.0.1:0"}, {"listen": "listener", "backlog": 0},
         {"connect": "first", "to": "listener"},
         {"connect": "second", "to": "listener", "timeout": "300ms"},
         {"getsockopt": "second", "option": "SO_SNDTIMEO"}, {"getsockopt": "second", "option": "SO_RCVTIMEO"}]}
      """)
    let connects = result.outcomes.filter { $0.verb == "connect" }
    #expect(connects.map(\.resultText) == ["0", "EINPROGRESS (timed out)"])
    #expect(seconds(connects[1]) >= 0.28 && seconds(connects[1]) < 1.5)
    #expect(value(result, "getsockopt(second, SO_SNDTIMEO)") == "0s")
    #expect(value(result, "getsockopt(second, SO_RCVTIMEO)") == "0s")
  }

  @Test("a scenario's own SO_RCVTIMEO governs when shorter, reads back unchanged, and is what accepted sockets inherit")
  func ownTimeoutGoverns() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "own-timeout", "defaults": {"timeout": "2s"},
       "sockets": {"listener": {"type": "tcp", "options": {"SO_RCVTIMEO": "200ms"}}, "client": {"type": "tcp"},
                   "udp": {"type": "udp"}},
       "steps": [
         {"bind": "listener", "address": "127.0.0.1:0"}, {"listen": "listener"},
         {"accept": "listener", "as": "none"},
         {"connect": "client", "to": "listener"},
         {"accept": "listener", "as": "conn"},
         {"recv": "conn"},
         {"getsockopt": "listener", "option": "SO_RCVTIMEO"}, {"getsockopt": "conn", "option": "SO_RCVTIMEO"},
         {"getsockopt": "client", "option": "SO_RCVTIMEO"},
         {"bind": "udp", "address": "127.0.0.1:0"},
         {"setsockopt": "udp", "option": "SO_RCVTIMEO", "value": "5s"},
         {"recv": "udp", "timeout": "200ms"},
         {"getsockopt": "udp", "option": "SO_RCVTIMEO"}]}
      """)
    // The kernel's own answer at the scenario's timeout: EAGAIN, not netdrill's bound.
    let accept = try #require(result.outcomes.first { $0.call.hasPrefix("accept(listener) → none") })
    #expect(accept.resultText == "EAGAIN")
    #expect(seconds(accept) >= 0.18 && seconds(accept) < 1.5)
    let inherited = try #require(result.outcomes.first { $0.call == "recv(conn, 65536)" })
    #expect(inherited.resultText == "EAGAIN")
    #expect(seconds(inherited) >= 0.18 && seconds(inherited) < 1.5)
    #expect(value(result, "getsockopt(listener, SO_RCVTIMEO)") == "200ms")
    #expect(value(result, "getsockopt(conn, SO_RCVTIMEO)") == "200ms")
    #expect(value(result, "getsockopt(client, SO_RCVTIMEO)") == "0s")
    // A longer timeout of its own is still bounded by netdrill, and kept.
    let udp = try #require(result.outcomes.first { $0.call == "recv(udp, 65536)" })
    #expect(udp.resultText == "EAGAIN (timed out)")
    #expect(seconds(udp) >= 0.18 && seconds(udp) < 1.5)
    #expect(value(result, "getsockopt(udp, SO_RCVTIMEO)") == "5s")
  }

  @Test("a blocking TCP send larger than the buffers is bounded and returns what it queued")
  func sendIsBounded() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "send-bound",
       "sockets": {"listener": {"type": "tcp"}, "client": {"type": "tcp", "options": {"SO_SNDBUF": 4096}}},
       "steps": [
         {"bind": "listener", "address": "127.0.0.1:0"}, {"listen": "listener"},
         {"connect": "client", "to": "listener"},
         {"accept": "listener", "as": "conn"},
         {"setsockopt": "conn", "option": "SO_RCVBUF", "value": 4096},
         {"send": "client", "data": {"zeros": 1048576}, "timeout": "300ms"},
         {"send": "client", "data": {"zeros": 1048576}, "timeout": "300ms"},
         {"getsockopt": "client", "option": "SO_SNDTIMEO"}]}
      """)
    let sends = result.outcomes.filter { $0.verb == "send" }
    // The first queues part of the megabyte (a partial count, as SO_SNDTIMEO gives); the second finds no room.
    #expect((sends[0].returned ?? 0) > 0 && (sends[0].returned ?? 0) < 1_048_576)
    #expect(sends[1].resultText == "EAGAIN (timed out)")
    #expect(sends.allSatisfy { seconds($0) >= 0.28 && seconds($0) < 1.5 })
    #expect(value(result, "getsockopt(client, SO_SNDTIMEO)") == "0s")
  }

  @Test("recv with MSG_WAITALL waits for every byte; recvmmsg for every datagram, up to the bound")
  func continuedReceives() throws {
    let result = try run(
      """
      {"netdrill": 1, "name": "waitall",
       "sockets": {"listener": {"type": "tcp"}, "client": {"type": "tcp"}, "a": {"type": "udp"}, "b": {"type": "udp"}},
       "steps": [
         {"bind": "listener", "address": "127.0.0.1:0"}, {"listen": "listener"},
         {"connect": "client", "to": "listener"}, {"accept": "listener", "as": "conn"},
         {"send": "client", "data": "abc"},
         {"recv": "conn", "size": 6, "flags": ["MSG_WAITALL"], "timeout": "200ms"},
         {"send": "client", "data": "defgh"},
         {"recv": "conn", "size": 2, "flags": ["MSG_WAITALL"]},
         {"bind": "b", "address": "127.0.0.1:0"}, {"connect": "a", "to": "b"},
         {"send": "a", "data": "one"}, {"send": "a", "data": "two"},
         {"recvmmsg": "b", "count": 4, "timeout": "200ms"}]}
      """)
    let receives = result.outcomes.filter { $0.verb == "recv" }
    // At the bound, MSG_WAITALL returns the bytes it has (tcp(7)), not an error.
    #expect(receives[0].returned == 3 && receives[0].data?.text == "abc")
    #expect(seconds(receives[0]) >= 0.18)
    #expect(receives[1].data?.text == "de")
    let batch = try #require(result.outcomes.last)
    #expect(batch.returned == 2)
    #expect(seconds(batch) >= 0.18 && seconds(batch) < 1.5)
  }
}
