import Foundation

/// Bit widths per layer: `w` = weight bits (for a GDN: gamma/beta bits),
/// `a` = bits of the layer's output activation.
///
/// Grammar (`lichen quantize --scheme`): a preset name, or comma-separated
/// `SELECTOR:SPEC` items applied left to right (later items win), optionally
/// starting with a preset. SELECTOR is `*`, `conv` (convolutions and
/// transposed convolutions), `gdn`, a transform (`g_a`, `h_a`, `h_s`, `g_s`)
/// or a layer name (`g_a.0`); SPEC is `w<bits>`, `a<bits>` or `w<bits>a<bits>`
/// with bits in 2...16. Example: `int8,gdn:w16a16,g_a.6:a16`.
public struct QuantizationScheme: Equatable, Sendable, CustomStringConvertible {
  public struct Bits: Equatable, Sendable, Codable {
    public var weights: Int
    public var activations: Int
  }

  public struct Rule: Equatable, Sendable {
    public var selector: String
    public var weights: Int?
    public var activations: Int?
  }

  public let specification: String
  public let rules: [Rule]

  /// Named schemes (also documented in docs/quantization.md).
  public static let presets: [(name: String, specification: String, summary: String)] = [
    ("int8", "*:w8a8", "every weight, GDN parameter and activation in 8 bits"),
    ("int8-s16", "*:w8a8,h_s.4:a16",
     "every product 8x8 (8-bit weights, activations and GDN parameters); only the scales h_s.4 hands to the scale-index comparators in 16 bits"),
    ("int8-y16", "*:w8a8,g_a.6:a16,h_s.4:a16",
     "int8-s16 with the latent y in 16 bits: h_a reads |y| finer than the 8-bit grid (integers at high rates); h_a.0 takes 16x8 products"),
    ("int16", "*:w16a16", "every weight and activation in 16 bits"),
    ("hybrid", "*:w8a8,gdn:w16a16,g_a.6:a16,h_a:a16,h_s:a16,g_s:a16",
     "8-bit convolution weights; 16-bit GDN parameters, latents, entropy-parameter path and synthesis activations"),
    ("hybrid-a8", "*:w8a8,gdn:w16,g_a.6:a16,h_a:a16,h_s:a16",
     "8-bit weights and g_a/g_s activations; 16-bit GDN parameters, latents and entropy-parameter path"),
  ]

  public init(_ specification: String) throws {
    let trimmed = specification.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty else { throw QuantizationError("empty quantization scheme") }
    var rules: [Rule] = []
    for (position, raw) in trimmed.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
      let item = raw.trimmingCharacters(in: .whitespaces)
      if let preset = Self.presets.first(where: { $0.name == item }) {
        rules += try QuantizationScheme(preset.specification).rules
        continue
      }
      let parts = item.split(separator: ":", omittingEmptySubsequences: false)
      guard parts.count == 2, !parts[0].isEmpty else {
        throw QuantizationError(
          "scheme item \(position + 1) '\(item)' is neither a preset (\(Self.presets.map(\.name).joined(separator: ", "))) nor SELECTOR:SPEC")
      }
      rules.append(try Self.rule(selector: String(parts[0]), spec: String(parts[1]), item: item))
    }
    self.specification = trimmed
    self.rules = rules
  }

  static func rule(selector: String, spec: String, item: String) throws -> Rule {
    var weights: Int?, activations: Int?
    var rest = Substring(spec)
    guard !rest.isEmpty else { throw QuantizationError("scheme item '\(item)' gives no bit widths (use w<bits>, a<bits>)") }
    while let letter = rest.first {
      guard letter == "w" || letter == "a" else {
        throw QuantizationError("scheme item '\(item)': expected 'w' or 'a' at '\(rest)'")
      }
      rest = rest.dropFirst()
      let digits = rest.prefix(while: \.isNumber)
      guard let bits = Int(digits), (2...16).contains(bits) else {
        throw QuantizationError("scheme item '\(item)': bit width '\(digits)' is not in 2...16")
      }
      rest = rest.dropFirst(digits.count)
      if letter == "w" { weights = bits } else { activations = bits }
    }
    return Rule(selector: selector, weights: weights, activations: activations)
  }

  public var description: String { specification }

  /// The bits of every layer; every selector must match a layer and every layer must get both widths.
  public func resolve(layers: [LayerDescriptor]) throws -> [String: Bits] {
    var weights: [String: Int] = [:], activations: [String: Int] = [:]
    for rule in rules {
      let matched = layers.filter { $0.matches(rule.selector) }
      guard !matched.isEmpty else {
        throw QuantizationError(
          "scheme selector '\(rule.selector)' matches no layer (layers: \(layers.map(\.name).joined(separator: " ")); also *, conv, gdn, g_a, h_a, h_s, g_s)")
      }
      for layer in matched {
        if let w = rule.weights { weights[layer.name] = w }
        if let a = rule.activations { activations[layer.name] = a }
      }
    }
    var result: [String: Bits] = [:]
    for layer in layers {
      guard let w = weights[layer.name], let a = activations[layer.name] else {
        throw QuantizationError(
          "scheme '\(specification)' does not cover layer \(layer.name): it needs \(weights[layer.name] == nil ? "weight" : "activation") bits (add e.g. '*:w8a8')")
      }
      result[layer.name] = Bits(weights: w, activations: a)
    }
    return result
  }
}

/// A quantizable layer of a codec model, as a scheme sees it.
public struct LayerDescriptor: Equatable, Sendable {
  public enum Kind: String, Sendable, Codable { case convolution, transposed, gdn }
  public var name: String
  public var transform: String
  public var kind: Kind

  public init(name: String, transform: String, kind: Kind) {
    self.name = name
    self.transform = transform
    self.kind = kind
  }

  public func matches(_ selector: String) -> Bool {
    switch selector {
    case "*": return true
    case "conv": return kind != .gdn
    case "gdn": return kind == .gdn
    default: return selector == transform || selector == name
    }
  }
}
