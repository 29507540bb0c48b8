// DurableFile: replace a file so that a crash at any moment leaves either the old or the new
// content, never a torn one: fsync the finished temporary, rename(2) it over the target (atomic
// on POSIX file systems), then fsync the folder so the rename itself survives a power cut.

import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum DurableFile {
    /// Moves the finished file `tmp` over `path` durably.
    static func replace(_ path: String, with tmp: String) throws {
        try fsyncPath(tmp, what: "file")
        guard rename(tmp, path) == 0 else {
            throw DeepfakeError("cannot rename \(tmp) to \(path): \(String(cString: strerror(errno)))")
        }
        try? fsyncPath((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                       what: "folder")
    }

    /// Writes `data` to `path` through a temporary in the same folder (status.json and the like).
    static func write(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try data.write(to: URL(fileURLWithPath: tmp))
            try replace(path, with: tmp)
        } catch {
            unlink(tmp)
            throw error
        }
    }

    private static func fsyncPath(_ path: String, what: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DeepfakeError("cannot open \(what) \(path) to sync it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DeepfakeError("cannot sync \(what) \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
