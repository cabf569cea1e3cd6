/// The verb of a step: the one key that says what the step does, written in
/// scenarios as its raw value (`"sendto"`, `"link_down"`).
///
/// `ScenarioVocabulary.verbs` says how each one is written (its subject, its
/// keys, what `expect` may check); `Action.verb` names the verb of a decoded step.
public enum Verb: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  case socket, bind, listen, connect, accept, disconnect, shutdown, close
  case write, send, sendto, sendmsg, sendmmsg
  case read, recv, recvfrom, recvmsg, recvmmsg
  case setsockopt, getsockopt, getsockname, getpeername
  case join, leave, poll
  /// fcntl(F_SETFL) on a socket's open file: O_NONBLOCK and the other status flags.
  case fcntl
  case wait
  /// Install or remove a declared fault.
  case enable, disable
  case linkDown = "link_down"
  case linkUp = "link_up"
  case setMTU = "set_mtu"
  /// Start a deferred program under test; stop one.
  case start, stop
  /// Deliver a crafted packet to a host as if from the wire.
  case inject
  /// A body of steps run many times (`Repetition`).
  case repetition = "repeat"
  /// A socket receiving on a thread of its own while later steps run, and the step that ends it.
  case receiveInBackground = "receive_in_background"
  case collect

  public init(_ call: SendCall) {
    switch call {
    case .write: self = .write
    case .send: self = .send
    case .sendto: self = .sendto
    case .sendmsg: self = .sendmsg
    case .sendmmsg: self = .sendmmsg
    }
  }

  public init(_ call: ReceiveCall) {
    switch call {
    case .read: self = .read
    case .recv: self = .recv
    case .recvfrom: self = .recvfrom
    case .recvmsg: self = .recvmsg
    case .recvmmsg: self = .recvmmsg
    }
  }

  /// The send call this verb makes, if it is one.
  public var sendCall: SendCall? { SendCall(rawValue: rawValue) }
  /// The receive call this verb makes, if it is one.
  public var receiveCall: ReceiveCall? { ReceiveCall(rawValue: rawValue) }

  /// As written in a scenario, so interpolating a verb gives its key.
  public var description: String { rawValue }
}
