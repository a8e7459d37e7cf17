import Foundation
import Torch

/// `lichen-bench torch`: forward+backward of the codec's convolution shapes
/// and per-op overhead, beside Debian's PyTorch running the same shapes.
enum TorchSuite {
  static func run(threads: Int, repeats: Int, withPeer: Bool) throws {
    try Torch.setThreads(threads)
    let g = try Generator(seed: 0)
    var ours: [(String, Double)] = []

    func conv(_ n: Int, _ cin: Int, _ cout: Int, _ k: Int, _ stride: Int, _ size: Int) throws -> () throws -> Void {
      let x = try Tensor.randn([n, cin, size, size], generator: g).requiringGrad()
      let w = try Tensor.randn([cout, cin, k, k], generator: g).requiringGrad()
      let b = try Tensor.randn([cout], generator: g).requiringGrad()
      return {
        for t in [x, w, b] { try t.zeroGrad() }
        try x.conv2d(weight: w, bias: b, stride: stride, padding: k / 2).sum().backward()
      }
    }
    func tconv(_ n: Int, _ cin: Int, _ cout: Int, _ k: Int, _ stride: Int, _ outSize: Int,
               route: Tensor.TransposedConvolutionRoute) throws -> () throws -> Void {
      let x = try Tensor.randn([n, cin, outSize / stride, outSize / stride], generator: g).requiringGrad()
      let w = try Tensor.randn([cin, cout, k, k], generator: g).requiringGrad()
      let b = try Tensor.randn([cout], generator: g).requiringGrad()
      return {
        for t in [x, w, b] { try t.zeroGrad() }
        try x.convTranspose2d(weight: w, bias: b, stride: stride, padding: k / 2, outputPadding: stride - 1, route: route)
          .sum().backward()
      }
    }

    let cases: [(String, () throws -> Void)] = [
      ("conv2d 3->128 k5 s2 256x256 fwd+bwd", try conv(8, 3, 128, 5, 2, 256)),
      ("conv2d 128->128 k5 s2 128x128 fwd+bwd", try conv(8, 128, 128, 5, 2, 128)),
      ("conv2d 128->128 k3 s1 64x64 fwd+bwd", try conv(8, 128, 128, 3, 1, 64)),
      ("conv_transpose2d 128->128 k5 s2 out256x256 fwd+bwd",
       try tconv(8, 128, 128, 5, 2, 256, route: .convolutionGradient)),
    ]
    for (name, body) in cases { ours.append((name, try medianSeconds(repeats: repeats, body))) }
    let native = try medianSeconds(repeats: repeats, try tconv(8, 128, 128, 5, 2, 256, route: .native))

    let a = try Tensor.ones([4])
    let b = try Tensor.ones([4])
    let tiny = try medianSeconds(repeats: repeats) { for _ in 0..<10_000 { _ = try a + b } } / 10_000
    ours.append(("tiny add overhead", tiny))

    let peer = withPeer
      ? runPeer(script: repositoryRoot.appendingPathComponent("scripts/peers/torch_ops.py").path,
                arguments: [String(threads), String(repeats)])
      : [:]
    for (name, seconds) in ours {
      let p = peer[name]
      BenchRecord(suite: "torch", case: name, value: seconds, unit: "s", peer: p == nil ? nil : "pytorch-1.13",
                  peerValue: p, ratio: p.map { seconds / $0 }, threads: threads).printLine()
    }
    BenchRecord(suite: "torch", case: "conv_transpose2d 128->128 k5 s2 out256x256 fwd+bwd (libtorch native route)",
                value: native, unit: "s", peer: "lichen convolution-gradient route", peerValue: ours[3].1,
                ratio: native / ours[3].1, threads: threads,
                note: "ratio > 1 means the default route is faster than libtorch's own").printLine()
    // The same shapes under bfloat16 autocast (float32 parameters and gradients), each timed alternately
    // with its float32 run: what mixed precision would buy a training step here.
    for (name, body) in cases {
      let (mixed, full) = try pairedMedianSeconds(repeats: repeats, { try withAutocast(.bfloat16, body) }, body)
      BenchRecord(suite: "torch", case: "\(name) bf16 autocast", value: mixed, unit: "s", peer: "lichen float32",
                  peerValue: full, ratio: mixed / full, threads: threads,
                  note: "ratio < 1 means bfloat16 autocast is faster").printLine()
    }
  }
}
