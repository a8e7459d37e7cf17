import CTorch
import Foundation

/// A Gloo process group (c10d's `ProcessGroupGloo`): collectives between the
/// `worldSize` ranks of a job over TCP. Every rank must call the same
/// collectives in the same order; each call returns when it has finished on
/// this rank, and fails (a thrown `TorchError`) when a peer closes its
/// connection or the group's timeout passes.
public final class ProcessGroup {
  let handle: lt_process_group
  public let rank: Int
  public let worldSize: Int
  /// The store the group met through (kept alive as long as the group).
  public let store: Store

  public enum ReduceOperation: Int32, Sendable { case sum = 0, product, min, max }

  /// Joins the group; blocks until all `worldSize` ranks have joined or `timeout` seconds pass.
  /// - Parameters:
  ///   - interface: network interface the transport binds to (e.g. "eth0").
  ///   - hostname: else, a host name or address of this machine to bind to; nil: the machine's default.
  public init(store: Store, rank: Int, worldSize: Int, interface: String? = nil, hostname: String? = nil,
              timeout: Double) throws {
    guard let handle = lt_gloo_new(store.handle, Int32(rank), Int32(worldSize), interface, hostname,
                                   milliseconds(timeout)) else {
      let error = Runtime.takeError()
      throw TorchError(.distributed, "rank \(rank) could not join the Gloo group of \(worldSize): \(error.message)")
    }
    self.handle = handle
    self.rank = rank
    self.worldSize = worldSize
    self.store = store
  }

  private var isAbandoned = false

  deinit { if !isAbandoned { lt_process_group_free(handle) } }

  /// Leaves the group and its store to the operating system at exit (see
  /// `Store.abandon()`): after a failed collective, tearing them down can
  /// wait forever on a peer that is stopped rather than dead.
  public func abandon() {
    isAbandoned = true
    store.abandon()
  }

  /// Reduces each tensor across the ranks, in place (dense, contiguous).
  public func allReduce(_ tensors: [Tensor], _ operation: ReduceOperation = .sum) throws {
    let handles: [lt_tensor?] = tensors.map(\.handle)
    try withExtendedLifetime(tensors) {
      try Runtime.check(lt_all_reduce(handle, handles, Int64(handles.count), operation.rawValue))
    }
  }

  /// Gives every rank rank `root`'s values, in place.
  public func broadcast(_ tensors: [Tensor], from root: Int) throws {
    let handles: [lt_tensor?] = tensors.map(\.handle)
    try withExtendedLifetime(tensors) {
      try Runtime.check(lt_broadcast(handle, handles, Int64(handles.count), Int32(root)))
    }
  }

  /// Every rank's `tensor`, indexed by rank.
  public func allGather(_ tensor: Tensor) throws -> [Tensor] {
    var out = [lt_tensor?](repeating: nil, count: worldSize)
    try withExtendedLifetime(tensor) {
      try Runtime.check(lt_all_gather(handle, tensor.handle, &out, Int64(worldSize)))
    }
    let gathered = out.compactMap { $0.map { Tensor(handle: $0) } }
    guard gathered.count == worldSize else { throw TorchError(.distributed, "all-gather returned too few tensors") }
    return gathered
  }

  public func barrier() throws { try Runtime.check(lt_barrier(handle)) }
}
