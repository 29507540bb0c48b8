// `bench run`: runs the chosen suites and writes one result file per suite,
// `<out>/<suite>-<UTC stamp>-<hex>.h5`, with the environment (BenchEnvironment) as attributes.
// The multi-rank suites (ranks, sharded) start their child measurements through a Launcher.

import Core
import Foundation

public enum BenchRunner {
    /// Every suite, in the order `bench run` runs them by default (the comparison study, hours
    /// of training, runs only when named).
    public static let suites = BenchSuiteName.allCases.filter { $0 != .comparison }

    public struct Options: Sendable {
        public var suites: [BenchSuiteName]
        public var outDirectory: String
        public var quick: Bool
        /// Overrides of each study; nil = its default (or quick) study.
        public var training: TrainingStudy?
        public var throughput: ThroughputStudy?
        public var ranks: RanksStudy?
        public var qubits: QubitsStudy?
        public var sharded: ShardedStudy?
        public var inference: InferenceStudy?
        /// The comparison study (`--study FILE`); nil = the quick built-in one with `quick`, else an error.
        public var comparison: ComparisonStudy?
        /// `--time-budget`: the comparison study starts no new point after this many seconds.
        public var comparisonTimeBudget: Double?
        public var threads: Int
        public var packageRoot: String
        /// Folder of kagglehub caches of the real sets (`--datasets`, $DEEPFAKE_DATASETS); nil = $KAGGLEHUB_CACHE only.
        public var datasets: String?
        /// The `bench` binary the ranks and sharded suites launch as children.
        public var executable: String?
        public var launcher: Launcher

        public init(suites: [BenchSuiteName] = BenchRunner.suites, outDirectory: String = "results/bench", quick: Bool = false,
                    training: TrainingStudy? = nil, throughput: ThroughputStudy? = nil,
                    threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    packageRoot: String = BenchEnvironment.packageRoot(), datasets: String? = nil,
                    executable: String? = nil, launcher: Launcher = .detect()) {
            self.suites = suites; self.outDirectory = outDirectory; self.quick = quick; self.training = training
            self.throughput = throughput; self.threads = threads; self.packageRoot = packageRoot
            self.datasets = datasets; self.executable = executable; self.launcher = launcher
        }
    }

    /// Runs each suite and returns the result files written, in suite order.
    public static func run(_ o: Options, log: (String) -> Void = { print($0) }) throws -> [String] {
        // Absolute: training runs write config files whose paths must not depend on the cwd.
        let out = URL(fileURLWithPath: o.outDirectory).standardizedFileURL.path
        func executable() throws -> String {
            guard let e = o.executable else {
                throw DeepfakeError("the ranks and sharded suites launch the bench executable as MPI children: run them from `bench run`")
            }
            return e
        }
        var written: [String] = []
        for suite in o.suites {
            let t0 = WallClock.now()
            let records: [BenchRecord]
            var extra: [String: String] = [:]
            switch suite {
            case .training:
                var study = o.training ?? (o.quick ? .quick : TrainingStudy())
                if o.training == nil { study.threads = o.threads }
                if study.datasets == nil { study.datasets = o.datasets }
                records = try TrainingSuite.run(study, outDirectory: out, packageRoot: o.packageRoot, log: log)
            case .throughput:
                let study = o.throughput ?? (o.quick ? .quick : ThroughputStudy())
                records = ThroughputSuite.run(study, threads: o.threads, log: log)
            case .preprocess:
                records = try PreprocessSuite.run(quick: o.quick, threads: o.threads,
                                                  scratch: (out as NSString).appendingPathComponent(".preprocess-scratch"),
                                                  datasets: o.datasets, log: log)
            case .ranks:
                let study = o.ranks ?? (o.quick ? .quick : RanksStudy())
                records = try RanksSuite.run(study, executable: try executable(), launcher: o.launcher, outDirectory: out,
                                             packageRoot: o.packageRoot, datasets: o.datasets, log: log)
                extra["launcher"] = o.launcher.kind.rawValue
                extra["binding"] = o.launcher.binding(threadsPerRank: study.threadsPerRank)
            case .qubits:
                var study = o.qubits ?? (o.quick ? .quick : QubitsStudy())
                if o.qubits == nil { study.threads = o.threads }
                records = QubitsSuite.run(study, log: log)
            case .sharded:
                let study = o.sharded ?? (o.quick ? .quick : ShardedStudy())
                records = try ShardedSuite.run(study, executable: try executable(), launcher: o.launcher, outDirectory: out, log: log)
                extra["launcher"] = o.launcher.kind.rawValue
                extra["binding"] = o.launcher.binding(threadsPerRank: study.threadsPerRank)
            case .inference:
                var study = o.inference ?? (o.quick ? .quick : InferenceStudy())
                if o.inference == nil { study.threads = o.threads }
                records = try InferenceSuite.run(study, log: log)
            case .comparison:
                var study: ComparisonStudy
                if let s = o.comparison { study = s } else if o.quick {
                    study = try ComparisonStudy.quick(dataFolder: (out as NSString).appendingPathComponent(".data-cache"))
                    study.threads = o.threads
                } else {
                    throw DeepfakeError("the comparison suite needs a study: --study FILE (e.g. configs/bench/comparison.yaml), or --quick for the built-in one")
                }
                study.timeBudgetSeconds = o.comparisonTimeBudget
                // Each training runs in a child `bench train-config`: a crash ends the point, not the process.
                study.isolationExecutable = o.executable
                let (_, points) = try ComparisonSuite.run(study, outDirectory: out, log: log)
                extra["suite_seconds"] = String(format: "%.1f", WallClock.now() - t0)
                extra["study"] = study.name
                let attrs = BenchEnvironment.attributes(suite: suite.rawValue, quick: o.quick, packageRoot: o.packageRoot, extra: extra)
                let path = try ComparisonResultFile.write(points, directory: out, attributes: attrs)
                log("\(suite.rawValue): \(points.count) point(s) -> \(path)")
                written.append(path)
                continue
            }
            extra["suite_seconds"] = String(format: "%.1f", WallClock.now() - t0)
            let attrs = BenchEnvironment.attributes(suite: suite.rawValue, quick: o.quick, packageRoot: o.packageRoot, extra: extra)
            let path = try BenchResultFile.write(records, suite: suite.rawValue, directory: out, attributes: attrs)
            log("\(suite.rawValue): \(records.count) row(s) -> \(path)")
            written.append(path)
        }
        return written
    }
}
