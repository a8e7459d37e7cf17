import Foundation
import Imaging

#if canImport(Glibc)
  import Glibc
#endif

/// `lichen-bench large-image`: `lichen compress` and `decompress` of square
/// photos of 1 to 64 Mpixel, each in its own process, timed and with the
/// process's peak resident memory (the kernel's `ru_maxrss` from `wait4`).
/// The photo is the sample kodim23 mirrored to the size, so it stays a natural image.
enum LargeImageSuite {
  static func run(threads: Int, sides: [Int], model: String?, engine: String) throws {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lichen")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
      throw BenchError("no lichen binary beside lichen-bench at \(binary.path): build the lichen product too")
    }
    let source = try PNGDecoder.read(fromFile: repositoryRoot.appendingPathComponent("samples/kodim23.png").path).image
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-large-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    for side in sides {
      let png = folder.appendingPathComponent("photo-\(side).png").path
      let lic = folder.appendingPathComponent("photo-\(side).lic").path
      let decoded = folder.appendingPathComponent("decoded-\(side).png").path
      let original = try mirrored(source, width: side, height: side)
      try PNGEncoder.write(original, toFile: png)
      let megapixels = Double(side * side) / 1e6
      let modelArguments = (model.map { ["--model", $0] } ?? []) + ["--engine", engine]
      let encode = try measure(binary, ["compress", png, "-o", lic, "--threads", String(threads)] + modelArguments)
      let decode = try measure(binary, ["decompress", lic, "-o", decoded, "--threads", String(threads)] + modelArguments)
      let bytes = (try FileManager.default.attributesOfItem(atPath: lic)[.size] as? Int) ?? 0
      let psnr = try ImageMetrics.psnr(original, try PNGDecoder.read(fromFile: decoded).image)
      let note = String(format: "%dx%d (%.1f Mpixel), %.4f bpp, PSNR %.2f dB, engine %@", side, side, megapixels,
                        Double(bytes * 8) / Double(side * side), psnr, engine)
      for (name, result) in [("compress", encode), ("decompress", decode)] {
        BenchRecord(suite: "large-image", case: "\(name) \(side)x\(side) \(engine) peak RSS", value: result.peakMegabytes,
                    unit: "MB", threads: threads, note: note).printLine()
        BenchRecord(suite: "large-image", case: "\(name) \(side)x\(side) \(engine) time", value: result.seconds, unit: "s",
                    threads: threads, note: note).printLine()
      }
      for path in [png, lic, decoded] { try? FileManager.default.removeItem(atPath: path) }
    }
  }

  /// `image` repeated by mirroring (no seams) to `width` x `height`.
  static func mirrored(_ image: RGBImage, width: Int, height: Int) throws -> RGBImage {
    var pixels = [Float](repeating: 0, count: 3 * width * height)
    func fold(_ v: Int, _ n: Int) -> Int {
      let period = 2 * n, m = v % period
      return m < n ? m : period - 1 - m
    }
    let columns = (0..<width).map { fold($0, image.width) }
    for c in 0..<3 {
      for y in 0..<height {
        let sy = fold(y, image.height), row = (c * height + y) * width
        for x in 0..<width { pixels[row + x] = image[channel: c, x: columns[x], y: sy] }
      }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
  }

  struct Measurement {
    var seconds: Double
    var peakMegabytes: Double
  }

  /// Runs `binary arguments` to completion; throws unless it exits 0.
  static func measure(_ binary: URL, _ arguments: [String]) throws -> Measurement {
    let argv = ([binary.path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    // The child's own report goes to /dev/null: this suite's stdout is JSON lines only.
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let start = DispatchTime.now().uptimeNanoseconds
    let spawned = posix_spawn(&pid, binary.path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(binary.path): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 {
      guard errno == EINTR else { throw BenchError("wait4 failed: \(String(cString: strerror(errno)))") }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    // WIFEXITED / WEXITSTATUS, spelled out (the C macros are not imported).
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
      throw BenchError("lichen \(arguments.joined(separator: " ")) failed (wait status \(status))")
    }
    return Measurement(seconds: seconds, peakMegabytes: Double(usage.ru_maxrss) / 1024)
  }
}

struct BenchError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
