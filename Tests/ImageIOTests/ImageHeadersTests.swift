// Image headers without decoding: width/height, EXIF, and the JPEG quality estimated from the DQT
// tables of files libjpeg really wrote (the estimate must recover the quality it was asked for).

import Core
import Foundation
import XCTest
@testable import ImageIO

final class ImageHeadersTests: XCTestCase {
    func testQualityEstimateRecoversWhatLibjpegWasAskedFor() throws {
        let image = smoothImage(width: 48, height: 40, channels: 3)
        for q in 50...95 {
            let bytes = try ImageEncoder.jpeg(image, quality: q)
            let h = try ImageHeaders.parse(bytes)
            XCTAssertEqual(h.format, .jpeg)
            XCTAssertEqual([h.width, h.height], [48, 40])
            XCTAssertEqual(Set(h.quantTables.keys), [0, 1], "an RGB JPEG has luminance and chrominance tables")
            let estimate = try XCTUnwrap(h.jpegQuality)
            XCTAssertLessThanOrEqual(abs(estimate.quality - q), 2, "asked for \(q), estimated \(estimate)")
            // libjpeg scales the standard tables exactly as JPEGQuality.table does: the distance is 0.
            XCTAssertEqual(estimate.distance, 0, "q \(q)")
        }
        // Far ends too, and grey JPEGs (luminance table only).
        for q in [10, 30, 100] {
            let grey = try ImageEncoder.jpeg(smoothImage(width: 16, height: 16, channels: 1), quality: q)
            let h = try ImageHeaders.parse(grey)
            XCTAssertEqual(Array(h.quantTables.keys), [0])
            XCTAssertLessThanOrEqual(abs(h.jpegQuality!.quality - q), 2, "grey q \(q): \(h.jpegQuality!)")
        }
    }

    func testEXIFSegmentIsSeenAndPlainFilesHaveNone() throws {
        let plain = try ImageEncoder.jpeg(smoothImage(width: 20, height: 10, channels: 3), quality: 90)
        XCTAssertFalse(try ImageHeaders.parse(plain).hasEXIF)
        // An APP1 "Exif\0\0" segment (a minimal little-endian TIFF header) right after SOI, as cameras write it.
        let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0, 0]
        let app1: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        let withEXIF = Array(plain[0..<2]) + app1 + Array(plain[2...])
        let h = try ImageHeaders.parse(withEXIF)
        XCTAssertTrue(h.hasEXIF)
        XCTAssertEqual([h.width, h.height], [20, 10])
        XCTAssertEqual(h.jpegQuality?.quality, 90)
        // The file still decodes (the segment is valid JPEG).
        let decoded = try withEXIF.withUnsafeBufferPointer { try ImageDecoder.decode($0) }
        XCTAssertEqual(decoded.width, 20)
    }

    func testPNGSizeAndEXIFChunk() throws {
        let png = try ImageEncoder.png(smoothImage(width: 33, height: 17, channels: 3))
        let h = try ImageHeaders.parse(png)
        XCTAssertEqual(h.format, .png)
        XCTAssertEqual([h.width, h.height], [33, 17])
        XCTAssertFalse(h.hasEXIF)
        XCTAssertNil(h.jpegQuality)
        // An eXIf chunk (with its CRC) after IHDR (8 + 25 bytes).
        let data: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08]
        let typeAndData = Array("eXIf".utf8) + data
        let crc = typeAndData.withUnsafeBytes { CRC32.checksum($0) }
        let chunk: [UInt8] = [0, 0, 0, UInt8(data.count)] + typeAndData + [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)]
        let withEXIF = Array(png[0..<33]) + chunk + Array(png[33...])
        XCTAssertTrue(try ImageHeaders.parse(withEXIF).hasEXIF)
        let decoded = try withEXIF.withUnsafeBufferPointer { try ImageDecoder.decode($0) }
        XCTAssertEqual(decoded.height, 17)
    }

    func testBrokenFilesGiveClearErrors() {
        XCTAssertThrowsError(try ImageHeaders.parse([0x47, 0x49, 0x46, 0x38])) { e in
            XCTAssertTrue("\(e)".contains("neither JPEG nor PNG"), "\(e)")
        }
        XCTAssertThrowsError(try ImageHeaders.parse([0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00])) { e in
            XCTAssertTrue("\(e)".contains("runs past the end"), "\(e)")
        }
    }
}
