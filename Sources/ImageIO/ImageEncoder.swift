// ImageEncoder: JPEG and PNG encoding to memory (for tests, fixtures and the built-in synthetic data).

import CImageCodec
import Core
import Foundation

public enum ImageEncoder {
    /// A baseline JPEG (4:2:0 chroma for RGB) of a grey or RGB image; `quality` 1...100.
    public static func jpeg(_ image: Image, quality: Int = 90) throws -> [UInt8] {
        guard image.channels == 1 || image.channels == 3 else {
            throw DeepfakeError("JPEG encoding needs a grey or RGB image, not \(image.channels) channels: convert it first")
        }
        guard (1...100).contains(quality) else { throw DeepfakeError("JPEG quality \(quality) is outside 1...100") }
        return try encode("JPEG") { out, size, err in
            ic_jpeg_encode(image.pixels, Int32(image.width), Int32(image.height), Int32(image.channels),
                           Int32(quality), out, size, err, 256)
        }
    }

    /// A PNG of a grey, RGB or RGBA image (lossless).
    public static func png(_ image: Image) throws -> [UInt8] {
        try encode("PNG") { out, size, err in
            ic_png_encode(image.pixels, Int32(image.width), Int32(image.height), Int32(image.channels), out, size, err, 256)
        }
    }

    /// Writes encoded bytes to `path` atomically (temporary file + rename).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw DeepfakeError("cannot write image \(path): \(error.localizedDescription); check the folder exists and is writable")
        }
    }

    private static func encode(_ format: String,
                               _ call: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>, UnsafeMutablePointer<Int>,
                                        UnsafeMutablePointer<CChar>) -> Int32) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var err = [CChar](repeating: 0, count: 256)
        let status = err.withUnsafeMutableBufferPointer { call(&out, &size, $0.baseAddress!) }
        guard status == IC_OK, let buf = out else {
            throw DeepfakeError("\(format) encoding failed: \(String(cString: err))")
        }
        defer { ic_free(buf) }
        return Array(UnsafeBufferPointer(start: buf, count: size))
    }
}
