import Compression
import Foundation
import Imaging
import XCTest

@testable import IntegerEngine
@testable import IntegerCodec
@testable import Quantization

/// A whole integer model coded with each kernel path forced: the same bytes and
/// pixels everywhere, and transforms equal to the pure-Swift reference kernels.
final class KernelPathCodecTests: XCTestCase {
  override func tearDown() {
    IntegerKernels.reset()
    super.tearDown()
  }

  /// A transform run layer by layer on the Swift reference kernels.
  static func reference(_ transform: IntegerTransform, _ x: IntTensor) throws -> IntTensor {
    var h = x
    for layer in transform.layers {
      switch layer {
      case .convolution(let c): h = try c.reference(h, threads: 2)
      case .gdn(let g): h = try g.reference(h, threads: 2)
      }
    }
    return h
  }

  func testEveryKernelPathCodesIdentically() throws {
    defer { IntegerKernels.reset() }
    for scheme in ["int8", "hybrid", "int16"] {
      let (file, _) = try QuantizationTests.integerFile(scheme)
      let image = try QuantizationTests.image(width: 130, height: 70, phase: 2)
      let (padded, _) = try image.padded(toMultipleOf: 64)
      let pixels = try IntTensor(channels: 3, height: padded.height, width: padded.width,
                                 values: padded.pixels.map { Int16(RGBImage.quantize8($0)) })
      let model = file.model
      let y = try Self.reference(model.analysis, pixels)
      let symbols = try IntTensor(channels: y.channels, height: y.height, width: y.width,
                                  values: y.values.map { model.ySymbolRange.clamp(model.yToSymbols.apply(Int64($0))) })
      let decoded = try Self.reference(model.synthesis, symbols)

      var first: (bytes: [UInt8], image: RGBImage)?
      for path in IntegerKernels.supportedPaths {
        try IntegerKernels.force(path)
        XCTAssertEqual(try model.analysis(pixels, threads: 2), y, "\(scheme) \(path) g_a")
        XCTAssertEqual(try model.synthesis(symbols, threads: 2), decoded, "\(scheme) \(path) g_s")
        let bytes = try IntegerImageCodec(file, threads: 2).compress(image)
        let back = try IntegerImageCodec(file, threads: 1).decompress(bytes)
        if let first {
          XCTAssertEqual(bytes, first.bytes, "\(scheme): \(path) codes other bytes")
          XCTAssertEqual(back.pixels, first.image.pixels, "\(scheme): \(path) decodes other pixels")
        } else {
          first = (bytes, back)
        }
      }
    }
  }

  /// The codec streams the image without building its padded copy and decodes into the cropped image:
  /// the same strings and pixels as the engine's whole-tensor calls on the padded image.
  func testStreamedCodecEqualsTheWholeImageRoute() throws {
    let (file, _) = try QuantizationTests.integerFile("hybrid")
    for (width, height) in [(130, 70), (64, 64), (1, 65)] {
      let image = try QuantizationTests.image(width: width, height: height, phase: 1)
      let (padded, _) = try image.padded(toMultipleOf: 64, mode: .replicate)
      let pixels = try IntTensor(channels: 3, height: padded.height, width: padded.width,
                                 values: padded.pixels.map { Int16(RGBImage.quantize8($0)) })
      let encoded = try file.model.compress(pixels: pixels, threads: 2)
      let bytes = try IntegerImageCodec(file, threads: 2).compress(image)
      let stream = try Bitstream(decoding: bytes)
      XCTAssertEqual(stream.latents.strings, [[encoded.yString], [encoded.zString]], "\(width)x\(height)")
      let whole = try file.model.decompress(encoded, threads: 1)
      let expected = try RGBImage(width: whole.width, height: whole.height, pixels: whole.values.map { Float($0) / 255 })
        .cropped(width: width, height: height)
      XCTAssertEqual(try IntegerImageCodec(file, threads: 1).decompress(bytes), expected, "\(width)x\(height)")
    }
  }
}
