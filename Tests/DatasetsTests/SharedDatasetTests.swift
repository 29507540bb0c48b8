// A short run on the real hard1k data through the kagglehub layout, when the shared copy exists.

import Config
import Core
import Foundation
import XCTest
@testable import Datasets

final class SharedDatasetTests: XCTestCase {
    func testHard1kThroughKagglehubLayout() throws {
        guard let shared = Fixtures.sharedDatasets else {
            print("SKIPPED: /work/shared/datasets absent (expected at ../shared/datasets from the package root)")
            throw XCTSkip("SKIPPED: /work/shared/datasets absent")
        }
        let dataPath = tempDir("hard1k")
        defer { try? FileManager.default.removeItem(atPath: dataPath) }
        let d = try DataPreparer.prepare(entries: [try Fixtures.entry("hard1k", source: "hamzaboulahia/hardfakevsrealfaces")],
                                         dataPath: dataPath, kagglePath: "/nonexistent",
                                         settings: PrepareSettings(height: 32, width: 32, channels: 3, threads: Threads(2)),
                                         log: RunLog(echo: false), environment: ["KAGGLEHUB_CACHE": shared + "/kagglehub"])
        XCTAssertEqual(d.classCounts, [589, 700])
        XCTAssertTrue(d.skipped.isEmpty)
        XCTAssertEqual(d.images.count, 1289 * 32 * 32 * 3)
        XCTAssertTrue(d.paths.allSatisfy { $0.contains("/versions/1/") })
    }
}
