// Preprocessing throughput, for the `bench` executable: decode + resize + HDF5 cache write of
// given entries from scratch (the cache is always rebuilt), timed end to end (moved here from the
// Datasets target with the other benchmark drivers).

import Config
import Core
import Datasets
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public struct PreprocessBenchmarkResult: Sendable, CustomStringConvertible {
    public let entries: [String]
    public let images: Int
    public let skipped: Int
    /// Wall-clock seconds of the fastest run.
    public let seconds: Double
    /// CPU seconds (user + system, all threads) of that run: less sensitive to a busy machine.
    public let cpuSeconds: Double
    public let threads: Int
    public let height: Int, width: Int, channels: Int
    public let cacheBytes: Int
    public var imagesPerSecond: Double { Double(images) / seconds }

    public var description: String {
        String(format: "%@ %dx%dx%d threads=%d: %d images in %.2f s = %.0f images/s, %.3f CPU ms/image (cache %.1f MB, %d skipped)",
               entries.joined(separator: "+"), height, width, channels, threads, images, seconds, imagesPerSecond,
               cpuSeconds * 1000 / Double(max(images, 1)), Double(cacheBytes) / 1e6, skipped)
    }
}

public enum PreprocessBenchmark {
    /// Prepares `entries` `repeats` times into a scratch dataPath (removed afterwards) with
    /// `threads` decode threads and returns the fastest run. Settings match
    /// benchmarks/preprocess_pillow.py: chunkRows images per chunk, shuffle+deflate(compression).
    public static func run(entries: [DatasetEntry], kagglePath: String, height: Int = 64, width: Int = 64, channels: Int = 3,
                           threads: Int = 2, compression: Int? = 1, chunkRows: Int = 64, repeats: Int = 1,
                           scratch: String = NSTemporaryDirectory(),
                           environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PreprocessBenchmarkResult {
        let dataPath = (scratch as NSString).appendingPathComponent("prep-bench-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(atPath: dataPath) }
        let settings = PrepareSettings(height: height, width: width, channels: channels, resort: true,
                                       compression: compression, chunkRows: chunkRows, threads: Threads(threads))
        var best = Double.infinity, bestCPU = 0.0
        var last: PreparedData?
        for _ in 0..<max(1, repeats) {
            let c0 = cpuTime(), t0 = WallClock.now()
            last = try DataPreparer.prepare(entries: entries, dataPath: dataPath, kagglePath: kagglePath, settings: settings,
                                            log: nil, environment: environment)
            let t = WallClock.now() - t0
            if t < best { best = t; bestCPU = cpuTime() - c0 }
        }
        let d = last!
        let bytes = (try? FileManager.default.attributesOfItem(atPath: d.cachePath)[.size] as? Int) ?? 0
        return PreprocessBenchmarkResult(entries: entries.map { $0.name }, images: d.count, skipped: d.skipped.count, seconds: best, cpuSeconds: bestCPU,
                                         threads: threads, height: height, width: width, channels: channels, cacheBytes: bytes)
    }
}

/// User + system CPU seconds of this process (all threads).
func cpuTime() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF_WHO, &u)
    return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) * 1e-6 + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) * 1e-6
}

#if os(Linux)
private let RUSAGE_SELF_WHO = __rusage_who_t(RUSAGE_SELF.rawValue)
#else
private let RUSAGE_SELF_WHO = RUSAGE_SELF
#endif
