// ImagePipeline: file -> HWC uint8 of an exact size and channel count, the preprocessing step for
// every dataset image. Large JPEGs are shrunk in the DCT domain first (cheap), then area-resized
// inside CImageCodec from libjpeg's own output buffer (no copy of the decoded image).

import Core

public enum ImagePipeline {
    /// Loads the image at `path` as `height x width x channels` uint8 (HWC), `channels` 1 or 3.
    /// The image is stretched to the target size (no crop, aspect ratio not kept), by area averaging.
    ///
    /// JPEGs are first decoded at the smallest DCT scale (1/2, 1/4, 1/8) that keeps at least
    /// `oversampling` x the target size. Measured on hard1k (300x300): with 2 (default) the result
    /// differs from full decode + area resize by a mean 0.5 (64x64) / 0.9 (32x32) grey levels; with 1
    /// (fastest, decode just >= target) by 1.7 / 2.8, because box-averaging 8x8 DCT blocks and then
    /// resampling is not one box filter. 2 still decodes 2-3x faster than full size.
    /// Images whose header promises more than `maxPixels` decoded pixels are refused (see
    /// `ImageDecoder.defaultMaxPixels`); large JPEGs count at their DCT-downscaled size.
    public static func load(path: String, width: Int, height: Int, channels: Int, oversampling: Int = 2,
                            maxPixels: Int = ImageDecoder.defaultMaxPixels) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * channels)
        try out.withUnsafeMutableBufferPointer {
            try load(path: path, width: width, height: height, channels: channels, oversampling: oversampling,
                     maxPixels: maxPixels, into: $0.baseAddress!)
        }
        return out
    }

    /// As `load(path:width:height:channels:oversampling:)`, writing into `into` (room for
    /// width*height*channels bytes): the allocation-free form for filling a batch buffer.
    public static func load(path: String, width: Int, height: Int, channels: Int, oversampling: Int = 2,
                            maxPixels: Int = ImageDecoder.defaultMaxPixels, into: UnsafeMutablePointer<UInt8>) throws {
        guard width > 0, height > 0, channels == 1 || channels == 3 else {
            throw DeepfakeError("image target \(width)x\(height)x\(channels) is invalid: use a positive size and 1 or 3 channels")
        }
        let bytes = try ImageDecoder.readFile(path)
        try bytes.withUnsafeBufferPointer {
            try ImageDecoder.decodeResized($0, channels: channels, width: width, height: height, oversampling: max(1, oversampling),
                                           name: path, maxPixels: maxPixels, into: into)
        }
    }
}
