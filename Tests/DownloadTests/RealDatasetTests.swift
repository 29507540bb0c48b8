// The real hard1k dataset (../shared/datasets), zipped at test time and downloaded end to end
// through the local server: the tree must come back with its 589 real and 700 fake images.
// Also a throughput figure for a 50 MB archive when DEEPFAKE_DOWNLOAD_BENCH=1.

import Foundation
import XCTest
import ZIPFoundation
@testable import Download
import Core
import TestSupport

final class RealDatasetTests: DownloadTestCase {
    /// ../shared/datasets/kagglehub relative to the package root, or skip saying so.
    func sharedHard1k() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.deletingLastPathComponent().path + "/shared/datasets/kagglehub/datasets/hamzaboulahia/hardfakevsrealfaces/versions/1"
        guard FileManager.default.fileExists(atPath: folder + "/real") else {
            throw XCTSkip("real data not found at \(folder) (../shared/datasets): the end-to-end hard1k download test needs it")
        }
        return folder
    }

    func testRealHard1kDownloadsEndToEnd() throws {
        let source = try sharedHard1k()
        let zip = sandbox + "/hard1k.zip"
        let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create)
        for rel in filesUnder(source) {
            try archive.addEntry(with: rel, fileURL: URL(fileURLWithPath: source + "/" + rel), compressionMethod: .deflate)
        }
        let slug = "hamzaboulahia/hardfakevsrealfaces"
        let s = try KaggleTestServer(dir: sandbox, config: ["datasets": [slug: ["current": 1, "versions": ["1": zip]]],
                                                            "ranges": true, "redirect": true])
        server = s
        let t0 = WallClock.now()
        let folder = try downloader().ensureDataset(KaggleHandle(parsing: slug))
        let dt = WallClock.now() - t0
        let files = filesUnder(folder)
        XCTAssertEqual(files.filter { $0.hasPrefix("real/") }.count, 589)
        XCTAssertEqual(files.filter { $0.hasPrefix("fake/") }.count, 700)
        XCTAssertEqual(files, filesUnder(source))
        for rel in files.prefix(5) + files.suffix(5) {
            XCTAssertEqual(FileManager.default.contents(atPath: folder + "/" + rel), FileManager.default.contents(atPath: source + "/" + rel), rel)
        }
        let zipBytes = (try FileManager.default.attributesOfItem(atPath: zip)[.size] as? NSNumber)?.doubleValue ?? 0
        print(try String(contentsOfFile: logPath, encoding: .utf8))
        print("hard1k: \(files.count) files, \(formatBytes(UInt64(zipBytes))) zip, download+extract \(String(format: "%.2f", dt)) s (\(formatBytes(UInt64(zipBytes / dt)))/s)")
    }

    /// Download + extract throughput from the local server for a ~50 MB zip of 50 x 1 MB files.
    func testThroughput50MB() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["DEEPFAKE_DOWNLOAD_BENCH"] == "1",
                          "benchmark: set DEEPFAKE_DOWNLOAD_BENCH=1 to run (prefer -c release)")
        var files: [String: Data] = [:]
        for i in 0..<50 { files["real/\(i).bin"] = fixtureBytes(1_000_000, seed: UInt64(i + 1)) }
        let slug = "bench/fifty"
        try startServer([slug: [1: files]], options: ["ranges": true])
        let d = try downloader()
        let t0 = WallClock.now()
        _ = try d.ensureDataset(KaggleHandle(parsing: slug + "/versions/1"))
        let dt = WallClock.now() - t0
        print(String(format: "50 MB zip: download+extract %.2f s, %.1f MB/s", dt, 50.0 / dt))
        print(try String(contentsOfFile: logPath, encoding: .utf8))
    }
}
