import Compression
import Foundation

extension CodecChoice {
  /// Codes the first `limit` images of `set` (all without it) for real and summarizes them. Results of a codec
  /// that refines its latents form their own RD series: the model's name gets "-refined"
  /// ("hyperprior-q4-refined" -> "hyperprior-refined") and the report records the encoder.
  /// - Parameters:
  ///   - dataset: the folder's name as the report records it.
  ///   - threads: the thread count the report records.
  ///   - onImage: called with each image's index, the number of images and its result.
  /// - Returns: the per-image results and their means.
  public func evaluate(_ set: ImageSet, dataset: String, limit: Int?, threads: Int,
                       onImage: (_ index: Int, _ count: Int, ImageResult) -> Void) throws -> EvaluationReport {
    var rows: [ImageResult] = []
    let count = Swift.min(limit ?? set.images.count, set.images.count)
    for i in 0..<count {
      let row = try float.map { try Evaluator.evaluate($0, image: set.images[i], name: set.names[i]) }
        ?? Evaluator.evaluate(compressor, image: set.images[i], name: set.names[i])
      rows.append(row)
      onImage(i, count, row)
    }
    let refinement = float?.refinement
    return EvaluationReport.summarize(
      model: source + (refinement == nil ? "" : "-refined"), dataset: dataset, threads: threads,
      encoder: refinement?.summary, images: rows)
  }
}
