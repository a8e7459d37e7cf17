import Foundation
import Imaging
import Torch

/// A folder of PNG photos held in memory, with random crop/flip batches.
public struct ImageSet: Sendable {
  public let images: [RGBImage]
  public let names: [String]

  public init(images: [RGBImage], names: [String]) {
    self.images = images
    self.names = names
  }

  /// Loads the folder's PNGs in name order; `limit` keeps that many, evenly spaced over the sorted list.
  public static func load(directory: URL, minimumSide: Int = 1, limit: Int? = nil) throws -> ImageSet {
    var files: [String]
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
      throw CodecError.invalidInput("image folder not found: \(directory.path)")
    }
    guard isDirectory.boolValue else { throw CodecError.invalidInput("\(directory.path) is not a folder of PNG images") }
    do {
      files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.lowercased().hasSuffix(".png") }.sorted()
    } catch {
      throw CodecError.invalidInput("cannot read image folder \(directory.path): \(error.localizedDescription)")
    }
    guard !files.isEmpty else { throw CodecError.invalidInput("no .png files in \(directory.path)") }
    if let limit, limit > 0, limit < files.count {
      let all = files
      files = (0..<limit).map { all[$0 * all.count / limit] }
    }
    var images: [RGBImage] = []
    for file in files {
      let image = try PNGDecoder.read(fromFile: directory.appendingPathComponent(file).path).image
      guard image.width >= minimumSide, image.height >= minimumSide else {
        throw CodecError.invalidInput("\(file) is \(image.width)x\(image.height), smaller than \(minimumSide)")
      }
      images.append(image)
    }
    return ImageSet(images: images, names: files)
  }

  /// Splits off every `stride`-th image (deterministic) as a validation set.
  public func split(validationEvery stride: Int) -> (training: ImageSet, validation: ImageSet) {
    var train: [(RGBImage, String)] = [], val: [(RGBImage, String)] = []
    for (i, pair) in zip(images, names).enumerated() {
      if i % stride == stride - 1 { val.append(pair) } else { train.append(pair) }
    }
    return (ImageSet(images: train.map(\.0), names: train.map(\.1)),
            ImageSet(images: val.map(\.0), names: val.map(\.1)))
  }

  /// The training and validation sets of a codec run: the training folder and the validation
  /// folder, or without one every 20th training image held out (`split(validationEvery: 20)`).
  /// - Parameters:
  ///   - data: the training folder.
  ///   - validation: the validation folder, if the run has one.
  ///   - minimumSide: the smallest side a training image may have (the crop).
  public static func trainingAndValidation(data: URL, validation: URL?, minimumSide: Int = 1) throws
    -> (training: ImageSet, validation: ImageSet) {
    let all = try load(directory: data, minimumSide: minimumSide)
    return try validation.map { (all, try load(directory: $0)) } ?? all.split(validationEvery: 20)
  }

  /// A batch [B, 3, crop, crop] of random crops, each flipped horizontally with probability 1/2.
  /// With a `shard`, the crops are drawn for a global batch of `size x shard.count` and only
  /// the shard's `size` are made: the same crops one process drawing the global batch makes.
  public func randomBatch(size: Int, crop: Int, using rng: inout SplitMix64, shard: DataShard = .whole) throws -> Tensor {
    var data = [Float](repeating: 0, count: size * 3 * crop * crop)
    let mine = shard.slots(perShard: size)
    for slot in 0..<(size * shard.count) {
      let image = images[Int(rng.next() % UInt64(images.count))]
      guard image.width >= crop, image.height >= crop else {
        throw CodecError.invalidInput("image \(image.width)x\(image.height) is smaller than the crop \(crop)")
      }
      let x0 = Int(rng.next() % UInt64(image.width - crop + 1))
      let y0 = Int(rng.next() % UInt64(image.height - crop + 1))
      let flip = rng.next() & 1 == 1
      guard mine.contains(slot) else { continue }
      let b = slot - mine.lowerBound
      image.pixels.withUnsafeBufferPointer { source in
        for c in 0..<3 {
          for y in 0..<crop {
            let row = (c * image.height + y0 + y) * image.width + x0
            let out = ((b * 3 + c) * crop + y) * crop
            for x in 0..<crop { data[out + x] = source[row + (flip ? crop - 1 - x : x)] }
          }
        }
      }
    }
    return try Tensor(data, shape: [size, 3, crop, crop])
  }
}

extension RGBImage {
  /// The image as a [1, 3, H, W] float32 tensor in [0, 1].
  public func tensor() throws -> Tensor { try Tensor(pixels, shape: [1, 3, height, width]) }

  /// An image from a [1, 3, H, W] tensor (values clamped on write).
  public init(tensor: Tensor) throws {
    let (n, c, h, w) = try tensor.size4("image tensor")
    guard n == 1, c == 3 else { throw CodecError.invalidInput("expected a [1, 3, H, W] tensor, got \(tensor.shape)") }
    try self.init(width: w, height: h, pixels: tensor.floats())
  }
}
