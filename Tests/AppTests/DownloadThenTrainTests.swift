// The login-node / compute-node split end to end: `deepfake prepare` downloads a dataset from a
// real HTTP server on 127.0.0.1 (a stand-in for Kaggle's API) into the kagglehub cache and sorts
// it into the HDF5 cache; then an offline run trains from it without touching the network.

import Config
import Core
import Datasets
import Foundation
import Reporting
import TestSupport
import XCTest
import ZIPFoundation
@testable import App
@testable import Training

final class DownloadThenTrainTests: XCTestCase {
    var sandbox = ""
    var server: KaggleTestServer?

    /// The two variables these tests set, as they were before each test (restored in tearDown).
    var savedEnvironment: [String: String?] = [:]

    override func setUpWithError() throws {
        sandbox = try makeSandbox("train")
        savedEnvironment = ScopedEnvironment.save(["KAGGLE_API_ENDPOINT", "KAGGLEHUB_CACHE"])
    }

    override func tearDown() {
        server?.stop()
        ScopedEnvironment.restore(savedEnvironment)
        try? FileManager.default.removeItem(atPath: sandbox)
    }

    /// Zips every file under `folder` (relative names) into `zip`.
    func zipFolder(_ folder: String, to zip: String) throws {
        let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create)
        for rel in filesUnder(folder) {
            try archive.addEntry(with: rel, fileURL: URL(fileURLWithPath: folder + "/" + rel), compressionMethod: .deflate)
        }
    }

    func serve(_ slug: String, zip: String) throws {
        server = try KaggleTestServer(dir: sandbox, config: ["datasets": [slug: ["current": 1, "versions": ["1": zip]]], "ranges": true])
        setenv("KAGGLE_API_ENDPOINT", server!.endpoint, 1)
        unsetenv("KAGGLEHUB_CACHE")
    }

    func config(_ slug: String, epochs: Int = 1, extra: String = "") throws -> String {
        let path = sandbox + "/config.yaml"
        try """
            modelType: Classic
            trainData:
              faces: "\(slug)"
            valSize: 0.3
            testSize: 0.5
            batchSize: 16
            numEpochs: \(epochs)
            kagglePath: \(sandbox)/kaggle
            dataPath: \(sandbox)/data
            outputsPath: \(sandbox)/results
            \(extra)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testPrepareDownloadsIntoKagglehubLayoutThenOfflineRunTrains() throws {
        _ = try KaggleTestServer.python3()
        let faces = sandbox + "/faces"
        try BuiltinDataset.generate(into: faces, countPerClass: 40, size: 32, seed: 7)
        try zipFolder(faces, to: sandbox + "/faces.zip")
        let slug = "someone/generated-faces"
        try serve(slug, zip: sandbox + "/faces.zip")
        let cfg = try config(slug)

        try DeepfakeApp.prepare(RunRequest(configPath: cfg))
        let version = sandbox + "/kaggle/datasets/someone/generated-faces/versions/1"
        XCTAssertEqual(filesUnder(version).filter { $0.hasPrefix("real/") }.count, 40)
        XCTAssertEqual(filesUnder(version).filter { $0.hasPrefix("fake/") }.count, 40)
        XCTAssertTrue(FileManager.default.fileExists(atPath: sandbox + "/data/cache/faces_32x32x3.h5"), "prepare must build the HDF5 cache")
        let downloads = server!.requests().filter { ($0["path"] as? String)?.contains("/datasets/download/") == true }
        XCTAssertEqual(downloads.count, 1)

        // Offline: the server is gone, the run trains from the caches.
        server?.stop()
        let run = try DeepfakeApp.train(RunRequest(configPath: cfg, offline: true))
        XCTAssertEqual(try EpochCSVWriter.read(path: run + "/epochs.csv").count, 1)
        let log = try String(contentsOfFile: run + "/run.log", encoding: .utf8)
        XCTAssertTrue(log.contains("using preprocessed cache"), "the offline run should reuse prepare's cache:\n\(log)")

        // A second prepare with the dataset complete asks nothing of the network.
        XCTAssertNoThrow(try DeepfakeApp.prepare(RunRequest(configPath: cfg, offline: true)))
    }

    func testRealHard1kDownloadsEndToEndAndTrainsOneEpoch() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let source = root.deletingLastPathComponent().path + "/shared/datasets/kagglehub/datasets/hamzaboulahia/hardfakevsrealfaces/versions/1"
        guard FileManager.default.fileExists(atPath: source + "/real") else {
            throw XCTSkip("SKIPPED: real data absent at \(source) (../shared/datasets): the hard1k download-and-train test needs it")
        }
        _ = try KaggleTestServer.python3()
        try zipFolder(source, to: sandbox + "/hard1k.zip")
        let slug = "hamzaboulahia/hardfakevsrealfaces"
        try serve(slug, zip: sandbox + "/hard1k.zip")
        let cfg = try config(slug, extra: "nCPUs: 2")
        let run = try DeepfakeApp.train(RunRequest(configPath: cfg))
        let log = try String(contentsOfFile: run + "/run.log", encoding: .utf8)
        XCTAssertTrue(log.contains("1289 images (589 real, 700 fake)"), log)
        XCTAssertEqual(try EpochCSVWriter.read(path: run + "/epochs.csv").count, 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: run + "/test_metrics.json"))
    }
}
