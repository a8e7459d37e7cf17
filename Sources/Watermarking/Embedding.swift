import Torch

/// Writes a payload into the key's weights and freezes them.
public enum Embedder {
  /// Sets each key weight to +-magnitude by its coded bit (substitution); the magnitude is the layer's,
  /// times the position's factor when the key has them.
  public static func substitute(_ bits: [Bool], into model: any Module, key: WatermarkKey) throws {
    try key.check(model)
    guard bits.count == key.payloadBits else {
      throw WatermarkError("payload has \(bits.count) bits, the key was made for \(key.payloadBits)")
    }
    let coded = try key.code.encode(bits)
    guard coded.count == key.positions.count else {
      throw WatermarkError("the key holds \(key.positions.count) positions, its code needs \(coded.count): the key is damaged")
    }
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    try withNoGrad {
      let numbered = key.positions.enumerated().map { (number: $0.offset, position: $0.element, bit: coded[$0.offset]) }
      for (layer, entries) in Dictionary(grouping: numbered, by: { $0.position.layer }) {
        guard let p = params[layer], key.mapping.magnitudes[layer] != nil else { continue }
        let flat = try p.reshape([-1])
        var values = try flat.to(.float64).scalars(as: Double.self)
        for entry in entries {
          guard values.indices.contains(entry.position.index) else { throw outside(entry.position) }
          let magnitude = key.mapping.magnitude(layer: layer, position: entry.number) ?? 0
          values[entry.position.index] = entry.bit ? magnitude : -magnitude
        }
        try flat.copy_(Tensor(values).to(p.dtype))
      }
    }
  }

  /// 0/1 masks (0 at marked weights) by parameter, for `Optimizer.setMask`.
  public static func masks(for model: any Module, key: WatermarkKey) throws -> [(parameter: Tensor, mask: Tensor)] {
    try key.validate()
    let params = Dictionary(model.namedParameters().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
    var result: [(Tensor, Tensor)] = []
    for (layer, positions) in Dictionary(grouping: key.positions, by: \.layer) {
      guard let p = params[layer] else { throw WatermarkError("the model has no layer \(layer) named by the key") }
      var mask = [Float](repeating: 1, count: p.elementCount)
      for position in positions {
        guard mask.indices.contains(position.index) else { throw outside(position) }
        mask[position.index] = 0
      }
      result.append((p, try Tensor(mask, shape: p.shape)))
    }
    return result
  }

  /// A key position the model's layer does not have (the key belongs to another model).
  static func outside(_ position: WatermarkKey.Position) -> WatermarkError {
    WatermarkError("key position \(position.index) is outside layer \(position.layer)")
  }

  /// Freezes the marked weights of `optimizer`'s parameters.
  public static func freeze(_ model: any Module, key: WatermarkKey, in optimizer: any Optimizer) throws {
    for (parameter, mask) in try masks(for: model, key: key) { try optimizer.setMask(mask, for: parameter) }
  }
}
