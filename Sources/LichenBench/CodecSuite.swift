import Compression
import EntropyCoding
import Foundation
import Imaging
import Torch

/// `lichen-bench codec`: ScaleHyperprior N=128 M=192 (random weights, as the
/// peer) on kodim01: encode, decode, one training step (batch 8, 256x256,
/// with the aux step), beside CompressAI in the same run; and rANS throughput.
enum CodecSuite {
  static let kodim01 = repositoryRoot.appendingPathComponent("../shared/data/kodak/kodim01.png").standardized

  static func run(threads: Int, repeats: Int, withPeer: Bool) throws {
    try Torch.setThreads(threads)
    let image: RGBImage
    var imageNote = "kodim01"
    if FileManager.default.fileExists(atPath: kodim01.path) {
      image = try PNGDecoder.read(fromFile: kodim01.path).image
    } else {
      imageNote = "synthetic 768x512 (../shared/data/kodak missing)"
      image = try RGBImage(width: 768, height: 512, pixels: (0..<(3 * 768 * 512)).map { Float($0 % 251) / 250 })
    }
    let model = try ScaleHyperprior(n: 128, m: 192, seed: 0)
    try model.update()
    model.setTraining(false)
    let (padded, _) = try image.padded(toMultipleOf: 64)
    let x = try padded.tensor()
    let latents = try model.compress(x)
    let encode = try medianSeconds(repeats: repeats) { _ = try model.compress(x) }
    let decode = try medianSeconds(repeats: repeats) { _ = try model.decompress(latents) }

    // One step of the codec trainer itself (RDTask on the one Trainer, in memory): batch 8 of
    // 256x256 crops of the image, main and auxiliary Adam, clipping.
    var trainConfig = RDTrainingConfig()
    trainConfig.n = 128
    trainConfig.m = 192
    trainConfig.batchSize = 8
    trainConfig.cropSize = 256
    trainConfig.steps = Int.max / 2
    trainConfig.validateEvery = Int.max / 2
    trainConfig.seed = 1
    let trainer = RDTrainer(inMemory: RDTask(
      config: trainConfig, model: try ScaleHyperprior(n: 128, m: 192, seed: 1),
      training: ImageSet(images: [image], names: ["bench"]), validation: ImageSet(images: [], names: [])))
    let train = try medianSeconds(repeats: Swift.max(1, repeats / 2)) {
      let target = trainer.step + 1
      try trainer.run(shouldStop: { trainer.step >= target })
    }

    let script = repositoryRoot.appendingPathComponent("scripts/peers/compressai_codec.py").path
    let python = "/opt/lichen-peer-venv/bin/python"
    let arguments = [kodim01.path, String(threads), String(repeats)]
    let peer = withPeer ? runPeer(script: script, arguments: arguments, python: python) : [:]
    // Lichen keeps freed memory in its heap (Torch's runtime set-up); the same
    // glibc policy given to CompressAI through its environment separates that
    // gain from the rest.
    let peerSamePolicy = withPeer
      ? runPeer(script: script, arguments: arguments, python: python,
                environment: ["MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": "1073741824"])
      : [:]
    for (name, value) in [("hyperprior N=128 M=192 encode kodim01", encode),
                          ("hyperprior N=128 M=192 decode kodim01", decode),
                          ("hyperprior N=128 M=192 train step batch 8 256x256", train)] {
      func record(against label: String, _ p: Double?) {
        BenchRecord(suite: "codec", case: name, value: value, unit: "s", peer: p == nil ? nil : label,
                    peerValue: p, ratio: p.map { value / $0 }, threads: threads, note: imageNote).printLine()
      }
      // Always one row (with or without the peer); the same-policy row only when that peer ran.
      record(against: "compressai-1.2.8", peer[name])
      if let same = peerSamePolicy[name] { record(against: "compressai-1.2.8 + Lichen's malloc policy", same) }
    }
    try rans()
  }

  /// rANS encode/decode throughput on Gaussian-like tables, single thread.
  static func rans() throws {
    let conditional = try GaussianConditional()
    try conditional.update()
    let table = try conditional.tables.table()
    var rng = SplitMix64(seed: 5)
    let count = 4_000_000
    var symbols = [Int32](repeating: 0, count: count)
    var indexes = [Int32](repeating: 0, count: count)
    for i in 0..<count {
      let index = Int32(rng.next() % 20)  // scales up to ~1: the common case in trained models
      indexes[i] = index
      // Sum of uniforms: a cheap bell-shaped symbol around 0.
      let spread = Int64(1 + index / 4)
      symbols[i] = Int32(Int64(rng.next() % UInt64(2 * spread + 1)) - spread)
    }
    var stream: [UInt8] = []
    let encode = try medianSeconds(repeats: 3) { stream = try table.encode(symbols: symbols, indexes: indexes) }
    let decode = try medianSeconds(repeats: 3) { _ = try table.decode(stream, indexes: indexes) }
    BenchRecord(suite: "codec", case: "rANS encode (Gaussian tables, 1 thread)", value: Double(count) / encode / 1e6,
                unit: "Msymbols/s", threads: 1).printLine()
    BenchRecord(suite: "codec", case: "rANS decode (Gaussian tables, 1 thread)", value: Double(count) / decode / 1e6,
                unit: "Msymbols/s", threads: 1, note: "target >= 50").printLine()
  }
}
