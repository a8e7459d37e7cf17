import Foundation
import XCTest
@testable import Compression
import Torch

/// The registry's Kodak numbers are the measured ones: every bundled float
/// model has a row, and each row equals the mean of the `lichen eval` file it
/// names, so a re-evaluation that forgets to refresh the table fails here.
final class ModelRegistryTests: XCTestCase {
  let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  func testEveryBundledModelIsPresentAndMeasured() throws {
    XCTAssertNotNil(ModelRegistry.entry(named: ModelRegistry.defaultName))
    for entry in ModelRegistry.entries + ModelRegistry.integerEntries {
      XCTAssertNoThrow(try entry.url(), entry.name)
      let kodak = try XCTUnwrap(entry.kodak, "\(entry.name) has no Kodak row in kodak-rd.json")
      XCTAssertEqual(kodak.images, 24, entry.name)
      XCTAssertTrue(entry.summary.contains(String(format: "Kodak %.3f bpp", kodak.bpp)), entry.summary)
    }
  }

  func testKodakRowsMatchTheirEvaluationFiles() throws {
    struct Evaluation: Decodable {
      struct Mean: Decodable { var bpp: Double; var psnr: Double; var ms_ssim: Double }
      var mean: Mean
      var images: [Mean]
    }
    for entry in ModelRegistry.entries + ModelRegistry.integerEntries {
      let kodak = try XCTUnwrap(entry.kodak, entry.name)
      let url = repositoryRoot.appendingPathComponent(kodak.evaluation)
      let evaluation = try JSONDecoder().decode(Evaluation.self, from: Data(contentsOf: url))
      XCTAssertEqual(kodak.bpp, evaluation.mean.bpp, accuracy: 5e-5, entry.name)
      XCTAssertEqual(kodak.psnr, evaluation.mean.psnr, accuracy: 5e-4, entry.name)
      XCTAssertEqual(kodak.msSSIM, evaluation.mean.ms_ssim, accuracy: 5e-5, entry.name)
      XCTAssertEqual(kodak.images, evaluation.images.count, entry.name)
    }
  }

  /// Every bundled float model has an integer version, made from exactly these float weights, so that
  /// `--engine auto` never silently runs an integer model of older weights.
  func testEveryIntegerModelWasQuantizedFromItsBundledFloatModel() throws {
    for float in ModelRegistry.entries {
      let integer = try XCTUnwrap(ModelRegistry.integerVersion(of: float.name), "\(float.name) has no integer version")
      let metadata = try SafeTensors.readMetadata(from: try integer.url())
      let loaded = try ModelStore.load(float.name)
      XCTAssertEqual(metadata[MetadataKey.floatHash], String(format: "%016llx", loaded.weightsHash),
                     "\(integer.name) was quantized from other weights than the bundled \(float.name)")
      XCTAssertEqual(metadata[MetadataKey.floatModel], float.name, integer.name)
    }
  }

  /// A student records its teacher's weights hash; the registry tells whether it still belongs to the bundled teacher.
  func testTeacherLinkTellsWhetherAStudentBelongsToTheBundledTeacher() throws {
    let teacher = try ModelStore.load("hyperprior-q4")
    let metadata = TeacherLink.metadata(for: teacher)
    XCTAssertEqual(metadata[TeacherLink.stepsKey], teacher.metadata["steps"])
    let link = try XCTUnwrap(TeacherLink(metadata: metadata))
    XCTAssertEqual(link.weightsHash, teacher.weightsHash)
    XCTAssertNil(link.mismatchWithBundledTeacher(), "distilled from the bundled teacher")
    var other = link
    other.weightsHash = teacher.weightsHash ^ 1
    XCTAssertNotNil(other.mismatchWithBundledTeacher()?.range(of: "not the bundled one"))
    var unrecorded = link
    unrecorded.weightsHash = nil
    XCTAssertNotNil(unrecorded.mismatchWithBundledTeacher())
    XCTAssertNil(TeacherLink(metadata: ["lambda": "0.013"]), "a teacher is not a student")
    XCTAssertNil(TeacherLink.warning(for: teacher))
  }
}
