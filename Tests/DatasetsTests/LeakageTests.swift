// Leakage between dataset entries (issue 9, probing defect 7): the same folder (or the same files)
// in trainData and testData, or one folder listed twice in trainData, was accepted silently.

import Config
import Core
import Foundation
import XCTest
@testable import Datasets

final class LeakageTests: XCTestCase {
    let resolver = DatasetResolver(kagglePath: "/nonexistent", dataPath: "/nonexistent", environment: [:])

    /// real/ and fake/ images that all differ (value + index), so no two files are identical by accident.
    func dataset(_ tag: String, real: Int = 3, fake: Int = 3, value: UInt8 = 40) throws -> String {
        let root = tempDir(tag)
        for i in 0..<real { try Fixtures.writeImage(root + "/real/img_\(i).png", value: value &+ UInt8(i)) }
        for i in 0..<fake { try Fixtures.writeImage(root + "/fake/img_\(i).png", value: value &+ 100 &+ UInt8(i)) }
        return root
    }

    func assertRefused(train: [DatasetEntry], test: [DatasetEntry], _ needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try LeakageCheck.check(train: train, test: test, resolver: resolver), file: file, line: line) { e in
            for n in needles { XCTAssertTrue("\(e)".contains(n), "'\(n)' not in \(e)", file: file, line: line) }
        }
    }

    func testSameFolderInTrainAndTestIsRefused() throws {
        let a = try dataset("a")
        assertRefused(train: [Fixtures.entry("a", a)], test: [Fixtures.entry("t", a)],
                      ["trainData 'a'", "testData 't'", "same folder", "test set would hold training images"])
        // Through a symlink, and a test folder inside the train folder.
        let link = tempDir("link") + "/alias"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: a)
        assertRefused(train: [Fixtures.entry("a", a)], test: [Fixtures.entry("t", link)], ["same folder"])
        let outer = tempDir("outer")
        try Fixtures.fill(outer + "/inner/real", count: 2, value: 10)
        try Fixtures.fill(outer + "/inner/fake", count: 2, value: 90)
        assertRefused(train: [Fixtures.entry("a", outer + "/inner")], test: [Fixtures.entry("t", outer)], ["overlap", "one inside the other"])
    }

    func testFolderListedTwiceInTrainDataIsRefused() throws {
        let a = try dataset("a")
        assertRefused(train: [Fixtures.entry("a", a), Fixtures.entry("b", a)], test: [],
                      ["trainData 'a'", "trainData 'b'", "trained on twice"])
    }

    func testCopiedFolderIsRefusedByContent() throws {
        let a = try dataset("a")
        let copy = tempDir("copy") + "/b"
        try FileManager.default.copyItem(atPath: a, toPath: copy)
        assertRefused(train: [Fixtures.entry("a", a)], test: [Fixtures.entry("t", copy)], ["byte-identical copies", "6 files"])
    }

    func testAFewSharedFilesWarnWithCounts() throws {
        let a = try dataset("a", value: 40), b = try dataset("b", real: 4, fake: 4, value: 20)
        try FileManager.default.copyItem(atPath: a + "/real/img_0.png", toPath: b + "/real/dup.png")
        let warnings = try LeakageCheck.check(train: [Fixtures.entry("a", a)], test: [Fixtures.entry("t", b)], resolver: resolver)
        XCTAssertEqual(warnings.count, 1)
        XCTAssertTrue(warnings[0].contains("share 1 byte-identical image(s) of 6 and 9"), warnings[0])
        // Distinct datasets: no warning.
        let c = try dataset("c", value: 10)
        XCTAssertEqual(try LeakageCheck.check(train: [Fixtures.entry("a", a)], test: [Fixtures.entry("c", c)], resolver: resolver), [])
    }
}
