import Foundation
import Imaging
import Torch
import XCTest

@testable import Compression

/// Large images run g_a and g_s in stripes; the result must be whole-image processing's.
final class StripedTransformsTests: XCTestCase {
  func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Float {
    XCTAssertEqual(a.shape, b.shape)
    return zip(try a.floats(), try b.floats()).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
  }

  func testPaddedRowsEqualThePaddedImage() throws {
    let image = try CodecTests.testImage(width: 45, height: 30)
    let (padded, _) = try image.padded(toMultipleOf: 16, mode: .replicate)
    let whole = try padded.tensor()
    for (start, count) in [(0, 16), (16, 16), (0, 32)] {
      let rows = try image.paddedRowsTensor(start: start, count: count, paddedWidth: padded.width)
      XCTAssertEqual(try maxDifference(rows, whole.narrow(2, start: start, length: count).contiguous()), 0)
    }
  }

  func testStripesEqualWholeImageTransforms() throws {
    let codec = try CodecTests.tinyModel()
    let model = codec.model
    let image = try CodecTests.testImage(width: 150, height: 200)
    let (padded, _) = try image.padded(toMultipleOf: 64, mode: .replicate)
    let y = try withNoGrad { try model.analysisTransform(padded.tensor().channelsLast()).contiguous() }
    let x = try withNoGrad { try model.synthesisTransform(y).clamp(min: 0, max: 1).contiguous() }
    for rows in [1, 2, 5] {
      let stripes = StripedTransforms(latentRowsPerStripe: rows)
      let striped = try stripes.analyze(model.analysisTransform, paddedHeight: padded.height) { start, count in
        try image.paddedRowsTensor(start: start, count: count, paddedWidth: padded.width)
      }
      XCTAssertLessThanOrEqual(try maxDifference(striped, y), 1e-5, "g_a in stripes of \(rows) latent rows")
      var pieces: [Tensor] = []
      var next = 0
      try stripes.synthesize(model.synthesisTransform, yHat: y) { stripe, firstRow in
        XCTAssertEqual(firstRow, next)
        next += stripe.shape[2]
        pieces.append(stripe)
      }
      XCTAssertLessThanOrEqual(try maxDifference(try Tensor.cat(pieces, dim: 2), x), 1e-5, "g_s in stripes of \(rows)")
    }
    // Without the halo the cut stripes' zero padding shows: the test can tell.
    let noHalo = StripedTransforms(latentRowsPerStripe: 2, haloRows: 0)
    let cut = try noHalo.analyze(model.analysisTransform, paddedHeight: padded.height) { start, count in
      try image.paddedRowsTensor(start: start, count: count, paddedWidth: padded.width)
    }
    XCTAssertGreaterThan(try maxDifference(cut, y), 1e-3)
  }

  func testStripedCodecDecodesLikeTheWholeImageCodec() throws {
    let loaded = try CodecTests.tinyModel()
    let image = try CodecTests.testImage(width: 150, height: 200)
    let whole = ImageCodec(loaded)
    var striped = ImageCodec(loaded)
    striped.stripes = StripedTransforms(latentRowsPerStripe: 3)
    let bytes = try whole.compress(image)
    let stripedBytes = try striped.compress(image)
    XCTAssertEqual(stripedBytes.count, bytes.count, "same latents, same file size")
    let a = try whole.decompress(bytes), b = try striped.decompress(bytes), c = try whole.decompress(stripedBytes)
    XCTAssertEqual(a.width, 150)
    XCTAssertEqual(b.height, 200)
    XCTAssertEqual(a.interleavedRGB8(), b.interleavedRGB8(), "striped decoding gives the whole-image picture")
    XCTAssertEqual(a.interleavedRGB8(), c.interleavedRGB8(), "a striped encoder's file decodes like the whole one's")
  }
}
