import Compression
import Deployment
import Foundation
import Imaging
import XCTest

@testable import Hardware

/// What `fpga simulate`, `fpga export-hls` and `fpga dimension` call in Deployment.
final class DeploymentCommandsTests: XCTestCase {
  func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("lichen-deploy-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
  }

  func testSimulationWithoutAnImageIsTimingOnlyAndAFloatModelIsRefused() throws {
    let (integer, configuration) = try HLSExportTests.tinyIntegerModel()
    let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny", scheme: "hybrid",
                                     resolution: Resolution(width: 128, height: 64), part: .encoder)
    let plan = try Planner.plan(graph, board: try BoardCatalog.bundled()[0], unitCosts: try UnitCosts.bundled())
    let options = SimulationOptions(frames: 2, searchDepths: false)
    let timing = try PipelineSimulator.simulate(plan: plan, imagePath: nil, model: nil, options: options)
    XCTAssertNil(timing.bitIdentical)
    XCTAssertEqual(timing.text, try PipelineSimulator.simulate(plan: plan, model: nil, pixels: nil, imageName: nil,
                                                               options: options).text)
    XCTAssertThrowsError(try PipelineSimulator.simulate(plan: plan, imagePath: "x.png", model: "hyperprior-q4",
                                                        options: options)) {
      XCTAssertTrue("\($0)".contains("hyperprior-q4 is a float model"), "\($0)")
    }
    XCTAssertThrowsError(try PipelineSimulator.simulate(plan: plan, imagePath: "x.png", model: "/missing.safetensors",
                                                        options: options)) {
      XCTAssertTrue("\($0)".contains("cannot load the model /missing.safetensors"), "\($0)")
    }
  }

  func testExportWritesTheFullGraphOrThePlan() throws {
    let (integer, configuration) = try HLSExportTests.tinyIntegerModel()
    let loaded = HardwareModel(weights: .integer(integer), configuration: configuration, source: "tiny", metadata: [:])
    let graphFolder = try temporaryDirectory()
    let files = try HLSExport.write(integer, of: loaded, planFile: nil, resolution: "128x64", to: graphFolder)
    XCTAssertTrue(files.contains("design.json"))
    XCTAssertThrowsError(try HLSExport.write(integer, of: loaded, planFile: nil, resolution: "wide", to: graphFolder))
    let graph = try LayerGraph.build(integer: integer, configuration: configuration, source: "tiny", scheme: nil,
                                     resolution: Resolution(width: 128, height: 64), part: .encoder)
    let plan = try Planner.plan(graph, board: try BoardCatalog.bundled()[0], unitCosts: try UnitCosts.bundled())
    let planFile = graphFolder.appendingPathComponent("plan.json")
    try plan.write(to: planFile)
    let planFolder = try temporaryDirectory()
    XCTAssertEqual(try HLSExport.write(integer, of: loaded, planFile: planFile, resolution: "ignored", to: planFolder),
                   files)
  }

  func testRegistryWarningsNameOnlyStudentsOfAnotherTeacher() {
    let widths = [16, 32, 48, 64, 96, 128]
    let expected = widths.compactMap {
      TeacherLink.warning(forRegistryEntry: StudentRD.registryStudent(of: "hyperprior-q4", n: $0))
    }
    XCTAssertEqual(StudentRD.registryWarnings(teacher: "hyperprior-q4", widths: widths),
                   expected.map { $0 + "; its RD column is not this teacher's student" })
    XCTAssertEqual(StudentRD.registryWarnings(teacher: "no-such-teacher", widths: widths), [])
  }
}
