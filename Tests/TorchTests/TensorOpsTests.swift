import XCTest
@testable import Torch

final class TensorOpsTests: XCTestCase {
  func testCreationAndConversion() throws {
    let t = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3])
    XCTAssertEqual(t.shape, [2, 3])
    XCTAssertEqual(t.dtype, .float32)
    XCTAssertEqual(try t.scalars(as: Float.self), [1, 2, 3, 4, 5, 6])
    XCTAssertThrowsError(try t.scalars(as: Double.self))
    XCTAssertEqual(try Tensor.zeros([2, 2], dtype: .int64).scalars(as: Int64.self), [0, 0, 0, 0])
    XCTAssertEqual(try Tensor.full([3], 2.5, dtype: .float64).scalars(as: Double.self), [2.5, 2.5, 2.5])
    XCTAssertEqual(try Tensor.arange(0, 5, dtype: .int32).scalars(as: Int32.self), [0, 1, 2, 3, 4])
    XCTAssertEqual(try Tensor.eye(2).floats(), [1, 0, 0, 1])
    XCTAssertEqual(try Tensor([true, false, true]).scalars(as: Bool.self), [true, false, true])
    XCTAssertEqual(try Tensor([-3, 7] as [Int8]).to(.uint8).scalars(as: UInt8.self), [253, 7])
    XCTAssertEqual(try Tensor([1.5] as [Float]).to(.float16).floats(), [1.5])
    let bytes = try t.bytes()
    XCTAssertEqual(bytes.count, 24)
    let back = try bytes.withUnsafeBytes { try Tensor(bytes: $0, shape: [2, 3], dtype: .float32) }
    XCTAssertEqual(try back.floats(), [1, 2, 3, 4, 5, 6])
  }

  func testShapeMismatchThrows() throws {
    XCTAssertThrowsError(try Tensor([1, 2, 3] as [Float], shape: [2, 2]))
    let a = try Tensor.ones([2, 3])
    let b = try Tensor.ones([4, 5])
    XCTAssertThrowsError(try a + b) { error in
      let e = error as? TorchError
      XCTAssertNotNil(e)
      XCTAssertTrue(e?.message.contains("size of tensor") ?? false, "\(error)")
    }
    XCTAssertThrowsError(try a.matmul(b))
    XCTAssertThrowsError(try a.reshape([7]))
    XCTAssertThrowsError(try Loss.mse(a, try Tensor.ones([3, 2])))
    // The error slot is emptied: the next call succeeds cleanly.
    XCTAssertEqual(try (a + a).sum().item(), 12)
  }

  func testWrongDtypeThrows() throws {
    let a = try Tensor.ones([2, 2])
    let idx = try Tensor([0.0, 1.0] as [Float])
    XCTAssertThrowsError(try a.indexSelect(0, idx))
    let logits = try Tensor.zeros([2, 3])
    XCTAssertThrowsError(try Loss.crossEntropy(logits, try Tensor([0.0, 1.0] as [Float])))
  }

  func testArithmeticAgainstHandValues() throws {
    let a = try Tensor([1, -2, 3] as [Double])
    let b = try Tensor([4, 5, -6] as [Double])
    XCTAssertEqual(try (a + b).doubles, [5, 3, -3])
    XCTAssertEqual(try (a - b).doubles, [-3, -7, 9])
    XCTAssertEqual(try (a * b).doubles, [4, -10, -18])
    XCTAssertEqual(try (a / b).doubles, [0.25, -0.4, -0.5])
    XCTAssertEqual(try (2.0 - a).doubles, [1, 4, -1])
    XCTAssertEqual(try (6.0 / a).doubles, [6, -3, 2])
    XCTAssertEqual(try a.abs().doubles, [1, 2, 3])
    XCTAssertEqual(try a.sign().doubles, [1, -1, 1])
    XCTAssertEqual(try a.clamp(min: -1, max: 2).doubles, [1, -1, 2])
    XCTAssertEqual(try a.maximum(b).doubles, [4, 5, 3])
    XCTAssertEqual(try Tensor([0.5, 1.5, 2.5, -0.5] as [Double]).round().doubles, [0, 2, 2, -0])
    assertClose(try Tensor([0.0, 1.0] as [Double]).erfc().doubles, [1, 0.157299207050285])
    assertClose(try Tensor([0.0, 1.0] as [Double]).sigmoid().doubles, [0.5, 0.7310585786300049])
    assertClose(try Tensor([0.0, 1.0] as [Double]).softplus().doubles, [0.6931471805599453, 1.3132616875182228])
    XCTAssertEqual(try Tensor([-4, 1, 7] as [Double]).relu6().doubles, [0, 1, 6])
    assertClose(try Tensor([-4, 1, 4] as [Double]).hardswish().doubles, [0, 2.0 / 3.0, 4])
    assertClose(try Tensor([-4, 0, 4] as [Double]).hardsigmoid().doubles, [0, 0.5, 1])
    assertClose(try Tensor([1.0] as [Double]).gelu().doubles, [0.8413447460685429])
    XCTAssertEqual(try a.gt(0).scalars(as: Bool.self), [true, false, true])
    XCTAssertEqual(try Tensor.where(a.gt(0), a, b).doubles, [1, 5, 3])
    XCTAssertEqual(try a.maskedFill(a.lt(0), 9).doubles, [1, 9, 3])
  }

  func testReductionsAndShapes() throws {
    let t = try Tensor.arange(0, 6, dtype: .float64).reshape([2, 3])
    XCTAssertEqual(try t.sum().item(), 15)
    XCTAssertEqual(try t.sum(dims: [0]).doubles, [3, 5, 7])
    XCTAssertEqual(try t.mean(dims: [1]).doubles, [1, 4])
    XCTAssertEqual(try t.max().item(), 5)
    XCTAssertEqual(try t.min(dims: [1]).doubles, [0, 3])
    XCTAssertEqual(try t.variance(dims: [1]).doubles, [1, 1])
    XCTAssertEqual(try t.transpose(0, 1).contiguous().doubles, [0, 3, 1, 4, 2, 5])
    XCTAssertEqual(try t.permute([1, 0]).shape, [3, 2])
    XCTAssertEqual(try t.slice(1, 1, 3).doubles, [1, 2, 4, 5])
    XCTAssertEqual(try t.select(0, 1).doubles, [3, 4, 5])
    XCTAssertEqual(try t.narrow(1, start: 2, length: 1).doubles, [2, 5])
    XCTAssertEqual(try Tensor.cat([t, t], dim: 0).shape, [4, 3])
    XCTAssertEqual(try Tensor.stack([t, t], dim: 1).shape, [2, 2, 3])
    XCTAssertEqual(try t.unsqueeze(0).shape, [1, 2, 3])
    XCTAssertEqual(try t.flatten().shape, [6])
    XCTAssertEqual(try t.indexSelect(1, Tensor([2, 0] as [Int64])).doubles, [2, 0, 5, 3])
    XCTAssertEqual(try t.cumsum(dim: 1).doubles, [0, 1, 3, 3, 7, 12])
    XCTAssertEqual(try t.argmax(dim: 1).scalars(as: Int64.self), [2, 2])
    XCTAssertEqual(try t.roll(shifts: [1], dims: [1]).doubles, [2, 0, 1, 5, 3, 4])
    XCTAssertEqual(try t.softmax(dim: 1).sum(dims: [1]).doubles.map { ($0 * 1e9).rounded() / 1e9 }, [1, 1])
    let padded = try t.reshape([1, 1, 2, 3]).padded([1, 1, 0, 0], mode: .replicate)
    XCTAssertEqual(padded.doubles, [0, 0, 1, 2, 2, 3, 3, 4, 5, 5])
    XCTAssertEqual(try t.reshape([1, 1, 2, 3]).size4().w, 3)
    XCTAssertThrowsError(try t.size4())
  }

  func testMatmulAndLossesAgainstHandValues() throws {
    let a = try Tensor([1, 2, 3, 4] as [Double], shape: [2, 2])
    let b = try Tensor([5, 6, 7, 8] as [Double], shape: [2, 2])
    XCTAssertEqual(try a.matmul(b).doubles, [19, 22, 43, 50])
    XCTAssertEqual(try Loss.mse(a, b).item(), 16)
    // Cross-entropy of uniform logits over 4 classes is ln 4.
    let logits = try Tensor.zeros([3, 4], dtype: .float64)
    let target = try Tensor([0, 1, 3] as [Int64])
    XCTAssertEqual(try Loss.crossEntropy(logits, target).item(), Foundation.log(4.0), accuracy: 1e-12)
    // Label smoothing leaves the uniform case unchanged; ignore_index drops entries.
    XCTAssertEqual(try Loss.crossEntropy(logits, target, labelSmoothing: 0.1).item(), Foundation.log(4.0), accuracy: 1e-12)
    let ignored = try Tensor([0, -100, -100] as [Int64])
    XCTAssertEqual(try Loss.crossEntropy(logits, ignored).item(), Foundation.log(4.0), accuracy: 1e-12)
  }

  func testRandomIsSeeded() throws {
    let g1 = try Generator(seed: 42)
    let g2 = try Generator(seed: 42)
    XCTAssertEqual(try Tensor.randn([5], generator: g1).floats(), try Tensor.randn([5], generator: g2).floats())
    let u = try Tensor.uniform([1000], low: -2, high: 3, generator: g1)
    XCTAssertGreaterThanOrEqual(try u.min().item(), -2)
    XCTAssertLessThan(try u.max().item(), 3)
    let r = try Tensor.randint(0, 10, shape: [100], generator: g1)
    XCTAssertEqual(r.dtype, .int64)
    XCTAssertEqual(try Tensor.randperm(6, generator: g1).sum().item(), 15)
    let keep = try Tensor.ones([10000]).dropout(p: 0.25, training: true, generator: g1)
    XCTAssertEqual(try keep.mean().item(), 1, accuracy: 0.05)
    XCTAssertEqual(try keep.gt(0).to(.float32).mean().item(), 0.75, accuracy: 0.03)
  }

  func testThreadsSetting() throws {
    try Torch.setThreads(1)
    XCTAssertEqual(Torch.threads, 1)
    try Torch.setThreads(2)
    XCTAssertEqual(Torch.threads, 2)
    XCTAssertThrowsError(try Torch.setThreads(0))
  }
}

import Foundation
