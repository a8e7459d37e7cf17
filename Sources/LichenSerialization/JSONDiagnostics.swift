import Foundation

/// One-line diagnostics for JSON the tools read (keys, plans, board
/// catalogs, sweep files, integer model structures): the field a decoding
/// error is about instead of `DecodingError`'s multi-line dump.
public enum JSONDiagnostics {
  /// `text` in quotes with escapes (at most 60 characters): strings read from a file are echoed on one line.
  public static func quoted(_ text: String) -> String {
    String(reflecting: text.count > 60 ? String(text.prefix(60)) + "..." : text)
  }

  /// One line naming the JSON field a decoding error is about ("positions[3].index: expected Int"),
  /// instead of `DecodingError`'s multi-line dump. Foundation reports a number that does not fit its
  /// field (1.5 or 2^63 for an Int, -1 for a UInt64) as invalid JSON with no path; `retry` (decoding
  /// `data` again) lets `locateJSONProblem` find that field.
  public static func describe(_ error: any Error, data: Data, retry: (Data) throws -> Void) -> String {
    guard let error = error as? DecodingError else { return oneLine("\(error)") }
    switch error {
    case .typeMismatch(let type, let context):
      let more = oneLine(context.debugDescription)
      return "\(jsonPath(context.codingPath)): expected \(type)" + (more.hasPrefix("Expected to decode") || more.isEmpty ? "" : " (\(more))")
    case .valueNotFound(let type, let context):
      return "\(jsonPath(context.codingPath)): expected \(type), found null"
    case .keyNotFound(let key, let context):
      return "\(jsonPath(context.codingPath + [key])): missing"
    case .dataCorrupted(let context):
      if context.codingPath.isEmpty, let located = locateJSONProblem(data, retry: retry) { return located }
      return "\(jsonPath(context.codingPath)): \(oneLine(context.debugDescription))"
    @unknown default:
      return oneLine("\(error)")
    }
  }

  private static func oneLine(_ text: String) -> String { text.split(whereSeparator: \.isNewline).joined(separator: " ") }

  /// "positions[3].index" for a coding path ("magnitudes[\"0.weight\"]" for a key that is no identifier);
  /// "top level" for the root.
  private static func jsonPath(_ codingPath: [any CodingKey]) -> String {
    jsonPath(codingPath.map { key in
      if let index = key.intValue, key.stringValue == "Index \(index)" { return .index(index) }  // an array element
      return .key(key.stringValue)
    })
  }

  private enum JSONPathStep { case key(String), index(Int) }

  private static func jsonPath(_ steps: [JSONPathStep]) -> String {
    var text = ""
    for step in steps {
      switch step {
      case .index(let i): text += "[\(i)]"
      case .key(let key):
        let identifier = key.first.map { $0.isLetter || $0 == "_" } == true && key.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
        text += identifier ? (text.isEmpty ? key : "." + key) : "[\(quoted(key))]"
      }
    }
    return text.isEmpty ? "top level" : text
  }

  /// Why Foundation called `data` invalid JSON: a number no Double holds (1e400), its syntax error, or
  /// the first number (of at most 16 that no Int64, or no UInt64, holds) whose replacement by 0 lets
  /// `retry` get past it.
  private static func locateJSONProblem(_ data: Data, retry: (Data) throws -> Void) -> String? {
    typealias Step = JSONPathStep
    func name(_ path: [Step]) -> String { jsonPath(path) }
    let root: Any
    do { root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
      // The first number literal outside strings that is not a finite Double becomes a marker string, whose path is its field.
      let bytes = [UInt8](data), marker = "\u{1}"
      var at = 0, inString = false
      while at < bytes.count {
        let byte = bytes[at]
        if inString {
          if byte == UInt8(ascii: "\\") { at += 1 } else if byte == UInt8(ascii: "\"") { inString = false }
          at += 1
          continue
        }
        if byte == UInt8(ascii: "\"") { inString = true; at += 1; continue }
        guard byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { at += 1; continue }
        var end = at
        while end < bytes.count, "+-.eE0123456789".utf8.contains(bytes[end]) { end += 1 }
        let literal = String(decoding: bytes[at..<end], as: UTF8.self)
        if Double(literal)?.isFinite != true {
          var marked = bytes
          marked.replaceSubrange(at..<end, with: Array("\"\\u0001\"".utf8))
          func find(_ value: Any, _ path: [Step]) -> [Step]? {
            if let text = value as? String { return text == marker ? path : nil }
            if let array = value as? [Any] {
              for (i, item) in array.enumerated() { if let found = find(item, path + [.index(i)]) { return found } }
            } else if let object = value as? [String: Any] {
              for (key, item) in object { if let found = find(item, path + [.key(key)]) { return found } }
            }
            return nil
          }
          if let tree = try? JSONSerialization.jsonObject(with: Data(marked), options: [.fragmentsAllowed]), let path = find(tree, []) {
            return "\(name(path)): the number \(literal.prefix(40)) is not representable"
          }
          break
        }
        at = end
      }
      return "not valid JSON: " + oneLine((error as NSError).userInfo[NSDebugDescriptionErrorKey].map { "\($0)" } ?? "\(error)")
    }
    // Suspects by how few integer types hold them: not an Int64, not an Int32, negative (a UInt64).
    var suspects: [[([Step], String)]] = [[], [], []]
    func collect(_ value: Any, _ path: [Step]) {
      if let array = value as? [Any] {
        for (i, item) in array.enumerated() { collect(item, path + [.index(i)]) }
      } else if let object = value as? [String: Any] {
        for (key, item) in object.sorted(by: { $0.key < $1.key }) { collect(item, path + [.key(key)]) }
      } else if let number = value as? NSNumber, !(value is Bool), String(cString: number.objCType) != "c" {
        let literal = number.stringValue
        if let v = Int64(literal) {
          if Int32(exactly: v) == nil { suspects[1].append((path, literal)) } else if v < 0 { suspects[2].append((path, literal)) }
        } else {
          suspects[0].append((path, literal))
        }
      }
    }
    collect(root, [])
    func replacing(_ value: Any, _ path: ArraySlice<Step>) -> Any {
      switch path.first {
      case nil: return 0
      case .index(let i)?:
        guard var array = value as? [Any], array.indices.contains(i) else { return value }
        array[i] = replacing(array[i], path.dropFirst())
        return array
      case .key(let key)?:
        guard var object = value as? [String: Any], let item = object[key] else { return value }
        object[key] = replacing(item, path.dropFirst())
        return object
      }
    }
    for (path, literal) in suspects.joined().prefix(16) {
      guard let probe = try? JSONSerialization.data(withJSONObject: replacing(root, path[...]), options: [.fragmentsAllowed]) else { continue }
      do { try retry(probe) } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty { continue } catch {}
      return "\(name(path)): the number \(literal.prefix(40)) does not fit this field's type"
    }
    return nil
  }
}
