import Dispatch

/// A raw pointer that worker threads write through at disjoint offsets.
struct SharedBuffer<Element>: @unchecked Sendable {
  let base: UnsafeMutablePointer<Element>
}

/// Runs `body(i)` for i in 0..<count on up to `threads` threads. Work items
/// must write disjoint memory; results never depend on the thread count.
func parallelFor(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
  let workers = Swift.max(1, Swift.min(threads, count))
  if workers == 1 {
    for i in 0..<count { body(i) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: workers) { w in
    var i = w
    while i < count {
      body(i)
      i += workers
    }
  }
}
