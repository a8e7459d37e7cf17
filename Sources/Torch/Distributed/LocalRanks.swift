import Foundation

/// Runs the ranks of a small data-parallel job as threads of this process,
/// each with its own store client and Gloo group on loopback: how the tests
/// check that W ranks train like one process, and how a rank's death or hang
/// is simulated without spawning processes. (libtorch keeps autograd and
/// grad mode per thread; the intra-op pool is shared, so use 1 thread.)
public enum LocalRanks {
  /// Starts `worldSize` threads; thread r calls `body` with rank r's
  /// `DataParallel` (released when `body` returns, which closes its
  /// connections) and returns the first error of any rank after all finish.
  public static func run(
    worldSize: Int, timeout: Double = 30, _ body: @escaping @Sendable (DataParallel) throws -> Void
  ) throws {
    let port = try freeLoopbackPort()
    let errors = Locked<[Int: any Error]>([:])
    let done = DispatchGroup()
    for rank in 0..<worldSize {
      done.enter()
      let thread = Thread {
        defer { done.leave() }
        do {
          let configuration = try DistributedConfiguration(
            worldSize: worldSize, rank: rank, master: "127.0.0.1:\(port)", timeout: timeout)
          try body(try DataParallel(configuration))
        } catch {
          errors.update { $0[rank] = error }
        }
      }
      thread.stackSize = 8 << 20
      thread.start()
    }
    done.wait()
    if let (rank, error) = errors.value.min(by: { $0.key < $1.key }) {
      throw RankFailure(rank: rank, underlying: error)
    }
  }

  /// A rank's error, as `run` reports it.
  public struct RankFailure: Error, CustomStringConvertible {
    public var rank: Int
    public var underlying: any Error
    public var description: String { "rank \(rank): \(underlying)" }
  }
}

/// A loopback TCP port nobody listens on now (bound to port 0, then released).
public func freeLoopbackPort() throws -> Int {
  let handle = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  guard handle >= 0 else { throw TorchError(.distributed, "cannot open a socket to find a free port") }
  defer { close(handle) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_port = 0
  address.sin_addr.s_addr = inet_addr("127.0.0.1")
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      bind(handle, pointer, length) == 0 && getsockname(handle, pointer, &length) == 0
    }
  }
  guard bound else { throw TorchError(.distributed, "cannot bind a loopback port") }
  return Int(UInt16(bigEndian: address.sin_port))
}
