// Preprocessing into the HDF5 cache: merging, reuse and invalidation, unreadable images.

import Config
import Core
import Foundation
import ImageIO
import Storage
import XCTest
@testable import Datasets

final class PrepareTests: XCTestCase {
    let settings8 = PrepareSettings(height: 8, width: 8, channels: 3, chunkRows: 4, blockSize: 5)

    /// real/ images of value 40, fake/ of value 200 (PNG, so values survive exactly).
    func dataset(real: Int, fake: Int, realValue: UInt8 = 40, fakeValue: UInt8 = 200) throws -> String {
        let root = tempDir("prep")
        try Fixtures.fill(root + "/real", count: real, value: realValue)
        try Fixtures.fill(root + "/fake", count: fake, value: fakeValue)
        return root
    }

    /// The value of pixel (y=4, x=4, c=1) of image i (away from the marker pixel).
    func centre(_ d: PreparedData, _ i: Int) -> UInt8 { d.images[i * d.imageSize + (4 * d.width + 4) * d.channels + 1] }

    func prepare(_ entries: [DatasetEntry], dataPath: String, settings: PrepareSettings? = nil) throws -> PreparedData {
        try DataPreparer.prepare(entries: entries, dataPath: dataPath, kagglePath: "/nonexistent", settings: settings ?? settings8,
                                 log: RunLog(echo: false), environment: [:])
    }

    func testMergingKeepsEveryFileEvenWithSameNames() throws {
        let a = try dataset(real: 3, fake: 4), b = try dataset(real: 3, fake: 4, realValue: 60, fakeValue: 180)
        let dataPath = tempDir("cache")
        let d = try prepare([Fixtures.entry("b", b), Fixtures.entry("a", a)], dataPath: dataPath)
        XCTAssertEqual(d.count, 14)
        XCTAssertEqual(Set(d.paths).count, 14)
        XCTAssertEqual(d.datasetNames.filter { $0 == "a" }.count, 7)
        XCTAssertEqual(d.classCounts, [6, 8])
        for i in 0..<d.count {   // each pixel block belongs to its own file
            let expected: UInt8 = d.datasetNames[i] == "a" ? (d.labels[i] == 1 ? 200 : 40) : (d.labels[i] == 1 ? 180 : 60)
            XCTAssertEqual(centre(d, i), expected, d.paths[i])
        }
        XCTAssertTrue(d.cachePath.hasSuffix("cache/a+b_8x8x3.h5"))
    }

    func testCacheFileContents() throws {
        let root = try dataset(real: 2, fake: 3)
        let dataPath = tempDir("cache")
        let d = try prepare([Fixtures.entry("x", root)], dataPath: dataPath)
        let f = try H5File.open(d.cachePath)
        defer { f.close() }
        XCTAssertEqual(try f.shape(of: "images"), [5, 8, 8, 3])
        XCTAssertEqual(try f.read("labels", as: Int32.self).values, [0, 0, 1, 1, 1])
        XCTAssertEqual(try f.readStrings("datasets"), Array(repeating: "x", count: 5))
        XCTAssertEqual(try f.readStrings("paths"), d.paths)
        XCTAssertEqual(try f.read("splits", as: Int32.self).values, [0, 0, 0, 0, 0])
        XCTAssertEqual(try f.attributeString("cacheKey"), d.cacheKey)
        // No temporary file is left beside the cache.
        let left = try FileManager.default.contentsOfDirectory(atPath: dataPath + "/cache")
        XCTAssertEqual(left, ["x_8x8x3.h5"])
    }

    func testReuseAndInvalidation() throws {
        let root = try dataset(real: 2, fake: 2)
        let dataPath = tempDir("cache")
        let entries = [Fixtures.entry("x", root)]
        let first = try prepare(entries, dataPath: dataPath)
        XCTAssertFalse(first.reusedCache)
        let again = try prepare(entries, dataPath: dataPath)
        XCTAssertTrue(again.reusedCache)
        XCTAssertEqual(again.images, first.images); XCTAssertEqual(again.paths, first.paths)
        // resort rebuilds.
        var s = settings8; s.resort = true
        XCTAssertFalse(try prepare(entries, dataPath: dataPath, settings: s).reusedCache)
        // A size change is another file, built fresh.
        let small = try prepare(entries, dataPath: dataPath, settings: PrepareSettings(height: 4, width: 4, channels: 3))
        XCTAssertFalse(small.reusedCache); XCTAssertEqual(small.images.count, 4 * 48)
        XCTAssertTrue(try prepare(entries, dataPath: dataPath).reusedCache)
        // A changed file changes the key: rebuilt, with the new pixels.
        try Fixtures.writeImage(root + "/real/img_1.png", value: 90)
        let changed = try prepare(entries, dataPath: dataPath)
        XCTAssertFalse(changed.reusedCache)
        XCTAssertEqual(centre(changed, changed.paths.firstIndex(of: root + "/real/img_1.png")!), 90)
        XCTAssertNotEqual(changed.cacheKey, first.cacheKey)
        // An added file too.
        try Fixtures.writeImage(root + "/fake/new.png", value: 200)
        XCTAssertEqual(try prepare(entries, dataPath: dataPath).count, 5)
    }

    func testCorruptImageSkippedLabelsStayAligned() throws {
        let root = try dataset(real: 6, fake: 6)
        try Data("definitely not a jpeg".utf8).write(to: URL(fileURLWithPath: root + "/fake/broken.jpg"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0, 0]).write(to: URL(fileURLWithPath: root + "/real/truncated.png"))
        let dataPath = tempDir("cache")
        let d = try prepare([Fixtures.entry("x", root)], dataPath: dataPath)
        XCTAssertEqual(d.count, 12)
        XCTAssertEqual(Set(d.skipped.map { $0.path }), [root + "/fake/broken.jpg", root + "/real/truncated.png"])
        XCTAssertTrue(d.skipped.allSatisfy { !$0.reason.isEmpty })
        for i in 0..<d.count {
            XCTAssertEqual(centre(d, i), d.labels[i] == 1 ? 200 : 40, d.paths[i])
            XCTAssertEqual(d.labels[i], d.paths[i].contains("/fake/") ? 1 : 0)
        }
        // The skipped list survives a cache reuse.
        let again = try prepare([Fixtures.entry("x", root)], dataPath: dataPath)
        XCTAssertTrue(again.reusedCache); XCTAssertEqual(again.skipped.count, 2)
    }

    /// The threaded path (chunks deflated on the decode threads, written pre-filtered) stores the
    /// same pixels as the uncompressed row appends and as decoding each file directly, for both
    /// deflate strategies, with chunks that straddle decode blocks; the files read back the same.
    func testPreFilteredChunkCacheHoldsTheSamePixelsAsRowAppends() throws {
        let entry = DatasetEntry(name: "demo", source: .builtin(variant: "small"))
        let generated = tempDir("builtin")
        func run(_ compression: Int?, _ strategy: DeflateStrategy) throws -> PreparedData {
            let s = PrepareSettings(height: 16, width: 16, channels: 3, resort: true, compression: compression, chunkRows: 7, blockSize: 50,
                                    threads: Threads(2), deflateStrategy: strategy)
            return try DataPreparer.prepare(entries: [entry], dataPath: generated, kagglePath: "/nonexistent", settings: s,
                                            log: RunLog(echo: false), environment: [:])
        }
        let plain = try run(nil, .runLength)
        XCTAssertGreaterThan(plain.count, 100)
        let plainBytes = try FileManager.default.attributesOfItem(atPath: plain.cachePath)[.size] as! Int
        for strategy in DeflateStrategy.allCases {
            let packed = try run(1, strategy)
            XCTAssertFalse(packed.reusedCache)
            XCTAssertEqual(packed.paths, plain.paths)
            XCTAssertEqual(packed.images, plain.images, "\(strategy): pixels differ from the uncompressed cache")
            let reread = try XCTUnwrap(DataPreparer.readCache(path: packed.cachePath, expectedKey: nil))
            XCTAssertEqual(reread.images, plain.images, "\(strategy): the file reads back different pixels")
            XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: packed.cachePath)[.size] as! Int,
                              plainBytes, "\(strategy): the cache should be compressed")
        }
        for i in stride(from: 0, to: plain.count, by: 37) {
            let direct = try ImagePipeline.load(path: plain.paths[i], width: 16, height: 16, channels: 3)
            XCTAssertEqual(Array(plain.images[(i * plain.imageSize)..<((i + 1) * plain.imageSize)]), direct, plain.paths[i])
        }
    }

    func testOfficialSplitsStored() throws {
        let root = tempDir("cifake")
        for (split, n) in [("train", 3), ("test", 2)] {
            try Fixtures.fill(root + "/\(split)/REAL", count: n, value: 40)
            try Fixtures.fill(root + "/\(split)/FAKE", count: n, value: 200)
        }
        let d = try prepare([Fixtures.entry("cifake", root)], dataPath: tempDir("cache"))
        XCTAssertEqual(d.count, 10)
        for i in 0..<d.count {
            XCTAssertEqual(d.officialSplits[i], d.paths[i].contains("/train/") ? 1 : 3)
        }
        let split = try DataSplit.make(labels: d.labels, officialSplits: d.officialSplits, valSize: 0.2, testSize: 0, seed: 1)
        XCTAssertEqual(split.test.count, 4)
    }

    func testGreyscale() throws {
        let root = try dataset(real: 1, fake: 1)
        let d = try prepare([Fixtures.entry("x", root)], dataPath: tempDir("cache"),
                            settings: PrepareSettings(height: 8, width: 8, channels: 1))
        XCTAssertEqual(d.images.count, 2 * 64)
        XCTAssertEqual(Int(d.images[64 + 36]), 200, accuracy: 2)   // fake: uniform grey value 200 stays 200
    }

    func testAllUnreadableIsAnError() throws {
        let root = tempDir("bad")
        for cls in ["real", "fake"] {
            try FileManager.default.createDirectory(atPath: root + "/" + cls, withIntermediateDirectories: true)
            try Data("junk".utf8).write(to: URL(fileURLWithPath: root + "/\(cls)/a.jpg"))
        }
        let dataPath = tempDir("cache")
        XCTAssertThrowsError(try prepare([Fixtures.entry("x", root)], dataPath: dataPath)) { e in
            XCTAssertTrue("\(e)".contains("none of the 2 images could be read"), "\(e)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dataPath + "/cache"), [])  // no half file left
    }
}
