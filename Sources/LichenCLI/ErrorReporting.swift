import ArgumentParser
import Foundation

/// The one place that turns an error into what the user sees: a single line
/// on standard error and a non-zero exit code. Command-line mistakes keep
/// ArgumentParser's usage text and exit code 64; everything else exits 1
/// with one line, Foundation's file errors included (rendered as the path
/// and the system's reason instead of an `NSError` dump).
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

  /// One line for errors this layer renders itself; nil for ArgumentParser's own
  /// (help, version, usage errors, explicit exit codes), which it prints itself.
  static func message(for error: Error) -> String? {
    if error is CleanExit || error is ValidationError || error is ExitCode { return nil }
    let nsError = error as NSError
    if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain {
      return fileMessage(nsError)
    }
    if String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") { return nil }
    return oneLine(String(describing: error))
  }

  /// "PATH: reason" for a Foundation file error, with the system's reason where it gave one.
  static func fileMessage(_ error: NSError) -> String {
    let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(underlying.code)))
    } else if error.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(error.code)))
    } else {
      switch CocoaError.Code(rawValue: error.code) {
      case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or directory"
      case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
      case .fileWriteOutOfSpace: reason = "no space left on the device"
      case .fileWriteVolumeReadOnly: reason = "read-only file system"
      case .fileReadCorruptFile: reason = "the file is not in the expected format"
      case .fileReadInapplicableStringEncoding: reason = "the file is not valid UTF-8 text"
      default: reason = error.localizedDescription
      }
    }
    let isWrite = (CocoaError.Code.fileWriteUnknown.rawValue...CocoaError.Code.fileWriteVolumeReadOnly.rawValue + 100)
      .contains(error.code)
    if isWrite { reason = "cannot write: " + reason }
    return oneLine(path.map { "\($0): \(reason)" } ?? reason)
  }

  /// Joins a message's lines so it stays one line.
  static func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
  }
}
