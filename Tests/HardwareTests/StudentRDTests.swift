import Compression
import Deployment
import XCTest

@testable import Hardware

/// `fpga dimension` takes each width's RD from the registry: the student's bundled integer version made with
/// the bits the board runs (hybrid, int8-s16), the float student otherwise, whichever form of the teacher is named.
final class StudentRDTests: XCTestCase {
  func testRegistryStudentsFollowTheTeacherAndTheBits() throws {
    XCTAssertEqual(StudentRD.registryStudent(of: "hyperprior-q4", n: 64), "hyperprior-q4-n64")
    XCTAssertEqual(StudentRD.registryStudent(of: "hyperprior-q4-hybrid", n: 64), "hyperprior-q4-n64")
    XCTAssertEqual(StudentRD.registryStudent(of: "runs/teacher.safetensors", n: 32), "runs/teacher.safetensors-n32")

    let integer = try XCTUnwrap(ModelRegistry.entry(named: "hyperprior-q4-n64-hybrid")?.kodak)
    let float = try XCTUnwrap(ModelRegistry.entry(named: "hyperprior-q4-n64")?.kodak)
    for teacher in ["hyperprior-q4", "hyperprior-q4-hybrid"] {
      let hybrid = try XCTUnwrap(StudentRD.registry(teacher: teacher, widths: [64, 48], scheme: "hybrid").byWidth[64])
      XCTAssertEqual(hybrid.source, "registry hyperprior-q4-n64-hybrid")
      XCTAssertEqual(hybrid.bpp, integer.bpp)
      XCTAssertEqual(hybrid.psnr, integer.psnr)
      let int8 = try XCTUnwrap(StudentRD.registry(teacher: teacher, widths: [64], scheme: "int8").byWidth[64])
      XCTAssertEqual(int8.source, "registry hyperprior-q4-n64")
      XCTAssertEqual(int8.bpp, float.bpp)
      let eightBit = try XCTUnwrap(ModelRegistry.entry(named: "hyperprior-q4-n64-int8-s16")?.kodak)
      let int8s16 = try XCTUnwrap(StudentRD.registry(teacher: teacher, widths: [64], scheme: "int8-s16").byWidth[64])
      XCTAssertEqual(int8s16.source, "registry hyperprior-q4-n64-int8-s16")
      XCTAssertEqual(int8s16.psnr, eightBit.psnr)
      XCTAssertNil(StudentRD.registry(teacher: teacher, widths: [48], scheme: "hybrid").byWidth[48], "no N=48 student")
    }
  }
}
