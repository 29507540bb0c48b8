// Litter from interrupted writes (issue 9, probing defect 8): `*.tmp-PID` files (up to 44 MB each)
// stayed in the cache folder forever. A run now removes, in the folders it owns (the cache folder,
// the built-in data folder), the temporary files of dead processes of this host, and nothing else.

import Config
import Core
import Foundation
import XCTest
@testable import Datasets

final class StaleTempTests: XCTestCase {
    /// The pid of a process that has exited.
    func deadPid() throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try p.run(); p.waitUntilExit()
        return p.processIdentifier
    }

    func testPrepareRemovesOnlyDeadProcessesTempFiles() throws {
        let root = tempDir("litter")
        try Fixtures.fill(root + "/real", count: 2, value: 40)
        try Fixtures.fill(root + "/fake", count: 2, value: 200)
        let dataPath = tempDir("cache")
        let cache = dataPath + "/cache"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let dead = try deadPid()
        let me = ProcessInfo.processInfo.processIdentifier
        let old = Date(timeIntervalSinceNow: -7200)
        func make(_ name: String, mtime: Date? = nil) throws {
            try Data(count: 1000).write(to: URL(fileURLWithPath: cache + "/" + name))
            if let mtime { try FileManager.default.setAttributes([.modificationDate: mtime], ofItemAtPath: cache + "/" + name) }
        }
        let deadNew = "x_8x8x3.h5" + TempFiles.name(for: "", pid: dead)          // this host, dead pid
        let live = "y_8x8x3.h5" + TempFiles.name(for: "", pid: me)              // this host, running
        let otherHost = "z_8x8x3.h5.tmp-othernode-\(dead)"                       // another node's writer
        let legacyOld = "w_8x8x3.h5.tmp-\(dead)", legacyFresh = "v_8x8x3.h5.tmp-\(dead)"
        let unrelated = "notes.tmp-later.txt"
        try make(deadNew); try make(live); try make(otherHost); try make(legacyOld, mtime: old); try make(legacyFresh); try make(unrelated)
        _ = try DataPreparer.prepare(entries: [Fixtures.entry("x", root)], dataPath: dataPath, kagglePath: "/nonexistent",
                                     settings: PrepareSettings(height: 8, width: 8, channels: 3), log: RunLog(echo: false), environment: [:])
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: cache))
        XCTAssertFalse(left.contains(deadNew)); XCTAssertFalse(left.contains(legacyOld))
        XCTAssertTrue(left.isSuperset(of: [live, otherHost, legacyFresh, unrelated, "x_8x8x3.h5"]), "\(left)")
    }

    func testTempNameParsing() {
        XCTAssertEqual(TempFiles.parse("a.h5.tmp-node-1-42")?.0, "node-1")
        XCTAssertEqual(TempFiles.parse("a.h5.tmp-node-1-42")?.1, 42)
        XCTAssertNil(TempFiles.parse("a.h5.tmp-42")?.0)
        XCTAssertEqual(TempFiles.parse("a.h5.tmp-42")?.1, 42)
        for other in ["a.h5", ".tmp-42", "a.tmp-", "a.tmp-x", "a.tmp-node-", "a.tmp--3"] { XCTAssertNil(TempFiles.parse(other), other) }
    }
}
