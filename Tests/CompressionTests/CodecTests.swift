import Foundation
import Imaging
import Torch
import XCTest

@testable import Compression

final class CodecTests: XCTestCase {
  /// A small random hyperprior with tables, as a LoadedModel.
  static func tinyModel(n: Int = 8, m: Int = 12, seed: UInt64 = 3) throws -> LoadedModel {
    let model = try ScaleHyperprior(n: n, m: m, seed: seed)
    try model.update()
    model.setTraining(false)
    return LoadedModel(model: model, configuration: ModelConfiguration(architecture: .scaleHyperprior, n: n, m: m),
                       metadata: [:], source: "tiny", weightsHash: try ModelStore.weightsHash(model))
  }

  /// Four 64x64 images, each both training and validation set of the tiny runs.
  static func tinyTrainingSet() throws -> ImageSet {
    ImageSet(images: try (0..<4).map { _ in try testImage(width: 64, height: 64) }, names: ["a", "b", "c", "d"])
  }

  /// A ScaleHyperprior(8, 12) run on 64x64 crops, batch 2.
  static func tinyTrainingConfig(steps: Int) -> RDTrainingConfig {
    var config = RDTrainingConfig()
    config.n = 8
    config.m = 12
    config.batchSize = 2
    config.cropSize = 64
    config.steps = steps
    return config
  }

  static func testImage(width: Int, height: Int) throws -> RGBImage {
    var pixels = [Float](repeating: 0, count: 3 * width * height)
    for c in 0..<3 { for y in 0..<height { for x in 0..<width {
      pixels[(c * height + y) * width + x] = Float((x * (c + 1) + y * 3 + (x * y) % 7) % 256) / 255
    } } }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  func testLatentShapesAndNonEmptyStrings() throws {
    let loaded = try Self.tinyModel()
    let latents = try loaded.model.compress(Tensor.rand([1, 3, 128, 192], generator: Generator(seed: 1)))
    XCTAssertEqual(latents.latentHeight, 2)
    XCTAssertEqual(latents.latentWidth, 3)
    XCTAssertFalse(latents.strings[0][0].isEmpty)
    XCTAssertFalse(latents.strings[1][0].isEmpty)
  }

  func testRoundTripOddSizeIsDeterministicAndCropped() throws {
    let loaded = try Self.tinyModel()
    let image = try Self.testImage(width: 67, height: 45)
    let codec = ImageCodec(loaded)
    let bytes = try codec.compress(image)
    XCTAssertEqual(bytes, try codec.compress(image), "encoding is deterministic")
    let decoded = try codec.decompress(bytes)
    XCTAssertEqual(decoded.width, 67)
    XCTAssertEqual(decoded.height, 45)
    // The decoder reproduces the encoder's reconstruction exactly.
    let (padded, _) = try image.padded(toMultipleOf: 64)
    let direct = try loaded.model.decompress(loaded.model.compress(padded.tensor()))
    XCTAssertEqual(try RGBImage(tensor: direct).cropped(width: 67, height: 45).pixels, decoded.pixels)
  }

  func testDecodingWithAnotherThreadCountGivesIdenticalPixels() throws {
    let loaded = try Self.tinyModel()
    let image = try Self.testImage(width: 128, height: 64)
    let codec = ImageCodec(loaded)
    let original = Torch.threads
    defer { try? Torch.setThreads(original) }
    try Torch.setThreads(1)
    let bytes = try codec.compress(image)
    try Torch.setThreads(2)
    let a = try codec.decompress(bytes)
    try Torch.setThreads(1)
    let b = try codec.decompress(bytes)
    XCTAssertEqual(a.pixels, b.pixels)
  }

  func testWrongModelIsAClearError() throws {
    let loaded = try Self.tinyModel()
    let other = try Self.tinyModel(seed: 4)
    let bytes = try ImageCodec(loaded).compress(try Self.testImage(width: 64, height: 64))
    XCTAssertThrowsError(try ImageCodec(other).decompress(bytes)) { error in
      XCTAssertTrue("\(error)".contains("another model's weights"), "\(error)")
    }
    let wider = try Self.tinyModel(n: 8, m: 16)
    XCTAssertThrowsError(try ImageCodec(wider).decompress(bytes)) { error in
      XCTAssertTrue("\(error)".contains("N=8 M=12"), "\(error)")
    }
  }

  func testCorruptTruncatedAndAbsurdFilesAreErrors() throws {
    let loaded = try Self.tinyModel()
    let codec = ImageCodec(loaded)
    let bytes = try codec.compress(try Self.testImage(width: 64, height: 64))
    XCTAssertThrowsError(try codec.decompress(Array(bytes.prefix(bytes.count - 3)))) { error in
      XCTAssertTrue("\(error)".contains("checksum") || "\(error)".contains("truncated"), "\(error)")
    }
    var flipped = bytes
    flipped[30] ^= 0x10
    XCTAssertThrowsError(try codec.decompress(flipped)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
    XCTAssertThrowsError(try codec.decompress(Array("not a lic file".utf8))) { XCTAssertTrue("\($0)".contains("magic"), "\($0)") }
    // An absurd size with a valid checksum must be refused before any allocation.
    var stream = try Bitstream(decoding: bytes)
    stream.width = 1 << 30
    stream.height = 1 << 30
    let absurd = try stream.encoded()
    XCTAssertThrowsError(try codec.decompress(absurd)) { XCTAssertTrue("\($0)".contains("absurd"), "\($0)") }
  }

  /// Thousands of mutated files and random byte strings: each is an error or a valid image.
  func testFuzzedBitstreamsNeverCrash() throws {
    let loaded = try Self.tinyModel()
    let codec = ImageCodec(loaded)
    let bytes = try codec.compress(try Self.testImage(width: 64, height: 64))
    var rng = SplitMix64(seed: 77)
    var errors = 0, images = 0
    for trial in 0..<2000 {
      var mutated = bytes
      switch trial % 4 {
      case 0: mutated[Int(rng.next() % UInt64(mutated.count))] ^= UInt8(1 << (rng.next() % 8))
      case 1: mutated = Array(mutated.prefix(Int(rng.next() % UInt64(mutated.count))))
      case 2: mutated = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      default:
        // Re-seal a mutated payload with a valid checksum so the decoder's inner checks run.
        var body = Array(mutated.dropLast(4))
        let i = 44 + Int(rng.next() % UInt64(body.count - 44))
        body[i] = UInt8(truncatingIfNeeded: rng.next())
        let crc = CRC32.checksum(body)
        mutated = body + withUnsafeBytes(of: crc.littleEndian, Array.init)
      }
      do {
        let image = try codec.decompress(mutated)
        XCTAssertEqual(image.width, 64)
        images += 1
      } catch {
        errors += 1
      }
    }
    XCTAssertEqual(errors + images, 2000)
    XCTAssertGreaterThan(errors, 1000)
  }

  func testModelFileRoundTripAndBadFiles() throws {
    let loaded = try Self.tinyModel()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("m.safetensors")
    try ModelStore.save(loaded.model, config: loaded.configuration, metadata: ["lambda": "0.01"], to: url)
    let back = try ModelStore.load(file: url)
    XCTAssertEqual(back.weightsHash, loaded.weightsHash)
    XCTAssertEqual(back.metadata["lambda"], "0.01")
    let half = dir.appendingPathComponent("h.safetensors")
    try ModelStore.save(loaded.model, config: loaded.configuration, precision: .float16, to: half)
    let halfModel = try ModelStore.load(file: half)
    let image = try Self.testImage(width: 64, height: 64)
    XCTAssertEqual(try ImageCodec(halfModel).decompress(ImageCodec(halfModel).compress(image)).width, 64)
    let garbage = dir.appendingPathComponent("g.safetensors")
    try Data("garbage".utf8).write(to: garbage)
    XCTAssertThrowsError(try ModelStore.load(file: garbage)) { XCTAssertTrue("\($0)".contains("invalid model"), "\($0)") }
    XCTAssertThrowsError(try ModelStore.load("no-such-model")) { XCTAssertTrue("\($0)".contains("no model named"), "\($0)") }
    // A classifier-like file is not a codec.
    try SafeTensors.write(["fc.weight": try TensorRecord(float32: [1, 2], shape: [2])], to: garbage)
    XCTAssertThrowsError(try ModelStore.load(file: garbage)) { XCTAssertTrue("\($0)".contains("not a Balle"), "\($0)") }
  }

  func testInputsThatAreNotMultiplesOrNotRGBAreRejected() throws {
    let loaded = try Self.tinyModel()
    XCTAssertThrowsError(try loaded.model.compress(Tensor.zeros([1, 3, 70, 64])))
    XCTAssertThrowsError(try loaded.model.compress(Tensor.zeros([1, 1, 64, 64])))
    let fresh = try ScaleHyperprior(n: 8, m: 12)
    XCTAssertThrowsError(try fresh.compress(Tensor.zeros([1, 3, 64, 64]))) { XCTAssertEqual($0 as? CodecError, .notUpdated) }
  }

  func testGDNVariantsAndInverse() throws {
    let x = try Tensor([1, -2, 3, 0.5] as [Float], shape: [1, 4, 1, 1])
    let standard = try GDN(channels: 4)
    // gamma = 0.1 I, beta = 1: y = x / sqrt(1 + 0.1 x^2).
    let expected = [1, -2, 3, 0.5].map { $0 / (1 + 0.1 * $0 * $0).squareRoot() }
    let y = try standard(x).floats().map(Double.init)
    for (a, b) in zip(y, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    let simplified = try GDN(channels: 4, variant: .simplified)
    let ys = try simplified(x).floats().map(Double.init)
    for (a, b) in zip(ys, [1, -2, 3, 0.5].map { $0 / (1 + 0.1 * Swift.abs($0)) }) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    let inverse = try GDN(channels: 4, inverse: true)
    let back = try inverse(x).floats().map(Double.init)
    for (a, b) in zip(back, [1, -2, 3, 0.5].map { $0 * (1 + 0.1 * $0 * $0).squareRoot() }) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    XCTAssertEqual(try standard.stateDict().map(\.name), [
      "beta", "gamma", "beta_reparam.pedestal", "beta_reparam.lower_bound.bound", "gamma_reparam.pedestal",
      "gamma_reparam.lower_bound.bound",
    ])
  }

  func testTrainingReducesLossAndResumesExactly() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-train-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = try Self.tinyTrainingSet()
    var config = Self.tinyTrainingConfig(steps: 6)
    config.learningRate = 1e-3
    config.validateEvery = 3
    config.checkpointEvery = 3
    config.learningRateMilestones = [4]
    config.milestoneGamma = 0.5
    func trainer(_ steps: Int, _ sub: String) throws -> RDTrainer {
      var c = config
      c.steps = steps
      return try RDTrainer(config: c, model: try ScaleHyperprior(n: 8, m: 12), training: set, validation: set,
                           runDirectory: dir.appendingPathComponent(sub))
    }
    // Uninterrupted 6 steps vs 3 steps + resume to 6: identical weights.
    let straight = try trainer(6, "a")
    var losses: [Double] = [], rates: [Double] = []
    try straight.run(progress: { losses.append($0.loss); rates.append($0.learningRate) })
    XCTAssertEqual(rates, [1e-3, 1e-3, 1e-3, 1e-3, 5e-4, 5e-4], "the milestone halves the rate from step 4")
    let first = try trainer(3, "b")
    first.lineage = ["init": "hyperprior-q4", "init_steps": "7"]
    try first.run(progress: { _ in })
    let resumed = try trainer(6, "b")
    XCTAssertTrue(try resumed.resumeIfPossible())
    XCTAssertEqual(resumed.step, 3)
    XCTAssertEqual(resumed.lineage, ["init": "hyperprior-q4", "init_steps": "7"], "the history survives a resume")
    try resumed.run(progress: { _ in })
    for ((name, a), (_, b)) in zip(straight.model.stateDict(), resumed.model.stateDict()) {
      XCTAssertEqual(try a.bytes(), try b.bytes(), "\(name) differs after resume")
    }
    XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a/log.csv").path))
    XCTAssertEqual(losses.count, 6)
  }

  /// Codec checkpoints written before every task shared one trainer kept the main Adam moments
  /// under `main.m.` / `main.v.` with `main_steps`: such a checkpoint still resumes exactly.
  func testCheckpointOfTheEarlierLayoutResumesExactly() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-legacy-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = try Self.tinyTrainingSet()
    let config = Self.tinyTrainingConfig(steps: 4)
    func trainer(_ steps: Int, _ sub: String) throws -> RDTrainer {
      var c = config
      c.steps = steps
      return try RDTrainer(config: c, model: try ScaleHyperprior(n: 8, m: 12), training: set, validation: set,
                           runDirectory: dir.appendingPathComponent(sub))
    }
    let straight = try trainer(4, "straight")
    try straight.run()
    let first = try trainer(2, "legacy")
    try first.run()
    // Rewrite the checkpoint in the earlier layout.
    let url = first.checkpointURL
    let file = try SafeTensors.read(from: url)
    var tensors: [String: TensorRecord] = [:]
    for (name, record) in file.tensors {
      tensors[name.hasPrefix("adam.") ? "main." + name.dropFirst(5) : name] = record
    }
    var metadata = file.metadata
    XCTAssertNotNil(metadata.removeValue(forKey: MetadataKey.adamSteps))
    metadata[MetadataKey.mainOptimizerSteps] = "2"
    XCTAssertTrue(tensors.keys.contains { $0.hasPrefix("main.m.") })
    XCTAssertTrue(tensors.keys.contains { $0.hasPrefix("aux.m.") })
    try SafeTensors.write(tensors, metadata: metadata, to: url)
    let resumed = try trainer(4, "legacy")
    XCTAssertTrue(try resumed.resumeIfPossible())
    try resumed.run()
    for ((name, a), (_, b)) in zip(straight.model.stateDict(), resumed.model.stateDict()) {
      XCTAssertEqual(try a.bytes(), try b.bytes(), "\(name) differs after resuming the earlier layout")
    }
  }

  /// A run killed after logging past its last checkpoint, mid-way through
  /// writing the next one: the resume removes the temporary file and the
  /// extra rows, so log and curves equal an uninterrupted run's byte for byte.
  func testResumeAfterAKillLeavesNoDebrisAndAnExactLog() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-kill-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let set = try Self.tinyTrainingSet()
    var config = Self.tinyTrainingConfig(steps: 6)
    config.validateEvery = 2
    config.checkpointEvery = 3
    func trainer(_ steps: Int, _ sub: String) throws -> RDTrainer {
      var c = config
      c.steps = steps
      return try RDTrainer(config: c, model: try ScaleHyperprior(n: 8, m: 12), training: set, validation: set,
                           runDirectory: dir.appendingPathComponent(sub))
    }
    try trainer(6, "straight").run(progress: { _ in })
    let run = dir.appendingPathComponent("killed")
    let first = try trainer(6, "killed")
    try first.run(progress: { _ in }, shouldStop: { first.step >= 3 })
    let atStep3 = try Data(contentsOf: run.appendingPathComponent("checkpoint.safetensors"))
    let second = try trainer(6, "killed")
    XCTAssertTrue(try second.resumeIfPossible())
    try second.run(progress: { _ in }, shouldStop: { second.step >= 5 })
    // The kill: steps 4 and 5 were logged, the step-5 checkpoint never renamed into place.
    try atStep3.write(to: run.appendingPathComponent("checkpoint.safetensors"))
    let stale = run.appendingPathComponent(".checkpoint.safetensors.\(UUID().uuidString).tmp")
    try Data(repeating: 7, count: 1000).write(to: stale)
    let keep = run.appendingPathComponent("notes.tmp")
    try Data("mine".utf8).write(to: keep)
    try trainer(6, "killed").resumeAndRun()
    XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the stale temporary file is removed")
    XCTAssertTrue(FileManager.default.fileExists(atPath: keep.path), "other files are the user's")
    for name in ["log.csv", "curves.svg"] {
      XCTAssertEqual(try Data(contentsOf: run.appendingPathComponent(name)),
                     try Data(contentsOf: dir.appendingPathComponent("straight/\(name)")), "\(name) differs")
    }
  }
}

extension RDTrainer {
  /// Resumes from the run folder's checkpoint (there must be one) and trains to the configured steps.
  func resumeAndRun() throws {
    XCTAssertTrue(try resumeIfPossible())
    try run(progress: { _ in })
  }
}
