// End-to-end tests of KaggleDownloader against a real HTTP server on 127.0.0.1: the cache layout
// and completion marker, version resolution, credentials, errors (401/403/404, refused, stalled),
// and the resume/skip behaviour.

import Foundation
import XCTest
@testable import Download
import Core
import TestSupport

class DownloadTestCase: XCTestCase {
    var sandbox = ""
    var server: KaggleTestServer?
    var logPath: String { sandbox + "/run.log" }
    var cacheRoot: String { sandbox + "/cache" }

    override func setUpWithError() throws {
        sandbox = try makeSandbox(name)   // tests that start a server skip there when python3 is missing
    }

    override func tearDown() {
        server?.stop()
        try? FileManager.default.removeItem(atPath: sandbox)
    }

    /// Zips each dataset's layout (per version) and starts a server that knows them.
    @discardableResult
    func startServer(_ datasets: [String: [Int: [String: Data]]], current: [String: Int] = [:],
                     options: [String: Any] = [:]) throws -> KaggleTestServer {
        server?.stop()
        var table: [String: Any] = [:]
        for (slug, versions) in datasets {
            var paths: [String: String] = [:]
            for (v, files) in versions {
                let zip = sandbox + "/zips/\(slug.replacingOccurrences(of: "/", with: "__"))-v\(v).zip"
                try FileManager.default.createDirectory(atPath: sandbox + "/zips", withIntermediateDirectories: true)
                try makeZip(at: zip, files: files)
                paths["\(v)"] = zip
            }
            table[slug] = ["current": current[slug] ?? versions.keys.max()!, "versions": paths]
        }
        var config = options
        config["datasets"] = table
        let s = try KaggleTestServer(dir: sandbox, config: config)
        server = s
        return s
    }

    /// Environment isolated from the real user: no credentials unless `extra` adds them.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ["HOME": sandbox + "/home", "KAGGLE_CONFIG_DIR": sandbox + "/kaggle-config",
                   "KAGGLE_API_ENDPOINT": server?.endpoint ?? "http://127.0.0.1:9"]
        env.merge(extra) { $1 }
        return env
    }

    func downloader(_ extra: [String: String] = [:], idleTimeout: Double = 20) throws -> KaggleDownloader {
        let log = RunLog(echo: false)
        try log.attach(path: logPath)
        let d = try KaggleDownloader(cache: KaggleCache(root: cacheRoot), environment: environment(extra), log: log, idleTimeout: idleTimeout)
        d.progressInterval = 0.5
        return d
    }

    /// Asserts `body` throws a DeepfakeError whose message contains every one of `needles`.
    func assertFails(_ needles: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error containing \(needles)", file: file, line: line)
        } catch let e as DeepfakeError {
            for n in needles { XCTAssertTrue(e.message.contains(n), "'\(n)' not in: \(e.message)", file: file, line: line) }
        } catch {
            XCTFail("expected a DeepfakeError, got \(error)", file: file, line: line)
        }
    }

    func assertTree(_ folder: String, equals files: [String: Data], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(filesUnder(folder), files.keys.sorted(), file: file, line: line)
        for (name, data) in files {
            XCTAssertEqual(FileManager.default.contents(atPath: folder + "/" + name), data, name, file: file, line: line)
        }
    }
}

final class KaggleDownloaderTests: DownloadTestCase {
    let hard = "hamzaboulahia/hardfakevsrealfaces"

    func testUnversionedHandleResolvesNewestVersionIntoKagglehubLayout() throws {
        let v1 = DatasetLayouts.files(hard, perClass: 2), v2 = DatasetLayouts.files(hard, perClass: 4)
        let s = try startServer([hard: [1: v1, 2: v2]])
        let d = try downloader()
        let folder = try d.ensureDataset(KaggleHandle(parsing: hard))

        XCTAssertEqual(folder, cacheRoot + "/datasets/hamzaboulahia/hardfakevsrealfaces/versions/2")
        assertTree(folder, equals: v2)
        let root = cacheRoot + "/datasets/hamzaboulahia/hardfakevsrealfaces"
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/2.complete"), "kagglehub's completion marker")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/2.archive"), "archive removed after extraction")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).sorted(), [".2.lock", "2.complete", "versions"])

        let reqs = s.requests()
        XCTAssertEqual(reqs.map { $0["path"] as? String }, ["/api/v1/datasets/view/\(hard)", "/api/v1/datasets/download/\(hard)"])
        XCTAssertEqual(reqs[1]["query"] as? String, "datasetVersionNumber=2")
        XCTAssertTrue(reqs.allSatisfy { $0["auth"] is NSNull }, "no credentials configured, none sent")

        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        XCTAssertTrue(log.contains("(100 %)"), "progress reaches 100 %: \(log)")
        XCTAssertFalse(log.contains("\r"), "batch-log friendly: no carriage returns")
    }

    func testAllPublishedLayoutsWithVersionedHandles() throws {
        let slugs = ["hamzaboulahia/hardfakevsrealfaces", "ciplab/real-and-fake-face-detection", "sachchitkunichetty/rvf10k",
                     "xhlulu/140k-real-and-fake-faces", "birdy654/cifake-real-and-ai-generated-synthetic-images"]
        var table: [String: [Int: [String: Data]]] = [:]
        for s in slugs { table[s] = [1: DatasetLayouts.files(s, perClass: 1), 3: DatasetLayouts.files(s)] }
        let s = try startServer(table)
        let handles = try slugs.map { try KaggleHandle(parsing: "\($0)/versions/1") }
        let out = try downloader().ensureAll(handles + handles)   // duplicates are fetched once
        XCTAssertEqual(out.count, 5)
        for (h, folder) in out {
            XCTAssertTrue(folder.hasSuffix("/datasets/\(h.slug)/versions/1"))
            assertTree(folder, equals: DatasetLayouts.files(h.slug, perClass: 1))
        }
        XCTAssertEqual(s.requests().count, 5, "no version lookups for pinned versions, one download each")
        XCTAssertTrue(s.requests().allSatisfy { ($0["query"] as? String) == "datasetVersionNumber=1" })
        XCTAssertTrue(s.requests().allSatisfy { ($0["accept_encoding"] as? String) == "identity" })
    }

    func testCredentialsFromEnvironmentAreSentToTheAPIButNotAcrossARedirect() throws {
        let files = DatasetLayouts.files(hard)
        let s = try startServer([hard: [1: files]], options: ["auth": "alice:s3cret", "redirect": true])
        let folder = try downloader(["KAGGLE_USERNAME": "alice", "KAGGLE_KEY": "s3cret"]).ensureDataset(KaggleHandle(parsing: hard))
        assertTree(folder, equals: files)
        let reqs = s.requests()
        XCTAssertEqual(reqs.count, 3)   // view, download (302), storage
        let expected = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
        XCTAssertEqual(reqs[0]["auth"] as? String, expected)
        XCTAssertEqual(reqs[1]["auth"] as? String, expected)
        XCTAssertEqual(reqs[2]["path"] as? String, "/storage/\(hard)/1")
        XCTAssertTrue((reqs[2]["host"] as? String ?? "").hasPrefix("localhost:"), "redirected to another host")
        XCTAssertTrue(reqs[2]["auth"] is NSNull, "credentials must not follow a redirect to another host")
    }

    func testCredentialsFromKaggleJsonInConfigDir() throws {
        let files = DatasetLayouts.files(hard)
        let s = try startServer([hard: [1: files]], options: ["auth": "bob:k3y"])
        try FileManager.default.createDirectory(atPath: sandbox + "/kaggle-config", withIntermediateDirectories: true)
        try Data(#"{"username":"bob","key":"k3y"}"#.utf8).write(to: URL(fileURLWithPath: sandbox + "/kaggle-config/kaggle.json"))
        _ = try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/1"))
        XCTAssertEqual(s.requests().first?["auth"] as? String, "Basic " + Data("bob:k3y".utf8).base64EncodedString())
    }

    func testMissingAndWrongCredentialsGiveActionable401And403() throws {
        try startServer([hard: [1: DatasetLayouts.files(hard)]], options: ["auth": "alice:s3cret"])
        assertFails([hard, "HTTP 401", "KAGGLE_USERNAME", "kaggle.json"]) { _ = try downloader().ensureDataset(KaggleHandle(parsing: hard)) }
        assertFails([hard, "HTTP 403", "refused", "KAGGLE_USERNAME/KAGGLE_KEY", "alice"]) {
            _ = try downloader(["KAGGLE_USERNAME": "alice", "KAGGLE_KEY": "wrong"]).ensureDataset(KaggleHandle(parsing: hard + "/versions/1"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheRoot + "/datasets/\(hard)/versions"))
    }

    func testUnknownDatasetOrVersionIs404NamingTheHandle() throws {
        try startServer([hard: [1: DatasetLayouts.files(hard)]])
        assertFails(["no dataset someone/nothing-here", "HTTP 404", "kaggle.com/datasets/someone/nothing-here"]) {
            _ = try downloader().ensureDataset(KaggleHandle(parsing: "someone/nothing-here"))
        }
        assertFails(["\(hard) version 7", "HTTP 404"]) { _ = try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/7")) }
    }

    func testConnectionRefusedSuggestsOfflineMode() throws {
        // A port nobody listens on: bind one, close it, use it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in(); addr.sin_family = sa_family_t(AF_INET); addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        close(fd)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let t0 = WallClock.now()
        assertFails([hard, "127.0.0.1:\(port)", "-o", "connected node"]) {
            _ = try downloader(["KAGGLE_API_ENDPOINT": "http://127.0.0.1:\(port)"]).ensureDataset(KaggleHandle(parsing: hard + "/versions/1"))
        }
        XCTAssertLessThan(WallClock.now() - t0, 10, "a refused connection fails fast")
    }

    func testStalledTransferTimesOutInsteadOfHanging() throws {
        try startServer([hard: [1: DatasetLayouts.files(hard)]], options: ["stall_after": 200, "stall_seconds": 8])
        let d = try downloader(idleTimeout: 1)
        d.maxAttempts = 1
        let t0 = WallClock.now()
        assertFails([hard, "no data for 1 s", "-o"]) { _ = try d.ensureDataset(KaggleHandle(parsing: hard + "/versions/1")) }
        XCTAssertLessThan(WallClock.now() - t0, 6)
        XCTAssertFalse(d.isComplete(try KaggleHandle(parsing: hard), version: 1))
    }

    func testTruncatedDownloadResumesWithRangeRequest() throws {
        let files = DatasetLayouts.files(hard, perClass: 20)
        let s = try startServer([hard: [1: files]], options: ["ranges": true, "truncate": 5000, "truncate_times": 1])
        let folder = try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/1"))
        assertTree(folder, equals: files)
        let ranges = s.requests().map { $0["range"] as? String }
        XCTAssertEqual(ranges, [nil, "bytes=5000-"], "second request resumes at the cut")

        // The same through Kaggle's redirect to storage: the Range header must survive the hop.
        try startServer([hard: [2: files]], options: ["ranges": true, "redirect": true, "truncate": 4000, "truncate_times": 1])
        assertTree(try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/2")), equals: files)
        let hops = server!.requests().map { "\($0["path"] as? String ?? "") \($0["range"] as? String ?? "-")" }
        XCTAssertEqual(hops, ["/api/v1/datasets/download/\(hard) -", "/storage/\(hard)/2 -",
                              "/api/v1/datasets/download/\(hard) bytes=4000-", "/storage/\(hard)/2 bytes=4000-"])
    }

    func testTruncatedDownloadRestartsWhenServerIgnoresRanges() throws {
        let files = DatasetLayouts.files(hard, perClass: 20)
        let s = try startServer([hard: [1: files]], options: ["ranges": false, "truncate": 5000, "truncate_times": 1])
        let folder = try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/1"))
        assertTree(folder, equals: files)
        XCTAssertEqual(s.requests().map { $0["range"] as? String }, [nil, "bytes=5000-"])   // asked, got 200, restarted
        XCTAssertTrue(try String(contentsOfFile: logPath, encoding: .utf8).contains("restarting from zero"))
    }

    func testInterruptedRunLeavesNothingThatLooksCompleteAndNextRunResumes() throws {
        let files = DatasetLayouts.files(hard, perClass: 20)
        let s = try startServer([hard: [1: files]], options: ["ranges": true, "truncate": 3000, "truncate_times": 3])
        let h = try KaggleHandle(parsing: hard + "/versions/1")
        let d = try downloader()
        assertFails([hard, "keeps stopping early", "re-run"]) { _ = try d.ensureDataset(h) }
        XCTAssertFalse(d.isComplete(h, version: 1))
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheRoot + "/datasets/\(hard)/versions/1"), "no half dataset")
        let partial = d.fileSize(d.archivePath(h, version: 1))
        XCTAssertEqual(partial, 9000, "three resumed slices of 3000 bytes kept for the next run")

        var cfg = try s.config(); cfg["truncate_times"] = 0; try s.setConfig(cfg)
        s.clearLog()
        assertTree(try d.ensureDataset(h), equals: files)
        XCTAssertEqual(s.requests().map { $0["range"] as? String }, ["bytes=9000-"])

        // Third run: complete, so no network at all (the server is gone).
        s.stop()
        assertTree(try downloader().ensureDataset(h), equals: files)
    }

    func testUnversionedHandleFallsBackToCachedVersionWhenOffline() throws {
        let files = DatasetLayouts.files(hard)
        let s = try startServer([hard: [4: files]])
        _ = try downloader().ensureDataset(KaggleHandle(parsing: hard))
        s.stop()
        let folder = try downloader().ensureDataset(KaggleHandle(parsing: hard))
        XCTAssertTrue(folder.hasSuffix("/versions/4"))
        XCTAssertTrue(try String(contentsOfFile: logPath, encoding: .utf8).contains("using version 4 already in"))
        // With nothing cached the same situation is an error that says what to do.
        assertFails(["ciplab/real-and-fake-face-detection", "-o"]) {
            _ = try downloader().ensureDataset(KaggleHandle(parsing: "ciplab/real-and-fake-face-detection"))
        }
    }

    func testKagglehubMarkerIsHonouredBothWays() throws {
        let files = DatasetLayouts.files(hard)
        let s = try startServer([hard: [1: files]])
        let root = cacheRoot + "/datasets/\(hard)"
        // As kagglehub leaves a finished download: folder plus <N>.complete -> no request at all.
        try FileManager.default.createDirectory(atPath: root + "/versions/1/real", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/versions/1/real/x.jpg", contents: Data([1]))
        FileManager.default.createFile(atPath: root + "/1.complete", contents: Data())
        XCTAssertEqual(try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/1")), root + "/versions/1")
        XCTAssertEqual(s.requests().count, 0)
        // Without the marker (an interrupted kagglehub extraction) the folder is replaced whole.
        try FileManager.default.removeItem(atPath: root + "/1.complete")
        assertTree(try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/1")), equals: files)
        XCTAssertEqual(s.requests().count, 1)
    }

    func testServerErrorsAreRetriedThenReported() throws {
        let files = DatasetLayouts.files(hard)
        let s = try startServer([hard: [1: files]], options: ["fail_status": 503, "fail_times": 2])
        let d = try downloader()
        d.retryDelay = 0.05
        let h = try KaggleHandle(parsing: hard + "/versions/1")
        assertTree(try d.ensureDataset(h), equals: files)
        XCTAssertEqual(s.requests().count, 3, "two 503 answers, then the archive")

        var cfg = try s.config(); cfg["fail_times"] = 5; try s.setConfig(cfg)
        assertFails(["HTTP 503", "hamzaboulahia/hardfakevsrealfaces v2", "re-run later"]) {
            _ = try d.ensureDataset(KaggleHandle(parsing: hard + "/versions/2"))
        }
    }

    func testConcurrentRunsShareOneDownload() throws {
        let files = DatasetLayouts.files(hard, perClass: 30)
        let s = try startServer([hard: [1: files]], options: ["stall_after": 100, "stall_seconds": 1])
        let h = try KaggleHandle(parsing: hard + "/versions/1")
        let a = try downloader(), b = try downloader()
        var results = [String?](repeating: nil, count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            results[i] = try? (i == 0 ? a : b).ensureDataset(h)
        }
        XCTAssertEqual(results[0], cacheRoot + "/datasets/\(hard)/versions/1")
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(s.requests().count, 1, "the second run waits on the lock, then finds the dataset complete")
        assertTree(results[0]!, equals: files)
    }

    func testDiskSpaceIsCheckedAgainstContentLengthBeforeDownloading() throws {
        try startServer([hard: [1: DatasetLayouts.files(hard)]], options: ["fake_length": 1 << 60])
        assertFails(["not enough disk space", hard, "KAGGLEHUB_CACHE"]) {
            _ = try downloader().ensureDataset(KaggleHandle(parsing: hard + "/versions/1"))
        }
    }
}
