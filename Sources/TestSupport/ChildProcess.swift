// ChildProcess: runs a built executable from a test and captures what it printed, the one helper
// for the golden --help, exit-code and error-text tests of both executables.

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
}
