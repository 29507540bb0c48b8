// Facts a result file records about where it was measured (host, CPU model, cores, date, git
// commit, build, OpenBLAS kernels, MPI library, Slurm job), and where the real datasets are:
// $KAGGLEHUB_CACHE, else a folder handed in (`bench run --datasets DIR`, else $DEEPFAKE_DATASETS)
// in kagglehub's layout, else nothing (the suites then use the built-in generated faces). No
// machine path is built in.

import Config
import Core
import Foundation
import NN

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
        for (k, v) in machine() where a[k] == nil { a[k] = v }
        return a
    }

    /// The build, library and machine facts every result file carries: build configuration and
    /// flags ($DEEPFAKE_BUILD_FLAGS, which `make` exports; the compiler leaves no trace of
    /// -target-cpu in the binary), OpenBLAS kernels, convolution engine, MPI library and version, Slurm job id and
    /// node list, CPU model, cores per node.
    public static func machine(environment env: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        var a: [String: String] = [:]
        #if DEBUG
        a["build_configuration"] = "debug"
        #else
        a["build_configuration"] = "release"
        #endif
        a["build_flags"] = env["DEEPFAKE_BUILD_FLAGS"].map { $0.isEmpty ? "(none)" : $0 } ?? "unknown (set DEEPFAKE_BUILD_FLAGS; make does)"
        a["openblas_core"] = Compute.openBLASCore
        a["openblas_coretype_env"] = env["OPENBLAS_CORETYPE"] ?? ""
        // Every suite's models train with the standard convolution settings.
        a["convolution_engine"] = ConvSettings.standard.engineDescription
        a["mpi_library"] = firstLine(of: ["mpirun", "--version"]) ?? "none found (mpirun not on PATH)"
        a["slurm_job_id"] = env["SLURM_JOB_ID"] ?? ""
        a["slurm_nodelist"] = env["SLURM_JOB_NODELIST"] ?? env["SLURM_NODELIST"] ?? ""
        a["slurm_nodes"] = env["SLURM_JOB_NUM_NODES"] ?? ""
        a["cpu_model"] = cpuModel() ?? "unknown"
        a["cores_per_node"] = env["SLURM_CPUS_ON_NODE"] ?? String(ProcessInfo.processInfo.activeProcessorCount)
        return a
    }

    /// "model name" of /proc/cpuinfo (Linux).
    static func cpuModel() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The first non-empty output line of a command, or nil when it cannot run or fails.
    static func firstLine(of argv: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The datasets folder of `--datasets`, else $DEEPFAKE_DATASETS, else nil.
    public static func datasetsFolder(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let f = flag, !f.isEmpty { return f }
        if let e = environment["DEEPFAKE_DATASETS"], !e.isEmpty { return e }
        return nil
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
    /// `datasets` (a folder holding `kagglehub/` or the cache itself) is looked at otherwise.
    public static func kaggleRoot(for handle: String, datasets: String?,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let h = try? KaggleHandle(parsing: handle) else { return nil }
        if let env = environment["KAGGLEHUB_CACHE"], !env.isEmpty {
            return KaggleCache(root: env).cachedFolder(h) != nil ? env : nil
        }
        guard let shared = datasets, !shared.isEmpty else { return nil }
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
