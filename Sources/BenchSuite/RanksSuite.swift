// The `ranks` suite: data-parallel training steps of the real Classic and HQNN models at
// R = 1, 2, 4, ... MPI ranks, strong scaling (fixed global batch) and weak scaling (fixed per-rank
// batch). The parent prepares the data cache and one generated config per grid point, then
// launches `bench ranks-child` with srun or mpirun (Launcher) once per (round, R): round k runs
// every configuration of every R once, so repeats interleave across rank counts (R1 R2 R1 R2).
// Each child rank times its phases (RanksChild) and writes its own JSON; the parent merges them
// into one row per (model, size, mode, R): every repeat's step time, the compute / allreduce /
// data-wait split, images/s, the ranks' hosts and CPU sets, and the binding used. Speed-up and
// efficiency against the R = 1 row (its `baseline`) are computed by the report.

import App
import Config
import Core
import Datasets
import Foundation
import Reporting
import Training

/// What the ranks study runs.
public struct RanksStudy: Sendable {
    public var models: [ModelChoice] = [.classic, .hqnn]
    public var imageSizes: [Int] = [32, 64]
    public var rankCounts: [Int] = [1, 2]
    public var modes: [ScalingMode] = [.strong, .weak]
    /// Strong: the global batch; weak: the per-rank batch.
    public var batch = 32
    /// Timed training steps per repeat (after one untimed warm-up step). 20, the measurement rule
    /// for step timings here: the first steps after the warm-up still run slow on 2 ranks (Classic
    /// 32 px strong scaling read 64-65% with 4 steps, 73-74% with 16 and 32; 2026-12-07).
    public var steps = 20
    public var threadsPerRank = 1
    /// The generated configs' `shardOptimizerState` (ZeRO-1 on more than one rank).
    public var shardOptimizerState = true
    public var plan = RepeatPlan.standard(quick: false)
    /// The training data; nil = hard1k when a kagglehub cache has it, else the built-in small set.
    public var trainData: DatasetEntry?
    public var kagglePath = "/tmp"

    public init() {}

    /// `--quick`: Classic at 32 px, batch 16, 1 and 2 ranks, two timed steps, 2 repeats, built-in set.
    public static var quick: RanksStudy {
        var s = RanksStudy()
        s.models = [.classic]; s.imageSizes = [32]; s.batch = 16; s.steps = 2
        s.plan = .standard(quick: true)
        s.trainData = DatasetEntry(name: "demo", source: .builtin(variant: "small"))
        return s
    }

    /// The global batch of `mode` at `ranks` ranks.
    public func globalBatch(_ mode: ScalingMode, ranks: Int) -> Int { mode == .strong ? batch : batch * ranks }
}

/// One timed configuration of a child launch (the spec file lists them).
struct RanksConfiguration: Codable, Equatable {
    var name: String
    var configPath: String
    var steps: Int
}

public enum RanksSuite {
    /// Row name of one grid point; R = 1 is shared by both modes (the same global batch).
    static func rowName(_ model: ModelChoice, _ size: Int, _ mode: ScalingMode, ranks: Int, study: RanksStudy) -> String {
        ranks == 1 ? "\(model.rawValue) \(size)px R1 b\(study.batch)"
            : "\(model.rawValue) \(size)px \(mode.rawValue) R\(ranks) b\(study.globalBatch(mode, ranks: ranks))"
    }

    /// Runs the study; `executable` is the `bench` binary the launcher starts (`bench ranks-child`).
    public static func run(_ study: RanksStudy, executable: String, launcher: Launcher, outDirectory: String,
                           packageRoot: String, datasets: String?, log: (String) -> Void = { print($0) }) throws -> [BenchRecord] {
        var s = study
        let (entry, kagglePath, dataNote) = TrainingSuite.chooseData(
            s.trainData, base: nil, packageRoot: packageRoot, datasets: datasets)
        s.kagglePath = kagglePath
        log("ranks suite: data \(TrainingSuite.label(entry)): \(dataNote)")
        let work = (outDirectory as NSString).appendingPathComponent(
            "ranks-work-\(BenchResultFile.utcStamp(Date()))-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let children = ChildRound(launcher: launcher, executable: executable, work: work, threadsPerRank: s.threadsPerRank)
        let dataDir = (outDirectory as NSString).appendingPathComponent(".data-cache")

        // One config per (model, size, global batch); the data cache is built here, once, untimed.
        struct Point { var model: ModelChoice; var size: Int; var mode: ScalingMode; var ranks: Int; var name: String; var global: Int }
        var points: [Point] = []
        var configPaths: [String: String] = [:]
        for model in s.models {
            for size in s.imageSizes {
                for ranks in s.rankCounts {
                    for mode in (ranks == 1 ? [s.modes[0]] : s.modes) {
                        let global = s.globalBatch(mode, ranks: ranks)
                        guard global / ranks >= 2 else {
                            log("ranks suite: skipping \(model.rawValue) \(size)px \(mode.rawValue) R\(ranks): global batch \(global) gives a rank fewer than 2 images")
                            continue
                        }
                        let key = "\(model.rawValue)-\(size)-\(global)"
                        if configPaths[key] == nil {
                            var c = try TrainingSuite.makeConfig(model: model, size: size, batch: global, epochs: 1, entry: entry,
                                                                 kagglePath: kagglePath, threads: s.threadsPerRank)
                            c.dataPath = dataDir
                            c.shardOptimizerState = s.shardOptimizerState
                            c.outputsPath = (work as NSString).appendingPathComponent("runs")
                            c.modelPath = (work as NSString).appendingPathComponent("no-pretrained-weights")
                            let path = (work as NSString).appendingPathComponent("\(key).yaml")
                            try c.toYAML().write(toFile: path, atomically: true, encoding: .utf8)
                            try DeepfakeApp.prepare(RunRequest(configPath: path, offline: true))
                            configPaths[key] = path
                        }
                        points.append(Point(model: model, size: size, mode: mode, ranks: ranks,
                                            name: rowName(model, size, mode, ranks: ranks, study: s), global: global))
                    }
                }
            }
        }

        // Rounds: warm-up rounds are the child's untimed first step of each configuration.
        var times: [String: [Double]] = [:], phases: [String: [String: [Double]]] = [:], placements: [String: [String]] = [:]
        for round in 0..<s.plan.repeats {
            for ranks in s.rankCounts {
                let mine = points.filter { $0.ranks == ranks }
                guard !mine.isEmpty else { continue }
                let specs = mine.map { p in
                    RanksConfiguration(name: p.name, configPath: configPaths["\(p.model.rawValue)-\(p.size)-\(p.global)"]!, steps: s.steps)
                }
                log("ranks suite: round \(round + 1)/\(s.plan.repeats), \(ranks) rank(s), \(specs.count) configuration(s)")
                let reports: [RanksChild.RankReport] = try children.run("ranks-child", spec: specs, round: round, ranks: ranks, log: log)
                for spec in specs {
                    let perRank = reports.map { $0.configurations[spec.name]! }
                    times[spec.name, default: []].append(perRank.map(\.stepSeconds).max()!)
                    for phase in RanksChild.phaseNames {
                        let mean = perRank.map { $0.phases[phase] ?? .nan }.reduce(0, +) / Double(perRank.count)
                        phases[spec.name, default: [:]][phase, default: []].append(mean)
                    }
                    placements[spec.name] = reports.map(\.placement)
                }
            }
        }

        return points.map { p in
            let t = times[p.name] ?? []
            let spread = Spread(t)
            var r = BenchRecord(row: BenchmarkRow(name: p.name, accuracy: .nan, loss: .nan, auc: .nan, wallSeconds: t.reduce(0, +) * Double(s.steps)),
                                model: p.model.rawValue, dataset: TrainingSuite.label(entry), imageSize: p.size, batchSize: p.global,
                                threads: s.threadsPerRank * p.ranks, throughput: Double(p.global) / spread.median, throughputUnit: "images/s",
                                baseline: p.ranks == 1 ? "" : rowName(p.model, p.size, p.mode, ranks: 1, study: s),
                                note: "\(launcher.binding(threadsPerRank: s.threadsPerRank)); "
                                    + (p.ranks == 1 ? "" : s.shardOptimizerState ? "optimizer state sharded over the ranks (ZeRO-1); " : "optimizer state on every rank; ")
                                    + "\(s.steps) timed step(s) per repeat after 1 warm-up; \(dataNote)")
            r.scaling = p.ranks == 1 ? "baseline" : p.mode.rawValue
            r.ranks = p.ranks
            let where_ = placements[p.name] ?? []
            r.nodes = RankPlacement.nodes(where_)
            r.hosts = where_.joined(separator: "; ")
            r.threadsPerRank = s.threadsPerRank
            r.repeatSeconds = t
            for (phase, values) in phases[p.name] ?? [:] { r.figures[phase] = Spread(values).median }
            r.figures["per_rank_batch"] = Double(p.global) / Double(p.ranks)
            return r
        }
    }
}
