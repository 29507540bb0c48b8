// Trivial properties of one source image file that should NOT decide real vs fake: its stored
// size, file format and size, JPEG quality (from the quantisation tables), EXIF presence, mean
// colour, sharpness and high-frequency energy. The shortcut audit (Reporting/ShortcutReport.swift)
// measures how well each one alone separates a dataset's classes. Measured on the original file at
// its full size, never on the resized training tensors, and cached per dataset under dataPath so
// the training log can print the audit's flags without decoding everything again.

import Core
import Foundation
import ImageIO

public struct ImageProperties: Codable, Equatable, Sendable {
    public var path: String
    public var dataset: String
    /// 1 = fake, 0 = real.
    public var label: Int32
    public var format: String
    public var width: Int
    public var height: Int
    public var fileBytes: Int
    /// IJG quality estimated from the DQT tables; nil for PNG.
    public var jpegQuality: Int?
    public var exif: Bool
    /// Mean of each channel, 0...255 (a grey image gives the grey mean three times).
    public var meanRed: Double
    public var meanGreen: Double
    public var meanBlue: Double
    /// Variance of the 4-neighbour Laplacian of the grey image (a common focus measure).
    public var sharpness: Double
    /// Share of the grey image's variance left after a 3x3 box blur: sum (g - box(g))^2 / sum (g - mean)^2.
    public var highFrequencyEnergy: Double

    /// Reads and measures the file of `image`.
    public static func measure(_ image: SourceImage) throws -> ImageProperties {
        let bytes = try ImageDecoder.readFile(image.path)
        let headers: ImageHeaders
        do { headers = try ImageHeaders.parse(bytes, name: image.path) } catch let e as ImageHeaderError {
            throw DeepfakeError(e.description)
        }
        let pixels = try bytes.withUnsafeBufferPointer { try ImageDecoder.decode($0, channels: 3, name: image.path) }
        var p = ImageProperties(path: image.path, dataset: image.datasetName, label: image.label, format: headers.format.rawValue,
                                width: headers.width, height: headers.height, fileBytes: bytes.count,
                                jpegQuality: headers.jpegQuality?.quality, exif: headers.hasEXIF,
                                meanRed: 0, meanGreen: 0, meanBlue: 0, sharpness: 0, highFrequencyEnergy: 0)
        p.measurePixels(pixels)
        return p
    }

    mutating func measurePixels(_ im: Image) {
        let w = im.width, h = im.height, n = w * h
        var sums = [0.0, 0.0, 0.0]
        var grey = [Double](repeating: 0, count: n)
        im.pixels.withUnsafeBufferPointer { px in
            for i in 0..<n {
                let r = Double(px[3 * i]), g = Double(px[3 * i + 1]), b = Double(px[3 * i + 2])
                sums[0] += r; sums[1] += g; sums[2] += b
                grey[i] = 0.299 * r + 0.587 * g + 0.114 * b
            }
        }
        (meanRed, meanGreen, meanBlue) = (sums[0] / Double(n), sums[1] / Double(n), sums[2] / Double(n))
        (sharpness, highFrequencyEnergy) = ImageProperties.textureMeasures(grey, width: w, height: h)
    }

    /// (variance of the Laplacian, high-frequency share) over the interior pixels (borders skipped).
    static func textureMeasures(_ g: [Double], width w: Int, height h: Int) -> (Double, Double) {
        guard w >= 3, h >= 3 else { return (0, 0) }
        var lapSum = 0.0, lapSq = 0.0, hf = 0.0, count = 0.0
        let mean = g.reduce(0, +) / Double(g.count)
        var total = 0.0
        for y in 1..<(h - 1) {
            for x in 1..<(w - 1) {
                let c = g[y * w + x]
                let up = g[(y - 1) * w + x], down = g[(y + 1) * w + x], left = g[y * w + x - 1], right = g[y * w + x + 1]
                let lap = up + down + left + right - 4 * c
                lapSum += lap; lapSq += lap * lap
                var box = 0.0
                for dy in -1...1 { for dx in -1...1 { box += g[(y + dy) * w + x + dx] } }
                let d = c - box / 9
                hf += d * d
                total += (c - mean) * (c - mean)
                count += 1
            }
        }
        let lapMean = lapSum / count
        return (lapSq / count - lapMean * lapMean, total > 0 ? hf / total : 0)
    }
}

/// The properties of every image of one dataset, cached as JSON under `<dataPath>/audit/`, keyed by
/// the dataset's file identities (relative path, size, mtime), so a changed file rebuilds it.
public enum ImagePropertyCache {
    /// Bump when a measure changes: old caches are then rebuilt.
    static let version = 1

    public struct Result: Sendable {
        public var properties: [ImageProperties]
        /// Files that could not be measured, with the reason (they are left out, not guessed).
        public var skipped: [(path: String, reason: String)]
        public var reusedCache: Bool
        public var seconds: Double
        public var cachePath: String
    }

    struct Stored: Codable {
        var version: Int
        var key: String
        var properties: [ImageProperties]
        var skipped: [[String]]
    }

    /// The cache key of `images` (one dataset's images).
    public static func key(_ images: [SourceImage]) -> String {
        var h = KeyHasher()
        h.add("audit v\(version)")
        for im in images { h.add("\(im.datasetName)|\(im.relativePath)|\(im.label)|\(im.byteSize)|\(im.mtimeNs)") }
        return h.hex
    }

    /// The properties of `images` (all of one dataset, `dataset`), from the cache when its key
    /// matches, else measured with `threads` and cached (rewritten atomically).
    public static func load(dataset: String, images: [SourceImage], dataPath: String, threads: Threads) throws -> Result {
        let t0 = WallClock.now()
        let folder = (dataPath as NSString).appendingPathComponent("audit")
        let safe = String(dataset.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        let path = (folder as NSString).appendingPathComponent("\(safe).json")
        let key = key(images)
        if let data = FileManager.default.contents(atPath: path),
           let stored = try? JSONDecoder().decode(Stored.self, from: data), stored.version == version, stored.key == key {
            return Result(properties: stored.properties, skipped: stored.skipped.map { ($0[0], $0[1]) }, reusedCache: true,
                          seconds: WallClock.now() - t0, cachePath: path)
        }
        var measured = [Result.Outcome?](repeating: nil, count: images.count)
        measured.withUnsafeMutableBufferPointer { out in
            threads.forEach(images.count) { i in
                do { out[i] = .ok(try ImageProperties.measure(images[i])) } catch { out[i] = .failed("\(error)") }
            }
        }
        var properties: [ImageProperties] = [], skipped: [(path: String, reason: String)] = []
        for (i, m) in measured.enumerated() {
            switch m! {
            case .ok(let p): properties.append(p)
            case .failed(let reason): skipped.append((images[i].path, reason))
            }
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let stored = Stored(version: version, key: key, properties: properties, skipped: skipped.map { [$0.path, $0.reason] })
            try AtomicFile.write(try JSONEncoder().encode(stored), to: path)
        } catch {
            throw DeepfakeError("cannot write the audit cache \(path): \(error); check that dataPath (\(dataPath)) is writable")
        }
        return Result(properties: properties, skipped: skipped, reusedCache: false, seconds: WallClock.now() - t0, cachePath: path)
    }
}

extension ImagePropertyCache.Result {
    enum Outcome { case ok(ImageProperties), failed(String) }
}
