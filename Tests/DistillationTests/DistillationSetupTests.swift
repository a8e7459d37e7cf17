import Compression
import Foundation
import Torch
import XCTest

@testable import Distillation

/// The start of a `lichen distill` run: student weights, objective, configuration, lineage and metadata.
final class DistillationSetupTests: XCTestCase {
  func weights(_ model: ScaleHyperprior) throws -> [[Float]] { try model.namedParameters().map { try $0.tensor.floats() } }

  func testScratchSelectAndInitFromStarts() throws {
    let model = try ScaleHyperprior(n: 8, m: 12, seed: 21)
    try withNoGrad {
      for (_, p) in model.namedParameters() { try p.add_(Tensor.randn(p.shape, generator: Generator(seed: 5)) * 0.05) }
    }
    let teacher = LoadedModel(model: model, configuration: ModelConfiguration(architecture: .scaleHyperprior, n: 8, m: 12),
                              metadata: [:], source: "teacher", weightsHash: 0)
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
}
