import ArgumentParser
import Foundation
import Reporting
import XCTest

@testable import LichenCLI

/// The command line as a user meets it: the `lichen` binary built beside
/// this test bundle, run as a child process.
final class CLITests: XCTestCase {
  struct Outcome {
    var status: Int32
    var standardOutput: String
    var standardError: String
  }

  /// The `lichen` executable of this build (products folder of the test bundle).
  static func binary() throws -> URL {
    var candidates: [URL] = []
    for bundle in Bundle.allBundles + [Bundle.main] {
      candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("lichen"))
    }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lichen"))
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
      throw XCTSkip("no lichen binary beside the test bundle (build with `swift build --build-tests`)")
    }
    return found
  }

  static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Outcome {
    let process = Process()
    process.executableURL = try binary()
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment["OMP_NUM_THREADS"] = "1"
    environment.merge(extra) { _, new in new }
    process.environment = environment
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
                   standardError: String(decoding: errData, as: UTF8.self))
  }

  /// Every subcommand path (["compress"], ["watermark", "verify"], ...), from the command tree itself.
  static func commandPaths(_ command: ParsableCommand.Type = Lichen.self, prefix: [String] = []) -> [[String]] {
    var paths: [[String]] = []
    for sub in command.configuration.subcommands {
      let path = prefix + [sub._commandName]
      if sub.configuration.subcommands.isEmpty { paths.append(path) } else { paths += commandPaths(sub, prefix: path) }
    }
    return paths
  }

  func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }

  /// The sample photo shipped with the project.
  var sample: String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("samples/kodim23-crop.png").path
  }

  func testEverySubcommandHasHelpAndTakesThreads() throws {
    let paths = Self.commandPaths()
    XCTAssertGreaterThan(paths.count, 30)
    for path in paths {
      let outcome = try Self.run(path + ["--help"])
      XCTAssertEqual(outcome.status, 0, "\(path) --help: \(outcome.standardError)")
      XCTAssertTrue(outcome.standardOutput.contains("--threads"), "\(path.joined(separator: " ")) does not take --threads")
    }
  }

  /// Asserts a failing run: non-zero exit, one line on standard error naming the problem, no Foundation dump.
  func assertCleanError(_ arguments: [String], contains expected: String, file: StaticString = #filePath,
                        line: UInt = #line) throws {
    let outcome = try Self.run(arguments)
    XCTAssertNotEqual(outcome.status, 0, "\(arguments)", file: file, line: line)
    let lines = outcome.standardError.split(separator: "\n")
    XCTAssertEqual(lines.count, 1, "\(arguments): \(outcome.standardError)", file: file, line: line)
    XCTAssertTrue(outcome.standardError.contains(expected), "\(arguments): \(outcome.standardError)", file: file, line: line)
    for dump in ["NSCocoaErrorDomain", "Error Domain=", "UserInfo", "don’t have permission"] {
      XCTAssertFalse(outcome.standardError.contains(dump), "\(arguments): \(outcome.standardError)", file: file, line: line)
    }
  }

  func testBadInputsGiveOneLineErrorsAndNonZeroExits() throws {
    let dir = try temporaryDirectory()
    let lic = dir.appendingPathComponent("a.lic").path
    try assertCleanError(["compress", sample, "-o", "/nonexistent-folder/a.lic"], contains: "/nonexistent-folder")
    try assertCleanError(["decompress", "/dev/zero", "-o", dir.appendingPathComponent("z.png").path],
                         contains: "/dev/zero: not a regular file")
    try assertCleanError(["decompress", dir.path, "-o", dir.appendingPathComponent("d.png").path],
                         contains: "not a regular file")
    try assertCleanError(["compress", dir.path, "-o", lic], contains: "not a regular file")
    try assertCleanError(["compress", sample, "--model", "/missing.safetensors", "-o", lic],
                         contains: "model file not found: /missing.safetensors")
    try assertCleanError(["decompress", dir.appendingPathComponent("none.lic").path], contains: "file not found")
    try assertCleanError(["eval", "--data", "/nonexistent-folder"], contains: "image folder not found: /nonexistent-folder")
    try assertCleanError(["eval", "--data", sample], contains: "is not a folder of PNG images")
    let model = URL(fileURLWithPath: sample).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Sources/Compression/Zoo/Weights/hyperprior-q4-n32.safetensors").path
    try assertCleanError(["watermark", "verify", "--model", model, "--key", "/missing-key.json", "--message", "x"],
                         contains: "/missing-key.json")
    try assertCleanError(["watermark", "secrecy", "--model", model, "--key", "/missing-key.json"], contains: "/missing-key.json")
    let classifierKey = URL(fileURLWithPath: sample).deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("docs/results/watermarking/models/watermas-a30-half-normal-s1-key.json").path
    try assertCleanError(["watermark", "secrecy", "--model", model, "--key", classifierKey, "--data-batches", "2"],
                         contains: "not a Lichen classifier file")
    try assertCleanError(["watermark", "align-key", "--model", "/missing-model.safetensors", "--key", "/missing-key.json"],
                         contains: "/missing-model.safetensors")
    try assertCleanError(["watermark", "check-manifest", "/missing-manifest.json"], contains: "/missing-manifest.json: cannot be read")
    try assertCleanError(["classify", "export", "--model-file", "/missing-model.safetensors", "--out", dir.appendingPathComponent("x.safetensors").path],
                         contains: "/missing-model.safetensors")
    // Option values the parser refuses: its usage error (the message, then the usage lines), non-zero exit.
    for (flag, value) in [("--mixup", "0"), ("--cutmix", "nan")] {
      let outcome = try Self.run(["classify", "train", flag, value, "--out", dir.appendingPathComponent("run").path])
      XCTAssertNotEqual(outcome.status, 0)
      XCTAssertTrue(outcome.standardError.hasPrefix("Error: \(flag) must be a positive alpha"), outcome.standardError)
    }
    try assertCleanError(["watermark", "security", "--runs", "/nonexistent-folder"], contains: "/nonexistent-folder: not a readable folder")
    try assertCleanError(["watermark", "security", "--runs", dir.path], contains: "holds no finished marked run")
    try assertCleanError(["watermark", "robustness", "--runs", "/nonexistent-folder", "--out", dir.path],
                         contains: "/nonexistent-folder: not a readable folder")
    try assertCleanError(["watermark", "robustness", "--runs", dir.path, "--out", dir.path],
                         contains: "holds no marked run with a robustness.json")
    try assertCleanError(["watermark", "attack", "--model-file", model, "--key", "/missing-key.json", "--message", "x",
                          "--attacks", "none,key-interception-shuffle"], contains: "unknown attack 'key-interception-shuffle'")
    try assertCleanError(["fpga", "dimension", "--teacher", "hyperprior-q4-n32", "--fps", "30", "--widths", "16",
                          "--bits-price", "/missing-table.csv"], contains: "cannot read BD-rate table /missing-table.csv")
    // A usage mistake: the problem on the first line, then ArgumentParser's usage, exit code 64.
    let usage = try Self.run(["compress", sample, "--threads", "0"])
    XCTAssertEqual(usage.status, 64)
    XCTAssertEqual(usage.standardError.split(separator: "\n").first, "Error: --threads must be at least 1")
  }

  func testRoundTripThroughTheEntryPoint() throws {
    let dir = try temporaryDirectory()
    let lic = dir.appendingPathComponent("a.lic").path, png = dir.appendingPathComponent("a.png").path
    let compress = try Self.run(["compress", sample, "-o", lic, "--threads", "1"])
    XCTAssertEqual(compress.status, 0, compress.standardError)
    let decompress = try Self.run(["decompress", lic, "-o", png, "--reference", sample, "--threads", "1"])
    XCTAssertEqual(decompress.status, 0, decompress.standardError)
    XCTAssertTrue(decompress.standardOutput.contains("PSNR"), decompress.standardOutput)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    XCTAssertEqual(files, ["a.lic", "a.png"], "no temporary files left behind")
  }

  /// The default model runs on the integer engine, so a file decodes to the same pixels on any machine:
  /// here another CPU is the portable kernel path forced, with another thread count.
  func testDefaultCodecIsTheIntegerEngineAndDecodesIdenticallyOnAnotherKernelPath() throws {
    let dir = try temporaryDirectory()
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    let compress = try Self.run(["compress", sample, "-o", path("a.lic"), "--threads", "2"])
    XCTAssertEqual(compress.status, 0, compress.standardError)
    XCTAssertTrue(compress.standardOutput.contains("(model hyperprior-q4-hybrid)"), compress.standardOutput)
    let portable = ["LICHEN_INTEGER_KERNEL": "fallback"]
    let again = try Self.run(["compress", sample, "-o", path("b.lic"), "--threads", "1"], environment: portable)
    XCTAssertEqual(again.status, 0, again.standardError)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.lic"))),
                   try Data(contentsOf: URL(fileURLWithPath: path("b.lic"))), "the encoder's bytes depend on the CPU path")
    let here = try Self.run(["decompress", path("a.lic"), "-o", path("here.png"), "--threads", "2"])
    let there = try Self.run(["decompress", path("a.lic"), "-o", path("there.png"), "--threads", "1"], environment: portable)
    XCTAssertEqual(here.status, 0, here.standardError)
    XCTAssertEqual(there.status, 0, there.standardError)
    XCTAssertTrue(there.standardOutput.contains("(model hyperprior-q4-hybrid)"), there.standardOutput)
    XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("here.png"))),
                   try Data(contentsOf: URL(fileURLWithPath: path("there.png"))), "decoded pixels depend on the CPU path")

    // --engine float still codes with the float model, and decompress finds it by the file's hash.
    let float = try Self.run(["compress", sample, "-o", path("f.lic"), "--engine", "float", "--threads", "1"])
    XCTAssertEqual(float.status, 0, float.standardError)
    XCTAssertTrue(float.standardOutput.contains("(model hyperprior-q4)"), float.standardOutput)
    for arguments in [[], ["--model", "hyperprior-q4"]] {
      let decoded = try Self.run(["decompress", path("f.lic"), "-o", path("f.png"), "--threads", "1"] + arguments)
      XCTAssertEqual(decoded.status, 0, decoded.standardError)
      XCTAssertTrue(decoded.standardOutput.contains("(model hyperprior-q4)"), decoded.standardOutput)
    }
    let refused = try Self.run(["decompress", path("a.lic"), "-o", path("x.png"), "--engine", "float", "--threads", "1"])
    XCTAssertEqual(refused.status, 1)
    XCTAssertTrue(refused.standardError.contains("no bundled float model made this file"), refused.standardError)
  }

  func testErrorMessagesAreOneLine() {
    let error = NSError(domain: NSCocoaErrorDomain, code: CocoaError.Code.fileNoSuchFile.rawValue,
                        userInfo: [NSFilePathErrorKey: "/x/y.lic",
                                   NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOENT))])
    XCTAssertEqual(ErrorReporting.message(for: error), "/x/y.lic: No such file or directory")
    XCTAssertNil(ErrorReporting.message(for: ValidationError("usage")))
    XCTAssertEqual(ErrorMessage.oneLine("a\n  b\n"), "a b")
  }
}
