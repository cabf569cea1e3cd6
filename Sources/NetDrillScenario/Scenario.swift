import NetDrillSockets

/// A parsed, validated scenario: sockets to create, steps to run on them in
/// order, and what each step is expected to give.
///
/// Built by `ScenarioParser` from JSON (format version `Scenario.formatVersion`);
/// every element remembers where it came from (`ScenarioLocation`) so outcomes
/// and errors can point back at the file.
public struct Scenario: Sendable, Equatable {
  /// The format version this build reads and writes (`"netdrill": 1`).
  public static let formatVersion = 1

  public var name: String
  public var description: String
  public var defaults: ScenarioDefaults
  public var sockets: [SocketDeclaration]
  public var steps: [Step]
  public var expectedPackets: [PacketExpectation]
  /// How `expectedPackets` is matched against the capture.
  public var packetMatch: PacketMatch
  /// What the scenario needs from the machine (`"requires"`); `netdrill check`
  /// skips it, with the reason, where something is missing.
  public var requirements: [Requirement]
  /// Hosts, links and routes; nil: one host, `local`, with loopback only.
  public var topology: Topology?
  public var faults: [FaultDeclaration]
  public var programs: [ProgramDeclaration]
  /// The file it was read from, if any (for messages only).
  public var sourcePath: String?
  /// The NAMEs of the `$closed.NAME` ports the scenario uses, sorted: each is
  /// a distinct port with no listener.
  public var closedPortNames: [String] = []

  public init(
    name: String, description: String = "", defaults: ScenarioDefaults = .init(),
    sockets: [SocketDeclaration] = [], steps: [Step] = [], expectedPackets: [PacketExpectation] = [],
    packetMatch: PacketMatch = .inOrder, requirements: [Requirement] = [], topology: Topology? = nil,
    faults: [FaultDeclaration] = [], programs: [ProgramDeclaration] = [],
    sourcePath: String? = nil
  ) {
    self.topology = topology
    self.faults = faults
    self.programs = programs
    self.name = name
    self.description = description
    self.defaults = defaults
    self.sockets = sockets
    self.steps = steps
    self.expectedPackets = expectedPackets
    self.packetMatch = packetMatch
    self.requirements = requirements
    self.sourcePath = sourcePath
  }

  public func socket(named name: String) -> SocketDeclaration? {
    sockets.first { $0.name == name }
  }

  /// The host a socket lives on.
  public func host(ofSocket name: String) -> String {
    socket(named: name)?.host ?? topology?.defaultHost ?? "local"
  }
}

/// Where something was written: 1-based line and column, and its JSON path.
public struct ScenarioLocation: Sendable, Equatable, Hashable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var path: String
  public init(line: Int, column: Int, path: String) {
    self.line = line
    self.column = column
    self.path = path
  }
  public var description: String { "\(line):\(column) \(path)" }
}

/// Scenario-wide settings. Decoding `{}` gives exactly `ScenarioDefaults()`.
public struct ScenarioDefaults: Sendable, Equatable {
  /// Bound on every blocking call (recv, accept, TCP connect, poll) unless a step says otherwise.
  public var timeout: Duration = .seconds(1)
  /// Seed for `{"pattern": N}` payloads that give none.
  public var seed: UInt64 = 1
  public init(timeout: Duration = .seconds(1), seed: UInt64 = 1) {
    self.timeout = timeout
    self.seed = seed
  }
}

public enum SocketKind: String, Sendable, Equatable, CaseIterable {
  case udp, tcp
}

public enum AddressFamily: String, Sendable, Equatable, CaseIterable {
  case ipv4, ipv6
}

/// A named socket. Created before the first step, in declaration order,
/// unless `deferred` (then a `{"socket": name}` step creates it).
public struct SocketDeclaration: Sendable, Equatable {
  public var name: String
  public var kind: SocketKind
  public var family: AddressFamily
  /// Options set right after `socket()`, in order.
  public var options: [OptionSetting]
  /// `SOCK_NONBLOCK` at creation.
  public var nonBlocking: Bool
  /// `SOCK_CLOEXEC` at creation.
  public var closeOnExec: Bool
  public var deferred: Bool
  /// The host it lives on; nil: the scenario's first host.
  public var host: String?
  public var location: ScenarioLocation

  public init(
    name: String, kind: SocketKind, family: AddressFamily = .ipv4, options: [OptionSetting] = [],
    nonBlocking: Bool = false, closeOnExec: Bool = false, deferred: Bool = false, host: String? = nil,
    location: ScenarioLocation
  ) {
    self.host = host
    self.name = name
    self.kind = kind
    self.family = family
    self.options = options
    self.nonBlocking = nonBlocking
    self.closeOnExec = closeOnExec
    self.deferred = deferred
    self.location = location
  }
}

/// An option with the value to set.
public struct OptionSetting: Sendable, Equatable {
  public var option: SocketOptionName
  public var value: OptionValue
  public init(option: SocketOptionName, value: OptionValue) {
    self.option = option
    self.value = value
  }
}

/// A socket option value as written in a scenario or read back from the kernel.
public enum OptionValue: Sendable, Equatable, CustomStringConvertible {
  case integer(Int)
  case linger(onoff: Bool, seconds: Int)
  case text(String)
  case duration(Duration)
  case errno(Errno?)

  public var description: String {
    switch self {
    case .integer(let value): return String(value)
    case .linger(let onoff, let seconds): return "{onoff: \(onoff ? 1 : 0), linger: \(seconds)}"
    case .text(let text): return "\"\(text)\""
    case .duration(let duration): return DurationText.format(duration)
    case .errno(let errno): return errno?.name ?? "0"
    }
  }
}

/// A port in an address: a number, or `$closed` (a port guaranteed to have no listener).
public enum PortSpec: Sendable, Equatable, CustomStringConvertible {
  case number(UInt16)
  case closed
  /// `$closed.NAME`: another port with no listener, distinct from `$closed` and every other NAME.
  case namedClosed(String)
  /// The port of a socket's bound address or of a remembered address
  /// (`"239.1.2.3:server"`: a multicast group at the receiver's port).
  case of(String)
  public var description: String {
    switch self {
    case .number(let port): return String(port)
    case .closed: return "$closed"
    case .namedClosed(let name): return "$closed.\(name)"
    case .of(let name): return name
    }
  }
}

/// An address as a scenario writes it; resolved to a concrete one at run time.
public enum AddressSpec: Sendable, Equatable, CustomStringConvertible {
  /// `"127.0.0.1:9000"`, `"[::1]:$closed"`, `"0.0.0.0:0"`.
  case literal(host: String, port: PortSpec)
  /// A socket's name (its bound address; a wildcard bind stands for loopback)
  /// or a name saved with `"remember"`.
  case named(String)
  /// `"$closed"` alone: loopback of the socket's family at the closed port.
  case closedPort
  /// `"$closed.NAME"` alone: loopback at that named closed port.
  case namedClosedPort(String)

  public var description: String {
    switch self {
    case .literal(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    case .named(let name): return name
    case .closedPort: return "$closed"
    case .namedClosedPort(let name): return "$closed.\(name)"
    }
  }
}

/// Bytes to send or to expect. `bytes` gives the concrete payload.
public enum Payload: Sendable, Equatable, CustomStringConvertible {
  case text(String)
  case hex([UInt8])
  case base64([UInt8])
  /// `size` bytes of a deterministic pattern from `seed` (see `PatternGenerator`).
  case pattern(size: Int, seed: UInt64)
  case zeros(Int)
  /// `size` bytes (8 or more): a big-endian 64-bit sequence number, then a
  /// fill of `PatternGenerator` bytes from `seed`. A repeat numbers its
  /// datagrams 0, 1, 2… in place; a background receiver checks number and fill.
  case sequence(size: Int, seed: UInt64)

  public var bytes: [UInt8] {
    switch self {
    case .text(let text): return Array(text.utf8)
    case .hex(let bytes), .base64(let bytes): return bytes
    case .pattern(let size, let seed): return PatternGenerator.bytes(count: size, seed: seed)
    case .zeros(let count): return [UInt8](repeating: 0, count: count)
    case .sequence(let size, let seed): return SequencePayload(size: size, seed: seed).bytes(number: 0)
    }
  }

  public var description: String {
    switch self {
    case .text(let text): return "\"\(text)\""
    case .hex(let bytes): return "hex \(bytes.count)B"
    case .base64(let bytes): return "base64 \(bytes.count)B"
    case .pattern(let size, let seed): return "pattern \(size)B seed \(seed)"
    case .zeros(let count): return "zeros \(count)B"
    case .sequence(let size, let seed): return "sequence \(size)B seed \(seed)"
    }
  }
}

/// The send call families; each is a different syscall.
public enum SendCall: String, Sendable, Equatable, CaseIterable {
  case write, send, sendto, sendmsg, sendmmsg
}

/// The receive call families; each is a different syscall.
public enum ReceiveCall: String, Sendable, Equatable, CaseIterable {
  case read, recv, recvfrom, recvmsg, recvmmsg
}

/// `MSG_*` flags a scenario may pass to send/recv calls or expect in `msg_flags`.
public enum MessageFlag: String, Sendable, Equatable, CaseIterable {
  case MSG_DONTWAIT, MSG_PEEK, MSG_TRUNC, MSG_ERRQUEUE, MSG_WAITALL, MSG_CTRUNC, MSG_CONFIRM,
    MSG_DONTROUTE, MSG_MORE, MSG_NOSIGNAL, MSG_OOB, MSG_EOR, MSG_WAITFORONE
}

public enum ShutdownHow: String, Sendable, Equatable, CaseIterable {
  case read, write, both
}

/// Open-file status flags F_SETFL can change on a socket (fcntl(2)).
public enum FileStatusFlag: String, Sendable, Equatable, CaseIterable {
  case O_NONBLOCK, O_ASYNC, O_APPEND
}

public enum PollEvent: String, Sendable, Equatable, CaseIterable {
  case POLLIN, POLLOUT, POLLERR, POLLHUP, POLLPRI, POLLRDHUP, POLLNVAL
}

/// One step of a scenario: an action, an optional bound and expectation.
public struct Step: Sendable, Equatable {
  public var index: Int
  public var action: Action
  public var expect: StepExpectation?
  /// Overrides `ScenarioDefaults.timeout` for this step's blocking call.
  public var timeout: Duration?
  /// Free text shown next to the step (`"note"` in JSON).
  public var note: String?
  /// A label (`"id"` in JSON), unique in the scenario: shown in reports and
  /// named by other steps (`"since"`); see `Scenario.step(withID:)`.
  public var id: String?
  public var location: ScenarioLocation

  public init(
    index: Int, action: Action, expect: StepExpectation? = nil, timeout: Duration? = nil,
    note: String? = nil, id: String? = nil, location: ScenarioLocation
  ) {
    self.id = id
    self.index = index
    self.action = action
    self.expect = expect
    self.timeout = timeout
    self.note = note
    self.location = location
  }
}

/// What a step does: a call on a named socket, or (`wait`, the fault, link
/// and program cases) a change to time or the network.
public enum Action: Sendable, Equatable {
  case socket(String)
  case close(String)
  /// `address` nil binds the family's wildcard address, port 0.
  case bind(String, address: AddressSpec?)
  case connect(String, to: AddressSpec)
  /// `connect()` with `sa_family = AF_UNSPEC`: dissolves a UDP association.
  case disconnect(String)
  case listen(String, backlog: Int)
  /// The accepted connection becomes a socket named `as`.
  case accept(String, as: String)
  case shutdown(String, how: ShutdownHow)
  case send(SendStep)
  case receive(ReceiveStep)
  case setsockopt(String, OptionSetting)
  case getsockopt(String, SocketOptionName)
  /// `remember` saves the address under a name later steps can use as an address.
  case getsockname(String, remember: String?)
  case getpeername(String, remember: String?)
  /// Multicast membership (`IP_ADD_MEMBERSHIP` / `IPV6_JOIN_GROUP`).
  case join(String, group: String, interface: String?)
  case leave(String, group: String, interface: String?)
  case poll(String, events: [PollEvent])
  /// F_GETFL, then F_SETFL with `set` added and `clear` removed.
  case fcntl(String, set: [FileStatusFlag], clear: [FileStatusFlag])
  case wait(Duration)
  /// Install or remove a declared fault.
  case enableFault(String)
  case disableFault(String)
  /// Take a link down or up (`host` nil: every end).
  case linkState(String, host: String?, up: Bool)
  case setMTU(String, mtu: Int)
  /// Start a `deferred` program under test now and wait until it is ready.
  case startProgram(String)
  /// `repeat`: a body of steps run many times, with one aggregate outcome.
  case repetition(Repetition)
  /// Stop a program under test now (SIGTERM, then SIGKILL) and record how it ended.
  case stopProgram(String)
  /// Deliver a crafted packet to a host as if from the wire (`Injection.swift`).
  case inject(InjectStep)
  /// Start receiving on a socket in the background (`BackgroundReceive.swift`).
  case receiveInBackground(BackgroundReceiveStep)
  /// Stop a background receiver and record its totals.
  case collect(CollectStep)

  /// The socket the step acts on (nil for `wait` and the network and program cases).
  public var socketName: String? {
    switch self {
    case .socket(let name), .close(let name), .bind(let name, _), .connect(let name, _),
      .disconnect(let name), .listen(let name, _), .accept(let name, _), .shutdown(let name, _),
      .setsockopt(let name, _), .getsockopt(let name, _), .getsockname(let name, _),
      .getpeername(let name, _), .join(let name, _, _), .leave(let name, _, _), .poll(let name, _),
      .fcntl(let name, _, _):
      return name
    case .send(let step): return step.socket
    case .receive(let step): return step.socket
    case .wait, .enableFault, .disableFault, .linkState, .setMTU, .startProgram, .stopProgram, .inject, .repetition,
      .receiveInBackground, .collect:
      return nil
    }
  }

  /// The verb that names this action in JSON (`"sendto"`, `"recvmsg"`, ...).
  public var verb: Verb {
    switch self {
    case .socket: return .socket
    case .close: return .close
    case .bind: return .bind
    case .connect: return .connect
    case .disconnect: return .disconnect
    case .listen: return .listen
    case .accept: return .accept
    case .shutdown: return .shutdown
    case .send(let step): return Verb(step.call)
    case .receive(let step): return Verb(step.call)
    case .setsockopt: return .setsockopt
    case .getsockopt: return .getsockopt
    case .getsockname: return .getsockname
    case .getpeername: return .getpeername
    case .join: return .join
    case .leave: return .leave
    case .poll: return .poll
    case .fcntl: return .fcntl
    case .wait: return .wait
    case .enableFault: return .enable
    case .disableFault: return .disable
    case .linkState(_, _, let up): return up ? .linkUp : .linkDown
    case .setMTU: return .setMTU
    case .startProgram: return .start
    case .stopProgram: return .stop
    case .inject: return .inject
    case .repetition: return .repetition
    case .receiveInBackground: return .receiveInBackground
    case .collect: return .collect
    }
  }
}

public struct SendStep: Sendable, Equatable {
  public var call: SendCall
  public var socket: String
  /// Destination for sendto/sendmsg/sendmmsg; nil sends without an address.
  public var to: AddressSpec?
  /// One payload per datagram; `write`/`send`/`sendto`/`sendmsg` have exactly one.
  public var messages: [Payload]
  public var flags: [MessageFlag]
  /// sendmsg: control messages sent with the datagram (IP_TTL, IP_PKTINFO...), in order.
  public var control: [ControlEntry]
  /// Bytes copied into the payload from the datagram the socket last received (`data`'s `echo`).
  public var echo: [EchoRange]

  public init(
    call: SendCall, socket: String, to: AddressSpec? = nil, messages: [Payload], flags: [MessageFlag] = [],
    control: [ControlEntry] = [], echo: [EchoRange] = []
  ) {
    self.echo = echo
    self.call = call
    self.socket = socket
    self.to = to
    self.messages = messages
    self.flags = flags
    self.control = control
  }
}

public struct ReceiveStep: Sendable, Equatable {
  public var call: ReceiveCall
  public var socket: String
  /// Buffer size per message.
  public var size: Int
  /// Number of messages (`vlen`) for recvmmsg; 1 otherwise.
  public var count: Int
  public var flags: [MessageFlag]
  /// recvmsg: room for control messages, in bytes (`msg_controllen`); too
  /// little and the kernel sets MSG_CTRUNC.
  public var controlSize: Int
  /// recvfrom/recvmsg/recvmmsg: saves the (first) datagram's source address
  /// under this name, usable by later steps as an address (`"to": NAME`).
  public var remember: String?

  public init(
    call: ReceiveCall, socket: String, size: Int = 65536, count: Int = 1, flags: [MessageFlag] = [],
    controlSize: Int = 512, remember: String? = nil
  ) {
    self.remember = remember
    self.call = call
    self.socket = socket
    self.size = size
    self.count = count
    self.flags = flags
    self.controlSize = controlSize
  }
}

/// What a step should give. Only the fields written are checked.
public struct StepExpectation: Sendable, Equatable {
  /// The call's return value (bytes, message count, 0 ...). Implies no error.
  public var returns: Int?
  /// The call fails with this errno (`"ECONNREFUSED"`); `nil` with `succeeds` means it must not fail.
  public var error: Errno?
  /// The call must succeed (`"error": "none"` in JSON).
  public var succeeds: Bool
  /// Received bytes (for recvmmsg: of every message, see `messages`).
  public var data: Payload?
  /// The sender of received data, or the peer of an accepted connection.
  public var from: AddressSpec?
  /// Flags that must be set in the returned `msg_flags` (`MSG_TRUNC`).
  public var flags: [MessageFlag]?
  /// getsockopt's value.
  public var value: OptionValue?
  /// getsockname/getpeername's address.
  public var address: AddressSpec?
  /// The port of getsockname/getpeername's address (`0` after an AF_UNSPEC disconnect).
  public var port: Int?
  /// fcntl: the file status flags netdrill knows (`FileStatusFlag`) set after the call, exactly.
  public var statusFlags: [FileStatusFlag]?
  /// poll's returned events, exactly.
  public var revents: [PollEvent]?
  /// recvmsg(MSG_ERRQUEUE): the decoded `sock_extended_err`.
  public var extendedError: ExtendedErrorExpectation?
  /// recvmmsg: each message's payload, in order.
  public var messages: [Payload]?
  /// recvmsg: control messages that must be there (with these values) or not.
  public var control: [ControlEntry]?
  /// `"returns": {"min": 1, "max": 31}` or `{"one_of": [...]}`: any of these values.
  public var returnsAmong: NumberSet?
  /// `"error": ["EAGAIN", "ECONNREFUSED"]`: the call fails with one of these.
  public var errorAmong: [Errno]?
  /// getsockopt's integer value within a range or set.
  public var valueAmong: NumberSet?
  /// getsockname/getpeername's port within a range or set.
  public var portAmong: NumberSet?
  /// `"timed_out": true`: netdrill's bound ended the blocking call; `false`: it did not.
  public var timedOut: Bool?
  /// `"elapsed"`: how long the call (or the time since another step) took.
  public var elapsed: ElapsedExpectation?
  /// `"total"`: the sum of this step's and earlier steps' return values.
  public var total: TotalExpectation?

  /// True when some expectation admits more than one value, so two passing
  /// runs may legitimately differ in what it covers.
  public var admitsSeveralValues: Bool {
    returnsAmong != nil || (errorAmong?.count ?? 0) > 1 || valueAmong != nil || portAmong != nil
  }

  public init(
    returns: Int? = nil, error: Errno? = nil, succeeds: Bool = false, data: Payload? = nil,
    from: AddressSpec? = nil, flags: [MessageFlag]? = nil, value: OptionValue? = nil,
    address: AddressSpec? = nil, port: Int? = nil, revents: [PollEvent]? = nil,
    extendedError: ExtendedErrorExpectation? = nil, messages: [Payload]? = nil
  ) {
    self.returns = returns
    self.error = error
    self.succeeds = succeeds
    self.data = data
    self.from = from
    self.flags = flags
    self.value = value
    self.address = address
    self.port = port
    self.revents = revents
    self.extendedError = extendedError
    self.messages = messages
  }
}

/// Fields of a `sock_extended_err` from the error queue (`"extended_error"` in JSON).
public struct ExtendedErrorExpectation: Sendable, Equatable {
  public var errno: Errno?
  /// `"icmp"`, `"icmp6"`, `"local"`, `"none"`... (SO_EE_ORIGIN_*); written
  /// as a number in JSON it is kept as its name (`origin-N` when Linux has none).
  public var origin: String?
  public var type: Int?
  public var code: Int?
  /// `ee_info`: the next-hop MTU of a fragmentation-needed (ICMP type 3 code 4).
  public var info: Int?
  /// `ee_data`.
  public var data: Int?
  /// The address of the node that sent the ICMP error.
  public var offender: String?
  public init(
    errno: Errno? = nil, origin: String? = nil, type: Int? = nil, code: Int? = nil, info: Int? = nil,
    data: Int? = nil, offender: String? = nil
  ) {
    self.errno = errno
    self.origin = origin
    self.type = type
    self.code = code
    self.info = info
    self.data = data
    self.offender = offender
  }
}

/// Something a scenario needs from the machine it runs on.
public struct Requirement: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// Running as root (uid 0), not in an unprivileged user namespace.
    case root
    /// The netem qdisc (`sch_netem`), for delay faults.
    case netem
    /// IPv6 in the kernel.
    case ipv6
    /// A program found on PATH (`{"program": "python3"}`).
    case program(String)

    static let words = ["root", "netem", "ipv6"]
  }
  public var kind: Kind
  public var location: ScenarioLocation
  public init(kind: Kind, location: ScenarioLocation) {
    self.kind = kind
    self.location = location
  }
}

/// How a scenario's expected packets are matched against what its run captured.
public enum PacketMatch: String, Sendable, Equatable {
  /// `"expect_packets": [...]` or `{"in_order": [...]}`: these packets, in this
  /// order; other packets may come before, between and after them.
  case inOrder = "in_order"
  /// `{"exactly": [...]}`: these packets in this order and nothing else — how a
  /// scenario says that no unexpected packet crossed any interface. The kernel's
  /// own link chatter (ARP, neighbour discovery, MLD, IGMP) is not counted.
  case exactly
}

/// A packet the capture must contain. Packets are taken in time order across
/// every captured interface; a packet seen on several interfaces (sent on one,
/// forwarded, received on another) counts once, where it was first seen.
public struct PacketExpectation: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case udp(from: AddressSpec?, to: AddressSpec?)
    case tcp(from: AddressSpec?, to: AddressSpec?, flags: [String]?)
    /// An ICMP/ICMPv6 error by name (`"port-unreachable"`).
    case icmp(String)
  }
  public var kind: Kind
  /// The index of the expected packet this ICMP error quotes (0-based, in `expect_packets`).
  public var quotes: Int?
  public var location: ScenarioLocation
  public init(kind: Kind, quotes: Int? = nil, location: ScenarioLocation) {
    self.kind = kind
    self.quotes = quotes
    self.location = location
  }
}
