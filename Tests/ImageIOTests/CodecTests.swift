// JPEG/PNG decode and encode: round trips, grey/RGB/CMYK sources, alpha, format sniffing, and clean
// errors for truncated, corrupt, empty, missing and unknown files.

import Core
import Foundation
import ImageIO
import XCTest

final class CodecTests: XCTestCase {
    func testJPEGRoundTripRGB() throws {
        let img = smoothImage(width: 64, height: 48, channels: 3)
        let path = try temporaryFile(self, try ImageEncoder.jpeg(img, quality: 95), suffix: ".jpg")
        let back = try ImageDecoder.decode(fileAt: path)
        XCTAssertEqual([back.width, back.height, back.channels], [64, 48, 3])
        let d = pixelDifference(back.pixels, img.pixels)
        XCTAssertLessThan(d.mean, 2.0)
        XCTAssertLessThan(d.max, 24)
    }

    func testJPEGGreySourceStaysGreyAndExpandsToRGB() throws {
        let img = smoothImage(width: 40, height: 30, channels: 1)
        let bytes = try ImageEncoder.jpeg(img, quality: 95)
        let grey = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0) }
        XCTAssertEqual(grey.channels, 1)
        XCTAssertLessThan(pixelDifference(grey.pixels, img.pixels).mean, 1.5)
        let rgb = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 3) }
        XCTAssertEqual(rgb.channels, 3)
        for i in stride(from: 0, to: 40 * 30, by: 7) {
            XCTAssertEqual(rgb.pixels[3 * i], grey.pixels[i])
            XCTAssertEqual(rgb.pixels[3 * i + 2], grey.pixels[i])
        }
    }

    func testJPEGDecodedAsGreyIsLumaOfRGB() throws {
        let bytes = try ImageEncoder.jpeg(smoothImage(width: 48, height: 48, channels: 3), quality: 90)
        let rgb = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 3) }
        let grey = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 1) }
        // libjpeg's grey output is the decoded Y plane; converting decoded RGB agrees to rounding.
        XCTAssertLessThanOrEqual(pixelDifference(grey.pixels, try rgb.converted(toChannels: 1).pixels).max, 2)
    }

    func testCMYKJPEGWrittenByPillow() throws {
        // Pillow decodes the quadrants to (255,0,0), (0,255,0), (0,0,255), (127,127,127).
        let bytes = adobeCMYKJPEG
        let img = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0) }
        XCTAssertEqual([img.width, img.height, img.channels], [16, 16, 3])
        let expect: [(Int, Int, [Int])] = [(4, 4, [255, 0, 0]), (12, 4, [0, 255, 0]), (4, 12, [0, 0, 255]), (12, 12, [127, 127, 127])]
        for (x, y, rgb) in expect {
            for c in 0..<3 { XCTAssertEqual(Int(img[x, y, c]), rgb[c], accuracy: 3, "pixel (\(x),\(y)) channel \(c)") }
        }
        let grey = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 1) }
        XCTAssertEqual(Int(grey[4, 4, 0]), 76, accuracy: 3)   // luma of red
    }

    func testPNGLosslessRGBAndGrey() throws {
        for channels in [1, 3] {
            let img = smoothImage(width: 33, height: 17, channels: channels)
            let path = try temporaryFile(self, try ImageEncoder.png(img), suffix: ".png")
            XCTAssertEqual(try ImageDecoder.decode(fileAt: path), img)
        }
    }

    func testPNGWithAlphaDropsAlpha() throws {
        var px: [UInt8] = []
        for i in 0..<(8 * 4) { px += [UInt8(i * 7 % 256), UInt8(255 - i), UInt8(i * 3), UInt8(i * 8 % 256)] }
        let rgba = Image(width: 8, height: 4, channels: 4, pixels: px)
        let bytes = try ImageEncoder.png(rgba)
        let rgb = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0) }
        XCTAssertEqual(rgb.channels, 3)
        XCTAssertEqual(rgb, try rgba.converted(toChannels: 3))            // alpha dropped, colour untouched
        let grey = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 1) }
        XCTAssertEqual(grey, try rgba.converted(toChannels: 1))
    }

    func testLumaMatchesPillowL() throws {
        let img = Image(width: 4, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 200, 90])
        // Pillow: Image.new("RGB", ...).convert("L") gives 76, 150, 29 and 132 for these colours.
        XCTAssertEqual(try img.converted(toChannels: 1).pixels, [76, 150, 29, 131])
        XCTAssertEqual(try Image(width: 1, height: 1, channels: 1, pixels: [9]).converted(toChannels: 3).pixels, [9, 9, 9])
    }

    func testFormatIsSniffedNotTakenFromExtension() throws {
        let img = smoothImage(width: 10, height: 10, channels: 3)
        let path = try temporaryFile(self, try ImageEncoder.png(img), suffix: ".jpg")
        XCTAssertEqual(try ImageDecoder.decode(fileAt: path), img)
    }

    func testConcurrentDecodesAgree() throws {
        // The pipeline runs on several threads at once: decoders must be reentrant (errors too).
        let jpeg = try ImageEncoder.jpeg(smoothImage(width: 120, height: 90, channels: 3), quality: 90)
        let path = try temporaryFile(self, jpeg, suffix: ".jpg")
        let bad = try temporaryFile(self, Array(jpeg.prefix(jpeg.count / 2)), suffix: ".jpg")
        let reference = try ImagePipeline.load(path: path, width: 32, height: 24, channels: 3)
        let lock = NSLock()
        var mismatches = 0, errors = 0
        DispatchQueue.concurrentPerform(iterations: 48) { i in
            if i % 4 == 3 {
                let failed = (try? ImagePipeline.load(path: bad, width: 32, height: 24, channels: 3)) == nil
                lock.lock(); errors += failed ? 1 : 0; lock.unlock()
            } else {
                let out = try? ImagePipeline.load(path: path, width: 32, height: 24, channels: 3)
                lock.lock(); mismatches += out == reference ? 0 : 1; lock.unlock()
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertEqual(errors, 12)
    }

    func testBrokenFilesGiveClearErrors() throws {
        let jpeg = try ImageEncoder.jpeg(smoothImage(width: 256, height: 256, channels: 3), quality: 90)
        XCTAssertGreaterThan(jpeg.count, 2000)
        // Cut inside the entropy-coded scan (libjpeg alone would pad with grey) and inside the headers.
        for cut in [jpeg.count * 2 / 3, 300] {
            let truncated = try temporaryFile(self, Array(jpeg.prefix(cut)), suffix: ".jpg")
            assertThrowsMessage([truncated, "truncated JPEG"]) { _ = try ImageDecoder.decode(fileAt: truncated) }
            assertThrowsMessage([truncated, "truncated JPEG"]) { _ = try ImagePipeline.load(path: truncated, width: 8, height: 8, channels: 3) }
        }

        var rng = SeededRNG(seed: 7)
        let random = try temporaryFile(self, (0..<500).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, suffix: ".jpg")
        assertThrowsMessage([random, "is not a JPEG or PNG image"]) { _ = try ImageDecoder.decode(fileAt: random) }

        let garbage = try temporaryFile(self, [0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0x11, count: 200), suffix: ".jpg")
        assertThrowsMessage([garbage, "corrupt JPEG"]) { _ = try ImageDecoder.decode(fileAt: garbage) }

        let png = try ImageEncoder.png(smoothImage(width: 64, height: 64, channels: 3))
        let cut = try temporaryFile(self, Array(png.prefix(png.count / 2)), suffix: ".png")
        assertThrowsMessage([cut, "corrupt PNG"]) { _ = try ImageDecoder.decode(fileAt: cut) }

        let empty = try temporaryFile(self, [], suffix: ".png")
        assertThrowsMessage([empty, "the file is empty"]) { _ = try ImageDecoder.decode(fileAt: empty) }
        assertThrowsMessage(["/no/such/image.jpg", "No such file"]) { _ = try ImageDecoder.decode(fileAt: "/no/such/image.jpg") }
        assertThrowsMessage(["4 channels"]) { _ = try ImageEncoder.jpeg(Image(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 4])) }
    }
}
