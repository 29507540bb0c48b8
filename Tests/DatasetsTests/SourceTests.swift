// Parsing dataset sources and resolving them to folders (kagglehub cache, local folders).

import Config
import Core
import Foundation
import XCTest
@testable import Datasets

final class SourceTests: XCTestCase {
    func testBuiltinVariants() throws {
        XCTAssertEqual(try BuiltinVariant(configName: nil), .default)
        XCTAssertEqual(try BuiltinVariant(configName: "small"), .small)
        XCTAssertThrowsError(try BuiltinVariant(configName: "huge")) { e in
            XCTAssertTrue("\(e)".contains("builtin:small"), "\(e)")
        }
    }

    func testKaggleResolutionNewestVersionAndEnvironment() throws {
        let cache = tempDir("kcache")
        for v in [1, 3] {
            try FileManager.default.createDirectory(atPath: "\(cache)/datasets/own/set/versions/\(v)", withIntermediateDirectories: true)
        }
        let entry = try Fixtures.entry("s", source: "own/set")
        // $KAGGLEHUB_CACHE wins over kagglePath.
        let r = DatasetResolver(kagglePath: "/nonexistent", dataPath: "/tmp", environment: ["KAGGLEHUB_CACHE": cache])
        XCTAssertEqual(try r.folder(for: entry), "\(cache)/datasets/own/set/versions/3")
        let r2 = DatasetResolver(kagglePath: cache, dataPath: "/tmp", environment: [:])
        XCTAssertEqual(try r2.folder(for: try Fixtures.entry("s", source: "own/set/versions/1")), "\(cache)/datasets/own/set/versions/1")
    }

    func testKaggleNotCachedErrorSaysWhatToDo() throws {
        let r = DatasetResolver(kagglePath: "/nonexistent-cache", dataPath: "/tmp", environment: [:])
        XCTAssertThrowsError(try r.folder(for: try Fixtures.entry("hard1k", source: "own/missing"))) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("hard1k") && m.contains("without -o") && m.contains("KAGGLEHUB_CACHE") && m.contains("/nonexistent-cache"), m)
        }
    }

    func testLocalFolderResolution() throws {
        let dir = tempDir("local")
        let r = DatasetResolver(kagglePath: "/tmp", dataPath: "/tmp", environment: [:])
        XCTAssertEqual(try r.folder(for: Fixtures.entry("x", dir)), dir)
        XCTAssertThrowsError(try r.folder(for: Fixtures.entry("x", dir + "/missing"))) { e in
            XCTAssertTrue("\(e)".contains("does not exist"))
        }
        XCTAssertEqual(DatasetResolver.expand("~/abc"), (NSHomeDirectory() as NSString).appendingPathComponent("abc"))
        XCTAssertTrue(DatasetResolver.expand("./abc").hasPrefix("/"))
    }
}
