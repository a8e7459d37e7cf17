import Foundation

/// The JSON layout of every report, key and manifest Lichen writes: pretty-printed with sorted keys, so
/// files diff cleanly and the same value always gives the same bytes.
public enum PrettyJSON {
  /// - Returns: `value` encoded pretty-printed with sorted keys.
  public static func encode<Value: Encodable>(_ value: Value) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return try encoder.encode(value)
  }

  /// Writes `encode(value)` to `url` atomically (a temporary file, then a rename: readers never see
  /// half a file).
  public static func write<Value: Encodable>(_ value: Value, to url: URL) throws {
    try encode(value).write(to: url, options: .atomic)
  }
}
