import Compression
import Foundation
import Torch
import XCTest

@testable import Distillation

/// The start of a `lichen distill` run: student weights, objective, configuration, lineage and metadata.
final class DistillationSetupTests: XCTestCase {
  func weights(_ model: ScaleHyperprior) throws -> [[Float]] { try model.namedParameters().map { try $0.tensor.floats() } }

  /// `model` with every weight moved by seeded noise (so channels differ in importance), loaded as `source`.
  func perturbed(_ model: ScaleHyperprior, seed: UInt64, source: String) throws -> LoadedModel {
    try withNoGrad {
      for (_, p) in model.namedParameters() { try p.add_(Tensor.randn(p.shape, generator: Generator(seed: seed)) * 0.05) }
    }
    return LoadedModel(model: model, configuration: ModelConfiguration(architecture: .scaleHyperprior, n: model.n, m: model.m),
                       metadata: [:], source: source, weightsHash: 0)
  }

  func testScratchSelectAndInitFromStarts() throws {
    let teacher = try perturbed(ScaleHyperprior(n: 8, m: 12, seed: 21), seed: 5, source: "teacher")
    let scratch = try StudentFactory.student(for: teacher, n: 4, seed: 1)
    let before = try weights(scratch)
    let plain = try DistillationSetup(teacher: teacher, student: scratch, initialization: .scratch, initFrom: nil,
                                      weights: .standard, lambda: 0.01)
    XCTAssertEqual(try weights(scratch), before, "scratch keeps the student's weights")
    XCTAssertEqual(plain.configuration, ModelConfiguration(architecture: .scaleHyperprior, n: 4, m: 12))
    XCTAssertEqual(plain.lineage, [:])
    XCTAssertEqual(plain.metadata[MetadataKey.distillation], "\(DistillationObjective.Weights.standard.description) init=scratch")
    XCTAssertEqual(plain.metadata[TeacherLink.nameKey], "teacher")

    let selected = try StudentFactory.student(for: teacher, n: 4, seed: 1)
    _ = try DistillationSetup(teacher: teacher, student: selected, initialization: .select, initFrom: nil,
                              weights: .standard, lambda: 0.01)
    XCTAssertNotEqual(try weights(selected), before, "select copies the teacher's channels")

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-setup-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent("student.safetensors")
    try selected.update()
    try ModelStore.save(selected, config: plain.configuration, metadata: [MetadataKey.steps: "7"], to: file)
    let resumed = try StudentFactory.student(for: teacher, n: 4, seed: 2)
    let fromFile = try DistillationSetup(teacher: teacher, student: resumed, initialization: .scratch, initFrom: file.path,
                                         weights: .standard, lambda: 0.01)
    XCTAssertEqual(fromFile.lineage, [MetadataKey.initialModel: file.path, MetadataKey.initialSteps: "7"])
    XCTAssertTrue(fromFile.metadata[MetadataKey.distillation]?.hasSuffix("init=\(file.path)") == true)
  }

  /// `selectFrom`: the student takes its channels from a wider model of the same M (here an N=6 student of
  /// the N=8 teacher), exactly as selecting from that model directly would; misuse is refused by name.
  func testSelectFromAWiderStudent() throws {
    let teacher = try perturbed(ScaleHyperprior(n: 8, m: 12, seed: 21), seed: 5, source: "teacher")
    let wide = try StudentFactory.student(for: teacher, n: 6, seed: 3)
    let source = try perturbed(wide, seed: 6, source: "wide-student")

    let student = try StudentFactory.student(for: teacher, n: 4, seed: 1)
    let setup = try DistillationSetup(teacher: teacher, student: student, initialization: .select, initFrom: nil,
                                      selectFrom: source, weights: .standard, lambda: 0.01)
    let direct = try StudentFactory.student(for: teacher, n: 4, seed: 2)
    try ChannelSelection.initialize(direct, from: wide)
    XCTAssertEqual(try weights(student), try weights(direct), "the channels come from the wider model")
    let fromTeacher = try StudentFactory.student(for: teacher, n: 4, seed: 2)
    try ChannelSelection.initialize(fromTeacher, from: XCTUnwrap(teacher.model as? ScaleHyperprior))
    XCTAssertNotEqual(try weights(student), try weights(fromTeacher))
    XCTAssertTrue(setup.metadata[MetadataKey.distillation]?.hasSuffix("init=select select-from=wide-student") == true)

    func refused(_ initialization: StudentInitialization, n: Int, weights: DistillationObjective.Weights,
                 containing text: String, line: UInt = #line) throws {
      let student = try StudentFactory.student(for: teacher, n: n, seed: 1)
      XCTAssertThrowsError(try DistillationSetup(teacher: teacher, student: student, initialization: initialization,
                                                 initFrom: nil, selectFrom: source, weights: weights, lambda: 0.01),
                           line: line) { XCTAssertTrue("\($0)".contains(text), "\($0)", line: line) }
    }
    try refused(.scratch, n: 4, weights: .standard, containing: "needs --initialization select")
    try refused(.select, n: 7, weights: .standard, containing: "N >= 7")
    var withHyperLatent = DistillationObjective.Weights.standard
    withHyperLatent.hyperLatent = 0.1
    try refused(.select, n: 4, weights: withHyperLatent, containing: "hyper-latent term")
  }
}
