import CTorch
import Foundation

/// The key-value store the ranks of a distributed job share: c10d's
/// `TCPStore` (rank 0 serves it, the others connect to HOST:PORT) or
/// `FileStore` (a file on storage every rank sees). It carries the Gloo
/// rendezvous and the roll call after a failed collective; blocking reads
/// wait at most the store's timeout.
public final class Store {
  let handle: lt_store
  private var isAbandoned = false

  private init(handle: lt_store) { self.handle = handle }

  deinit { if !isAbandoned { lt_store_free(handle) } }

  /// Leaves the native store to the operating system at exit instead of
  /// closing it. Call after a collective failed: rank 0's server thread may
  /// be blocked reading a request a stopped peer sent only in part, and
  /// c10d's destructor joins that thread, so closing the store would hang
  /// this process before it could report the failure.
  public func abandon() { isAbandoned = true }

  /// A TCP store at `host:port`; `isServer` on exactly one rank (rank 0).
  /// Connecting waits up to `timeout` seconds for the server (and the server
  /// for all `worldSize` clients).
  public static func tcp(host: String, port: Int, worldSize: Int, isServer: Bool, timeout: Double) throws -> Store {
    Runtime.bootstrap()
    guard let handle = lt_tcp_store_new(host, Int32(port), Int32(worldSize), isServer, milliseconds(timeout)) else {
      let error = Runtime.takeError()
      throw TorchError(.distributed, "cannot reach the rendezvous store at \(host):\(port): \(error.message)")
    }
    return Store(handle: handle)
  }

  /// A store kept in the file at `path` (created if missing).
  public static func file(path: String, worldSize: Int, timeout: Double) throws -> Store {
    Runtime.bootstrap()
    guard let handle = lt_file_store_new(path, Int32(worldSize), milliseconds(timeout)) else {
      let error = Runtime.takeError()
      throw TorchError(.distributed, "cannot open the file store \(path): \(error.message)")
    }
    return Store(handle: handle)
  }

  public func set(_ key: String, _ value: [UInt8]) throws {
    try Runtime.check(value.withUnsafeBufferPointer { lt_store_set(handle, key, $0.baseAddress, $0.count) })
  }

  public func set(_ key: String, string value: String) throws { try set(key, Array(value.utf8)) }

  /// The value of `key`, waiting for it up to the store's timeout.
  public func get(_ key: String) throws -> [UInt8] {
    var bytes: UnsafeMutablePointer<UInt8>?
    var length = 0
    try Runtime.check(lt_store_get(handle, key, &bytes, &length))
    defer { free(bytes) }
    guard let bytes else { return [] }
    return Array(UnsafeBufferPointer(start: bytes, count: length))
  }

  public func string(_ key: String) throws -> String { String(decoding: try get(key), as: UTF8.self) }

  /// Whether every key is present (does not wait).
  public func contains(_ keys: [String]) throws -> Bool {
    var cStrings = keys.map { strdup($0) }
    defer { cStrings.forEach { free($0) } }
    let status = cStrings.withUnsafeMutableBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) {
        lt_store_check(handle, $0, Int64(keys.count))
      }
    }
    if status < 0 { throw Runtime.takeError() }
    return status == 1
  }

  /// Adds `delta` to the integer at `key` (0 when absent); returns the new value.
  @discardableResult
  public func add(_ key: String, _ delta: Int64) throws -> Int64 {
    var value: Int64 = 0
    try Runtime.check(lt_store_add(handle, key, delta, &value))
    return value
  }

  /// Bounds every later blocking read.
  public func setTimeout(_ seconds: Double) throws { try Runtime.check(lt_store_set_timeout(handle, milliseconds(seconds))) }
}

func milliseconds(_ seconds: Double) -> Int64 { Int64((Swift.max(0, seconds) * 1000).rounded()) }
