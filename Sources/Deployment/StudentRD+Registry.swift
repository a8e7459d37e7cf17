import Foundation
import Compression
import Hardware
import Torch

/// Students bundled in the model registry, as the dimensioning table reads them.
extension StudentRD {
  /// The registry name of the N=`n` student of `teacher` ("hyperprior-q3" or its integer version
  /// "hyperprior-q3-hybrid" -> "hyperprior-q3-n64").
  public static func registryStudent(of teacher: String, n: Int) -> String {
    "\(ModelRegistry.entry(named: teacher)?.quantizedFrom ?? teacher)-n\(n)"
  }

  /// Registry students of `teacher` (`registryStudent(of:n:)`) and their measured Kodak bpp / dB: the
  /// student's bundled integer version quantized with `scheme` when there is one (the bits the board runs),
  /// else the float student.
  public static func registry(teacher: String, widths: [Int], scheme: String) -> StudentRD {
    var result = StudentRD()
    for n in widths {
      let name = registryStudent(of: teacher, n: n)
      let integer = ModelRegistry.availableIntegers.first { entry in
        entry.quantizedFrom == name && entry.kodakBPP != nil
          && (try? SafeTensors.readMetadata(from: entry.url()))?[MetadataKey.scheme] == scheme
      }
      if let integer {
        result.byWidth[n] = Entry(bpp: integer.kodakBPP, psnr: integer.kodakPSNR, bdRateVsTeacher: nil,
                                  source: "registry \(integer.name)")
        continue
      }
      guard let entry = ModelRegistry.entry(named: name), entry.kodakBPP != nil else { continue }
      result.byWidth[n] = Entry(bpp: entry.kodakBPP, psnr: entry.kodakPSNR, bdRateVsTeacher: nil,
                                source: "registry \(entry.name)")
    }
    return result
  }

  /// The RD columns of a dimensioning table for `teacher`'s students: a distill-sweep result (`sweep(file:lambda:)`
  /// at the teacher's recorded lambda) when `sweepFile` is given, else the registry's students quantized with the
  /// scheme the table plans (`registry(teacher:widths:scheme:)`).
  /// - Parameter scheme: the scheme asked for; nil: the teacher's recorded scheme, else the default.
  /// - Returns: the students' RD and, for registry students only, `registryWarnings(teacher:widths:)`.
  /// - Throws: `HardwareError` for a sweep file that cannot be read or does not parse.
  public static func forDimensioning(
    sweepFile: URL?, teacher: HardwareModel, widths: [Int], scheme: String?
  ) throws -> (rd: StudentRD, warnings: [String]) {
    guard let sweepFile else {
      return (registry(teacher: teacher.source, widths: widths, scheme: teacher.studentScheme(scheme)),
              registryWarnings(teacher: teacher.source, widths: widths))
    }
    return (try sweep(file: sweepFile, lambda: teacher.metadata[MetadataKey.lambda].flatMap(Double.init)), [])
  }

  /// Warnings for registry students of `teacher` that were distilled from another teacher's weights
  /// (`TeacherLink.warning(forRegistryEntry:)`): their RD is not this teacher's student's.
  public static func registryWarnings(teacher: String, widths: [Int]) -> [String] {
    widths.compactMap { n in
      TeacherLink.warning(forRegistryEntry: registryStudent(of: teacher, n: n))
        .map { "\($0); its RD column is not this teacher's student" }
    }
  }
}
