/// Hosts a and b on one veth link whose input on b drops every 2nd UDP datagram,
/// and a UDP server on b (192.0.2.2:7100) with room in its receive buffer, so
/// that the only loss is the fault's. Shared by the repeat, background-receiver
/// and latency tests, which each count that loss their own way.
enum LossyLinkScenario {
  /// The scenario text; `steps` follow the server's bind (JSON, comma-separated).
  static func text(steps: String) -> String {
    """
    {"netdrill": 1, "name": "lossy",
     "hosts": {"a": {}, "b": {}}, "links": [{"name": "wire", "hosts": ["a", "b"], "ipv4": "192.0.2.0/24"}],
     "faults": {"lossy": {"host": "b", "link": "wire", "direction": "input", "protocol": "udp", "loss": {"every": 2}}},
     "sockets": {"client": {"type": "udp", "host": "a"}, "server": {"type": "udp", "host": "b", "options": {"SO_RCVBUF": 4194304}}},
     "steps": [
      {"bind": "server", "address": "192.0.2.2:7100"},
      \(steps)
     ]}
    """
  }
}
