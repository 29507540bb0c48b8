// What an image file's headers say, without decoding its pixels: the format, the stored width and
// height, whether it carries EXIF metadata, and for JPEG the quantisation tables (DQT) and the IJG
// quality they correspond to. The shortcut audit uses these: a dataset whose fakes were saved at
// another JPEG quality than its reals can be "detected" from the file alone.

import Foundation

public struct ImageHeaders: Equatable, Sendable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// JPEG: an APP1 "Exif" segment; PNG: an eXIf chunk.
    public var hasEXIF: Bool
    /// JPEG quantisation tables by table id (0 = luminance, 1 = chrominance in IJG files), each 64
    /// values in zigzag order as stored. Empty for PNG.
    public var quantTables: [Int: [Int]]

    /// The IJG quality 1...100 whose scaled standard tables are closest to the file's (sum of
    /// absolute differences over tables 0 and 1), and that distance (0 = exactly libjpeg's tables
    /// for that quality). Nil for PNG or a JPEG without a luminance table.
    public var jpegQuality: (quality: Int, distance: Int)? {
        JPEGQuality.estimate(quantTables)
    }

    public static func == (a: ImageHeaders, b: ImageHeaders) -> Bool {
        a.format == b.format && a.width == b.width && a.height == b.height && a.hasEXIF == b.hasEXIF && a.quantTables == b.quantTables
    }

    /// Parses the headers of `bytes`; `name` appears in errors.
    public static func parse(_ bytes: [UInt8], name: String = "<memory>") throws -> ImageHeaders {
        let format = bytes.withUnsafeBufferPointer { ImageFormat.sniff($0) }
        switch format {
        case .jpeg: return try parseJPEG(bytes, name: name)
        case .png: return try parsePNG(bytes, name: name)
        case nil: throw ImageHeaderError("\(name): neither JPEG nor PNG (unrecognised leading bytes)")
        }
    }

    public static func parse(fileAt path: String) throws -> ImageHeaders {
        try parse(try ImageDecoder.readFile(path), name: path)
    }

    /// Walks the JPEG marker segments up to the start of scan: DQT, SOFn and APP1.
    static func parseJPEG(_ b: [UInt8], name: String) throws -> ImageHeaders {
        var h = ImageHeaders(format: .jpeg, width: 0, height: 0, hasEXIF: false, quantTables: [:])
        var i = 2
        var sawFrame = false
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { throw ImageHeaderError("\(name): broken JPEG marker at byte \(i)") }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { i += 2; continue }
            if marker == 0xD9 || marker == 0xDA { break }  // end of image / start of scan
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            let start = i + 4, end = i + 2 + length
            guard length >= 2, end <= b.count else { throw ImageHeaderError("\(name): JPEG segment at byte \(i) runs past the end of the file") }
            switch marker {
            case 0xDB:  // DQT: one or more tables, each Pq/Tq then 64 values of 8 or 16 bits
                var p = start
                while p < end {
                    let precision = Int(b[p] >> 4), id = Int(b[p] & 0x0F)
                    let size = precision == 0 ? 64 : 128
                    guard p + 1 + size <= end else { throw ImageHeaderError("\(name): truncated JPEG quantisation table \(id)") }
                    h.quantTables[id] = (0..<64).map { k in
                        precision == 0 ? Int(b[p + 1 + k]) : Int(b[p + 1 + 2 * k]) << 8 | Int(b[p + 2 + 2 * k])
                    }
                    p += 1 + size
                }
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:  // SOFn
                guard length >= 7 else { throw ImageHeaderError("\(name): truncated JPEG frame header") }
                h.height = Int(b[start + 1]) << 8 | Int(b[start + 2])
                h.width = Int(b[start + 3]) << 8 | Int(b[start + 4])
                sawFrame = true
            case 0xE1:
                if length >= 8, Array(b[start..<start + 6]) == Array("Exif".utf8) + [0, 0] { h.hasEXIF = true }
            default: break
            }
            i = end
        }
        guard sawFrame else { throw ImageHeaderError("\(name): JPEG without a frame header (SOF)") }
        return h
    }

    /// Reads IHDR and looks for an eXIf chunk before the image data ends.
    static func parsePNG(_ b: [UInt8], name: String) throws -> ImageHeaders {
        var h = ImageHeaders(format: .png, width: 0, height: 0, hasEXIF: false, quantTables: [:])
        func u32(_ p: Int) -> Int { Int(b[p]) << 24 | Int(b[p + 1]) << 16 | Int(b[p + 2]) << 8 | Int(b[p + 3]) }
        var i = 8
        var sawHeader = false
        while i + 8 <= b.count {
            let length = u32(i)
            let type = String(decoding: b[i + 4..<i + 8], as: UTF8.self)
            guard i + 12 + length <= b.count else { break }  // a truncated tail: keep what was read
            if type == "IHDR", length >= 8 { h.width = u32(i + 8); h.height = u32(i + 12); sawHeader = true }
            if type == "eXIf" { h.hasEXIF = true }
            if type == "IEND" { break }
            i += 12 + length
        }
        guard sawHeader else { throw ImageHeaderError("\(name): PNG without an IHDR chunk") }
        return h
    }
}

public struct ImageHeaderError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

/// The IJG (libjpeg) quality scaling of the standard tables of the JPEG specification (Annex K).
public enum JPEGQuality {
    /// Annex K luminance and chrominance tables, natural (row-major) order.
    static let luminance: [Int] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]
    static let chrominance: [Int] = [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
        47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ]
    /// zigzag[k] = natural index of the k-th coefficient in zigzag order (how DQT stores them).
    static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ]

    /// libjpeg's table for `quality` (jpeg_quality_scaling + jpeg_add_quant_table, baseline), zigzag order.
    public static func table(_ base: [Int], quality: Int) -> [Int] {
        let q = min(max(quality, 1), 100)
        let scale = q < 50 ? 5000 / q : 200 - 2 * q
        return zigzag.map { min(max((base[$0] * scale + 50) / 100, 1), 255) }
    }

    /// The quality whose tables are nearest to `tables` (ids 0 and 1 where present), with the distance.
    public static func estimate(_ tables: [Int: [Int]]) -> (quality: Int, distance: Int)? {
        guard let lum = tables[0], lum.count == 64 else { return nil }
        let chroma = tables[1].flatMap { $0.count == 64 ? $0 : nil }
        var best: (quality: Int, distance: Int)? = nil
        for q in 1...100 {
            var d = zip(lum, table(luminance, quality: q)).reduce(0) { $0 + abs($1.0 - $1.1) }
            if let chroma { d += zip(chroma, table(chrominance, quality: q)).reduce(0) { $0 + abs($1.0 - $1.1) } }
            if best == nil || d < best!.distance { best = (q, d) }
        }
        return best
    }
}
