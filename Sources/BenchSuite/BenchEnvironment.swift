// Facts a result file records about where it was measured (host, cores, date, git commit), and
// where the real datasets are: $KAGGLEHUB_CACHE, else ../shared/datasets (beside the package root)
// in kagglehub's layout, else nothing (the suites then use the built-in generated faces).

import Config
import Core
import Foundation

public enum BenchEnvironment {
    /// Kaggle handles of the real sets the suites use when present.
    public static let hard1k = "hamzaboulahia/hardfakevsrealfaces/versions/1"
    public static let deepfake2k = "ciplab/real-and-fake-face-detection/versions/1"

    /// Root attributes of a result file: host, cores, date (ISO 8601 UTC), commit (when `git`
    /// answers in `packageRoot`), suite and quick flag.
    public static func attributes(suite: String, quick: Bool, packageRoot: String,
                                  extra: [String: String] = [:]) -> [String: String] {
        var a = extra
        a["host"] = ProcessInfo.processInfo.hostName
        a["cores"] = String(ProcessInfo.processInfo.activeProcessorCount)
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        a["date"] = f.string(from: Date())
        a["suite"] = suite
        a["quick"] = quick ? "true" : "false"
        if let commit = gitCommit(packageRoot) { a["commit"] = commit }
        return a
    }

    /// `git rev-parse HEAD` in `directory`, or nil (no git, not a repository).
    public static func gitCommit(_ directory: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["git", "-C", directory, "rev-parse", "HEAD"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        let s = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.count == 40 ? s : nil
    }

    /// The kagglehub cache root holding `handle`, or nil. With $KAGGLEHUB_CACHE set only that root
    /// is looked at (the data stage reads it too, so another root would not be used).
    public static func kaggleRoot(for handle: String, packageRoot: String,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let h = try? KaggleHandle(parsing: handle) else { return nil }
        if let env = environment["KAGGLEHUB_CACHE"], !env.isEmpty {
            return KaggleCache(root: env).cachedFolder(h) != nil ? env : nil
        }
        let shared = ((packageRoot as NSString).deletingLastPathComponent as NSString).appendingPathComponent("shared/datasets")
        for root in [(shared as NSString).appendingPathComponent("kagglehub"), shared]
        where KaggleCache(root: root).cachedFolder(h) != nil {
            return root
        }
        return nil
    }

    /// The package root: the nearest folder at or above the current directory holding Package.swift.
    public static func packageRoot() -> String {
        var dir = FileManager.default.currentDirectoryPath
        while dir != "/" {
            if FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("Package.swift")) { return dir }
            dir = (dir as NSString).deletingLastPathComponent
        }
        return FileManager.default.currentDirectoryPath
    }
}
