@testable import Imaging

/// Deterministic images shared with Fixtures/make_msssim_fixture.py. The
/// formulas are integer-only so Swift and Python produce identical pixels;
/// keep the two in sync.
enum ReferenceImages {
  /// 8-bit level of the clean pattern: rings, a ramp and a checkerboard.
  static func baseLevel(channel c: Int, x: Int, y: Int, width: Int, height: Int) -> Int {
    let (cx, cy) = (width / 2, height / 2)
    let rings = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 37
    let ramp = 3 * x / 2
    let checker = ((x / 16 + y / 16) % 2) * 40
    return (rings + ramp + c * 60 + checker) % 256
  }

  /// Deterministic pseudo-noise in -20...20.
  static func noise(channel c: Int, x: Int, y: Int) -> Int {
    let h = (x &* 73_856_093) ^ (y &* 19_349_663) ^ (c &* 83_492_791)
    return h % 41 - 20
  }

  /// Planar 8-bit levels, CHW.
  static func levels(width: Int, height: Int, noisy: Bool) -> [Int] {
    var out = [Int](repeating: 0, count: 3 * width * height)
    for c in 0..<3 {
      for y in 0..<height {
        for x in 0..<width {
          var v = baseLevel(channel: c, x: x, y: y, width: width, height: height)
          if noisy { v = min(max(v + noise(channel: c, x: x, y: y), 0), 255) }
          out[(c * height + y) * width + x] = v
        }
      }
    }
    return out
  }

  /// `v / 255`, as RGBImage(interleavedRGB8:) stores it.
  static func unitImage(width: Int, height: Int, noisy: Bool) throws -> RGBImage {
    let pixels = levels(width: width, height: height, noisy: noisy).map { Float($0) / 255 }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  /// `(4 v + 1) / 1024`: exact in Float and never on an 8-bit level.
  static func offGridImage(width: Int, height: Int, noisy: Bool) throws -> RGBImage {
    let pixels = levels(width: width, height: height, noisy: noisy).map { Float(4 * $0 + 1) / 1024 }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }
}
