// Helpers for ImageIOTests: synthetic images, temporary files, and pixel-difference statistics.

import Foundation
import ImageIO
import XCTest

/// A smooth RGB (or grey) test pattern: gradients plus a soft disc, which JPEG encodes faithfully.
func smoothImage(width: Int, height: Int, channels: Int) -> Image {
    var px = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
        for x in 0..<width {
            let dx = Double(x) / Double(width) - 0.5, dy = Double(y) / Double(height) - 0.5
            let disc = 60 * exp(-(dx * dx + dy * dy) * 8)
            let vals = [40 + 150 * Double(x) / Double(width) + disc,
                        30 + 170 * Double(y) / Double(height),
                        200 - 120 * Double(x + y) / Double(width + height) + disc / 2]
            for c in 0..<channels { px[(y * width + x) * channels + c] = UInt8(min(255, max(0, vals[c]))) }
        }
    }
    return Image(width: width, height: height, channels: channels, pixels: px)
}

/// Mean and max absolute difference of two equally sized byte arrays.
func pixelDifference(_ a: [UInt8], _ b: [UInt8]) -> (mean: Double, max: Int) {
    precondition(a.count == b.count, "size mismatch \(a.count) vs \(b.count)")
    var sum = 0, mx = 0
    for i in 0..<a.count {
        let d = abs(Int(a[i]) - Int(b[i]))
        sum += d
        mx = max(mx, d)
    }
    return (Double(sum) / Double(max(a.count, 1)), mx)
}

/// Writes `bytes` to a fresh temporary file with the given suffix, removed after the test.
func temporaryFile(_ test: XCTestCase, _ bytes: [UInt8], suffix: String) throws -> String {
    let path = NSTemporaryDirectory() + "imageio-\(UUID().uuidString)\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// Asserts that `body` throws a DeepfakeError whose message contains every one of `parts`.
func assertThrowsMessage(_ parts: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error containing \(parts)", file: file, line: line)
    } catch {
        let m = "\(error)"
        for p in parts { XCTAssertTrue(m.contains(p), "'\(m)' lacks '\(p)'", file: file, line: line) }
    }
}
