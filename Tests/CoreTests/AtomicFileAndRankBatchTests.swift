// AtomicFile (replace a file whole or not at all) and RankBatch (a global batch's split over ranks).

import XCTest
import Foundation
import TestSupport
@testable import Core

final class AtomicFileAndRankBatchTests: XCTestCase {
    func folder() throws -> String { try TemporaryFolder.make(for: self) }

    func testWriteReplacesTheFileAndLeavesNoTemporaryFile() throws {
        let dir = try folder(), path = dir + "/out.json"
        try AtomicFile.write("old\n", to: path)
        try AtomicFile.write("new\n", to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new\n")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.json"])
    }

    func testAFailingWriterKeepsTheOldFileAndRemovesItsTemporaryFile() throws {
        let dir = try folder(), path = dir + "/cache.h5"
        try AtomicFile.write("complete", to: path)
        var seenTmp = ""
        XCTAssertThrowsError(try AtomicFile.replace(path) { tmp in
            seenTmp = tmp
            try "half".write(toFile: tmp, atomically: false, encoding: .utf8)
            throw DeepfakeError("disk full")
        }) { XCTAssertEqual(($0 as? DeepfakeError)?.message, "disk full") }
        // The temporary file was in the same folder (rename is atomic only within a file system).
        XCTAssertEqual((seenTmp as NSString).deletingLastPathComponent, dir)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "complete")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["cache.h5"])
    }

    func testWriteIntoAMissingFolderNamesThePath() {
        XCTAssertThrowsError(try AtomicFile.write("x", to: "/nonexistent-folder-\(UUID().uuidString)/f.txt")) {
            let m = ($0 as? DeepfakeError)?.message ?? ""
            XCTAssertTrue(m.hasPrefix("cannot write /nonexistent-folder-"), m)
            XCTAssertTrue(m.contains("check that its folder exists"), m)
        }
    }

    func testRankSharesAreContiguousDifferByAtMostOneAndAddUp() {
        for global in 0...20 {
            for ranks in 1...6 {
                let parts = (0..<ranks).map { RankBatch(global: global, rank: $0, ranks: ranks) }
                XCTAssertEqual(parts.map(\.count).reduce(0, +), global)
                XCTAssertEqual(parts.first?.range.lowerBound, 0)
                XCTAssertEqual(parts.last?.range.upperBound, global)
                for (a, b) in zip(parts, parts.dropFirst()) { XCTAssertEqual(a.range.upperBound, b.range.lowerBound) }
                XCTAssertLessThanOrEqual(parts.map(\.count).max()! - parts.map(\.count).min()!, 1)
                XCTAssertEqual(parts.map(\.count).max(), RankBatch.largestShare(global: global, ranks: ranks))
            }
        }
        XCTAssertEqual((0..<4).map { RankBatch(global: 10, rank: $0, ranks: 4).count }, [2, 3, 2, 3])
    }
}
