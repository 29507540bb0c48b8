// Run folders: naming, and uniqueness under concurrent creation and forced name clashes.

import XCTest
import Foundation
import TestSupport
@testable import Reporting

/// A fresh temporary folder, removed when the test ends (TestSupport's TemporaryFolder).
func temporaryFolder(_ test: XCTestCase) throws -> String {
    try TemporaryFolder.make(for: test, label: "reporting")
}

final class RunFolderTests: XCTestCase {
    func testNameFollowsTheOldToolPlusASuffix() throws {
        let out = try temporaryFolder(self) + "/results/nested"  // created on demand
        let date = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 11:06:40 UTC
        let run = try RunFolder.create(outputsPath: out, model: "HQNN", batchSize: 32, epochs: 10,
                                       datasets: ["hard1k", "deepfake2k"], now: date, token: { "abc123" })
        XCTAssertEqual(run.name, "HQNN_bs32_ep10_hard1k-deepfake2k_20261118-110640_abc123")
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.path, isDirectory: &isDir) && isDir.boolValue)
        XCTAssertEqual(run.file(.epochs), run.path + "/epochs.csv")
        XCTAssertEqual(RunFolder.baseName(model: "Classic", batchSize: 8, epochs: 1, datasets: ["a b/c"]), "Classic_bs8_ep1_a_b_c")
        XCTAssertEqual(RunFolder.randomToken().count, 6)
    }

    func testAClashDrawsANewSuffixAndNeverReusesAFolder() throws {
        let out = try temporaryFolder(self)
        let date = Date(timeIntervalSince1970: 0)
        var tokens = ["same", "same", "same", "other"].makeIterator()
        let a = try RunFolder.create(outputsPath: out, model: "M", batchSize: 1, epochs: 1, datasets: ["d"], now: date, token: { tokens.next()! })
        let b = try RunFolder.create(outputsPath: out, model: "M", batchSize: 1, epochs: 1, datasets: ["d"], now: date, token: { tokens.next()! })
        XCTAssertTrue(a.name.hasSuffix("_same"))
        XCTAssertTrue(b.name.hasSuffix("_other"))  // "same" twice refused by mkdir, then "other"
    }

    func testConcurrentCreationsGetDistinctFolders() throws {
        let out = try temporaryFolder(self)
        let date = Date()
        let n = 48
        // Tokens from only 8 values: most creations clash at least once and must retry.
        let lock = NSLock()
        var made: [String] = []
        var errors: [Error] = []
        DispatchQueue.concurrentPerform(iterations: n) { _ in
            do {
                let r = try RunFolder.create(outputsPath: out, model: "Classic", batchSize: 32, epochs: 10,
                                             datasets: ["hard1k"], now: date, token: { String(Int.random(in: 0..<(n + 8))) })
                // Claim the folder: a second owner would find the marker already there.
                let marker = r.file("owner")
                XCTAssertFalse(FileManager.default.fileExists(atPath: marker))
                XCTAssertTrue(FileManager.default.createFile(atPath: marker, contents: Data()))
                lock.lock(); made.append(r.path); lock.unlock()
            } catch {
                lock.lock(); errors.append(error); lock.unlock()
            }
        }
        XCTAssertTrue(errors.isEmpty, "\(errors)")
        XCTAssertEqual(made.count, n)
        XCTAssertEqual(Set(made).count, n)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).count, n)
    }

    func testUnwritableOutputsPathIsAClearError() throws {
        let file = try temporaryFolder(self) + "/plainfile"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        XCTAssertThrowsError(try RunFolder.create(outputsPath: file + "/sub", model: "M", batchSize: 1, epochs: 1, datasets: [])) {
            XCTAssertTrue("\($0)".contains("cannot create outputsPath \(file)/sub"), "\($0)")
        }
    }
}

final class RunFileRegistryTests: XCTestCase {
    func testTheReadmeNamesEveryStandardFile() throws {
        let readme = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "### What a run leaves behind").dropFirst().first?
            .components(separatedBy: "\n### ").first)
        for f in RunFile.allCases { XCTAssertTrue(section.contains("`\(f.rawValue)`"), "README's run-folder list lacks \(f.rawValue)") }
        XCTAssertEqual(Set(RunFile.allCases.map(\.rawValue)).count, RunFile.allCases.count)
        XCTAssertEqual(RunFolder(existing: "/r/x").file(.bestWeights), "/r/x/best.h5")
        XCTAssertEqual(RunFolder(existing: "/r/x").file(.testPredictions), "/r/x/test_predictions.csv")
    }
}
