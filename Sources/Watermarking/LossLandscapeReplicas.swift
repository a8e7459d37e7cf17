import Foundation
import Torch

/// Tartaglione, Grangetto, Cavagnino, Botta, "Delving in the loss landscape
/// to embed robust watermarks into neural networks" (ICPR 2020): WaterMAS's
/// predecessor, a baseline for it.
///
/// Known (paper abstract and REFERENCE.md section 2): the mark is written
/// into key weights (layer drawn by size, uniform index, no reuse) that are
/// then locked (gradients and weight decay masked), and training looks for
/// a region of the loss landscape where fine-tuning does not move the mark:
/// R = 4 replicas of the model, whose marked weights carry Gaussian noise
/// (std 0.01), each take an ascent step on the loss, and the centre model
/// moves away from the replicas' mean with a coupling lambda = 1e-6
/// (SGD lr 0.1, batch 100, 300 epochs on CIFAR-10).
///
/// Our reading where the details are not available to us (docs/watermarking.md):
/// replicas are drawn afresh at every step (not kept across steps); the
/// noise is absolute (std `noiseStd`, not relative to the layer); a replica
/// r is theta + n_r (n_r on the marked weights only) moved by one ascent step
/// of size `ascentStep` along grad L(theta + n_r) on every weight; the
/// repulsion is the term -lambda/2 ||theta - mean_r(replica_r)||^2 with the
/// mean held fixed, so the centre's gradient is
///
///     grad L(theta) + lambda * mean_r [n_r + ascentStep * grad L(theta + n_r)]
///
/// On the free weights that is extra descent along the loss averaged over
/// noise on the mark: it flattens the loss around the marked weights, the
/// opposite of WaterMAS, which sharpens it. The mark itself is carried as in
/// WaterMAS (key, sign mapping, masks), so keys, extraction and attacks are
/// shared. Cost: 1 + R forward/backward passes per step.
public final class LossLandscapeReplicas {
  public var replicas: Int
  public var noiseStd: Double
  public var ascentStep: Double
  public var coupling: Double
  public let key: WatermarkKey
  public let seed: UInt64
  /// (index into `parameters`, marked flat indices) per marked layer.
  private let marked: [(parameter: Int, index: Tensor)]
  private let parameters: [Tensor]
  private var calls = 0

  public init(model: any Module, key: WatermarkKey, replicas: Int = 4, noiseStd: Double = 0.01,
              ascentStep: Double = 0.1, coupling: Double = 1e-6, seed: UInt64 = 0) throws {
    try key.check(model)
    guard replicas >= 1 else { throw WatermarkError("the replica baseline needs at least 1 replica (got \(replicas))") }
    guard noiseStd >= 0, noiseStd.isFinite, ascentStep.isFinite, coupling.isFinite else {
      throw WatermarkError("replica noise, ascent step and coupling must be finite (noise >= 0)")
    }
    self.replicas = replicas
    self.noiseStd = noiseStd
    self.ascentStep = ascentStep
    self.coupling = coupling
    self.key = key
    self.seed = seed
    let named = model.namedParameters()
    parameters = named.map(\.tensor)
    var slot: [String: Int] = [:]
    for (i, entry) in named.enumerated() where slot[entry.name] == nil { slot[entry.name] = i }
    marked = try Dictionary(grouping: key.positions, by: \.layer).sorted { $0.key < $1.key }.map { layer, positions in
      guard let i = slot[layer] else { throw WatermarkError("the model has no layer \(layer)") }
      return (i, try Tensor(positions.map { Int64($0.index) }))
    }
  }

  /// Fills every parameter's `.grad` with the replica-coupled gradient of
  /// `loss` (call after zeroing gradients, before `optimizer.step()`). The
  /// marked weights are restored bit-exactly after each replica pass.
  /// - Parameter step: seeds this step's replica noise, so a resumed run draws
  ///   the same noise; nil counts the calls instead.
  /// - Returns: the task loss at the centre and the mean loss of the noisy replicas.
  public func backward(_ loss: () throws -> Tensor, step: Int? = nil) throws -> (loss: Double, replicaLoss: Double) {
    defer { calls += 1 }
    let l0 = try loss()
    try l0.backward()
    let base = try l0.item()
    guard base.isFinite else { throw WatermarkError("task loss is not finite (\(base))") }
    let first = try parameters.map { try $0.grad?.clone() }
    var rng = SplitMix64(seed: seed, stream: 0x7265_706C_6963_6173, step: step ?? calls)  // "replicas"
    let generator = try Generator(seed: rng.next())
    let saved = try withNoGrad { try marked.map { p, index in try parameters[p].reshape([-1]).indexSelect(0, index).clone() } }
    // Sum over replicas of their displacement from the centre.
    var displacement: [Tensor?] = parameters.map { _ in nil }
    var replicaLoss = 0.0
    for _ in 0..<replicas {
      var noises: [Tensor] = []
      try withNoGrad {
        for p in parameters { try p.zeroGrad() }
        for (p, index) in marked {
          let noise = try Tensor.randn([index.elementCount], generator: generator, dtype: parameters[p].dtype) * noiseStd
          try parameters[p].reshape([-1]).indexAdd_(0, index, noise)
          noises.append(noise)
        }
      }
      do {
        let lr = try loss()
        try lr.backward()
        replicaLoss += try lr.item()
      } catch {
        try restore(saved)
        throw error
      }
      try restore(saved)
      try withNoGrad {
        for (i, p) in parameters.enumerated() {
          guard let g = p.grad else { continue }
          let step = try g * ascentStep
          displacement[i] = try displacement[i].map { try $0 + step } ?? step
        }
        for ((p, index), noise) in zip(marked, noises) {
          let total = try displacement[p] ?? Tensor.zeros(parameters[p].shape, dtype: parameters[p].dtype)
          try total.reshape([-1]).indexAdd_(0, index, noise)
          displacement[p] = total
        }
      }
    }
    let scale = coupling / Double(replicas)
    try withNoGrad {
      for (i, p) in parameters.enumerated() {
        switch (first[i], displacement[i]) {
        case let (g?, d?): try p.setGrad(g + d * scale)
        case let (g?, nil): try p.setGrad(g)
        case let (nil, d?): try p.setGrad(d * scale)
        case (nil, nil): try p.zeroGrad()
        }
      }
    }
    return (base, replicaLoss / Double(replicas))
  }

  /// Puts the marked weights back exactly as they were.
  private func restore(_ saved: [Tensor]) throws {
    try withNoGrad {
      for ((p, index), values) in zip(marked, saved) { try parameters[p].reshape([-1]).indexCopy_(0, index, values) }
    }
  }
}
