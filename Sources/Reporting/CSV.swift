/// CSV text as spreadsheets read it (RFC 4180).
public enum CSV {
  /// The field, quoted when it holds a comma, a quote or a line break (quotes doubled).
  public static func field(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
