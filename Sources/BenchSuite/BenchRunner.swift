// `bench run`: runs the chosen suites and writes one result file per suite,
// `<out>/<suite>-<UTC stamp>-<hex>.h5`, with the host, cores, date, commit, suite and quick flag.

import Core
import Foundation

public enum BenchRunner {
    /// Every suite, in the order `bench run` runs them by default.
    public static let suites = ["training", "throughput", "preprocess", "scaling"]

    public struct Options: Sendable {
        public var suites: [String]
        public var outDirectory: String
        public var quick: Bool
        /// Overrides the training study (tests use a one-configuration grid); nil = default/quick.
        public var training: TrainingStudy?
        /// Overrides the throughput study; nil = default/quick.
        public var throughput: ThroughputStudy?
        public var threads: Int
        public var packageRoot: String

        public init(suites: [String] = BenchRunner.suites, outDirectory: String = "results/bench", quick: Bool = false,
                    training: TrainingStudy? = nil, throughput: ThroughputStudy? = nil,
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    packageRoot: String = BenchEnvironment.packageRoot()) {
            self.suites = suites; self.outDirectory = outDirectory; self.quick = quick; self.training = training
            self.throughput = throughput; self.threads = threads; self.packageRoot = packageRoot
        }
    }

    /// Runs each suite and returns the result files written, in suite order.
    public static func run(_ o: Options, log: (String) -> Void = { print($0) }) throws -> [String] {
        for s in o.suites where !suites.contains(s) {
            throw DeepfakeError("unknown suite '\(s)': use one of \(suites.joined(separator: ", "))")
        }
        // Absolute: training runs write config files whose paths must not depend on the cwd.
        let out = URL(fileURLWithPath: o.outDirectory).standardizedFileURL.path
        let throughput = o.throughput ?? (o.quick ? .quick : ThroughputStudy())
        var written: [String] = []
        for suite in o.suites {
            let t0 = WallClock.now()
            let records: [BenchRecord]
            switch suite {
            case "training":
                var study = o.training ?? (o.quick ? .quick : TrainingStudy())
                if o.training == nil { study.threads = o.threads }
                records = try TrainingSuite.run(study, outDirectory: out, packageRoot: o.packageRoot, log: log)
            case "throughput":
                records = ThroughputSuite.run(throughput, threads: o.threads, log: log)
            case "preprocess":
                records = try PreprocessSuite.run(quick: o.quick, threads: o.threads,
                                                  scratch: (out as NSString).appendingPathComponent(".preprocess-scratch"),
                                                  packageRoot: o.packageRoot, log: log)
            default:  // scaling
                let counts = o.threads >= 2 ? [1, 2] : [1]
                records = ThroughputSuite.scaling(throughput, threadCounts: counts, log: log)
            }
            let attrs = BenchEnvironment.attributes(suite: suite, quick: o.quick, packageRoot: o.packageRoot,
                                                    extra: ["suite_seconds": String(format: "%.1f", WallClock.now() - t0)])
            let path = try BenchResultFile.write(records, suite: suite, directory: out, attributes: attrs)
            log("\(suite): \(records.count) row(s) -> \(path)")
            written.append(path)
        }
        return written
    }
}
