import Foundation
import LichenTestSupport
import Torch
import XCTest

@testable import Hardware

/// The BD-rate table `fpga dimension --bits-price` reads: the scheme's row, clear errors, and no
/// crash on damaged files.
final class BitsPriceTests: XCTestCase {
  static let table = """
    series,anchor,metric,points,bd_rate_cubic_percent,bd_rate_pchip_percent,bd_quality_cubic_db,bd_quality_pchip_db,quality_overlap,rate_overlap
    hybrid-hyperprior,hyperprior,psnr,4,1.359562,1.364830,-0.064885,-0.065185,0.9781,0.9931
    int8-hyperprior,hyperprior,psnr,4,10.362774,10.309154,-0.461795,-0.460467,0.8349,0.9296
    int8-s16-hyperprior,hyperprior,psnr,4,8.823620,8.726245,-0.395120,-0.393466,0.8349,0.9434
    int8-hyperprior,hyperprior,ms-ssim,4,5.0,5.1,-0.1,-0.1,0.8,0.9

    """

  func testReadsTheSchemesPSNRRow() throws {
    let int8 = try BitsPrice.parse(Data(Self.table.utf8), origin: "t.csv", scheme: "int8")
    XCTAssertEqual(int8.bdRatePercent, 10.309154)
    XCTAssertEqual(int8.points, 4)
    XCTAssertEqual(int8.anchor, "hyperprior")
    // "int8" must not pick the int8-s16 row, nor the MS-SSIM one.
    XCTAssertEqual(try BitsPrice.parse(Data(Self.table.utf8), origin: "t.csv", scheme: "int8-s16").bdRatePercent, 8.726245)
    XCTAssertThrowsError(try BitsPrice.parse(Data(Self.table.utf8), origin: "t.csv", scheme: "int16")) { error in
      XCTAssertTrue("\(error)".contains("no PSNR row for scheme int16 (schemes: hybrid, int8, int8-s16)"), "\(error)")
    }
    XCTAssertThrowsError(try BitsPrice.parse(Data("a,b\n1,2\n".utf8), origin: "t.csv", scheme: "int8")) { error in
      XCTAssertTrue("\(error)".contains("no column 'series'"), "\(error)")
    }
    let bad = Self.table.replacingOccurrences(of: "10.309154", with: "nan")
    XCTAssertThrowsError(try BitsPrice.parse(Data(bad.utf8), origin: "t.csv", scheme: "int8")) { error in
      XCTAssertTrue("\(error)".contains("line 3: bd_rate_pchip_percent"), "\(error)")
    }
  }

  func testDamagedTablesFailCleanly() throws {
    var g = SplitMix64(seed: 0x4249_5453)
    let original = Data(Self.table.utf8)
    var accepted = 0
    for _ in 0..<2000 {
      let data = damaged(original, using: &g)
      do {
        let price = try BitsPrice.parse(data, origin: "t.csv", scheme: "int8")
        XCTAssertTrue(price.bdRatePercent.isFinite)
        XCTAssertGreaterThanOrEqual(price.points, 2)
        accepted += 1
      } catch let error as HardwareError {
        XCTAssertFalse(error.message.contains("\n"), error.message)
      }
    }
    XCTAssertGreaterThan(accepted, 0)
  }
}
