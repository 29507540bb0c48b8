// Preprocessing into the HDF5 cache: decode every image of a set of entries to HxWxC uint8 with
// ImageIO (in parallel over files), store them in ONE chunked, deflate-compressed file per
// (entries, size, channels), and reuse that file while its inputs are unchanged.
//
// File layout: `images` uint8 [N,H,W,C], `labels` int32 [N] (fake 1, real 0), `paths` and
// `datasets` strings [N], `splits` int32 [N] (OfficialSplit codes), `skipped_paths` and
// `skipped_reasons` strings; root attributes `cacheKey`, `formatVersion`, `height`, `width`,
// `channels`. The file is written under a temporary name and renamed when complete, so a file
// with the final name is always whole.

import Config
import Core
import Foundation
import ImageIO
import Storage

public struct PrepareSettings: Sendable {
    public var height: Int
    public var width: Int
    public var channels: Int
    /// Rebuild even when the cache key matches (the CLI's -r/--resort).
    public var resort: Bool
    /// Deflate level of the images dataset (shuffle+deflate), nil for none. Default 1: small photos
    /// compress only about 1.2x at any level (hard1k at 64x64: 16.8 MB raw, 13.8 MB at 1 and at 4),
    /// and level 1 costs about half the CPU time of level 4.
    public var compression: Int?
    /// How the images chunks are deflated (on the decode threads, written pre-filtered). Default
    /// literal-only Huffman: see `DeflateStrategy` and benchmarks/README.md for the measurement.
    public var deflateStrategy: DeflateStrategy
    /// Images per HDF5 chunk of `images`.
    public var chunkRows: Int
    /// Images decoded per parallel block (bounds the memory of one block).
    public var blockSize: Int
    /// Largest decode allowed per image, in pixels, checked from the header (ImageDecoder.defaultMaxPixels,
    /// 50 megapixels); larger images are skipped and listed like unreadable ones.
    public var maxImagePixels: Int
    /// Decode (and built-in generation) threads.
    public var threads: Threads

    public init(height: Int, width: Int, channels: Int, resort: Bool = false, compression: Int? = 1,
                chunkRows: Int = 64, blockSize: Int = 512, maxImagePixels: Int = ImageDecoder.defaultMaxPixels,
                threads: Threads = .serial, deflateStrategy: DeflateStrategy = .huffman) {
        self.height = height; self.width = width; self.channels = channels; self.resort = resort
        self.compression = compression; self.chunkRows = chunkRows; self.blockSize = blockSize
        self.deflateStrategy = deflateStrategy
        self.maxImagePixels = maxImagePixels
        self.threads = threads
    }
}

public enum DataPreparer {
    /// Bumped when the file layout or the decoding changes; part of the cache key.
    public static let formatVersion = 1

    /// Prepares `entries` (decoding with `settings.threads`) and returns the data, from
    /// the cache under `<dataPath>/cache` when its key matches.
    public static func prepare(entries: [DatasetEntry], dataPath: String, kagglePath: String,
                               settings: PrepareSettings, log: RunLog? = nil,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PreparedData {
        guard settings.height > 0, settings.width > 0, settings.channels == 1 || settings.channels == 3 else {
            throw DeepfakeError("image size \(settings.height)x\(settings.width) with \(settings.channels) channels is not supported: "
                + "use positive imageHeight/imageWidth and numChannels 1 or 3")
        }
        let resolver = DatasetResolver(kagglePath: kagglePath, dataPath: dataPath,
                                       builtinSize: max(settings.height, settings.width), environment: environment,
                                       threads: settings.threads)
        let scan = try SourceScan.scan(entries, resolver: resolver, log: log)
        let key = scan.cacheKey(height: settings.height, width: settings.width, channels: settings.channels,
                                formatVersion: formatVersion)
        let path = cachePath(dataPath: dataPath, names: scan.entries.map { $0.entry.name }, settings: settings)
        if !settings.resort, FileManager.default.fileExists(atPath: path),
           let data = try? readCache(path: path, expectedKey: key) {
            log?.info("using preprocessed cache \(path) (\(data.count) images, key \(key.prefix(12)))")
            return data
        }
        log?.info("preprocessing \(scan.images.count) images of \(scan.entries.map { $0.entry.name }) to "
                  + "\(settings.height)x\(settings.width)x\(settings.channels) into \(path)")
        return try build(scan: scan, key: key, path: path, settings: settings, log: log)
    }

    /// `<dataPath>/cache/<name+name>_<H>x<W>x<C>.h5` (names sorted; unsafe characters replaced).
    public static func cachePath(dataPath: String, names: [String], settings: PrepareSettings) -> String {
        let safe = names.sorted().map { String($0.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" }) }
        let file = "\(safe.joined(separator: "+"))_\(settings.height)x\(settings.width)x\(settings.channels).h5"
        return ((dataPath as NSString).appendingPathComponent("cache") as NSString).appendingPathComponent(file)
    }

    /// Reads a cache file; nil when its key differs (stale), throws when it is unreadable.
    public static func readCache(path: String, expectedKey: String?) throws -> PreparedData? {
        let f = try H5File.open(path)
        defer { f.close() }
        let key = try f.attributeString("cacheKey") ?? ""
        if let expectedKey, key != expectedKey { return nil }
        guard let h = try f.attributeInt("height"), let w = try f.attributeInt("width"), let c = try f.attributeInt("channels") else {
            throw DeepfakeError("cache file \(path) lacks its size attributes: delete it or run with -r/--resort")
        }
        let images = try f.read("images", as: UInt8.self).values
        let labels = try f.read("labels", as: Int32.self).values
        let splits = try f.read("splits", as: Int32.self).values
        let paths = try f.readStrings("paths"), names = try f.readStrings("datasets")
        let sp = try f.readStrings("skipped_paths"), sr = try f.readStrings("skipped_reasons")
        guard images.count == labels.count * h * w * c, paths.count == labels.count, names.count == labels.count,
              splits.count == labels.count, sp.count == sr.count else {
            throw DeepfakeError("cache file \(path) is inconsistent (array lengths differ): delete it or run with -r/--resort")
        }
        return PreparedData(images: images, labels: labels, paths: paths, datasetNames: names, officialSplits: splits,
                            height: h, width: w, channels: c, cachePath: path, cacheKey: key,
                            skipped: zip(sp, sr).map { (path: $0, reason: $1) }, reusedCache: true)
    }

    /// Decodes everything and writes the cache (temporary name, then rename).
    static func build(scan: SourceScan, key: String, path: String, settings: PrepareSettings, log: RunLog?) throws -> PreparedData {
        let (H, W, C) = (settings.height, settings.width, settings.channels)
        let imageSize = H * W * C
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let cacheFolder = (path as NSString).deletingLastPathComponent
        for stale in TempFiles.removeStale(in: cacheFolder) { log?.info("removed \(stale), left by an interrupted run") }
        let tmp = TempFiles.name(for: path)
        let file = try H5File.create(tmp)
        var closed = false
        // On any error (a full disk included) the half-written file is closed once and deleted.
        defer { if !closed { file.abandon() } }
        try file.createAppendable("images", type: UInt8.self, rowShape: [H, W, C], chunkRows: settings.chunkRows,
                                  compression: settings.compression)
        let n = scan.images.count
        // Images are decoded straight into their final place in `images`. After each block the
        // decode threads deflate every chunk whose rows are all there (in parallel: deflate inside
        // HDF5 is serial), and a writer thread stores those pre-filtered chunks (H5Dwrite_chunk)
        // while the threads decode the next block. Uncompressed caches append rows instead.
        // Not zero-filled: every byte kept is written by a decode (failed images are compacted
        // away, the unused tail removed), and zeroing 16-25 MB cost 2.5% of the run.
        var images = [UInt8](unsafeUninitializedCapacity: n * imageSize) { _, count in count = n * imageSize }
        var labels: [Int32] = [], paths: [String] = [], names: [String] = [], splits: [Int32] = []
        // Names the scan found but never opened (FIFOs, non-UTF-8 names) are skipped like unreadable files.
        var skipped: [(path: String, reason: String)] = scan.rejected.map { (path: $0.path, reason: $0.reason) }
        for r in scan.rejected { log?.warning("skipping \(r.path): \(r.reason)") }
        let block = max(1, settings.blockSize)
        let writer = DispatchQueue(label: "deepfake.cache-writer")
        let pending = DispatchGroup()
        let writeError = ErrorBox()
        let t0 = WallClock.now()
        var good = 0
        let rowsPerChunk = max(1, settings.chunkRows)
        var chunksWritten = 0
        images.withUnsafeMutableBufferPointer { all in
            let base = all.baseAddress!
            var start = 0
            while start < n {
                let count = min(block, n - start)
                var failures = [String?](repeating: nil, count: count)
                let region = base + good * imageSize
                failures.withUnsafeMutableBufferPointer { fail in
                    let failBase = fail.baseAddress!
                    // Workers take small runs of files from a shared counter rather than fixed halves:
                    // file sizes vary and a busy machine deschedules threads unevenly.
                    let work = WorkCounter(limit: count, step: 4)
                    settings.threads.forEach(min(settings.threads.count, count)) { _ in
                        while let range = work.next() {
                            for k in range {
                                do {
                                    try ImagePipeline.load(path: scan.images[start + k].path, width: W, height: H, channels: C,
                                                           maxPixels: settings.maxImagePixels,
                                                           into: region + k * imageSize)
                                } catch {
                                    failBase[k] = "\(error)"
                                }
                            }
                        }
                    }
                }
                // Compact the good images of this block; labels and paths stay aligned with pixels.
                var kept = 0
                for k in 0..<count {
                    let item = scan.images[start + k]
                    if let reason = failures[k] {
                        skipped.append((item.path, reason))
                        log?.warning("skipping unreadable image \(item.path): \(reason)")
                        continue
                    }
                    if kept != k { (region + kept * imageSize).update(from: region + k * imageSize, count: imageSize) }
                    kept += 1
                    labels.append(item.label); paths.append(item.path); names.append(item.datasetName); splits.append(item.split.rawValue)
                }
                good += kept
                start += count
                pending.wait()   // at most one block in flight: the file sees blocks in order
                if let level = settings.compression {
                    // Every chunk whose rows are all decoded (the last, short one once all are).
                    let last = start < n ? good / rowsPerChunk : (good + rowsPerChunk - 1) / rowsPerChunk
                    let chunks = ChunkBlock.compress(images: UnsafePointer(base), chunks: chunksWritten..<last, rows: good,
                                                     rowsPerChunk: rowsPerChunk, rowSize: imageSize, level: level,
                                                     strategy: settings.deflateStrategy, threads: settings.threads)
                    let first = chunksWritten, rowsNow = good
                    chunksWritten = last
                    pending.enter()
                    writer.async {
                        defer { pending.leave() }
                        guard writeError.error == nil else { return }
                        do {
                            for (k, chunk) in chunks.enumerated() {
                                try file.writeChunk("images", index: first + k, chunk, rows: min(rowsNow, (first + k + 1) * rowsPerChunk))
                            }
                        } catch { writeError.set(error) }
                    }
                } else {
                    let rows = RowBlock(start: UnsafePointer(region), rows: kept, rowSize: imageSize)
                    pending.enter()
                    writer.async {
                        defer { pending.leave() }
                        guard writeError.error == nil else { return }
                        do { try file.append("images", rows: rows.buffer, rowCount: rows.rows) } catch { writeError.set(error) }
                    }
                }
                log?.info(String(format: "preprocessed %d/%d images (%.0f images/s)", start, n, Double(start) / max(WallClock.now() - t0, 1e-9)))
            }
            pending.wait()
        }
        if let e = writeError.error { throw e }
        if good == 0 {
            throw DeepfakeError("none of the \(n) images could be read (first: \(skipped.first.map { "\($0.path): \($0.reason)" } ?? "-")); "
                + "check that the dataset folders hold valid JPEG/PNG files")
        }
        images.removeLast((n - good) * imageSize)
        try file.write("labels", labels)
        try file.write("splits", splits)
        try file.writeStrings("paths", paths)
        try file.writeStrings("datasets", names)
        try file.writeStrings("skipped_paths", skipped.map { $0.path })
        try file.writeStrings("skipped_reasons", skipped.map { $0.reason })
        try file.setAttribute("cacheKey", key)
        try file.setAttribute("formatVersion", formatVersion)
        try file.setAttribute("height", H)
        try file.setAttribute("width", W)
        try file.setAttribute("channels", C)
        closed = true
        do { try file.finish() } catch {
            file.abandon()
            throw DeepfakeError("cannot write the preprocessed cache \(path): \((error as? DeepfakeError)?.message ?? "\(error)")")
        }
        if rename(tmp, path) != 0 {
            try? FileManager.default.removeItem(atPath: tmp)
            throw DeepfakeError("cannot move the finished cache \(tmp) to \(path) (errno \(errno)); check the folder is writable")
        }
        if !skipped.isEmpty {
            log?.warning("\(skipped.count) of \(n + scan.rejected.count) images could not be read and were skipped (listed above)")
        }
        return PreparedData(images: images, labels: labels, paths: paths, datasetNames: names, officialSplits: splits,
                            height: H, width: W, channels: C, cachePath: path, cacheKey: key, skipped: skipped, reusedCache: false)
    }
}

/// Rows of `images` handed to the writer thread; the decoder never touches them again.
private struct RowBlock: @unchecked Sendable {
    let start: UnsafePointer<UInt8>
    let rows: Int
    let rowSize: Int
    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: rows * rowSize) }
}

/// Compressed chunks of the contiguous good rows of `images`, one task per chunk on the decode threads.
private enum ChunkBlock {
    static func compress(images: UnsafePointer<UInt8>, chunks: Range<Int>, rows: Int, rowsPerChunk: Int, rowSize: Int,
                         level: Int, strategy: DeflateStrategy, threads: Threads) -> [FilteredChunk] {
        guard !chunks.isEmpty else { return [] }
        let out = ChunkSlots(count: chunks.count)
        let source = RowBlock(start: images, rows: rows, rowSize: rowSize)
        let work = WorkCounter(limit: chunks.count, step: 1)
        threads.forEach(min(threads.count, chunks.count)) { _ in
            while let range = work.next() {
                for k in range {
                    let c = chunks.lowerBound + k
                    let lo = c * rowsPerChunk * rowSize, hi = min(rows, (c + 1) * rowsPerChunk) * rowSize
                    out.set(k, FilteredChunk(rows: UnsafeBufferPointer(rebasing: source.buffer[lo..<hi]),
                                             chunkBytes: rowsPerChunk * rowSize, level: level, strategy: strategy))
                }
            }
        }
        return out.values
    }
}

/// One result slot per chunk, each written by one worker thread.
private final class ChunkSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [FilteredChunk?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ chunk: FilteredChunk) { lock.lock(); slots[k] = chunk; lock.unlock() }
    var values: [FilteredChunk] { lock.lock(); defer { lock.unlock() }; return slots.map { $0! } }
}

/// Hands out consecutive index ranges of `0..<limit` to worker threads.
final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next_ = 0
    private let limit: Int, step: Int
    init(limit: Int, step: Int) { self.limit = limit; self.step = max(1, step) }

    func next() -> Range<Int>? {
        lock.lock(); defer { lock.unlock() }
        guard next_ < limit else { return nil }
        let r = next_..<min(next_ + step, limit)
        next_ = r.upperBound
        return r
    }
}
