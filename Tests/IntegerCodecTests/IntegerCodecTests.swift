import Foundation
import Imaging
import IntegerCodec
import XCTest

/// The integer codec stands on its own: this target depends on IntegerCodec and Imaging only (below them:
/// IntegerEngine, EntropyCoding, CodecFormat, LichenSerialization; no libtorch target), and codes a photo
/// with a bundled integer model file read from the repository.
final class IntegerCodecTests: XCTestCase {
  let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func testABundledIntegerModelCodesAPhotoWithoutLibtorch() throws {
    let file = try IntegerModelFile.load(
      from: root.appendingPathComponent("Sources/Compression/Zoo/Weights/hyperprior-q4-hybrid.safetensors"))
    let image = try PNGDecoder.read(fromFile: root.appendingPathComponent("samples/kodim23-crop.png").path).image
    let bytes = try IntegerImageCodec(file, threads: 2).compress(image)
    XCTAssertEqual(try IntegerImageCodec(file, threads: 1).compress(image), bytes)
    let decoded = try IntegerImageCodec(file, threads: 1).decompress(bytes)
    XCTAssertEqual(decoded.width, image.width)
    XCTAssertEqual(decoded.height, image.height)
    XCTAssertGreaterThan(try ImageMetrics.psnr(image, decoded), 30)
    XCTAssertLessThan(Double(bytes.count * 8) / Double(image.width * image.height), 1.5)
  }
}
