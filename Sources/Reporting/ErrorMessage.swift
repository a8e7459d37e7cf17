import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Errors as one line a person reads: Foundation's file errors as the path and the system's reason
/// instead of an `NSError` dump, anything else as its description joined onto one line. Every front
/// end (the command line, scripts) reports errors the same way.
public enum ErrorMessage {
  /// One line for `error`.
  /// - Parameter error: any error; Foundation file errors (Cocoa or POSIX domain) get `file(_:)`.
  /// - Returns: the line, without a trailing newline.
  public static func line(for error: Error) -> String {
    let nsError = error as NSError
    if nsError.domain == NSCocoaErrorDomain || nsError.domain == NSPOSIXErrorDomain { return file(nsError) }
    return oneLine(String(describing: error))
  }

  /// "PATH: reason" for a Foundation file error, with the system's reason where it gave one.
  /// - Parameter error: an error of the Cocoa or POSIX domain.
  /// - Returns: the path (when the error names one) and the reason, "cannot write: " first for a write error.
  public static func file(_ error: NSError) -> String {
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
  /// - Parameter text: a message, possibly over several lines.
  /// - Returns: its lines trimmed and joined with single spaces.
  public static func oneLine(_ text: String) -> String {
    text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
  }
}
