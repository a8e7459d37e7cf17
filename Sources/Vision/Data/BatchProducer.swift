import Foundation

/// Anything that makes training batches as a pure function of the step (and
/// the epoch's order): the classification and the segmentation samplers.
public protocol TrainingBatchSource: Sendable {
  associatedtype Batch: Sendable
  /// Training batches per epoch.
  var stepsPerEpoch: Int { get }
  /// The shuffled image order of one epoch.
  func order(epoch: Int) -> [Int]
  /// The training batch of global step `step`, given its epoch's order.
  func trainingBatch(step: Int, order: [Int]) -> Batch
}

extension BatchSampler: TrainingBatchSource {}

/// Prepares training batches on a background thread, a few steps ahead,
/// while the caller's thread runs the model. Holds at most `capacity` ready
/// batches. Not a source of nondeterminism: batch `s` is a pure function of
/// (seed, s), whichever thread computes it. Dropping the producer stops its
/// thread.
public final class BatchProducer<Source: TrainingBatchSource>: Sendable {
  private let queue: Queue

  /// Starts producing the training batches of steps `steps`, in order.
  public init(sampler: Source, steps: Range<Int>, capacity: Int = 3) {
    let queue = Queue(capacity: Swift.max(1, capacity))
    self.queue = queue
    let thread = Thread { queue.produce(sampler: sampler, steps: steps) }
    thread.name = "lichen.vision.batches"
    thread.start()
  }

  deinit { queue.cancel() }

  /// The next batch, waiting for it if needed; nil after the last step or after `cancel()`.
  public func next() -> Source.Batch? { queue.next() }

  /// Stops the producer thread (it finishes the batch it is making first).
  public func cancel() { queue.cancel() }

  /// The bounded queue shared with the thread (which must not retain the producer).
  private final class Queue: @unchecked Sendable {
    // Every mutable field is read and written only with `condition` locked.
    private let condition = NSCondition()
    private var ready: [Source.Batch] = []
    private var cancelled = false
    private var finished = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func next() -> Source.Batch? {
      condition.lock()
      defer { condition.unlock() }
      while ready.isEmpty && !finished && !cancelled { condition.wait() }
      guard !cancelled, !ready.isEmpty else { return nil }
      let batch = ready.removeFirst()
      condition.broadcast()
      return batch
    }

    func cancel() {
      condition.lock()
      cancelled = true
      ready.removeAll()
      condition.broadcast()
      condition.unlock()
    }

    func produce(sampler: Source, steps: Range<Int>) {
      var cachedEpoch = -1
      var order: [Int] = []
      for step in steps {
        let epoch = step / sampler.stepsPerEpoch
        if epoch != cachedEpoch {
          order = sampler.order(epoch: epoch)
          cachedEpoch = epoch
        }
        let batch = sampler.trainingBatch(step: step, order: order)
        condition.lock()
        while ready.count >= capacity && !cancelled { condition.wait() }
        if cancelled {
          condition.unlock()
          return
        }
        ready.append(batch)
        condition.broadcast()
        condition.unlock()
      }
      condition.lock()
      finished = true
      condition.broadcast()
      condition.unlock()
    }
  }
}
