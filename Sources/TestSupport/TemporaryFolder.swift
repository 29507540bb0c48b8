// TemporaryFolder: the one temp-folder helper of the test targets. A fresh, empty folder under the
// system temporary directory with a unique name, removed when the test that asked for it ends.

import Foundation
import XCTest

public enum TemporaryFolder {
    /// Creates a fresh folder named `<label>-<uuid>`, without registering its removal (the caller
    /// removes it; prefer `make(for:)`).
    public static func create(_ label: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Creates a fresh folder for `test`, removed (with everything in it) when the test ends.
    public static func make(for test: XCTestCase, label: String? = nil) throws -> String {
        let path = try create(label ?? String(describing: type(of: test)))
        test.addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

/// A test case with a fresh folder `tmp` for every test, removed afterwards.
open class TemporaryFolderTestCase: XCTestCase {
    public var tmp = ""

    open override func setUpWithError() throws {
        try super.setUpWithError()
        tmp = try TemporaryFolder.make(for: self)
    }
}
