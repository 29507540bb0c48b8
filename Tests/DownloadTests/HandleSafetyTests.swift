// Kaggle handles that would climb out of the cache (issue 9, probing defect 2): `x/..` was accepted,
// sent to /api/v1/datasets/view/ with credentials, installed into `<cache>/datasets/versions/1` and
// deleted the complete dataset `versions/1` already cached there. Handles are now refused when
// parsed (config load) and again by the downloader before any request or file operation.

import Foundation
import XCTest
@testable import Download
import Core
import TestSupport

final class HandleSafetyTests: DownloadTestCase {
    func testDotAndSeparatorHandlesAreRefusedWhenParsed() {
        for bad in ["x/..", "../x", "x/.", "x/versions/1/..", "x/a.b", "x/y z", "x\\y/z",
                    "x/ñame", "x/", "/x", "x/y/versions/0", "x/y/versions/one"] {
            XCTAssertThrowsError(try KaggleHandle(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".contains("is not a Kaggle dataset handle"), "\(e)")
            }
        }
        for good in ["hamzaboulahia/hardfakevsrealfaces", "xhlulu/140k-real-and-fake-faces", "a_b/c-d/versions/3"] {
            XCTAssertNoThrow(try KaggleHandle(parsing: good), good)
        }
    }

    /// The probe, against the local Kaggle stand-in: a complete cached dataset whose folder
    /// `x/..` would reach (`datasets/versions/1`, owner "versions", name "1") survives byte for byte.
    func testHandleClimbingOutOfTheCacheTouchesNothing() throws {
        let victim = "versions/1"
        let files = DatasetLayouts.files("hamzaboulahia/hardfakevsrealfaces", perClass: 2)
        let s = try startServer([victim: [1: files], "x/..": [1: files]])
        let d = try downloader(["KAGGLE_USERNAME": "u", "KAGGLE_KEY": "k"])
        let folder = try d.ensureDataset(KaggleHandle(owner: "versions", name: "1", version: 1))
        XCTAssertEqual(folder, cacheRoot + "/datasets/versions/1/versions/1")
        let before = filesUnder(cacheRoot)
        s.clearLog()
        for version in [nil, 1] as [Int?] {
            assertFails(["Kaggle handle 'x/..'", "dataset name '..'"]) {
                _ = try d.ensureDataset(KaggleHandle(owner: "x", name: "..", version: version))
            }
        }
        XCTAssertTrue(s.requests().isEmpty, "no request (with credentials) for a bad handle: \(s.requests())")
        XCTAssertEqual(filesUnder(cacheRoot), before)
        assertTree(folder, equals: files)
        XCTAssertTrue(d.isComplete(KaggleHandle(owner: "versions", name: "1"), version: 1))
    }

    /// Even with a valid handle, nothing outside `datasets/<owner>/<name>/` may be deleted or renamed.
    func testContainmentCheckRefusesPathsOutsideTheDatasetFolder() throws {
        let d = try downloader()
        let h = KaggleHandle(owner: "a", name: "b")
        let root = cacheRoot + "/datasets/a/b"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        XCTAssertEqual(try d.inside(h, root + "/versions/1"), root + "/versions/1")
        XCTAssertThrowsError(try d.inside(h, root + "/../c/versions/1"))
        XCTAssertThrowsError(try d.inside(h, root + "/.."))
        XCTAssertThrowsError(try d.inside(h, root))
        try FileManager.default.createSymbolicLink(atPath: root + "/out", withDestinationPath: cacheRoot)
        XCTAssertThrowsError(try d.inside(h, root + "/out/x"))
    }
}
