/// Puts items that arrive almost in timestamp order back into order, holding
/// each only as long as an earlier one could still turn up.
///
/// A capture of several interfaces hands over each interface's packets in
/// order, but not the interfaces' packets in order with each other: in
/// TPACKET_V3 block mode the kernel passes a block of one interface when it
/// is full or `blockTimeout` after it was opened, so a packet can reach the
/// writer well after a later packet of another interface. Items are released
/// up to a limit the producer knows to be safe — the capture's watermark:
/// everything stamped before it has arrived (``release(upTo:)``) — or, with
/// ``insert(_:timestamp:now:)``, once a clock has moved `window` past them,
/// and all at ``drain()``. Memory is bounded by what arrives between two
/// releases, never by the run's length.
///
/// Inlinable, so the recorder gets it specialised for its packets: generic
/// code looked up the heap's tuple metadata for every packet of a capture.
public struct TimestampOrderBuffer<Item> {
  @usableFromInline typealias Entry = (timestamp: UInt64, sequence: UInt64, item: Item)

  /// How long after its timestamp an item may still arrive (``insert(_:timestamp:now:)`` only).
  public let windowNanoseconds: UInt64
  /// Held items, as a binary min-heap on (timestamp, arrival number): equal
  /// timestamps keep their arrival order.
  @usableFromInline var heap: [Entry] = []
  @usableFromInline var arrivals: UInt64 = 0
  @usableFromInline var newestReleased: UInt64?
  @usableFromInline var lateArrivals = 0

  /// The newest timestamp released so far.
  public var lastReleased: UInt64? { newestReleased }
  /// Items that arrived after a later one had been released (the limit was
  /// wrong): released in turn, so the output goes backwards there.
  public var lateItems: Int { lateArrivals }

  @inlinable
  public init(windowNanoseconds: UInt64 = 0) {
    self.windowNanoseconds = windowNanoseconds
  }

  /// Adds `item` to be released by ``release(upTo:)`` or ``drain()``.
  @inlinable
  public mutating func add(_ item: Item, timestamp: UInt64) {
    if let newestReleased, timestamp < newestReleased { lateArrivals += 1 }
    push((timestamp, arrivals, item))
    arrivals &+= 1
  }

  /// Items held now.
  @inlinable
  public var count: Int { heap.count }

  /// Adds `item`; returns, in timestamp order, every held item whose window
  /// has passed at clock time `now` (same clock and units as the timestamps).
  @inlinable
  public mutating func insert(_ item: Item, timestamp: UInt64, now: UInt64) -> [Item] {
    add(item, timestamp: timestamp)
    return release(upTo: now >= windowNanoseconds ? now - windowNanoseconds : 0)
  }

  /// Every held item whose timestamp is at most `limit`, in order.
  @inlinable
  public mutating func release(upTo limit: UInt64) -> [Item] {
    var released: [Item] = []
    while let first = heap.first, first.timestamp <= limit {
      released.append(pop().item)
      newestReleased = max(newestReleased ?? 0, first.timestamp)
    }
    return released
  }

  /// Every held item, in order (at the end of a capture).
  @inlinable
  public mutating func drain() -> [Item] {
    release(upTo: .max)
  }

  // MARK: Heap

  @inlinable
  static func isBefore(_ a: Entry, _ b: Entry) -> Bool {
    (a.timestamp, a.sequence) < (b.timestamp, b.sequence)
  }

  @inlinable
  mutating func push(_ element: Entry) {
    heap.append(element)
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard Self.isBefore(heap[child], heap[parent]) else { break }
      heap.swapAt(child, parent)
      child = parent
    }
  }

  @inlinable
  mutating func pop() -> Entry {
    heap.swapAt(0, heap.count - 1)
    let top = heap.removeLast()
    var parent = 0
    while true {
      let left = 2 * parent + 1
      let right = left + 1
      var smallest = parent
      if left < heap.count, Self.isBefore(heap[left], heap[smallest]) { smallest = left }
      if right < heap.count, Self.isBefore(heap[right], heap[smallest]) { smallest = right }
      if smallest == parent { return top }
      heap.swapAt(parent, smallest)
      parent = smallest
    }
  }
}
