// Parsing dataset sources and resolving them to folders (kagglehub cache, local folders).

import Core
import Foundation
import XCTest
@testable import Datasets

final class SourceTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try DatasetSource(parsing: "builtin"), .builtin(.default))
        XCTAssertEqual(try DatasetSource(parsing: "builtin:small"), .builtin(.small))
        XCTAssertEqual(try DatasetSource(parsing: "/data/x"), .local("/data/x"))
        XCTAssertEqual(try DatasetSource(parsing: "./x"), .local("./x"))
        XCTAssertEqual(try DatasetSource(parsing: "../x"), .local("../x"))
        XCTAssertEqual(try DatasetSource(parsing: "~/x"), .local("~/x"))
        XCTAssertEqual(try DatasetSource(parsing: "hamzaboulahia/hardfakevsrealfaces"),
                       .kaggle(KaggleHandle(owner: "hamzaboulahia", name: "hardfakevsrealfaces")))
        XCTAssertEqual(try DatasetSource(parsing: "a/b/versions/3"), .kaggle(KaggleHandle(owner: "a", name: "b", version: 3)))
        XCTAssertThrowsError(try DatasetSource(parsing: "builtin:huge")) { e in
            XCTAssertTrue("\(e)".contains("builtin:small"))
        }
        XCTAssertThrowsError(try DatasetSource(parsing: "not a handle"))
    }

    func testKaggleResolutionNewestVersionAndEnvironment() throws {
        let cache = Fixtures.tempDir("kcache")
        for v in [1, 3] {
            try FileManager.default.createDirectory(atPath: "\(cache)/datasets/own/set/versions/\(v)", withIntermediateDirectories: true)
        }
        let entry = try DatasetEntry(name: "s", source: "own/set")
        // $KAGGLEHUB_CACHE wins over kagglePath.
        let r = DatasetResolver(kagglePath: "/nonexistent", dataPath: "/tmp", environment: ["KAGGLEHUB_CACHE": cache])
        XCTAssertEqual(try r.folder(for: entry), "\(cache)/datasets/own/set/versions/3")
        let r2 = DatasetResolver(kagglePath: cache, dataPath: "/tmp", environment: [:])
        XCTAssertEqual(try r2.folder(for: try DatasetEntry(name: "s", source: "own/set/versions/1")), "\(cache)/datasets/own/set/versions/1")
    }

    func testKaggleNotCachedErrorSaysWhatToDo() throws {
        let r = DatasetResolver(kagglePath: "/nonexistent-cache", dataPath: "/tmp", environment: [:])
        XCTAssertThrowsError(try r.folder(for: try DatasetEntry(name: "hard1k", source: "own/missing"))) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("hard1k") && m.contains("without -o") && m.contains("KAGGLEHUB_CACHE") && m.contains("/nonexistent-cache"), m)
        }
    }

    func testLocalFolderResolution() throws {
        let dir = Fixtures.tempDir("local")
        let r = DatasetResolver(kagglePath: "/tmp", dataPath: "/tmp", environment: [:])
        XCTAssertEqual(try r.folder(for: Fixtures.entry("x", dir)), dir)
        XCTAssertThrowsError(try r.folder(for: Fixtures.entry("x", dir + "/missing"))) { e in
            XCTAssertTrue("\(e)".contains("does not exist"))
        }
        XCTAssertEqual(DatasetResolver.expand("~/abc"), (NSHomeDirectory() as NSString).appendingPathComponent("abc"))
        XCTAssertTrue(DatasetResolver.expand("./abc").hasPrefix("/"))
    }
}
