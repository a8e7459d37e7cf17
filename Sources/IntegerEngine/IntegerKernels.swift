import CIntegerKernels
import Dispatch

/// The exact integer kernels under `IntConvolution` and `IntGDN` (C target
/// `CIntegerKernels`): AVX-512 VNNI, AVX2 or portable C, chosen at run time.
/// Every path computes the same integers, so the path changes speed only,
/// never a bit of a codestream.
///
/// The path is the fastest this CPU runs, unless the environment variable
/// `LICHEN_INTEGER_KERNEL` (`fallback`, `avx2` or `avx512vnni`, read once)
/// names a supported one, or `force(_:)` picked one.
public enum IntegerKernels {
  public enum Path: String, CaseIterable, Sendable, CustomStringConvertible {
    case fallback, avx2, avx512vnni

    var code: Int32 {
      switch self {
      case .fallback: return Int32(LICHEN_KERNEL_FALLBACK)
      case .avx2: return Int32(LICHEN_KERNEL_AVX2)
      case .avx512vnni: return Int32(LICHEN_KERNEL_AVX512VNNI)
      }
    }

    init?(code: Int32) {
      guard let path = Path.allCases.first(where: { $0.code == code }) else { return nil }
      self = path
    }

    public var description: String { rawValue }
  }

  public static let environmentVariable = "LICHEN_INTEGER_KERNEL"

  /// The path in use.
  public static var path: Path { Path(code: lichen_kernel_active()) ?? .fallback }

  /// The paths this machine runs (always `fallback`).
  public static var supportedPaths: [Path] { Path.allCases.filter(isSupported) }

  public static func isSupported(_ path: Path) -> Bool { lichen_kernel_supported(path.code) != 0 }

  /// Runs `path` from now on (tests, comparisons); throws if this CPU lacks it.
  public static func force(_ path: Path) throws {
    guard lichen_kernel_force(path.code) != 0 else {
      throw IntegerEngineError("the \(path) integer kernels need CPU features this machine lacks (it runs \(supportedPaths.map(\.rawValue).joined(separator: ", ")))")
    }
  }

  /// Back to the path chosen at start (environment or fastest).
  public static func reset() { _ = lichen_kernel_force(-1) }

  /// The path in use and, when the environment asked for another, why it is not used (for reports).
  public static var summary: String {
    let requested = lichen_kernel_requested()
    if requested == -2 { return "\(path) (\(environmentVariable) names no kernel path)" }
    if let wanted = Path(code: requested), wanted != path {
      return isSupported(wanted) ? "\(path) (forced over \(environmentVariable)=\(wanted))"
        : "\(path) (\(environmentVariable)=\(wanted) is not supported here)"
    }
    return path.rawValue
  }
}

/// Memory the C kernels read: a copy of an array at an address that stays put
/// for the owner's lifetime (Swift arrays promise that only inside a closure).
final class KernelArray<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
  let count: Int

  init(_ values: [Element]) {
    count = values.count
    base = .allocate(capacity: Swift.max(1, values.count))
    values.withUnsafeBufferPointer { source in
      if let address = source.baseAddress { base.initialize(from: address, count: source.count) }
    }
  }

  deinit {
    base.deinitialize(count: count)
    base.deallocate()
  }

  var pointer: UnsafePointer<Element> { UnsafePointer(base) }
}

/// Operands derived from a layer's own fields: equal layers have equal operands,
/// so they never decide equality.
struct DerivedOperands<Storage: Sendable>: Equatable, Sendable {
  let storage: Storage
  static func == (a: Self, b: Self) -> Bool { true }
}

/// A value handed to worker threads that only read it (C structs of pointers into memory
/// that outlives the parallel loop).
struct ReadOnlyShare<Value>: @unchecked Sendable {
  let value: Value
}

/// Runs `body(i, scratch)` for i in 0..<count on up to `threads` threads. Tiles
/// go to whichever thread is free (a shared counter), each thread has its own
/// 64-byte aligned scratch of `scratchBytes`, and work items write disjoint
/// memory, so results never depend on the thread count or the schedule.
func runTiles(_ count: Int, threads: Int, scratchBytes: Int, _ body: @Sendable (Int, UnsafeMutableRawPointer) -> Void) {
  guard count > 0 else { return }
  let workers = Swift.max(1, Swift.min(threads, count))
  let bytes = Swift.max(64, (scratchBytes + 63) & ~63)
  if workers == 1 {
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { scratch.deallocate() }
    for i in 0..<count { body(i, scratch) }
    return
  }
  let counter = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
  counter.initialize(to: 0)
  defer { counter.deallocate() }
  let next = SharedBuffer(base: counter)
  DispatchQueue.concurrentPerform(iterations: workers) { _ in
    let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    defer { scratch.deallocate() }
    while true {
      let i = Int(lichen_kernel_next(next.base))
      guard i < count else { break }
      body(i, scratch)
    }
  }
}
