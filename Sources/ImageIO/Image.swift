// Image: a decoded 8-bit image in HWC layout, with channel conversion (grey <-> RGB).

import CImageCodec
import Core

/// An 8-bit image, rows top to bottom, pixels interleaved: `pixels[(y * width + x) * channels + c]`.
public struct Image: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// 1 (grey) or 3 (RGB); 4 (RGBA) is accepted by the PNG encoder only.
    public var channels: Int
    public var pixels: [UInt8]

    /// An image over existing pixels; `pixels.count` must be `width * height * channels`.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && [1, 3, 4].contains(channels), "bad image geometry \(width)x\(height)x\(channels)")
        precondition(pixels.count == width * height * channels, "\(pixels.count) bytes for a \(width)x\(height)x\(channels) image")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    /// The pixel value at (x, y, channel c).
    public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        pixels[(y * width + x) * channels + c]
    }

    /// This image with `channels` 1 or 3. RGB -> grey is ITU-R BT.601 luma rounded like Pillow's "L"
    /// ((19595 R + 38470 G + 7471 B + 32768) >> 16); grey -> RGB repeats the value; RGBA drops alpha.
    public func converted(toChannels target: Int) throws -> Image {
        guard target == 1 || target == 3 else {
            throw DeepfakeError("cannot convert an image to \(target) channels: use 1 (grey) or 3 (RGB)")
        }
        if target == channels { return self }
        let n = width * height
        var out = [UInt8](repeating: 0, count: n * target)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                convertChannels(src.baseAddress!, from: channels, dst.baseAddress!, to: target, pixels: n)
            }
        }
        return Image(width: width, height: height, channels: target, pixels: out)
    }
}

/// Converts `pixels` interleaved pixels between 1, 3 and 4 channels (4 -> drops alpha; -> 1 is luma).
func convertChannels(_ src: UnsafePointer<UInt8>, from: Int, _ dst: UnsafeMutablePointer<UInt8>, to: Int, pixels n: Int) {
    switch (from, to) {
    case _ where from == to:
        dst.update(from: src, count: n * to)
    case (1, 3):
        for i in 0..<n { let v = src[i]; dst[3 * i] = v; dst[3 * i + 1] = v; dst[3 * i + 2] = v }
    case (3, 1):
        ic_rgb_to_luma(src, dst, n)
    case (4, 3):
        for i in 0..<n { dst[3 * i] = src[4 * i]; dst[3 * i + 1] = src[4 * i + 1]; dst[3 * i + 2] = src[4 * i + 2] }
    case (4, 1):
        for i in 0..<n {
            let v = 19595 * UInt32(src[4 * i]) + 38470 * UInt32(src[4 * i + 1]) + 7471 * UInt32(src[4 * i + 2]) + 0x8000
            dst[i] = UInt8(v >> 16)
        }
    default:
        preconditionFailure("unsupported channel conversion \(from) -> \(to)")
    }
}
