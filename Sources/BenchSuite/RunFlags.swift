// The flags of `bench run` as plain values, and their merging into BenchRunner.Options (the
// executable only parses; which flag overrides which study field is decided here, once).

import Core
import Foundation

public struct RunFlags: Sendable {
    public var suites: [BenchSuiteName] = []
    public var out = "results/bench"
    public var quick = false
    public var threads: Int?
    public var repeats: Int?
    public var datasets: String?
    // training
    public var epochs: Int?
    public var models: [ModelChoice] = []
    public var sizes: [Int] = []
    public var batches: [Int] = []
    public var baseConfig: String?
    public var keepRuns = false
    // ranks
    public var ranks: [Int] = []
    public var modes: [ScalingMode] = []
    public var rankBatch: Int?
    public var steps: Int?
    public var threadsPerRank: Int?
    public var unshardedOptimizer = false
    // qubits
    public var maxQubits: Int?
    public var maxLayers: Int?
    public var qubitBatch: Int?
    // sharded
    public var shardedQubits: [Int] = []
    public var shardedRanks: [Int] = []
    // comparison
    public var study: String?
    public var timeBudget: Double?

    public init() {}

    /// The options these flags ask for; `executable` is the bench binary (children, isolation).
    public func options(executable: String, launcher: Launcher = .detect(),
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BenchRunner.Options {
        for (name, v) in [("threads", threads), ("repeats", repeats), ("epochs", epochs), ("rank-batch", rankBatch),
                          ("steps", steps), ("threads-per-rank", threadsPerRank), ("max-qubits", maxQubits),
                          ("max-layers", maxLayers), ("qubit-batch", qubitBatch)] {
            if let v, v < 1 { throw DeepfakeError("--\(name) \(v) must be at least 1") }
        }
        for (name, list) in [("sizes", sizes), ("batches", batches), ("ranks", ranks), ("sharded-qubits", shardedQubits),
                             ("sharded-ranks", shardedRanks)] where list.contains(where: { $0 < 1 }) {
            throw DeepfakeError("--\(name) \(list.map(String.init).joined(separator: ",")) must hold positive integers only")
        }
        var o = BenchRunner.Options(suites: suites.isEmpty ? BenchRunner.suites : suites, outDirectory: out, quick: quick,
                                    datasets: BenchEnvironment.datasetsFolder(flag: datasets, environment: environment),
                                    executable: executable, launcher: launcher)
        if let t = threads { o.threads = t }
        let plan = RepeatPlan.standard(quick: quick, repeats: repeats)

        var training = quick ? TrainingStudy.quick : TrainingStudy()
        training.threads = o.threads
        if let e = epochs { training.epochs = e }
        if !models.isEmpty { training.models = models }
        if !sizes.isEmpty { training.imageSizes = sizes }
        if !batches.isEmpty { training.batchSizes = batches }
        if let path = baseConfig { try training.useBaseConfig(path: path) }
        training.keepRuns = keepRuns
        // Each training configuration runs in a child `bench train-config`: a crash is a row, not the end.
        training.isolationExecutable = executable
        o.training = training

        var r = quick ? RanksStudy.quick : RanksStudy()
        r.plan = plan
        if !models.isEmpty { r.models = models }
        if !sizes.isEmpty { r.imageSizes = sizes }
        if !ranks.isEmpty { r.rankCounts = ranks }
        if !modes.isEmpty { r.modes = modes }
        if let b = rankBatch { r.batch = b }
        if let s = steps { r.steps = s }
        if let t = threadsPerRank { r.threadsPerRank = t }
        if unshardedOptimizer { r.shardOptimizerState = false }
        o.ranks = r

        var q = quick ? QubitsStudy.quick : QubitsStudy()
        q.plan = plan
        q.threads = o.threads
        if let m = maxQubits { q.maxQubits = m }
        if let l = maxLayers { q.maxLayers = l }
        if let b = qubitBatch { q.batch = b }
        guard q.maxQubits >= q.minQubits else { throw DeepfakeError("--max-qubits \(q.maxQubits) is below the study's first count, \(q.minQubits)") }
        o.qubits = q

        var sh = quick ? ShardedStudy.quick : ShardedStudy()
        sh.plan = plan
        if !shardedQubits.isEmpty { sh.qubits = shardedQubits }
        if !shardedRanks.isEmpty { sh.rankCounts = shardedRanks }
        if let t = threadsPerRank { sh.threadsPerRank = t }
        o.sharded = sh

        var inf = quick ? InferenceStudy.quick : InferenceStudy()
        inf.plan = plan
        inf.threads = o.threads
        if !models.isEmpty { inf.models = models.filter { $0 != .qnn } }
        o.inference = inf

        if let path = study {
            var c = try ComparisonStudy.load(path: path)
            if let t = threads { c.threads = t }
            o.comparison = c
        }
        if let b = timeBudget {
            guard b > 0 else { throw DeepfakeError("--time-budget \(b) must be a positive number of seconds") }
            o.comparisonTimeBudget = b
        }
        return o
    }
}
