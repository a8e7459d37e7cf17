import ArgumentParser
import Foundation
import Reporting

/// The one place that turns an error into what the user sees: a single line
/// on standard error and a non-zero exit code. Command-line mistakes keep
/// ArgumentParser's usage text and exit code 64; everything else exits 1
/// with one line, Foundation's file errors included (`ErrorMessage`).
enum ErrorReporting {
  /// Runs the command line and exits; never returns.
  static func main(_ arguments: [String]? = nil) -> Never {
    do {
      var command = try Lichen.parseAsRoot(arguments)
      try (command as? any GlobalOptionsCommand)?.global.apply()
      try command.run()
      Lichen.exit()
    } catch {
      guard let message = message(for: error) else { Lichen.exit(withError: error) }
      FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
      Foundation.exit(1)
    }
  }

  /// One line for errors this layer renders itself (`ErrorMessage.line(for:)`); nil for ArgumentParser's own
  /// (help, version, usage errors, explicit exit codes), which it prints itself.
  static func message(for error: Error) -> String? {
    if error is CleanExit || error is ValidationError || error is ExitCode { return nil }
    if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return nil }
    return ErrorMessage.line(for: error)
  }
}
