import Foundation
import Imaging
import Torch
import XCTest

@testable import Compression

/// Large images run g_a and g_s in tiles; the result must be whole-image processing's.
final class TiledTransformsTests: XCTestCase {
  func maxDifference(_ a: Tensor, _ b: Tensor) throws -> Float {
    XCTAssertEqual(a.shape, b.shape)
    return zip(try a.floats(), try b.floats()).reduce(0) { Swift.max($0, abs($1.0 - $1.1)) }
  }

  func testPaddedRegionsEqualThePaddedImage() throws {
    let image = try CodecTests.testImage(width: 45, height: 30)
    let (padded, _) = try image.padded(toMultipleOf: 16, mode: .replicate)
    let whole = try padded.tensor()
    for (x, y, w, h) in [(0, 0, 16, 16), (16, 16, 32, 16), (0, 0, 48, 32), (32, 0, 16, 32)] {
      let region = try image.paddedRegionTensor(x: x, y: y, width: w, height: h)
      let expected = try whole.narrow(2, start: y, length: h).narrow(3, start: x, length: w).contiguous()
      XCTAssertEqual(try maxDifference(region, expected), 0, "region \(x),\(y) \(w)x\(h)")
    }
  }

  func testTilesEqualWholeImageTransforms() throws {
    let model = try CodecTests.tinyModel().model
    let image = try CodecTests.testImage(width: 150, height: 200)
    let (padded, _) = try image.padded(toMultipleOf: 64, mode: .replicate)
    let y = try withNoGrad { try model.analysisTransform(padded.tensor().channelsLast()).contiguous() }
    let x = try withNoGrad { try model.synthesisTransform(y).clamp(min: 0, max: 1).contiguous() }
    for side in [1, 2, 5] {
      let tiles = TiledTransforms(tileSide: side)
      let tiled = try tiles.analyze(model.analysisTransform, paddedWidth: padded.width, paddedHeight: padded.height) {
        try image.paddedRegionTensor(x: $0, y: $1, width: $2, height: $3)
      }
      XCTAssertLessThanOrEqual(try maxDifference(tiled, y), 1e-5, "g_a in tiles of \(side) latents")
      var assembled = [Float](repeating: -1, count: x.elementCount)
      let (height, width) = (x.shape[2], x.shape[3])
      try tiles.synthesize(model.synthesisTransform, yHat: y) { tile, left, top in
        let values = try tile.floats()
        let (rows, columns) = (tile.shape[2], tile.shape[3])
        for c in 0..<3 { for r in 0..<rows { for i in 0..<columns {
          assembled[(c * height + top + r) * width + left + i] = values[(c * rows + r) * columns + i]
        } } }
      }
      XCTAssertFalse(assembled.contains(-1), "the tiles cover the picture")
      XCTAssertLessThanOrEqual(try maxDifference(try Tensor(assembled, shape: x.shape), x), 1e-5, "g_s in tiles of \(side)")
    }
    // Without the halo the cut tiles' zero padding shows: the test can tell.
    let noHalo = TiledTransforms(tileSide: 2, halo: 0)
    let cut = try noHalo.analyze(model.analysisTransform, paddedWidth: padded.width, paddedHeight: padded.height) {
      try image.paddedRegionTensor(x: $0, y: $1, width: $2, height: $3)
    }
    XCTAssertGreaterThan(try maxDifference(cut, y), 1e-3)
  }

  func testTiledCodecDecodesLikeTheWholeImageCodec() throws {
    let loaded = try CodecTests.tinyModel()
    let image = try CodecTests.testImage(width: 150, height: 200)
    let whole = ImageCodec(loaded)
    var tiled = ImageCodec(loaded)
    tiled.tiles = TiledTransforms(tileSide: 3)
    let bytes = try whole.compress(image)
    let tiledBytes = try tiled.compress(image)
    XCTAssertEqual(tiledBytes.count, bytes.count, "same latents, same file size")
    let a = try whole.decompress(bytes), b = try tiled.decompress(bytes), c = try whole.decompress(tiledBytes)
    XCTAssertEqual(a.width, 150)
    XCTAssertEqual(b.height, 200)
    XCTAssertEqual(a.interleavedRGB8(), b.interleavedRGB8(), "tiled decoding gives the whole-image picture")
    XCTAssertEqual(a.interleavedRGB8(), c.interleavedRGB8(), "a tiled encoder's file decodes like the whole one's")
    XCTAssertNil(whole.tiles(paddedWidth: 1024, paddedHeight: 1024), "up to 1 Mpixel the image is coded whole")
    XCTAssertEqual(whole.tiles(paddedWidth: 1088, paddedHeight: 1024), TiledTransforms(tileSide: 64))
  }
}
