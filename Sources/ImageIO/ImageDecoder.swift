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

    /// Decodes to a malloc'd C image (the caller frees `image.pixels` with `ic_free`): used by the
    /// pipeline to resize straight from the decoder's buffer without an extra copy.
    static func decodeRaw(_ bytes: UnsafeBufferPointer<UInt8>, channels: Int?, targetWidth: Int?,
                          targetHeight: Int?, oversampling: Int = 1, name: String,
                          maxPixels: Int = defaultMaxPixels) throws -> RawImage {
        guard let format = ImageFormat.sniff(bytes) else {
            let head = bytes.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw DeepfakeError("\(name) is not a JPEG or PNG image (first bytes: \(head.isEmpty ? "none, the file is empty" : head)): remove it from the dataset or convert it")
        }
        var err = [CChar](repeating: 0, count: 256)
        var out = ic_image()
        let base = bytes.baseAddress!
        let status: Int32
        var scale = 1, fullW = 0, fullH = 0
        switch format {
        case .jpeg:
            var w: Int32 = 0, h: Int32 = 0, comps: Int32 = 0, progressive: Int32 = 0
            let info = ic_jpeg_info(base, bytes.count, &w, &h, &comps, &progressive, &err, err.count)
            if info != IC_OK { throw corrupt(name, "JPEG", err, truncated: info == IC_ERR_TRUNCATED) }
            let ch = Int32(channels ?? (comps == 1 ? 1 : 3))
            scale = dctScaleDenominator(width: Int(w), height: Int(h), targetWidth: targetWidth, targetHeight: targetHeight,
                                        oversampling: oversampling)
            (fullW, fullH) = (Int(w), Int(h))
            let decoded = ((fullW + scale - 1) / scale) * ((fullH + scale - 1) / scale)
            try checkPixels(name, "JPEG", fullW, fullH, decoded: progressive != 0 ? fullW * fullH : decoded,
                            limit: maxPixels, note: progressive != 0 ? " (progressive: decoded at full size)" : "")
            status = ic_jpeg_decode(base, bytes.count, ch, Int32(scale), &out, &err, err.count)
        case .png:
            if let (w, h) = pngSize(bytes) { try checkPixels(name, "PNG", w, h, decoded: w * h, limit: maxPixels, note: "") }
            // Without a requested channel count, grey PNGs (IHDR colour type 0 or 4) decode to 1.
            status = ic_png_decode(base, bytes.count, Int32(channels ?? pngChannels(bytes)), &out, &err, err.count)
        }
        if status != IC_OK { throw corrupt(name, format == .jpeg ? "JPEG" : "PNG", err, truncated: status == IC_ERR_TRUNCATED) }
        if format == .png { (fullW, fullH) = (Int(out.width), Int(out.height)) }
        return RawImage(image: out, scale: scale, fullWidth: fullW, fullHeight: fullH)
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

    /// Reads a whole file into memory (one read into an exactly sized array) with a clear error
    /// when it is missing or unreadable.
    /// Only regular files are read: the file is opened non-blocking and checked with fstat before
    /// any read, so a FIFO or device named like an image is refused instead of blocking forever.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw DeepfakeError("cannot read image \(path): \(reason); check the path and permissions")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw DeepfakeError("\(path) is not a regular file (a FIFO, socket or device named like an image): remove it from the dataset")
        }
        guard let fp = fdopen(fd, "rb") else {
            close(fd)
            throw DeepfakeError("cannot read image \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(fp) }
        fseek(fp, 0, SEEK_END)
        let size = max(0, ftell(fp))
        fseek(fp, 0, SEEK_SET)
        var got = 0
        let result = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            got = size > 0 ? fread(buf.baseAddress, 1, size, fp) : 0
            count = got
        }
        if got < size || ferror(fp) != 0 {
            throw DeepfakeError("error reading image \(path): read \(got) of \(size) bytes (\(String(cString: strerror(errno))))")
        }
        return result
    }
}
