import Foundation

/// A value several threads read and write under a lock: how the ranks of
/// `LocalRanks` (threads) hand results and errors back to their caller.
public final class Locked<Value>: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Value

  public init(_ value: Value) { stored = value }

  public var value: Value {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }

  /// Changes the value in place, atomically.
  public func update(_ change: (inout Value) -> Void) {
    lock.lock()
    defer { lock.unlock() }
    change(&stored)
  }
}
