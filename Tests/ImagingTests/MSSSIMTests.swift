import LichenRandom
import XCTest

@testable import Imaging

final class MSSSIMTests: XCTestCase {
  // Expected values printed by Fixtures/make_msssim_fixture.py: an
  // independent float64 torch implementation of pytorch-msssim's ms_ssim /
  // ssim with the exact Gaussian window, which the script checks against
  // pytorch_msssim 1.0.0 itself (identical to 1e-12 once given that package's
  // float32-built window taps). This implementation must match to
  // `exactTolerance`.
  static let exactTolerance = 1e-9
  static let msssimNoisy192x176 = 0.9746874353468518
  static let ssimNoisy192x176 = 0.7268198824060647
  static let msssimNoisy171x165 = 0.9713034555368946
  static let ssimNoisy171x165 = 0.7294547767000642
  static let msssimOffGrid171x165Float = 0.9713813360987859
  static let ssimOffGrid171x165Float = 0.7302172180187806
  static let msssimOffGrid171x165Quantized = 0.9713547272015316
  static let ssimOffGrid171x165Quantized = 0.7303152008490906

  // pytorch_msssim.ms_ssim(X, Y, data_range=1.0) on float32 tensors (how
  // CompressAI calls it), from the same script. Float32 arithmetic and the
  // float32 window put it ~3e-7 away; it must agree to 1e-5.
  static let pytorchTolerance = 1e-5
  static let pytorchFloat32Noisy192x176 = 0.9746876358985901
  static let pytorchFloat32Noisy171x165 = 0.9713037610054016
  static let pytorchFloat32OffGrid171x165Float = 0.9713816046714783

  func testMatchesReferenceOnEvenSize() throws {
    let clean = try ReferenceImages.unitImage(width: 192, height: 176, noisy: false)
    let noisy = try ReferenceImages.unitImage(width: 192, height: 176, noisy: true)
    let score = try ImageMetrics.msSSIM(clean, noisy)
    XCTAssertEqual(score, Self.msssimNoisy192x176, accuracy: Self.exactTolerance)
    XCTAssertEqual(score, Self.pytorchFloat32Noisy192x176, accuracy: Self.pytorchTolerance)
    // On 8-bit levels the float domain differs only by float32 storage of v / 255.
    XCTAssertEqual(try ImageMetrics.msSSIM(clean, noisy, in: .float), Self.msssimNoisy192x176, accuracy: 1e-8)
    XCTAssertEqual(try ImageMetrics.ssim(clean, noisy), Self.ssimNoisy192x176, accuracy: Self.exactTolerance)
  }

  func testMatchesReferenceOnOddSizes() throws {
    // 171x165 pools through odd sides (171 -> 86, 43 -> 22; 165 -> 83 -> 42,
    // 21 -> 11): exercises avg_pool2d's zero padding counted in the mean.
    let clean = try ReferenceImages.unitImage(width: 171, height: 165, noisy: false)
    let noisy = try ReferenceImages.unitImage(width: 171, height: 165, noisy: true)
    let score = try ImageMetrics.msSSIM(clean, noisy)
    XCTAssertEqual(score, Self.msssimNoisy171x165, accuracy: Self.exactTolerance)
    XCTAssertEqual(score, Self.pytorchFloat32Noisy171x165, accuracy: Self.pytorchTolerance)
    XCTAssertEqual(try ImageMetrics.ssim(clean, noisy), Self.ssimNoisy171x165, accuracy: Self.exactTolerance)
  }

  func testMatchesReferenceInBothDomainsOffGrid() throws {
    let clean = try ReferenceImages.unitImage(width: 171, height: 165, noisy: false)
    let offGrid = try ReferenceImages.offGridImage(width: 171, height: 165, noisy: true)
    let floatScore = try ImageMetrics.msSSIM(clean, offGrid, in: .float)
    XCTAssertEqual(floatScore, Self.msssimOffGrid171x165Float, accuracy: Self.exactTolerance)
    XCTAssertEqual(floatScore, Self.pytorchFloat32OffGrid171x165Float, accuracy: Self.pytorchTolerance)
    XCTAssertEqual(
      try ImageMetrics.ssim(clean, offGrid, in: .float), Self.ssimOffGrid171x165Float, accuracy: Self.exactTolerance)
    XCTAssertEqual(
      try ImageMetrics.msSSIM(clean, offGrid), Self.msssimOffGrid171x165Quantized, accuracy: Self.exactTolerance)
    XCTAssertEqual(
      try ImageMetrics.ssim(clean, offGrid), Self.ssimOffGrid171x165Quantized, accuracy: Self.exactTolerance)
  }

  func testIdenticalImagesScoreOne() throws {
    let (image, _) = try randomImage8(width: 200, height: 170, seed: 200)
    XCTAssertEqual(try ImageMetrics.msSSIM(image, image), 1, accuracy: 1e-12)
    XCTAssertEqual(try ImageMetrics.ssim(image, image), 1, accuracy: 1e-12)
  }

  func testNoiseLowersScoreMonotonically() throws {
    let clean = try ReferenceImages.unitImage(width: 192, height: 176, noisy: false)
    var previous = 1.0
    for amplitude: Float in [2, 8, 32, 96] {
      var rng = SplitMix64(seed: UInt64(amplitude))
      let noisy = try RGBImage(
        width: 192, height: 176,
        pixels: clean.pixels.map { $0 + Float.random(in: -amplitude...amplitude, using: &rng) / 255 })
      let score = try ImageMetrics.msSSIM(clean, noisy)
      XCTAssertLessThan(score, previous, "amplitude \(amplitude)")
      XCTAssertGreaterThan(score, 0.3, "amplitude \(amplitude)")
      previous = score
    }
    XCTAssertLessThan(previous, 0.9)
  }

  func testIsSymmetric() throws {
    let clean = try ReferenceImages.unitImage(width: 171, height: 165, noisy: false)
    let noisy = try ReferenceImages.unitImage(width: 171, height: 165, noisy: true)
    XCTAssertEqual(
      try ImageMetrics.msSSIM(clean, noisy), try ImageMetrics.msSSIM(noisy, clean), accuracy: 1e-12)
  }

  func testTooSmallImagesThrow() throws {
    let small = try RGBImage(width: 300, height: 160)
    assertImagingError(.imageTooSmall, mentioning: ["160", "300x160"]) { try ImageMetrics.msSSIM(small, small) }
    let minimal = try RGBImage(width: 161, height: 161, repeating: 0.5)
    XCTAssertEqual(try ImageMetrics.msSSIM(minimal, minimal), 1, accuracy: 1e-12)
    let tiny = try RGBImage(width: 10, height: 40)
    assertImagingError(.imageTooSmall) { try ImageMetrics.ssim(tiny, tiny) }
  }

  func testSizeMismatchThrows() throws {
    let a = try RGBImage(width: 200, height: 200)
    let b = try RGBImage(width: 200, height: 201)
    assertImagingError(.sizeMismatch) { try ImageMetrics.msSSIM(a, b) }
  }

  func testKodakSizedImageIsInRange() throws {
    // 768x512, the size of the Kodak images the benchmark evaluates.
    let (a, samples) = try randomImage8(width: 768, height: 512, seed: 768)
    var rng = SplitMix64(seed: 512)
    let distorted = samples.map { UInt8(clamping: Int($0) + Int.random(in: -6...6, using: &rng)) }
    let b = try RGBImage(width: 768, height: 512, interleavedRGB8: distorted)
    let score = try ImageMetrics.msSSIM(a, b)
    XCTAssertGreaterThan(score, 0.9)
    XCTAssertLessThan(score, 1)
  }
}
