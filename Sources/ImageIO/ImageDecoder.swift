// ImageDecoder: reads an image file, sniffs its format from magic bytes (never the extension), and
// decodes JPEG (libjpeg-turbo, with optional DCT-domain downscaling) or PNG via CImageCodec.

import CImageCodec
import Core
import Foundation

/// Image container formats recognised by their leading bytes.
public enum ImageFormat: String, Sendable {
    case jpeg, png

    /// The format of `bytes`, or nil: JPEG starts FF D8 FF, PNG with the 8-byte PNG signature.
    public static func sniff(_ bytes: UnsafeBufferPointer<UInt8>) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 8, (0..<8).allSatisfy({ bytes[$0] == png[$0] }) { return .png }
        return nil
    }
}

public enum ImageDecoder {
    /// Default limit on the pixels one decode may produce (and, for progressive JPEGs, which
    /// libjpeg buffers whole, on the full-size pixels): 50 megapixels, i.e. at most 200 MB of RGBA
    /// per decoding thread. A 20000x20000 PNG of 1 MB would otherwise cost 2.8 GB per thread.
    public static let defaultMaxPixels = 50_000_000

    /// Decodes the image at `path` at its full size, keeping its channels as 1 (grey sources) or 3.
    /// With a target size, large JPEGs are decoded with DCT downscaling (1/2, 1/4, 1/8) to the
    /// smallest size still >= the target in both axes; the result is NOT resized to the target
    /// (use `ImagePipeline.load` or `Image.resized`).
    /// `channels` nil keeps the source's (1 for grey sources, else 3); 1 or 3 forces that.
    /// Images whose header promises more than `maxPixels` decoded pixels are refused before decoding.
    public static func decode(fileAt path: String, targetWidth: Int? = nil, targetHeight: Int? = nil,
                              channels: Int? = nil, maxPixels: Int = defaultMaxPixels) throws -> Image {
        let bytes = try readFile(path)
        return try bytes.withUnsafeBufferPointer { buf in
            try decode(buf, channels: channels, targetWidth: targetWidth, targetHeight: targetHeight, name: path,
                       maxPixels: maxPixels)
        }
    }

    /// Decodes in-memory image bytes (`name` appears in error messages). `channels` nil keeps the
    /// source's (1 for grey JPEG/PNG sources, else 3); 1 or 3 forces that.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, channels: Int? = nil, targetWidth: Int? = nil,
                              targetHeight: Int? = nil, name: String = "<memory>", maxPixels: Int = defaultMaxPixels) throws -> Image {
        let raw = try decodeRaw(bytes, channels: channels, targetWidth: targetWidth, targetHeight: targetHeight, name: name,
                                maxPixels: maxPixels).image
        defer { ic_free(raw.pixels) }
        let n = Int(raw.width) * Int(raw.height) * Int(raw.channels)
        return Image(width: Int(raw.width), height: Int(raw.height), channels: Int(raw.channels),
                     pixels: Array(UnsafeBufferPointer(start: raw.pixels, count: n)))
    }

    /// A decoder-owned image plus its geometry: decoded at 1/`scale` of `fullWidth` x `fullHeight`.
    struct RawImage {
        var image: ic_image
        var scale: Int
        var fullWidth: Int
        var fullHeight: Int
    }

    /// Decodes to a malloc'd C image (the caller frees `image.pixels` with `ic_free`).
    static func decodeRaw(_ bytes: UnsafeBufferPointer<UInt8>, channels: Int?, targetWidth: Int?,
                          targetHeight: Int?, oversampling: Int = 1, name: String,
                          maxPixels: Int = defaultMaxPixels) throws -> RawImage {
        var err = [CChar](repeating: 0, count: 256)
        var out = ic_image()
        switch try sniff(bytes, name: name) {
        case .jpeg:
            let jpeg = try JPEGHeader(bytes, name: name)
            defer { ic_jpeg_close(jpeg.handle) }
            let scale = try jpeg.scale(targetWidth: targetWidth, targetHeight: targetHeight, oversampling: oversampling,
                                       maxPixels: maxPixels, name: name)
            let status = ic_jpeg_decode(jpeg.handle, jpeg.channels(channels), Int32(scale), &out, &err, err.count)
            if status != IC_OK { throw corrupt(name, "JPEG", err, truncated: status == IC_ERR_TRUNCATED) }
            return RawImage(image: out, scale: scale, fullWidth: jpeg.width, fullHeight: jpeg.height)
        case .png:
            try decodePNG(bytes, channels: channels, name: name, maxPixels: maxPixels, into: &out)
            return RawImage(image: out, scale: 1, fullWidth: Int(out.width), fullHeight: Int(out.height))
        }
    }

    /// Decodes and area-resizes to `width` x `height` x `channels` into `into`: JPEGs in one C call
    /// (one header read, decode at the DCT scale `dctScaleDenominator` picks for `oversampling`,
    /// resize from the decoder's buffer); PNGs are decoded whole, then resized.
    static func decodeResized(_ bytes: UnsafeBufferPointer<UInt8>, channels: Int, width: Int, height: Int,
                              oversampling: Int, name: String, maxPixels: Int, into: UnsafeMutablePointer<UInt8>) throws {
        var err = [CChar](repeating: 0, count: 256)
        switch try sniff(bytes, name: name) {
        case .jpeg:
            let jpeg = try JPEGHeader(bytes, name: name)
            defer { ic_jpeg_close(jpeg.handle) }
            let scale = try jpeg.scale(targetWidth: width, targetHeight: height, oversampling: oversampling,
                                       maxPixels: maxPixels, name: name)
            let status = ic_jpeg_decode_resized(jpeg.handle, Int32(channels), Int32(scale), into, Int32(width), Int32(height),
                                                &err, err.count)
            if status != IC_OK { throw corrupt(name, "JPEG", err, truncated: status == IC_ERR_TRUNCATED) }
        case .png:
            var out = ic_image()
            try decodePNG(bytes, channels: channels, name: name, maxPixels: maxPixels, into: &out)
            defer { ic_free(out.pixels) }
            areaResize(out.pixels, width: Int(out.width), height: Int(out.height), channels: channels,
                       into: into, width: width, height: height)
        }
    }

    /// The format of `bytes`, or an error naming the file and its first bytes.
    static func sniff(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws -> ImageFormat {
        if let format = ImageFormat.sniff(bytes) { return format }
        let head = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw DeepfakeError("\(name) is not a JPEG or PNG image (first bytes: \(head.isEmpty ? "none, the file is empty" : head)): remove it from the dataset or convert it")
    }

    /// An open libjpeg decoder with its header read (close `handle` with `ic_jpeg_close`).
    struct JPEGHeader {
        let handle: OpaquePointer
        let width: Int, height: Int, components: Int, progressive: Bool

        init(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws {
            var err = [CChar](repeating: 0, count: 256)
            var handle: OpaquePointer?
            var w: Int32 = 0, h: Int32 = 0, comps: Int32 = 0, progressive: Int32 = 0
            let status = ic_jpeg_open(bytes.baseAddress, bytes.count, &handle, &w, &h, &comps, &progressive, &err, err.count)
            guard status == IC_OK, let handle else { throw corrupt(name, "JPEG", err, truncated: status == IC_ERR_TRUNCATED) }
            self.handle = handle
            (width, height, components, self.progressive) = (Int(w), Int(h), Int(comps), progressive != 0)
        }

        /// The channel count to decode to: `requested`, else the source's (1 for grey, else 3).
        func channels(_ requested: Int?) -> Int32 { Int32(requested ?? (components == 1 ? 1 : 3)) }

        /// The DCT scale for a target size, after refusing a decode over `maxPixels` (progressive
        /// JPEGs count at full size: libjpeg buffers them whole).
        func scale(targetWidth: Int?, targetHeight: Int?, oversampling: Int, maxPixels: Int, name: String) throws -> Int {
            let scale = dctScaleDenominator(width: width, height: height, targetWidth: targetWidth, targetHeight: targetHeight,
                                            oversampling: oversampling)
            let decoded = ((width + scale - 1) / scale) * ((height + scale - 1) / scale)
            try checkPixels(name, "JPEG", width, height, decoded: progressive ? width * height : decoded,
                            limit: maxPixels, note: progressive ? " (progressive: decoded at full size)" : "")
            return scale
        }
    }

    /// Decodes a PNG into `out` (pixels malloc'd, free with `ic_free`), refusing it from its header
    /// when over `maxPixels`. Without a requested channel count, grey PNGs (IHDR colour type 0 or 4)
    /// decode to 1.
    static func decodePNG(_ bytes: UnsafeBufferPointer<UInt8>, channels: Int?, name: String, maxPixels: Int,
                          into out: inout ic_image) throws {
        if let (w, h) = pngSize(bytes) { try checkPixels(name, "PNG", w, h, decoded: w * h, limit: maxPixels, note: "") }
        var err = [CChar](repeating: 0, count: 256)
        let status = ic_png_decode(bytes.baseAddress, bytes.count, Int32(channels ?? pngChannels(bytes)), &out, &err, err.count)
        if status != IC_OK { throw corrupt(name, "PNG", err, truncated: status == IC_ERR_TRUNCATED) }
    }

    /// The largest DCT scale denominator d in {8, 4, 2, 1} with ceil(width / d) >= oversampling *
    /// targetWidth and likewise for height (libjpeg rounds scaled sizes up); 1 without a target.
    public static func dctScaleDenominator(width: Int, height: Int, targetWidth: Int?, targetHeight: Int?,
                                           oversampling: Int = 1) -> Int {
        guard targetWidth != nil || targetHeight != nil else { return 1 }
        let tw = (targetWidth ?? 1) * oversampling, th = (targetHeight ?? 1) * oversampling
        for d in [8, 4, 2] where (width + d - 1) / d >= tw && (height + d - 1) / d >= th { return d }
        return 1
    }

    /// Refuses an image whose decode would produce more than `limit` pixels, from its header alone.
    static func checkPixels(_ name: String, _ format: String, _ w: Int, _ h: Int, decoded: Int, limit: Int, note: String) throws {
        guard decoded > limit else { return }
        throw DeepfakeError("\(name) is a \(w)x\(h) \(format) whose decode needs \(decoded) pixels\(note), over the limit of "
            + "\(limit) (maxImagePixels): shrink the image, remove it from the dataset, or raise the limit")
    }

    /// Width and height from a PNG's IHDR chunk (bytes 16-23, big-endian), nil when too short.
    static func pngSize(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        guard bytes.count >= 24 else { return nil }
        let be = { (o: Int) in (0..<4).reduce(0) { $0 << 8 | Int(bytes[o + $1]) } }
        return (be(16), be(20))
    }

    /// 1 when the PNG's IHDR colour type is grey or grey+alpha, else 3.
    static func pngChannels(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4) + depth (1) -> byte 25.
        guard bytes.count > 25 else { return 3 }
        return bytes[25] == 0 || bytes[25] == 4 ? 1 : 3
    }

    static func corrupt(_ name: String, _ format: String, _ err: [CChar], truncated: Bool = false) -> DeepfakeError {
        let reason = String(cString: err)
        return DeepfakeError("\(name) is a \(truncated ? "truncated" : "corrupt") \(format) file (\(reason)): re-download it or remove it from the dataset")
    }

    /// Reads a whole file into memory (one read into an exactly sized array: open, fstat, read,
    /// close) with a clear error when it is missing or unreadable.
    /// Only regular files are read: the file is opened non-blocking and checked with fstat before
    /// any read, so a FIFO or device named like an image is refused instead of blocking forever.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw DeepfakeError("cannot read image \(path): \(reason); check the path and permissions")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw DeepfakeError("\(path) is not a regular file (a FIFO, socket or device named like an image): remove it from the dataset")
        }
        let size = max(0, Int(st.st_size))
        var got = 0, failure: Int32 = 0
        let result = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            while got < size {
                let n = read(fd, buf.baseAddress! + got, size - got)
                if n > 0 { got += n; continue }
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno }
                break   // 0: the file shrank since fstat
            }
            count = got
        }
        if got < size {
            let reason = failure != 0 ? String(cString: strerror(failure)) : "the file is shorter than its size"
            throw DeepfakeError("error reading image \(path): read \(got) of \(size) bytes (\(reason))")
        }
        return result
    }
}
