// RunLog: line-oriented progress for batch logs (no carriage returns), to stdout and a file.

import Foundation

public final class RunLog: @unchecked Sendable {
    private var file: FileHandle?
    private let lock = NSLock()
    /// When false, lines go only to the file (ranks other than 0 stay quiet on stdout).
    public var echo: Bool
    private let start = WallClock.now()

    public init(echo: Bool = true) { self.echo = echo }

    /// Starts appending to `path` as well; earlier lines are not replayed.
    public func attach(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let h = FileHandle(forWritingAtPath: path) else {
            throw DeepfakeError("cannot open log file \(path) for writing: check the folder exists and is writable")
        }
        h.seekToEndOfFile()
        lock.lock(); file = h; lock.unlock()
    }

    /// Writes one line prefixed with the elapsed time.
    public func info(_ message: String) {
        let line = String(format: "[%8.1fs] ", WallClock.now() - start) + message + "\n"
        lock.lock()
        defer { lock.unlock() }
        if echo { FileHandle.standardOutput.write(line.data(using: .utf8)!) }
        file?.write(line.data(using: .utf8)!)
    }

    public func warning(_ message: String) { info("WARNING: " + message) }

    public func close() {
        lock.lock(); defer { lock.unlock() }
        try? file?.close()
        file = nil
    }
}
