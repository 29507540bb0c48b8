// ChildProcess: finds a built executable beside the test bundle, runs it from a test and captures
// what it printed (or starts it in the background with its output in a log file, for the tests
// that signal a run), the one helper of the tests that run the `deepfake` and `bench` binaries.

import Core
import Foundation

public enum ChildProcess {
    /// Runs `executable args` (in `folder` when given) with this process's environment plus
    /// `environment`; returns (exit status, stdout, stderr). Both pipes are read before waiting,
    /// since a full pipe would otherwise block the child.
    public static func run(_ executable: String, _ args: [String], environment: [String: String] = [:],
                           in folder: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        if let folder { p.currentDirectoryURL = URL(fileURLWithPath: folder) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// The executable `name` that SwiftPM built with this test bundle (beside it; on macOS beside
    /// the .xctest bundle); throws naming the places looked at when it is not built.
    public static func builtExecutable(_ name: String) throws -> String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" { dir = dir.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }
        let candidates = [dir, dir.deletingLastPathComponent()].map { $0.appendingPathComponent(name).path }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            // `swift test` builds every product first; a bare xctest run may not have.
            throw DeepfakeError("no \(name) binary next to the test bundle (looked at \(candidates)): "
                + "run `swift build --build-tests` first")
        }
        return found
    }

    /// Starts `executable args` in the background with this process's environment plus
    /// `environment`, stdout and stderr both going to the file `log`; the caller waits or signals.
    public static func start(_ executable: String, _ args: [String], environment: [String: String] = [:],
                             log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        FileManager.default.createFile(atPath: log, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = h; p.standardError = h
        try p.run()
        return p
    }
}
