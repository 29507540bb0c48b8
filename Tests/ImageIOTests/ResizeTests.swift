// Area-averaging resize against hand-computed values and a naive 2-D reference, DCT-scale choice,
// and the combined ImagePipeline (DCT downscale + area resize) against full decode + resize.

import Core
import Foundation
import ImageIO
import XCTest

final class ResizeTests: XCTestCase {
    /// Naive reference: each output pixel integrates the source over its exact rectangle, in Double.
    func referenceArea(_ img: Image, _ w: Int, _ h: Int) -> [UInt8] {
        let sx = Double(img.width) / Double(w), sy = Double(img.height) / Double(h)
        var out = [UInt8](repeating: 0, count: w * h * img.channels)
        for oy in 0..<h {
            for ox in 0..<w {
                for c in 0..<img.channels {
                    var acc = 0.0
                    for y in 0..<img.height {
                        let cy = min(Double(y + 1), Double(oy + 1) * sy) - max(Double(y), Double(oy) * sy)
                        if cy <= 0 { continue }
                        for x in 0..<img.width {
                            let cx = min(Double(x + 1), Double(ox + 1) * sx) - max(Double(x), Double(ox) * sx)
                            if cx > 0 { acc += cx * cy * Double(img[x, y, c]) }
                        }
                    }
                    out[(oy * w + ox) * img.channels + c] = UInt8((acc / (sx * sy)).rounded())
                }
            }
        }
        return out
    }

    func testIntegerReductionAveragesExactly() {
        let img = Image(width: 4, height: 4, channels: 1, pixels: [
            0, 2, 10, 20,
            4, 6, 30, 40,
            100, 101, 7, 7,
            103, 104, 9, 9])
        // 2x2 blocks: (0+2+4+6)/4 = 3, (10+20+30+40)/4 = 25, (100+101+103+104)/4 = 102, (7+7+9+9)/4 = 8.
        XCTAssertEqual(img.resized(width: 2, height: 2).pixels, [3, 25, 102, 8])
    }

    func testFractionalCoverageByHand() {
        // 3 -> 2 horizontally: output 0 covers [0, 1.5): (0 * 1 + 90 * 0.5) / 1.5 = 30;
        // output 1 covers [1.5, 3): (90 * 0.5 + 180 * 1) / 1.5 = 150.
        let row = Image(width: 3, height: 1, channels: 1, pixels: [0, 90, 180])
        XCTAssertEqual(row.resized(width: 2, height: 1).pixels, [30, 150])
        // 5 -> 3 vertically (scale 5/3), RGB: output 1 covers [5/3, 10/3): rows 1, 2, 3 with weights
        // 1/3, 1, 1/3 of 5/3 -> (0.2, 0.6, 0.2): 0.2 * 50 + 0.6 * 100 + 0.2 * 200 = 110.
        let col = Image(width: 1, height: 5, channels: 3, pixels: [0, 0, 0, 50, 50, 50, 100, 100, 100, 200, 200, 200, 250, 250, 250])
        let r = col.resized(width: 1, height: 3)
        XCTAssertEqual(r.pixels[3], 110)
        // Output 0 covers [0, 5/3): 0.6 * 0 + 0.4 * 50 = 20; output 2: 0.4 * 200 + 0.6 * 250 = 230.
        XCTAssertEqual(r.pixels, [20, 20, 20, 110, 110, 110, 230, 230, 230])
        // Upscaling 2 -> 4 repeats each pixel (each output lies inside one source pixel).
        XCTAssertEqual(Image(width: 2, height: 1, channels: 1, pixels: [10, 200]).resized(width: 4, height: 1).pixels, [10, 10, 200, 200])
    }

    func testMatchesNaiveReferenceOnRandomImages() {
        var rng = SeededRNG(seed: 3)
        for (sw, sh, dw, dh, c) in [(37, 23, 10, 7, 3), (300, 300, 32, 32, 1), (16, 9, 5, 5, 3), (7, 5, 11, 8, 1)] {
            let px = (0..<(sw * sh * c)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let img = Image(width: sw, height: sh, channels: c, pixels: px)
            let got = img.resized(width: dw, height: dh).pixels
            let want = referenceArea(img, dw, dh)
            XCTAssertLessThanOrEqual(pixelDifference(got, want).max, 1, "\(sw)x\(sh) -> \(dw)x\(dh)")   // float rounding only
        }
    }

    func testAreaResizeDoesNotAlias() {
        // A 1-pixel checkerboard averages to flat grey; point sampling would give 0 or 255.
        let n = 96
        let img = Image(width: n, height: n, channels: 1, pixels: (0..<(n * n)).map { ($0 / n + $0 % n) % 2 == 0 ? 0 : 255 })
        let r = img.resized(width: 10, height: 10)
        XCTAssertTrue(r.pixels.allSatisfy { abs(Int($0) - 128) <= 3 }, "\(r.pixels)")
    }

    func testDCTScaleChoiceKeepsAtLeastTheTarget() {
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: 64, targetHeight: 64), 4)   // 75 >= 64
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: 32, targetHeight: 32), 8)   // 38 >= 32
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: 128, targetHeight: 128), 2)
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: 224, targetHeight: 224), 1)
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 301, height: 90, targetWidth: 151, targetHeight: 40), 2)  // ceil(301/2) = 151
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: nil, targetHeight: nil), 1)
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: 64, targetHeight: 64, oversampling: 2), 2)  // 150 >= 128
        XCTAssertEqual(ImageDecoder.dctScaleDenominator(width: 300, height: 300, targetWidth: 32, targetHeight: 32, oversampling: 2), 4)  // 75 >= 64
    }

    func testDCTDownscaledDecodeMatchesFullDecodeAndResize() throws {
        let big = smoothImage(width: 800, height: 600, channels: 3)
        let path = try temporaryFile(self, try ImageEncoder.jpeg(big, quality: 92), suffix: ".jpg")
        let scaled = try ImageDecoder.decode(fileAt: path, targetWidth: 64, targetHeight: 48)
        XCTAssertEqual([scaled.width, scaled.height], [100, 75])              // 1/8 of 800x600
        for (w, h, c, o) in [(64, 48, 3, 1), (64, 48, 3, 2), (40, 40, 1, 1), (300, 200, 3, 2)] {
            let fast = try ImagePipeline.load(path: path, width: w, height: h, channels: c, oversampling: o)
            XCTAssertEqual(fast.count, w * h * c)
            let full = try ImageDecoder.decode(fileAt: path).converted(toChannels: c).resized(width: w, height: h)
            let d = pixelDifference(fast, full.pixels)
            XCTAssertLessThan(d.mean, 1.5, "\(w)x\(h)x\(c) oversampling \(o)")
            XCTAssertLessThanOrEqual(d.max, 8, "\(w)x\(h)x\(c) oversampling \(o)")
        }
    }

    func testPartialLastDCTBlockKeepsGeometry() throws {
        // 300 / 8 = 37.5: the 38th pixel of a 1/8 decode covers 4 source pixels, not 8. On a linear
        // ramp every box average equals the ramp at the box centre, so only geometry errors remain;
        // spreading 38 decoded pixels evenly over 32 outputs would shift the ramp by up to 4 source
        // pixels (about 3 grey levels) towards the right edge.
        let n = 300
        let img = Image(width: n, height: n, channels: 1, pixels: (0..<(n * n)).map { UInt8(($0 % n) * 240 / (n - 1)) })
        let path = try temporaryFile(self, try ImageEncoder.jpeg(img, quality: 98), suffix: ".jpg")
        let full = try ImageDecoder.decode(fileAt: path).resized(width: 32, height: 32).pixels
        let fast = try ImagePipeline.load(path: path, width: 32, height: 32, channels: 1, oversampling: 1)
        let d = pixelDifference(fast, full)
        print("partial-block check: mean \(d.mean), max \(d.max)")
        XCTAssertLessThanOrEqual(d.max, 1)
    }

    func testPipelineOnPNGAndGrey() throws {
        let img = smoothImage(width: 60, height: 30, channels: 3)
        let path = try temporaryFile(self, try ImageEncoder.png(img), suffix: ".png")
        XCTAssertEqual(try ImagePipeline.load(path: path, width: 20, height: 10, channels: 3), img.resized(width: 20, height: 10).pixels)
        XCTAssertEqual(try ImagePipeline.load(path: path, width: 20, height: 10, channels: 1),
                       try img.converted(toChannels: 1).resized(width: 20, height: 10).pixels)
        assertThrowsMessage(["invalid"]) { _ = try ImagePipeline.load(path: path, width: 0, height: 10, channels: 3) }
    }
}
