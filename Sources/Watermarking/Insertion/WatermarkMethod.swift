import Foundation

/// The insertion methods Lichen offers. All of them write the payload into key positions by sign
/// and freeze those weights, so the same key file verifies, attacks and evaluates every one.
public enum WatermarkMethod: String, CaseIterable, Codable, Sendable {
  /// Substitution + sharpness-aware maximization along the mark (De Sousa Trias et al. 2024).
  case watermas
  /// Substitution alone (the ablation: WaterMAS without the sharpness term).
  case substitution
  /// Substitution + the replica loss-landscape term (Tartaglione et al. 2020).
  case replicas
  /// Fixed weights drawn from a Laplacian whose sign is the bit (Tondi, Costanzo, Barni 2024).
  case laplacian

  /// Parses a comma-separated list of method names (`watermas,substitution`).
  /// - Throws: `WatermarkError` naming an unknown method and the known ones.
  public static func list(parsing text: String) throws -> [WatermarkMethod] {
    try text.split(separator: ",").map { name in
      let trimmed = name.trimmingCharacters(in: .whitespaces)
      guard let method = WatermarkMethod(rawValue: trimmed) else {
        throw WatermarkError("unknown method '\(trimmed)': use \(allCases.map(\.rawValue).joined(separator: ", "))")
      }
      return method
    }
  }
}

/// How a mark is made and inserted while a model trains: key, code and each method's parameters.
public struct InsertionSettings: Sendable, Equatable {
  public var code: PayloadCode = .none
  /// Secret seed of the key positions.
  public var keySeed: UInt64 = 1
  /// Marked weight magnitude in units of the layer's std (laplacian: Laplace scale = 1 std).
  public var alpha = 1.0
  /// Marked weight magnitude as an absolute value in every layer, as the WaterMAS authors' public
  /// testbed writes them (overrides `alpha`'s std units; half-normal factors still apply); nil: std units.
  public var absoluteMagnitude: Double?
  public var magnitudes: KeyGenerator.MagnitudeSpread = .layer
  /// WaterMAS perturbation radius along the marked weights.
  public var rho = 0.05
  /// WaterMAS sharpness weight (0: plain substitution).
  public var sharpness = 1.0
  /// WaterMAS: stop sharpening while the relative loss rise along the mark is at least this (nil: never).
  public var sharpnessTarget: Double?
  /// Replica baseline: number of replicas, their noise std (absolute), ascent step and coupling.
  public var replicas = 4
  public var replicaNoise = 0.01
  public var replicaStep = 0.1
  public var coupling = 1e-6

  public init() {}

  public init(code: PayloadCode, keySeed: UInt64, alpha: Double, absoluteMagnitude: Double?,
              magnitudes: KeyGenerator.MagnitudeSpread, rho: Double, sharpness: Double, sharpnessTarget: Double?,
              replicas: Int, replicaNoise: Double, replicaStep: Double, coupling: Double) {
    self.code = code
    self.keySeed = keySeed
    self.alpha = alpha
    self.absoluteMagnitude = absoluteMagnitude
    self.magnitudes = magnitudes
    self.rho = rho
    self.sharpness = sharpness
    self.sharpnessTarget = sharpnessTarget
    self.replicas = replicas
    self.replicaNoise = replicaNoise
    self.replicaStep = replicaStep
    self.coupling = coupling
  }

  /// The values that define a mark, for a sweep's settings record.
  public var record: [String: String] {
    ["code": code.description, "key-seed": "\(keySeed)", "alpha": "\(alpha)",
     "absolute-magnitude": absoluteMagnitude.map { "\($0)" } ?? "none",
     "magnitudes": magnitudes.rawValue, "rho": "\(rho)", "sharpness": "\(sharpness)",
     "sharpness-target": sharpnessTarget.map { "\($0)" } ?? "none", "replicas": "\(replicas)",
     "replica-noise": "\(replicaNoise)", "replica-step": "\(replicaStep)", "coupling": "\(coupling)"]
  }

  /// The mark's strength as a model file records it: "alpha=A" (std units) or "absolute=V".
  public var strength: String { absoluteMagnitude.map { "absolute=\($0)" } ?? "alpha=\(alpha)" }

  /// The method and its parameters, as a model file records them.
  public func describe(_ method: WatermarkMethod) -> String {
    switch method {
    case .watermas where sharpness != 0:
      return "WaterMAS rho=\(rho) lambda=\(sharpness)" + (sharpnessTarget.map { " target=\($0)" } ?? "")
    case .watermas, .substitution: return "substitution"
    case .replicas: return "replicas R=\(replicas) noise=\(replicaNoise) step=\(replicaStep) coupling=\(coupling)"
    case .laplacian: return "laplacian"
    }
  }
}
