// The C area-resize kernel (CImageCodec/area_resize.c) against an independent Double reference that
// integrates every output pixel over the exact source area it covers, including DCT-scaled
// geometry (a source pixel covering `pixelSize` original pixels, the last one only partly); and the
// JPEG pipeline (decode at a DCT scale + resize inside CImageCodec) against the same pieces run
// separately, on real hard1k files.

import Core
import Foundation
@testable import ImageIO
import TestSupport
import XCTest

final class AreaKernelTests: XCTestCase {
    /// Output (ox, oy) covers [ox * sx, (ox + 1) * sx) x [oy * sy, (oy + 1) * sy) of the full
    /// extent; source pixel (x, y) covers [x * d, min((x + 1) * d, full)) likewise. The mean over
    /// that rectangle, rounded half up.
    func reference(_ src: [UInt8], width: Int, height: Int, channels c: Int, to w: Int, _ h: Int,
                   pixelSize d: Int = 1, fullWidth: Int? = nil, fullHeight: Int? = nil) -> [UInt8] {
        let fw = Double(fullWidth ?? width), fh = Double(fullHeight ?? height), dd = Double(d)
        let sx = fw / Double(w), sy = fh / Double(h)
        func overlap(_ i: Int, _ lo: Double, _ hi: Double, _ full: Double) -> Double {
            max(0, min(hi, min(full, Double(i + 1) * dd)) - max(lo, Double(i) * dd))
        }
        var out = [UInt8](repeating: 0, count: w * h * c)
        for oy in 0..<h {
            let wy = (0..<height).map { overlap($0, Double(oy) * sy, Double(oy + 1) * sy, fh) }
            for ox in 0..<w {
                let wx = (0..<width).map { overlap($0, Double(ox) * sx, Double(ox + 1) * sx, fw) }
                for ch in 0..<c {
                    var acc = 0.0
                    for y in 0..<height where wy[y] > 0 {
                        for x in 0..<width where wx[x] > 0 { acc += wy[y] * wx[x] * Double(src[(y * width + x) * c + ch]) }
                    }
                    out[(oy * w + ox) * c + ch] = UInt8(min(255, (acc / (sx * sy) + 0.5).rounded(.down)))
                }
            }
        }
        return out
    }

    func resize(_ src: [UInt8], width: Int, height: Int, channels: Int, to w: Int, _ h: Int,
                pixelSize: Int = 1, fullWidth: Int? = nil, fullHeight: Int? = nil) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: w * h * channels)
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                areaResize(s.baseAddress!, width: width, height: height, channels: channels, into: d.baseAddress!, width: w, height: h,
                           pixelSize: pixelSize, fullWidth: fullWidth ?? width * pixelSize, fullHeight: fullHeight ?? height * pixelSize)
            }
        }
        return out
    }

    func testKernelMatchesTheDoubleReference() {
        var rng = SeededRNG(seed: 11)
        // (src w, h, channels, dst w, h, pixelSize, full w, h): the pipeline's 1/2 and 1/8 decodes of
        // 300x300 (the last 1/8 block covers 4 of its 8 pixels), odd shrinks, 4 channels (the
        // generic loop), mild and 20x upscales (more output rows open at once than the 2-row fast
        // path and the 8 gathered rows).
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (150, 150, 3, 64, 64, 2, 300, 300), (38, 38, 3, 32, 32, 8, 300, 300), (38, 25, 1, 17, 9, 8, 300, 196),
            (37, 23, 3, 10, 7, 1, 37, 23), (16, 9, 4, 5, 5, 1, 16, 9), (7, 5, 1, 11, 8, 1, 7, 5),
            (3, 2, 3, 60, 40, 1, 3, 2), (75, 75, 1, 64, 64, 4, 300, 300),
        ]
        for (sw, sh, c, dw, dh, d, fw, fh) in cases {
            let px = (0..<(sw * sh * c)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let got = resize(px, width: sw, height: sh, channels: c, to: dw, dh, pixelSize: d, fullWidth: fw, fullHeight: fh)
            let want = reference(px, width: sw, height: sh, channels: c, to: dw, dh, pixelSize: d, fullWidth: fw, fullHeight: fh)
            let label = "\(sw)x\(sh)x\(c) -> \(dw)x\(dh), pixel size \(d), full \(fw)x\(fh)"
            XCTAssertLessThanOrEqual(pixelDifference(got, want).max, 1, label)   // float rounding at .5 only
            let off = zip(got, want).filter { $0 != $1 }.count
            XCTAssertLessThan(Double(off), 0.01 * Double(got.count) + 1, "\(label): \(off) of \(got.count) values off by one")
        }
    }

    func testConstantImageStaysConstant() {
        // Weights of every output sum to 1, whatever the geometry: a flat 200 stays exactly 200.
        for (sw, sh, dw, dh, d, fw, fh) in [(150, 150, 64, 64, 2, 300, 300), (38, 38, 32, 32, 8, 300, 300), (5, 3, 64, 64, 1, 5, 3)] {
            let got = resize([UInt8](repeating: 200, count: sw * sh * 3), width: sw, height: sh, channels: 3, to: dw, dh,
                             pixelSize: d, fullWidth: fw, fullHeight: fh)
            XCTAssertTrue(got.allSatisfy { $0 == 200 }, "\(sw)x\(sh) -> \(dw)x\(dh): \(Set(got))")
        }
    }

    /// The pipeline's one-call decode + resize equals a DCT-scaled decode resized on its own, and
    /// the reference, on real files (RGB and grey).
    func testPipelineOnRealJPEGsEqualsItsPieces() throws {
        let dir = RealImageTests.hard1k
        guard FileManager.default.fileExists(atPath: dir + "/real/real_10.jpg") else {
            throw XCTSkip("hard1k dataset absent at \(dir)")
        }
        for name in ["real/real_10.jpg", "fake/fake_161.jpg"] {
            for channels in [3, 1] {
                let path = dir + "/" + name
                // Oversampling 2 for 64 px: 300 / 2 = 150 >= 128, the same scale decode() picks for a 128 target.
                let scaled = try ImageDecoder.decode(fileAt: path, targetWidth: 128, targetHeight: 128, channels: channels)
                XCTAssertEqual([scaled.width, scaled.height], [150, 150])
                let pieces = resize(scaled.pixels, width: 150, height: 150, channels: channels, to: 64, 64,
                                    pixelSize: 2, fullWidth: 300, fullHeight: 300)
                let pipeline = try ImagePipeline.load(path: path, width: 64, height: 64, channels: channels, oversampling: 2)
                XCTAssertEqual(pipeline, pieces, "\(name) x\(channels)")
                let want = reference(scaled.pixels, width: 150, height: 150, channels: channels, to: 64, 64,
                                     pixelSize: 2, fullWidth: 300, fullHeight: 300)
                XCTAssertLessThanOrEqual(pixelDifference(pipeline, want).max, 1, "\(name) x\(channels)")
            }
        }
    }

    func testCMYKJPEGThroughThePipeline() throws {
        // The CMYK rows are converted before the resize: a DCT-scaled decode (1/4: 4x4) resized to
        // 2x2 on its own gives the same bytes, and the quadrant colours survive.
        let path = try temporaryFile(self, adobeCMYKJPEG, suffix: ".jpg")
        for channels in [3, 1] {
            let scaled = try ImageDecoder.decode(fileAt: path, targetWidth: 4, targetHeight: 4, channels: channels)
            XCTAssertEqual([scaled.width, scaled.height], [4, 4])
            let got = try ImagePipeline.load(path: path, width: 2, height: 2, channels: channels)
            XCTAssertEqual(got, resize(scaled.pixels, width: 4, height: 4, channels: channels, to: 2, 2, pixelSize: 4), "CMYK x\(channels)")
            if channels == 3 {
                for (i, rgb) in [[255, 0, 0], [0, 255, 0], [0, 0, 255], [127, 127, 127]].enumerated() {
                    for c in 0..<3 { XCTAssertEqual(Int(got[3 * i + c]), rgb[c], accuracy: 4, "quadrant \(i) channel \(c)") }
                }
            }
        }
    }
}
