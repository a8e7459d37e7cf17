import Foundation

/// One measurement, printed as one JSON line.
struct BenchRecord: Encodable {
  var suite: String
  var `case`: String
  var value: Double
  var unit: String
  var peer: String?
  var peerValue: Double?
  var ratio: Double?
  var threads: Int?
  var note: String?

  enum CodingKeys: String, CodingKey {
    case suite, `case`, value, unit, peer, threads, note
    case peerValue = "peer_value"
    case ratio
  }

  func printLine() {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    if let data = try? encoder.encode(self), let line = String(data: data, encoding: .utf8) {
      FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
  }
}

/// Median wall time of `repeats` runs after one warm-up.
func medianSeconds(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
  try body()
  var samples: [Double] = []
  for _ in 0..<max(1, repeats) {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  samples.sort()
  return samples[samples.count / 2]
}

/// Median seconds of `a` and of `b`, timed alternately (a, b, a, b, ...) after one warm-up each, so that a
/// machine whose speed drifts during the run weighs on both alike.
func pairedMedianSeconds(repeats: Int, _ a: () throws -> Void, _ b: () throws -> Void) rethrows -> (Double, Double) {
  try a()
  try b()
  var samples: ([Double], [Double]) = ([], [])
  func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  }
  for _ in 0..<max(1, repeats) {
    samples.0.append(try time(a))
    samples.1.append(try time(b))
  }
  samples.0.sort()
  samples.1.sort()
  return (samples.0[samples.0.count / 2], samples.1[samples.1.count / 2])
}

/// Runs a peer script with Debian's python3 and parses its JSON lines by case name.
func runPeer(
  script: String, arguments: [String], python: String = "/usr/bin/python3", environment: [String: String] = [:]
) -> [String: Double] {
  guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.fileExists(atPath: script) else {
    FileHandle.standardError.write(Data("peer skipped: \(python) or \(script) missing\n".utf8))
    return [:]
  }
  let process = Process()
  process.executableURL = URL(fileURLWithPath: python)
  process.arguments = [script] + arguments
  if !environment.isEmpty {
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
  }
  let pipe = Pipe()
  process.standardOutput = pipe
  do {
    try process.run()
  } catch {
    FileHandle.standardError.write(Data("peer failed to start: \(error)\n".utf8))
    return [:]
  }
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  var result: [String: Double] = [:]
  for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
      let name = object["case"] as? String, let seconds = object["seconds"] as? Double
    else { continue }
    result[name] = seconds
  }
  return result
}

/// The repository root, found from this source file (benchmarks run from a checkout).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
