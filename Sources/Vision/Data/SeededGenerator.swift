import Torch

/// Vision draws every random choice from Torch's `SplitMix64`, re-created
/// from (seed, stream, step), so a resumed run sees exactly the data order,
/// crops and dropout masks an uninterrupted run would have.
typealias SeededGenerator = SplitMix64

/// The independent random streams of a run.
enum RandomStream: UInt64 {
  case epochOrder = 11, augmentation = 12, dropout = 13, initialization = 14, batchMixing = 15
}
