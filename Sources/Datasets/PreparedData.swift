// The preprocessed image set in memory: what the cache file holds, aligned by index.

import Core

/// All images of a set of dataset entries at one size, with their labels and origins.
/// Every per-image array has `count` elements, aligned by index; a skipped (unreadable) file
/// appears in none of them, only in `skipped`.
public struct PreparedData: Sendable {
    /// uint8 pixels, NHWC: image i, row y, column x, channel c is at ((i*H + y)*W + x)*C + c.
    public var images: [UInt8]
    /// 1 = fake (the positive class), 0 = real.
    public var labels: [Int32]
    /// Source file of each image (absolute path).
    public var paths: [String]
    /// Config name of the entry each image came from.
    public var datasetNames: [String]
    /// Official split codes (OfficialSplit raw values: 0 none, 1 train, 2 val, 3 test).
    public var officialSplits: [Int32]
    public var height: Int
    public var width: Int
    public var channels: Int
    /// The HDF5 cache file these came from ("" when built in memory only).
    public var cachePath: String
    /// The cache key (hash of inputs and settings) stored with the file.
    public var cacheKey: String
    /// Files that could not be decoded: (path, reason).
    public var skipped: [(path: String, reason: String)]
    /// True when the data were read from an existing cache rather than rebuilt.
    public var reusedCache: Bool

    public var count: Int { labels.count }
    /// Bytes per image (H*W*C).
    public var imageSize: Int { height * width * channels }

    public init(images: [UInt8], labels: [Int32], paths: [String], datasetNames: [String], officialSplits: [Int32],
                height: Int, width: Int, channels: Int, cachePath: String = "", cacheKey: String = "",
                skipped: [(path: String, reason: String)] = [], reusedCache: Bool = false) {
        precondition(images.count == labels.count * height * width * channels, "images/labels size mismatch")
        precondition(paths.count == labels.count && datasetNames.count == labels.count && officialSplits.count == labels.count)
        self.images = images; self.labels = labels; self.paths = paths; self.datasetNames = datasetNames
        self.officialSplits = officialSplits; self.height = height; self.width = width; self.channels = channels
        self.cachePath = cachePath; self.cacheKey = cacheKey; self.skipped = skipped; self.reusedCache = reusedCache
    }

    /// Number of images per label (index 0 real, 1 fake).
    public var classCounts: [Int] {
        var c = [0, 0]
        for l in labels { c[Int(l)] += 1 }
        return c
    }
}
