import Foundation
import Hardware
import Imaging

extension PipelineSimulator {
  /// Simulates `plan` as `lichen fpga simulate` does: timing only without `imagePath`; with it, the values too,
  /// computed with an integer model (`model`, else the one the plan was made from) on that PNG.
  /// - Parameters:
  ///   - imagePath: a PNG whose size padded to multiples of 64 is the plan's.
  ///   - model: a registry name or integer model file of the plan's architecture; nil: the plan's model.
  /// - Throws: `HardwareError` when the model cannot be loaded, is a float model or does not match the plan, or the
  ///   image is not the plan's size; the PNG reader's errors.
  public static func simulate(plan: Plan, imagePath: String?, model: String?,
                              options: SimulationOptions) throws -> SimulationReport {
    guard let imagePath else {
      return try simulate(plan: plan, model: nil, pixels: nil, imageName: nil, options: options)
    }
    let name = model ?? plan.model
    let loaded: HardwareModel
    do { loaded = try HardwareModel.load(name) } catch {
      throw HardwareError("cannot load the model \(name)\(model == nil ? " the plan was made from" : ""): \(error). "
        + "Pass --model with an integer model of the same architecture.")
    }
    guard case .integer(let weights) = loaded.weights else {
      throw HardwareError("\(name) is a float model; the simulator computes with the integer engine. Plan an integer "
        + "model (lichen fpga plan --model hyperprior-q4-hybrid ...) or pass --model with an integer model file from "
        + "`lichen quantize`.")
    }
    try checkModel(weights, configuration: loaded.configuration, source: loaded.source, plan: plan)
    let pixels = try pixels(try PNGDecoder.read(fromFile: imagePath).image, plan: plan, name: imagePath)
    return try simulate(plan: plan, model: weights, pixels: pixels, imageName: imagePath, options: options)
  }
}
