// Shared helpers for StorageTests: temporary file paths that are removed after each test.

import Foundation
import XCTest

/// A fresh temporary path ending in `.h5`, deleted when the test finishes.
func temporaryH5Path(_ test: XCTestCase, _ tag: String = "t") -> String {
    let path = NSTemporaryDirectory() + "storage-\(tag)-\(UUID().uuidString).h5"
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
    return path
}

/// The size of a file in bytes.
func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
}
