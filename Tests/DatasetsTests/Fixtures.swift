// Test helpers: temporary folders (TestSupport's) and real image files (PNG/JPEG via ImageEncoder).

import Config
import Core
import Foundation
import ImageIO
import TestSupport
import XCTest
@testable import Datasets

extension XCTestCase {
    /// A fresh empty folder (TestSupport.TemporaryFolder), removed when the test ends.
    func tempDir(_ tag: String) -> String {
        try! TemporaryFolder.make(for: self, label: "dsets-\(tag)")
    }
}

enum Fixtures {
    /// A small solid-colour image with a marker pixel, so decoded contents identify the file.
    static func pixels(size: Int, value: UInt8) -> [UInt8] {
        var p = [UInt8](repeating: value, count: size * size * 3)
        p[0] = 255 &- value
        return p
    }

    /// Writes a real PNG (or JPEG for .jpg/.jpeg) of uniform colour `value` at `path`.
    static func writeImage(_ path: String, value: UInt8 = 128, size: Int = 16) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let img = Image(width: size, height: size, channels: 3, pixels: pixels(size: size, value: value))
        let ext = (path as NSString).pathExtension.lowercased()
        let bytes = ext == "png" ? try ImageEncoder.png(img) : try ImageEncoder.jpeg(img, quality: 95)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Writes `count` images named <prefix>_<i>.<ext> into `dir`.
    static func fill(_ dir: String, count: Int, prefix: String = "img", ext: String = "png", value: UInt8 = 128) throws {
        for i in 0..<count { try writeImage((dir as NSString).appendingPathComponent("\(prefix)_\(i).\(ext)"), value: value) }
    }

    static func entry(_ name: String, _ folder: String) -> DatasetEntry { DatasetEntry(name: name, source: .localFolder(folder)) }

    /// An entry from config text, e.g. ("hard1k", "owner/name").
    static func entry(_ name: String, source text: String) throws -> DatasetEntry {
        DatasetEntry(name: name, source: try DatasetSource(parsing: text))
    }

    /// The shared real datasets (../shared/datasets from the package root), or nil.
    static var sharedDatasets: String? {
        let packageRoot = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let p = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/datasets").path
        return FileManager.default.fileExists(atPath: (p as NSString).appendingPathComponent("kagglehub")) ? p : nil
    }
}
