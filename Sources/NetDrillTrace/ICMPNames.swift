/// Names for ICMP (RFC 792, RFC 1812) and ICMPv6 (RFC 4443, RFC 4861)
/// types and codes, in the hyphenated style netdrill uses in outcomes.
enum ICMPNames {
  static func icmpv4(type: UInt8, code: UInt8) -> String {
    switch type {
    case 0: return "echo-reply"
    case 3:
      switch code {
      case 0: return "net-unreachable"
      case 1: return "host-unreachable"
      case 2: return "protocol-unreachable"
      case 3: return "port-unreachable"
      case 4: return "frag-needed"
      case 5: return "source-route-failed"
      case 6: return "net-unknown"
      case 7: return "host-unknown"
      case 9: return "net-prohibited"
      case 10: return "host-prohibited"
      case 11: return "net-tos-unreachable"
      case 12: return "host-tos-unreachable"
      case 13: return "admin-prohibited"
      case 14: return "host-precedence-violation"
      case 15: return "precedence-cutoff"
      default: return "unreachable-code-\(code)"
      }
    case 4: return "source-quench"
    case 5: return "redirect"
    case 8: return "echo-request"
    case 9: return "router-advertisement"
    case 10: return "router-solicitation"
    case 11: return code == 1 ? "reassembly-time-exceeded" : "time-exceeded"
    case 12: return "parameter-problem"
    case 13: return "timestamp-request"
    case 14: return "timestamp-reply"
    default: return "type-\(type)"
    }
  }

  static func icmpv6(type: UInt8, code: UInt8) -> String {
    switch type {
    case 1:
      switch code {
      case 0: return "no-route"
      case 1: return "admin-prohibited"
      case 2: return "beyond-scope"
      case 3: return "address-unreachable"
      case 4: return "port-unreachable"
      case 5: return "source-policy-failed"
      case 6: return "reject-route"
      default: return "unreachable-code-\(code)"
      }
    case 2: return "packet-too-big"
    case 3: return code == 1 ? "reassembly-time-exceeded" : "time-exceeded"
    case 4: return "parameter-problem"
    case 128: return "echo-request"
    case 129: return "echo-reply"
    case 133: return "router-solicitation"
    case 134: return "router-advertisement"
    case 135: return "neighbor-solicitation"
    case 136: return "neighbor-advertisement"
    case 137: return "redirect"
    default: return "type-\(type)"
    }
  }
}
