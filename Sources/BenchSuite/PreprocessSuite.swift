// The `preprocess` suite: decode + resize + HDF5 cache write from scratch (Datasets'
// PreprocessBenchmark, the same settings as benchmarks/preprocess_pillow.py) on hard1k and
// deepfake2k when a kagglehub cache has them, else on the built-in small set; images/s per set.

import Config
import Core
import Datasets
import Foundation
import Reporting

public enum PreprocessSuite {
    /// One row per dataset. `quick` uses the built-in small set only, one repeat.
    public static func run(quick: Bool, threads: Int, size: Int = 64, scratch: String, datasets: String?,
                           log: (String) -> Void = { print($0) }) throws -> [BenchRecord] {
        var sets: [(DatasetEntry, String, String)] = []
        if !quick {
            for (name, handle) in [("hard1k", BenchEnvironment.hard1k), ("deepfake2k", BenchEnvironment.deepfake2k)] {
                if let root = BenchEnvironment.kaggleRoot(for: handle, datasets: datasets) {
                    sets.append((DatasetEntry(name: name, source: .kaggle(try KaggleHandle(parsing: handle))), root,
                                 "\(name) from the kagglehub cache \(root)"))
                }
            }
        }
        if sets.isEmpty {
            let why = quick ? "quick run" : "no hard1k/deepfake2k in $KAGGLEHUB_CACHE" + (datasets.map { " or \($0)" } ?? "")
            sets.append((DatasetEntry(name: "demo", source: .builtin(variant: "small")), "/tmp", "built-in generated faces (\(why))"))
        }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        var out: [BenchRecord] = []
        for (entry, root, note) in sets {
            let label = entry.name == "demo" ? entry.source.description : entry.name
            log("preprocess: \(label) (\(note))")
            var env = ProcessInfo.processInfo.environment
            env["KAGGLEHUB_CACHE"] = root == "/tmp" ? nil : root
            // The built-in set is generated on the first pass: a second pass times preprocessing alone.
            let builtin: Bool
            if case .builtin = entry.source { builtin = true } else { builtin = false }
            let repeats = quick && !builtin ? 1 : 2
            let t0 = WallClock.now()
            let r = try PreprocessBenchmark.run(entries: [entry], kagglePath: root, height: size, width: size, threads: threads,
                                                repeats: repeats, scratch: scratch, environment: env)
            log("preprocess: \(r)")
            out.append(BenchRecord(
                row: BenchmarkRow(name: "preprocess \(label) \(size)px", accuracy: .nan, loss: .nan, auc: .nan,
                                  wallSeconds: WallClock.now() - t0),
                model: "Preprocess", dataset: label, imageSize: size, threads: threads, throughput: r.imagesPerSecond,
                throughputUnit: "images/s",
                note: String(format: "%@; %d images, %.3f CPU ms/image, %d skipped, fastest of %d", note, r.images,
                             r.cpuSeconds * 1000 / Double(max(r.images, 1)), r.skipped, repeats)))
        }
        return out
    }
}
