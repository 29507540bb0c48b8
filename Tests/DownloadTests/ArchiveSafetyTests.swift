// Hostile and broken archives, limits, disk-full handling, and the small parsers (credentials,
// Content-Range), each checked on real files or a real server.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
import ZIPFoundation
@testable import Download
import Core
import TestSupport

final class ArchiveSafetyTests: DownloadTestCase {
    let hard = "hamzaboulahia/hardfakevsrealfaces"

    func testZipWithDotDotEntryIsRefusedAndWritesNothingOutside() throws {
        var files = DatasetLayouts.files(hard)
        files["../../escaped.txt"] = Data("owned".utf8)
        try startServer([hard: [1: files]])
        let d = try downloader()
        let h = try KaggleHandle(parsing: hard + "/versions/1")
        assertFails([hard, "unsafe entry '../../escaped.txt'", "'..'"]) { _ = try d.ensureDataset(h) }
        XCTAssertTrue(filesUnder(sandbox).allSatisfy { !$0.hasSuffix("escaped.txt") })
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheRoot + "/datasets/\(hard)/versions/1"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: d.archivePath(h, version: 1)), "a hostile archive is not kept")
    }

    func testZipWithSymlinkOrAbsolutePathIsRefused() throws {
        let zip = sandbox + "/link.zip"
        try makeZip(at: zip, files: ["real/a.jpg": Data([1, 2])], symlinks: ["real/b.jpg": "/etc/passwd"])
        try FileManager.default.createDirectory(atPath: sandbox + "/out", withIntermediateDirectories: true)
        assertFails(["symbolic link 'real/b.jpg'"]) {
            do { try SafeUnzip.extract(archive: zip, into: self.sandbox + "/out", limits: ExtractionLimits(), label: "x/y v1") }
            catch let p as ArchiveProblem { XCTAssertTrue(p.discardArchive); throw p.error }
        }
        XCTAssertNil(SafeUnzip.unsafeReason("real_vs_fake/real-vs-fake/train/real/00001.jpg"))
        XCTAssertNil(SafeUnzip.unsafeReason("test/FAKE/1 (2).jpg"))
        XCTAssertNotNil(SafeUnzip.unsafeReason("/etc/passwd"))
        XCTAssertNotNil(SafeUnzip.unsafeReason("C:\\Windows\\x"))
        XCTAssertNotNil(SafeUnzip.unsafeReason("a\\..\\..\\b"))
        XCTAssertNotNil(SafeUnzip.unsafeReason("a/../../b"))
        XCTAssertNotNil(SafeUnzip.unsafeReason(""))
    }

    func testCorruptArchiveIsReportedAndDeletedSoTheNextRunRestarts() throws {
        // A valid zip with one byte of a compressed entry flipped: CRC-32 or inflate must catch it.
        let files = DatasetLayouts.files(hard)
        try startServer([hard: [1: files]])
        let zip = sandbox + "/zips/hamzaboulahia__hardfakevsrealfaces-v1.zip"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: zip))
        // The fixture bytes are incompressible, so deflate stores them verbatim: find one file's
        // content inside the zip and damage it there (not in a header, which would fail differently).
        let content = try XCTUnwrap(files["fake/fake_2.jpg"])
        let at = try XCTUnwrap(bytes.range(of: content.prefix(32))).lowerBound
        bytes[at + 100] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: zip))
        let d = try downloader()
        let h = try KaggleHandle(parsing: hard + "/versions/1")
        assertFails([hard, "corrupt", "re-run"]) { _ = try d.ensureDataset(h) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: d.archivePath(h, version: 1)))
        XCTAssertFalse(d.isComplete(h, version: 1))

        // Not a zip at all (e.g. an HTML error page served with 200).
        try Data("<html>maintenance</html>".utf8).write(to: URL(fileURLWithPath: zip))
        assertFails([hard, "corrupt", "not a readable zip"]) { _ = try d.ensureDataset(h) }
    }

    func testSizeAndEntryLimitsKeepTheArchiveForARetryWithHigherLimits() throws {
        let files = DatasetLayouts.files(hard, perClass: 5)   // 11 files, ~7.1 kB
        try startServer([hard: [1: files]], options: ["ranges": true])
        let d = try downloader()
        let h = try KaggleHandle(parsing: hard + "/versions/1")
        d.limits = ExtractionLimits(maxBytes: 4000, maxEntries: 100)
        assertFails([hard, "expands to more than 4.0 KB", "DEEPFAKE_MAX_EXTRACT_GB"]) { _ = try d.ensureDataset(h) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: d.archivePath(h, version: 1)), "kept: the limit, not the data, was the problem")
        d.limits = ExtractionLimits(maxBytes: 1 << 30, maxEntries: 10)
        assertFails([hard, "more than 10 entries"]) { _ = try d.ensureDataset(h) }
        server?.clearLog()
        d.limits = ExtractionLimits()
        // A staging folder left by a run killed mid-extraction is discarded, not merged.
        let staging = cacheRoot + "/datasets/\(hard)/.1.extracting"
        try FileManager.default.createDirectory(atPath: staging + "/real", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: staging + "/real/leftover.jpg", contents: Data([0]))
        assertTree(try d.ensureDataset(h), equals: files)
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging))
        let zipSize = d.fileSize(sandbox + "/zips/hamzaboulahia__hardfakevsrealfaces-v1.zip")
        XCTAssertEqual(server?.requests().map { $0["range"] as? String }, ["bytes=\(zipSize)-"],
                       "the kept archive is only confirmed (416), not downloaded again")
    }

    func testEnvironmentOverridesLimitsAndTimeout() throws {
        let env = ["HOME": sandbox, "DEEPFAKE_MAX_EXTRACT_GB": "0.5", "DEEPFAKE_MAX_EXTRACT_ENTRIES": "1000",
                   "DEEPFAKE_DOWNLOAD_TIMEOUT": "7"]
        let d = try KaggleDownloader(cache: KaggleCache(root: cacheRoot), environment: env, log: RunLog(echo: false))
        XCTAssertEqual(d.limits.maxBytes, 500_000_000)
        XCTAssertEqual(d.limits.maxEntries, 1000)
        XCTAssertEqual(d.idleTimeout, 7)
        let defaults = try KaggleDownloader(cache: KaggleCache(root: cacheRoot), environment: ["HOME": sandbox], log: RunLog(echo: false))
        XCTAssertEqual(defaults.limits.maxBytes, 50 << 30)
        XCTAssertEqual(defaults.limits.maxEntries, 2_000_000)
        XCTAssertEqual(defaults.idleTimeout, 60)
        assertFails(["DEEPFAKE_DOWNLOAD_TIMEOUT='soon'"]) {
            _ = try KaggleDownloader(cache: KaggleCache(root: self.cacheRoot), environment: ["DEEPFAKE_DOWNLOAD_TIMEOUT": "soon"], log: RunLog(echo: false))
        }
    }

    func testLimitsAreInclusiveAtTheBoundary() throws {
        // Exactly at both limits is allowed (the size cap counts header sizes, then inflated bytes).
        let zip = sandbox + "/two.zip"
        try makeZip(at: zip, files: ["a.bin": fixtureBytes(3000, seed: 1), "b.bin": fixtureBytes(3000, seed: 2)])
        try FileManager.default.createDirectory(atPath: sandbox + "/out", withIntermediateDirectories: true)
        let r = try SafeUnzip.extract(archive: zip, into: sandbox + "/out", limits: ExtractionLimits(maxBytes: 6000, maxEntries: 2), label: "t")
        XCTAssertEqual(r.files, 2); XCTAssertEqual(r.bytes, 6000)
        XCTAssertEqual(FileManager.default.contents(atPath: sandbox + "/out/b.bin"), fixtureBytes(3000, seed: 2))
    }

    func testWritingToAFullDiskSaysDiskFull() throws {
        // /dev/full fails every write with ENOSPC: stream a real download into it.
        let s = try startServer([hard: [1: DatasetLayouts.files(hard)]])
        let fd = open("/dev/full", O_WRONLY)
        try XCTSkipIf(fd < 0, "/dev/full is not available on this system")
        defer { close(fd) }
        let t = HTTPTransfer(request: URLRequest(url: URL(string: "\(s.endpoint)/storage/\(hard)/1")!),
                             sink: .file(fd: fd, path: "/dev/full"), idleTimeout: 10)
        XCTAssertThrowsError(try t.run()) { error in
            guard case .writeFailed(let path, let code)? = error as? TransferFailure else { return XCTFail("\(error)") }
            XCTAssertEqual(code, ENOSPC)
            let message = DiskSpace.writeError(path: path, errno: code, what: "downloading \(self.hard)").message
            XCTAssertTrue(message.contains("disk full") && message.contains(self.hard) && message.contains("KAGGLEHUB_CACHE"), message)
        }
    }

    func testAPIConfigFollowsKagglehubConventions() throws {
        let home = sandbox + "/home"
        var c = try KaggleAPIConfig(environment: ["HOME": home])
        XCTAssertEqual(c.endpoint, "https://www.kaggle.com")
        XCTAssertNil(c.credentials)
        XCTAssertEqual(c.credentialsFile, home + "/.kaggle/kaggle.json")
        XCTAssertEqual(c.downloadURL(KaggleHandle(owner: "a", name: "b"), version: 3).absoluteString,
                       "https://www.kaggle.com/api/v1/datasets/download/a/b?datasetVersionNumber=3")
        XCTAssertEqual(c.viewURL(KaggleHandle(owner: "a", name: "b")).absoluteString, "https://www.kaggle.com/api/v1/datasets/view/a/b")

        try FileManager.default.createDirectory(atPath: home + "/.kaggle", withIntermediateDirectories: true)
        try Data(#"{"username":"u","key":"k"}"#.utf8).write(to: URL(fileURLWithPath: home + "/.kaggle/kaggle.json"))
        c = try KaggleAPIConfig(environment: ["HOME": home, "KAGGLE_API_ENDPOINT": "http://127.0.0.1:8/"])
        XCTAssertEqual(c.endpoint, "http://127.0.0.1:8")
        XCTAssertEqual(c.credentials?.username, "u")
        // Environment variables win over the file, as in kagglehub.
        c = try KaggleAPIConfig(environment: ["HOME": home, "KAGGLE_USERNAME": "e", "KAGGLE_KEY": "f"])
        XCTAssertEqual(c.credentials?.authorization, "Basic " + Data("e:f".utf8).base64EncodedString())
        // A new-style token wins over both and is sent as a bearer token.
        c = try KaggleAPIConfig(environment: ["HOME": home, "KAGGLE_USERNAME": "e", "KAGGLE_KEY": "f", "KAGGLE_API_TOKEN": "tok"])
        XCTAssertEqual(c.credentials?.authorization, "Bearer tok")

        try Data("not json".utf8).write(to: URL(fileURLWithPath: home + "/.kaggle/kaggle.json"))
        assertFails(["kaggle.json", "Create New Token"]) { _ = try KaggleAPIConfig(environment: ["HOME": home]) }
        assertFails(["KAGGLE_API_ENDPOINT", "not an http(s) URL"]) { _ = try KaggleAPIConfig(environment: ["KAGGLE_API_ENDPOINT": "kaggle.com"]) }
    }

    func testContentRangeParsingAndFormatting() {
        XCTAssertEqual(KaggleDownloader.parseContentRange("bytes 100-199/200")?.start, 100)
        XCTAssertEqual(KaggleDownloader.parseContentRange("bytes 100-199/200")?.total, 200)
        XCTAssertNil(KaggleDownloader.parseContentRange("bytes 0-9/*")?.total)
        XCTAssertNil(KaggleDownloader.parseContentRange("items 1-2/3"))
        XCTAssertEqual(KaggleDownloader.parseUnsatisfiedTotal("bytes */5000"), 5000)
        XCTAssertEqual(formatBytes(999), "999 B")
        XCTAssertEqual(formatBytes(1_500_000), "1.5 MB")
        XCTAssertEqual(formatDuration(3725), "1 h 2 min")
        let log = RunLog(echo: false)
        let p = ProgressLine(log: log, label: "a/b v1", total: 2_000_000, start: 0, interval: 5)
        let line = p.line(1_000_000, now: WallClock.now() + 1)
        XCTAssertTrue(line.hasPrefix("a/b v1: 1.0 MB of 2.0 MB (50 %), "), line)
        XCTAssertTrue(line.contains("/s, ETA "), line)
    }
}
