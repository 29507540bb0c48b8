// Helpers for ImageIOTests: synthetic images, temporary files, and pixel-difference statistics.

import Foundation
import ImageIO
import TestSupport
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

/// A 16x16 Adobe CMYK JPEG from Pillow 13: quadrants red, green, blue and K=128 grey.
let adobeCMYKJPEG = [UInt8](Data(base64Encoded: "/9j/7gAOQWRvYmUAZAAAAAAA/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwLCgwJCgoK/8AAFAgAEAAQBEMRAE0RAFkRAEsRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/aAA4EQwBNAFkASwAAPwD9/K/n/r+f+v38r+AOv7/KKKK/gDr+/wAor+/yv7/KK/n/AK//2Q==")!)

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
    let path = try TemporaryFolder.make(for: test, label: "imageio") + "/image\(suffix)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
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

/// A real all-black grey PNG of any size without holding its pixels: the zlib stream is written by
/// hand (one fixed-Huffman deflate block: a zero literal, then 258-byte copies of distance 1), so
/// a 20000x20000 image costs 2.5 MB and well under a second instead of a 400 MB encode.
func blackGreyPNG(width: Int, height: Int) -> [UInt8] {
    var bits = BitWriter()
    bits.write(1, count: 1); bits.write(1, count: 2)          // BFINAL, BTYPE 01 (fixed Huffman)
    let total = (width + 1) * height                         // filter byte 0 + zero pixels per row
    bits.writeCode(0x30, count: 8)                           // literal 0
    let rest = total - 1
    for _ in 0..<(rest / 258) {
        bits.writeCode(0xC5, count: 8)                       // length 258 (code 285)
        bits.writeCode(0, count: 5)                          // distance 1
    }
    for _ in 0..<(rest % 258) { bits.writeCode(0x30, count: 8) }
    bits.writeCode(0, count: 7)                              // end of block (256)
    var z: [UInt8] = [0x78, 0x01] + bits.flushed
    let adler = UInt32(total % 65521) << 16 | 1              // a = 1, b = total for all-zero data
    z += bigEndian(adler)
    func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }
    let ihdr = bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 0, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", z) + chunk("IEND", [])
}

private func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

private func crc32(_ data: [UInt8]) -> UInt32 {
    var table = [UInt32](repeating: 0, count: 256)
    for n in 0..<256 {
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[n] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in data { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

/// Deflate's bit order: values LSB first; Huffman codes most significant bit first.
private struct BitWriter {
    var bytes: [UInt8] = []
    private var acc: UInt32 = 0, n: UInt32 = 0
    mutating func write(_ value: UInt32, count: UInt32) {
        for i in 0..<count { push((value >> i) & 1) }
    }
    mutating func writeCode(_ code: UInt32, count: UInt32) {
        for i in (0..<count).reversed() { push((code >> i) & 1) }
    }
    private mutating func push(_ bit: UInt32) {
        acc |= bit << n; n += 1
        if n == 8 { bytes.append(UInt8(acc)); acc = 0; n = 0 }
    }
    var flushed: [UInt8] { n > 0 ? bytes + [UInt8(acc)] : bytes }
}
