// The `inference` suite: forward passes only, in eval mode (BatchNorm running statistics, folded
// into the convolutions for Classic; no gradients), of the real Classic and HQNN models as ModelFactory builds them from a config, on a
// batch of random images at 32, 64, 128 and 224 px: the images/s a deployed detector gets. The
// (model, size) points are interleaved, one warm-up forward each first.

import App
import Config
import Core
import Foundation
import Models
import NN
import Reporting
import Training

public struct InferenceStudy: Sendable {
    public var models: [ModelChoice] = [.classic, .hqnn]
    public var imageSizes: [Int] = [32, 64, 128, 224]
    public var batch = 32
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var plan = RepeatPlan.standard(quick: false)

    public init() {}

    /// `--quick`: both models at 32 and 64 px, batch 8, 2 repeats.
    public static var quick: InferenceStudy {
        var s = InferenceStudy()
        s.imageSizes = [32, 64]; s.batch = 8; s.plan = .standard(quick: true)
        return s
    }
}

public enum InferenceSuite {
    public static func run(_ s: InferenceStudy, log: (String) -> Void = { print($0) }) throws -> [BenchRecord] {
        Compute.setThreads(s.threads)
        let entry = DatasetEntry(name: "demo", source: .builtin(variant: "small"))
        var models: [ClassifierModel] = [], labels: [(ModelChoice, Int)] = []
        for m in s.models {
            for size in s.imageSizes {
                var c = try TrainingSuite.makeConfig(model: m, size: size, batch: s.batch, epochs: 1, entry: entry,
                                                     kagglePath: "/tmp", threads: s.threads)
                c.modelPath = "/nonexistent-no-pretrained-weights"
                models.append(try ModelFactory.make(c, context: NNContext(threads: Threads(s.threads)), log: RunLog(echo: false)))
                labels.append((m, size))
            }
        }
        var rng = SeededRNG(seed: 11)
        let inputs = s.imageSizes.map { size -> Tensor in
            let x = Tensor(zeros: [s.batch, 3, size, size])
            for i in 0..<x.count { x[i] = Float(rng.normal()) }
            return x
        }
        // The models' inference path (Classic: BatchNorm folded into the convolutions), as `-i` runs it.
        let runners = models.map { $0.makeInference() }
        log("inference suite: \(models.count) configuration(s), batch \(s.batch), \(s.threads) thread(s)")
        let times = s.plan.interleaved(models.count) { i in
            let x = inputs[s.imageSizes.firstIndex(of: labels[i].1)!]
            return WallClock.time { _ = runners[i](x) }
        }
        return models.indices.map { i in
            let (m, size) = labels[i]
            let spread = Spread(times[i])
            var r = BenchRecord(row: BenchmarkRow(name: "\(m.rawValue) \(size)px b\(s.batch) eval", accuracy: .nan, loss: .nan, auc: .nan,
                                                  parameters: models[i].network.parameterCount, wallSeconds: times[i].reduce(0, +)),
                                model: m.rawValue, dataset: "random", imageSize: size, batchSize: s.batch, threads: s.threads,
                                throughput: Double(s.batch) / spread.median, throughputUnit: "images/s",
                                baseline: m == .classic ? "" : "Classic \(size)px b\(s.batch) eval",
                                note: models[i] is ClassicResNet18 ? "forward only, eval mode, BatchNorm folded" : "forward only, eval mode")
            r.repeatSeconds = times[i]
            log(String(format: "inference: %@: %.1f images/s (median of %d)", r.row.name, r.throughput, spread.count))
            return r
        }
    }
}
