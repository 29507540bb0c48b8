// Hostile dataset folders (issue 9, probing defects 4 and 9): a FIFO named x.jpg, symlinks back to
// `.`, a file name that is not UTF-8, and a class folder that cannot be read. Each must end quickly
// with the real problem named: skipped and listed, or a clear error. Work that used to hang runs on
// a separate thread with a generous deadline, so a regression fails the test instead of hanging it.

import Config
import Core
import Foundation
import XCTest
@testable import Datasets

final class HostileFolderTests: XCTestCase {
    let settings = PrepareSettings(height: 8, width: 8, channels: 3, chunkRows: 4, blockSize: 5)

    func prepare(_ root: String, dataPath: String) throws -> PreparedData {
        try DataPreparer.prepare(entries: [Fixtures.entry("x", root)], dataPath: dataPath, kagglePath: "/nonexistent",
                                 settings: settings, log: RunLog(echo: false), environment: [:])
    }

    /// Runs `body` on its own thread; fails (instead of hanging) when it is still running after `seconds`.
    func finishes<T>(within seconds: Double, _ what: String, _ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: Result<T, Error>?
        Thread.detachNewThread { result = Result { try body() }; done.signal() }
        guard done.wait(timeout: .now() + seconds) == .success, let r = result else {
            XCTFail("\(what) still running after \(seconds) s (hang)")
            throw XCTSkip("hung")
        }
        return try r.get()
    }

    func testFIFONamedLikeAnImageIsSkippedNotOpened() throws {
        let root = tempDir("fifo")
        try Fixtures.fill(root + "/real", count: 3, value: 40)
        try Fixtures.fill(root + "/fake", count: 3, value: 200)
        XCTAssertEqual(mkfifo(root + "/fake/pipe.jpg", 0o644), 0)
        let d = try finishes(within: 120, "preprocessing a folder with a FIFO") { try self.prepare(root, dataPath: self.tempDir("cache")) }
        XCTAssertEqual(d.count, 6)
        XCTAssertEqual(d.skipped.map(\.path), [root + "/fake/pipe.jpg"])
        XCTAssertTrue(d.skipped[0].reason.contains("not a regular file"), d.skipped[0].reason)
    }

    /// The probe: 8 symlinks to `.` in a dataset root were still being searched after 120 s.
    func testSymlinksToDotAreWalkedOnce() throws {
        let root = tempDir("links")
        try Fixtures.fill(root + "/real", count: 2, value: 40)
        try Fixtures.fill(root + "/fake", count: 3, value: 200)
        for i in 0..<8 { try FileManager.default.createSymbolicLink(atPath: root + "/l\(i)", withDestinationPath: ".") }
        try FileManager.default.createSymbolicLink(atPath: root + "/real/again", withDestinationPath: ".")
        try FileManager.default.createSymbolicLink(atPath: root + "/fake/up", withDestinationPath: "..")
        let found = try finishes(within: 120, "class-folder search with symlinks to .") { try ClassLayout.detect(root: root) }
        XCTAssertEqual(found, [ClassFolders(real: root + "/real", fake: root + "/fake", split: .none)])
        let d = try finishes(within: 120, "preprocessing with symlink loops") { try self.prepare(root, dataPath: self.tempDir("cache")) }
        XCTAssertEqual(d.classCounts, [2, 3])
    }

    /// The probe: a Latin-1 file name was reported as "No such file or directory".
    func testNonUTF8FileNameIsNamedAsSuch() throws {
        let root = tempDir("latin1")
        try Fixtures.fill(root + "/real", count: 2, value: 40)
        try Fixtures.fill(root + "/fake", count: 2, value: 200)
        let png = try Data(contentsOf: URL(fileURLWithPath: root + "/real/img_0.png"))
        let raw = Array((root + "/fake/caf").utf8) + [0xE9] + Array(".png".utf8) + [0]
        let fd = raw.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: raw.count) { open($0, O_CREAT | O_WRONLY, 0o644) }
        }
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = png.withUnsafeBytes { write(fd, $0.baseAddress, png.count) }
        close(fd)
        let d = try prepare(root, dataPath: tempDir("cache"))
        XCTAssertEqual(d.count, 4)
        XCTAssertEqual(d.skipped.count, 1)
        XCTAssertEqual(d.skipped.first?.path, root + "/fake/caf\\xE9.png")
        XCTAssertTrue(d.skipped.first?.reason.contains("not valid UTF-8") == true, "\(d.skipped)")
        XCTAssertFalse(d.skipped.first?.reason.contains("No such file") == true)
    }

    /// The probe: an unreadable class folder was said to hold "no .jpg images". Root reads any
    /// folder, so as root the check drops this thread's file-system uid (setfsuid) to nobody.
    func testUnreadableClassFolderSaysPermissionDenied() throws {
        let root = tempDir("noperm")
        try Fixtures.fill(root + "/real", count: 2, value: 40)
        try Fixtures.fill(root + "/fake", count: 2, value: 200)
        XCTAssertEqual(chmod(root + "/fake", 0), 0)
        addTeardownBlock { chmod(root + "/fake", 0o755) }
        try asUnprivilegedThread {
            XCTAssertThrowsError(try ClassLayout.detect(root: root)) { e in
                let m = "\(e)"
                XCTAssertTrue(m.contains(root + "/fake") && m.contains("Permission denied") && m.contains("chmod"), m)
                XCTAssertFalse(m.contains("holds no"), m)
            }
        }
    }

    /// Runs `body` with this thread's file-system uid set to nobody when the process is root.
    func asUnprivilegedThread(_ body: () throws -> Void) throws {
        guard getuid() == 0 else { return try body() }
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setfsuid") else { throw XCTSkip("no setfsuid") }
        let setfsuid = unsafeBitCast(sym, to: (@convention(c) (UInt32) -> Int32).self)
        _ = setfsuid(65534)
        defer { _ = setfsuid(0) }
        try body()
    }
}
