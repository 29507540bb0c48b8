// AtomicFile: the one way to replace a file so that a reader (or a crash) sees either the old
// file or the complete new one, never a torn or missing file: write a temporary file in the SAME
// folder (rename(2) is only atomic within one file system), fsync it, rename it over the target,
// and remove the temporary file on any error.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum AtomicFile {
    /// Replaces `path` with `data`.
    public static func write(_ data: Data, to path: String) throws {
        try replace(path) { tmp in
            guard FileManager.default.createFile(atPath: tmp, contents: data) else {
                throw DeepfakeError("cannot write \(path): \(String(cString: strerror(errno))); check that its folder exists and is writable")
            }
        }
    }

    /// Replaces `path` with UTF-8 `text`.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }

    /// Replaces `path` with the file `produce` creates at the temporary path it is given (for
    /// writers that open files themselves, such as HDF5). `produce` must close the file.
    public static func replace(_ path: String, produce: (String) throws -> Void) throws {
        // `<path>.tmp-<host>-<pid>`: TempFiles.removeStale cleans what a killed writer left.
        let tmp = TempFiles.name(for: path)
        do {
            try produce(tmp)
            try sync(tmp)
            guard rename(tmp, path) == 0 else {
                throw DeepfakeError("cannot replace \(path): \(String(cString: strerror(errno))); check that its folder is writable")
            }
            // The rename itself must survive a power cut: sync the folder entry too (best effort:
            // some file systems refuse fsync on a directory).
            let dir = (path as NSString).deletingLastPathComponent
            try? sync(dir.isEmpty ? "." : dir)
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Forces the file's bytes to disk, so the rename never publishes a name whose data is not there.
    static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DeepfakeError("cannot open \(path) to flush it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DeepfakeError("cannot flush \(path) to disk: \(String(cString: strerror(errno)))") }
    }
}
