// Shared helpers for StorageTests: temporary file paths (in TestSupport's per-test folders,
// removed after each test).

import Foundation
import TestSupport
import XCTest

/// A fresh temporary path ending in `.h5`, deleted when the test finishes.
func temporaryH5Path(_ test: XCTestCase, _ tag: String = "t") -> String {
    (try! TemporaryFolder.make(for: test, label: "storage")) + "/\(tag).h5"
}

/// The size of a file in bytes.
func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
}
