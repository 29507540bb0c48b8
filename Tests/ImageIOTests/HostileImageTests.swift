// Hostile image files (issue 9, probing defects 4-6): a FIFO named like an image is refused without
// blocking; a JPEG whose header promises more than its data holds is corrupt (libjpeg's corrupt-data
// warning is an error, not grey padding); an image whose header promises too many pixels is refused
// before decoding, while large JPEGs still pass through the DCT-downscale path.

import Foundation
@testable import ImageIO
import TestSupport
import XCTest

final class HostileImageTests: XCTestCase {
    /// `jpeg` with its SOF0 height and width replaced (the frame header: FF C0, length, precision,
    /// height, width; all big-endian).
    private func withClaimedSize(_ jpeg: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        var b = jpeg
        guard let i = (0..<(b.count - 9)).first(where: { b[$0] == 0xFF && b[$0 + 1] == 0xC0 }) else {
            throw XCTSkip("encoder wrote no baseline SOF0 marker")
        }
        b[i + 5] = UInt8(height >> 8); b[i + 6] = UInt8(height & 0xFF)
        b[i + 7] = UInt8(width >> 8); b[i + 8] = UInt8(width & 0xFF)
        return b
    }

    /// The probe: opening a FIFO named x.jpg blocked forever. Now it is refused at once. (If the
    /// fix regressed, this test would hang: run it under a timeout.)
    func testFIFONamedLikeAJPEGIsRefusedWithoutBlocking() throws {
        let path = try TemporaryFolder.make(for: self, label: "imageio-fifo") + "/x.jpg"
        XCTAssertEqual(mkfifo(path, 0o644), 0)
        XCTAssertThrowsError(try ImagePipeline.load(path: path, width: 8, height: 8, channels: 3)) { e in
            XCTAssertTrue("\(e)".contains("not a regular file"), "\(e)")
        }
    }

    /// The probe: a 300x300 JPEG whose header says 3000x3000 decoded "fine" (grey below row 300).
    func testJPEGWithLessDataThanItsHeaderClaimsIsCorrupt() throws {
        let real = try ImageEncoder.jpeg(smoothImage(width: 300, height: 300, channels: 3), quality: 90)
        let lying = try withClaimedSize(real, width: 3000, height: 3000)
        let path = try temporaryFile(self, lying, suffix: ".jpg")
        XCTAssertThrowsError(try ImagePipeline.load(path: path, width: 32, height: 32, channels: 3)) { e in
            XCTAssertTrue("\(e)".contains("corrupt JPEG"), "\(e)")
        }
        XCTAssertThrowsError(try ImageDecoder.decode(fileAt: path))
        // The untouched file still decodes.
        let good = try temporaryFile(self, real, suffix: ".jpg")
        XCTAssertEqual(try ImageDecoder.decode(fileAt: good).width, 300)
        // The probe's 60000x60000 claim is refused (by the pixel limit: even at 1/8 it is 7500x7500).
        let huge = try temporaryFile(self, try withClaimedSize(real, width: 60000, height: 60000), suffix: ".jpg")
        XCTAssertThrowsError(try ImagePipeline.load(path: huge, width: 32, height: 32, channels: 3)) { e in
            XCTAssertTrue("\(e)".contains("60000x60000"), "\(e)")
        }
    }

    /// The probe: a 1.1 MB 20000x20000 PNG cost 2.8 GB per decoding thread. A real such PNG (grey,
    /// all zero, written now) is refused from its header.
    func testHugePNGIsRefusedFromItsHeader() throws {
        // The hand-made encoder is a real PNG: at a small size libpng decodes it to black.
        let small = try temporaryFile(self, blackGreyPNG(width: 301, height: 7), suffix: ".png")
        let img = try ImageDecoder.decode(fileAt: small)
        XCTAssertEqual([img.width, img.height, img.channels], [301, 7, 1])
        XCTAssertTrue(img.pixels.allSatisfy { $0 == 0 })
        let png = blackGreyPNG(width: 20000, height: 20000)
        XCTAssertLessThan(png.count, 3_000_000)
        let path = try temporaryFile(self, png, suffix: ".png")
        for attempt in [{ _ = try ImagePipeline.load(path: path, width: 32, height: 32, channels: 3) },
                        { _ = try ImageDecoder.decode(fileAt: path) }] {
            XCTAssertThrowsError(try attempt()) { e in
                XCTAssertTrue("\(e)".contains("20000x20000") && "\(e)".contains("limit"), "\(e)")
            }
        }
    }

    /// The limit counts a large JPEG at its DCT-downscaled size, so big photos still load for small targets.
    func testLargeJPEGStillLoadsThroughTheDCTPath() throws {
        let big = try ImageEncoder.jpeg(smoothImage(width: 2400, height: 2400, channels: 3), quality: 85)
        let path = try temporaryFile(self, big, suffix: ".jpg")
        let limit = 1_000_000   // 2400x2400 = 5.8 MP at full size; 300x300 at 1/8
        let small = try ImagePipeline.load(path: path, width: 32, height: 32, channels: 3, maxPixels: limit)
        XCTAssertEqual(small.count, 32 * 32 * 3)
        XCTAssertThrowsError(try ImageDecoder.decode(fileAt: path, maxPixels: limit)) { e in
            XCTAssertTrue("\(e)".contains("2400x2400"), "\(e)")
        }
    }
}
