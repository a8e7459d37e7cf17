import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes files so readers see either the old file or the complete new one.
///
/// A crash or full disk halfway through saving weights must not leave a
/// truncated file behind that later loads as garbage, so data goes to a
/// temporary file in the destination's directory, is flushed, then renamed
/// over the destination (rename is atomic within one file system).
enum AtomicFile {
  static func write(_ bytes: [UInt8], to url: URL) throws {
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard descriptor >= 0 else {
      throw ioError("cannot create temporary file \(temporary.path)", file: url)
    }
    var closed = false
    defer {
      if !closed { close(descriptor) }
    }
    do {
      try bytes.withUnsafeBytes { raw in
        var written = 0
        while written < raw.count {
          let result = posixWrite(descriptor, raw.baseAddress.map { $0 + written }, raw.count - written)
          if result < 0 {
            if errno == EINTR { continue }
            throw ioError("cannot write \(temporary.path)", file: url)
          }
          written += result
        }
      }
      guard fsync(descriptor) == 0 else { throw ioError("cannot flush \(temporary.path)", file: url) }
      closed = true
      guard close(descriptor) == 0 else { throw ioError("cannot close \(temporary.path)", file: url) }
      guard rename(temporary.path, url.path) == 0 else {
        throw ioError("cannot rename \(temporary.path) to \(url.lastPathComponent)", file: url)
      }
    } catch {
      unlink(temporary.path)
      throw error
    }
  }

  private static func ioError(_ message: String, file: URL) -> SerializationError {
    SerializationError(.io, "\(message): \(String(cString: strerror(errno)))", file: file.path)
  }
}

/// The libc `write`, named apart from Swift's own `write` functions in scope.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
  write(descriptor, buffer, count)
}
