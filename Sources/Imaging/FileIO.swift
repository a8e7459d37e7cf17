#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Whole-file reads and atomic writes over POSIX calls, reporting failures
/// as ``ImagingError`` with the path and `strerror` text.
public enum FileIO {
  /// Reads the whole regular file at `path`: a missing file, a directory, a
  /// device or an unreadable file is an ``ImagingError`` naming the path.
  public static func readAll(path: String) throws(ImagingError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else {
      let code = errno
      throw ImagingError(
        code == ENOENT ? .fileNotFound : .unreadableFile, source: path,
        message: code == ENOENT ? "file not found" : "cannot open file (\(errorText(code)))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else {
      throw ImagingError(.unreadableFile, source: path, message: "cannot stat file (\(errorText(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw ImagingError(.unreadableFile, source: path, message: "not a regular file")
    }
    let expected = Int(info.st_size)
    var bytes = [UInt8](repeating: 0, count: max(expected, 0))
    var filled = 0
    // Read until EOF; tolerate files that change size while being read.
    while true {
      if filled == bytes.count {
        bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count / 2)))
      }
      let count = bytes.withUnsafeMutableBytes { buffer -> Int in
        guard let base = buffer.baseAddress else { return 0 }
        return read(fd, base + filled, buffer.count - filled)
      }
      if count < 0 {
        let code = errno
        if code == EINTR { continue }
        throw ImagingError(.unreadableFile, source: path, message: "read failed (\(errorText(code)))")
      }
      if count == 0 { break }
      filled += count
    }
    bytes.removeSubrange(filled...)
    return bytes
  }

  /// Writes `bytes` to `path` atomically: the data goes to a uniquely named
  /// temporary file in the same directory, is flushed to disk, and is then
  /// renamed over `path`. On any failure the temporary file is removed and an
  /// existing file at `path` is left untouched.
  public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ImagingError) {
    let (directory, name) = split(path)
    guard !name.isEmpty else {
      throw ImagingError(.writeFailed, source: path, message: "destination is not a file name")
    }
    var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { buffer -> Int32 in
      guard let base = buffer.baseAddress else { return -1 }
      return mkstemp(base)
    }
    guard fd >= 0 else {
      throw ImagingError(
        .writeFailed, source: path, message: "cannot create a temporary file in \(directory) (\(errorText(errno)))")
    }
    let temporaryPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var closed = false
    var renamed = false
    defer {
      if !closed { close(fd) }
      if !renamed { unlink(temporaryPath) }
    }
    // mkstemp creates mode 0600; use the usual 0666 & ~umask instead.
    let mask = umask(0)
    umask(mask)
    fchmod(fd, 0o666 & ~mask)

    var written = 0
    while written < bytes.count {
      let count = bytes.withUnsafeBytes { buffer -> Int in
        guard let base = buffer.baseAddress else { return 0 }
        return write(fd, base + written, buffer.count - written)
      }
      if count < 0 {
        let code = errno
        if code == EINTR { continue }
        throw ImagingError(.writeFailed, source: path, message: "write failed (\(errorText(code)))")
      }
      written += count
    }
    guard fsync(fd) == 0 else {
      throw ImagingError(.writeFailed, source: path, message: "fsync failed (\(errorText(errno)))")
    }
    closed = true
    guard close(fd) == 0 else {
      throw ImagingError(.writeFailed, source: path, message: "close failed (\(errorText(errno)))")
    }
    guard rename(temporaryPath, path) == 0 else {
      throw ImagingError(.writeFailed, source: path, message: "cannot rename temporary file into place (\(errorText(errno)))")
    }
    renamed = true
  }

  /// Splits a path into its directory (`.` when there is none) and last
  /// component.
  static func split(_ path: String) -> (directory: String, name: String) {
    guard let slash = path.lastIndex(of: "/") else { return (".", path) }
    let directory = String(path[..<slash])
    let name = String(path[path.index(after: slash)...])
    return (directory.isEmpty ? "/" : directory, name)
  }

  static func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
  }
}
