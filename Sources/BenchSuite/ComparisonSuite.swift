// The `comparison` suite: runs a ComparisonStudy point by point. Each point trains, validates and
// tests in-domain through DeepfakeApp.train (a generated config, as `deepfake -c` would), then
// tests its best checkpoint on every cross-dataset test set (DeepfakeApp.train with inferWeights
// and that set as testData). Metrics are computed here from each run's test_predictions.csv, so
// the per-image scores (DeLong's test needs them) and the per-set figures come from one source.
//
// Resume: the study folder `<out>/comparison-<name>/` keeps one `points/<id>/point.json` per
// finished point (written atomically, last). Running the same study again skips those points —
// after checking the stored resolved config equals the one the study asks for now — and reruns a
// point whose folder has no point.json from scratch. The HDF5 result file (ComparisonResultFile)
// is written when the study ends, from every finished point.

import App
import Config
import Core
import Foundation
import Metrics
import Models
import NN
import Reporting
import Training

public enum ComparisonSuite {
    /// Runs (or resumes) `study` under `outDirectory`; returns one record per (point, test set) and
    /// the finished points, in grid order. Points that fail, and points the time budget leaves
    /// unstarted, are logged and left for the next run of the same study.
    public static func run(_ study: ComparisonStudy, outDirectory: String, log: (String) -> Void = { print($0) })
        throws -> (records: [BenchRecord], points: [PointResult]) {
        let folder = studyFolder(study, outDirectory: outDirectory)
        let dataDir = (outDirectory as NSString).appendingPathComponent(".data-cache")
        let points = study.points
        log("comparison suite: study \(study.name), \(points.count) point(s) (\(study.models.map(\.label).joined(separator: ", ")); "
            + "seeds \(study.seeds.map(String.init).joined(separator: ",")); \(study.epochs) epoch(s) at \(study.imageSize) px; "
            + "split seed \(study.splitSeed.map(String.init) ?? "per seed")) in \(folder)")
        let t0 = WallClock.now()
        var results: [PointResult] = []
        var skipped = 0, unstarted = 0
        var failed: [String] = []
        for (i, p) in points.enumerated() {
            var config = try study.config(for: p)
            let pointDir = (folder as NSString).appendingPathComponent("points/\(p.id)")
            config.outputsPath = (folder as NSString).appendingPathComponent("runs")
            config.dataPath = dataDir
            config.modelPath = (pointDir as NSString).appendingPathComponent("no-pretrained-weights")
            if study.warmStart && p.model.base != .classic {
                if let body = results.first(where: { $0.model == "Classic" && $0.trainSet == p.trainSet && $0.seed == p.seed }) {
                    config.modelPath = body.bestWeights
                } else {
                    failed.append("\(p.id): it warm-starts from the Classic point of seed \(p.seed) on \(p.trainSet), which did not finish")
                    log("comparison suite: \(failed.last!)")
                    continue
                }
            }
            let done = (pointDir as NSString).appendingPathComponent("point.json")
            if FileManager.default.fileExists(atPath: done) {
                let r = try PointResult.load(path: done)
                guard try samePoint(r.configYAML, config) else {
                    throw DeepfakeError("study \(study.name): the finished point \(p.id) (\(done)) was run with another config than the study asks "
                                        + "for now; give the changed study another `name` (or --out) instead of mixing the two")
                }
                log("comparison suite: [\(i + 1)/\(points.count)] \(p.id) finished before: skipped")
                results.append(r); skipped += 1
                continue
            }
            if let budget = study.timeBudgetSeconds, WallClock.now() - t0 > budget {
                unstarted += 1
                continue
            }
            log("comparison suite: [\(i + 1)/\(points.count)] \(p.id): \(p.modelLabel) on \(p.trainSet), seed \(p.seed), "
                + "tests in-domain" + (p.crossSets.isEmpty ? "" : " and on \(p.crossSets.joined(separator: ", "))"))
            // A point that fails (a crash in its child, a full disk) is logged and left unfinished:
            // the study goes on, and the next run of the same command retries it.
            do {
                let r = try runPoint(p, config: config, study: study, pointDir: pointDir, log: log)
                try r.save(path: done)
                results.append(r)
            } catch {
                failed.append("\(p.id): \((error as? DeepfakeError)?.message ?? "\(error)")")
                log("comparison suite: \(p.id) failed: \(failed.last!)")
            }
        }
        if unstarted > 0 {
            log("comparison suite: time budget \(Int(study.timeBudgetSeconds ?? 0)) s spent: \(unstarted) point(s) not started; "
                + "run the same command again to continue (finished points are skipped)")
        }
        log("comparison suite: \(results.count - skipped) point(s) run, \(skipped) skipped (finished before), \(failed.count) failed, \(unstarted) left")
        for f in failed { log("comparison suite: failed point \(f)") }
        return (results.flatMap(\.records), results)
    }

    /// Whether a finished point's stored config is the one the study asks for now, paths aside (a
    /// study resumed from another checkout or cache folder is the same study).
    static func samePoint(_ storedYAML: String, _ config: Config) throws -> Bool {
        func pathless(_ c: Config) -> Config {
            var c = c
            c.outputsPath = ""; c.kagglePath = ""; c.dataPath = ""; c.modelPath = ""
            return c
        }
        return pathless(try Config.parse(yaml: storedYAML, source: "a finished point's config")) == pathless(config)
    }

    /// `<out>/comparison-<study name>`.
    public static func studyFolder(_ study: ComparisonStudy, outDirectory: String) -> String {
        (outDirectory as NSString).appendingPathComponent("comparison-\(study.name)")
    }

    /// Trains, tests in-domain and cross, and counts the model's parameters.
    static func runPoint(_ p: ComparisonPoint, config: Config, study: ComparisonStudy, pointDir: String,
                         log: (String) -> Void) throws -> PointResult {
        // A half-finished earlier attempt left files: start the point afresh in a new folder.
        if FileManager.default.fileExists(atPath: pointDir) {
            let stale = pointDir + ".unfinished-\(BenchResultFile.utcStamp(Date()))"
            try FileManager.default.moveItem(atPath: pointDir, toPath: stale)
            log("comparison suite: \(p.id) had an unfinished attempt: moved to \(stale)")
        }
        try FileManager.default.createDirectory(atPath: pointDir, withIntermediateDirectories: true)
        let configPath = (pointDir as NSString).appendingPathComponent("train.yaml")
        try AtomicFile.write(config.toYAML(), to: configPath)
        try DeepfakeApp.prepare(RunRequest(configPath: configPath, offline: true))  // not timed: shared by later points
        let wall0 = WallClock.now()
        let (runFolder, trainSeconds) = try TrainingSuite.train(configPath: configPath, isolation: study.isolationExecutable)
        let run = RunFolder(existing: runFolder)
        var tests = [try TestResult(testSet: p.trainSet, inDomain: true, predictionsCSV: run.file(.testPredictions))]
        let epochs = try EpochCSVWriter.read(path: run.file(.epochs))
        let best = run.file(.bestWeights)
        var crossSeconds = 0.0
        for set in p.crossSets {
            guard let e = study.entry(set) else { throw DeepfakeError("study \(study.name): no dataset \(set) in config.trainData") }
            var c = config
            c.testData = [e]
            c.testSize = 0
            c.modelPath = (pointDir as NSString).appendingPathComponent("no-pretrained-weights")
            let path = (pointDir as NSString).appendingPathComponent("test-\(set).yaml")
            try AtomicFile.write(c.toYAML(), to: path)
            try DeepfakeApp.prepare(RunRequest(configPath: path, offline: true))
            let t0 = WallClock.now()
            let folder = try DeepfakeApp.train(RunRequest(configPath: path, offline: true, inferWeights: best))
            crossSeconds += WallClock.now() - t0
            tests.append(try TestResult(testSet: set, inDomain: false,
                                        predictionsCSV: RunFolder(existing: folder).file(.testPredictions)))
        }
        let (circuit, classical) = try countParameters(config)
        let r = PointResult(id: p.id, model: p.modelLabel, trainSet: p.trainSet, seed: p.seed, configYAML: config.toYAML(),
                            runFolder: runFolder, bestWeights: best, warmStart: config.modelPath.hasSuffix(".h5") ? config.modelPath : "",
                            circuitParameters: circuit, classicalParameters: classical,
                            trainSeconds: trainSeconds, crossTestSeconds: crossSeconds, wallSeconds: WallClock.now() - wall0,
                            epochs: epochs.map(EpochRow.init), tests: tests)
        for t in tests {
            log(String(format: "comparison suite: %@ on %@%@: accuracy %.4f AUC %.4f F1 %.4f EER %.4f (%d images)", p.id, t.testSet,
                       t.inDomain ? " (in-domain)" : "", t.metrics.accuracy, t.metrics.auc, t.metrics.f1, t.metrics.eer, t.labels.count))
        }
        return r
    }

    /// Trainable scalars of the model the config builds, counted from its parameter tensors: those
    /// of the circuit slot (the HQNN's `qlayer.*`, the QNN's `quanv.*`: the quantum layer, or the
    /// classical twin in its place) and all the others.
    public static func countParameters(_ config: Config) throws -> (circuit: Int, classical: Int) {
        var c = config
        c.modelPath = "/nonexistent-no-warm-start"   // construction only: no weights are read
        let model = try ModelFactory.make(c, context: .serial, log: RunLog(echo: false))
        var circuit = 0, classical = 0
        for e in model.network.entries where e.kind == .trainable {
            if e.name.hasPrefix("qlayer.") || e.name.hasPrefix("quanv.") { circuit += e.count } else { classical += e.count }
        }
        guard circuit + classical == model.network.parameterCount else {
            throw DeepfakeError("parameter count of \(model.name): the tensors hold \(circuit + classical), the network \(model.network.parameterCount)")
        }
        return (circuit, classical)
    }
}
