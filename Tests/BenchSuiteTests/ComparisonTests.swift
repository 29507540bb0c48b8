// The comparison suite: the study file's grid and its errors, the report's statistics text
// (golden file Golden/comparison-report.md; BENCH_UPDATE_GOLDEN=1 accepts a change) and its HDF5
// round trip and chart, and a real quick study on the built-in sets that is interrupted (a
// finished point left behind) and resumed.

@testable import BenchSuite
import Config
import Core
import Foundation
import Metrics
import Reporting
import Storage
import TestSupport
import XCTest

final class ComparisonTests: TemporaryFolderTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func testTheShippedStudyFileIsTheIssuesGrid() throws {
        let s = try ComparisonStudy.load(path: Self.root + "/configs/bench/comparison.yaml")
        XCTAssertEqual(s.models.map(\.label), ["QNN", "QNN-twin", "Classic", "HQNN", "HQNN-twin"])
        XCTAssertEqual(s.seeds, [1, 2, 3, 4, 5])
        XCTAssertEqual(s.splitSeed, 999)
        XCTAssertEqual(s.imageSize, 64)
        let points = s.points
        XCTAssertEqual(points.count, 50)
        XCTAssertEqual(Set(points.map(\.id)).count, 50, "point ids are unique")
        XCTAssertEqual(points.prefix(10).map(\.seed), Array(repeating: 1, count: 10), "seed-major order")
        XCTAssertEqual(points.first { $0.trainSet == "hard1k" }?.crossSets, ["deepfake2k"])
        XCTAssertEqual(points.first { $0.trainSet == "deepfake2k" }?.crossSets, ["hard1k"])
        let c = try s.config(for: points[4])
        XCTAssertEqual(c.modelLabel, "HQNN-twin")
        XCTAssertEqual(c.manualSeed, 1)
        XCTAssertEqual(c.effectiveSplitSeed, 999, "the seed does not move the split")
        XCTAssertEqual([c.imageHeight, c.imageWidth, c.numEpochs], [64, 64, s.epochs])
        XCTAssertEqual(c.trainData.map(\.name), ["hard1k"])
    }

    func testStudyFileErrorsNameTheProblem() throws {
        let config = "config:\n  modelType: Classic\n  trainData:\n    a: builtin:small\n    b: builtin\n  testSize: 0.5\n"
        func error(_ study: String) -> String {
            do { _ = try ComparisonStudy.parse(yaml: "study:\n" + study + config, source: "s.yaml"); return "" } catch {
                return (error as? DeepfakeError)?.message ?? "\(error)"
            }
        }
        XCTAssertTrue(error("  seed: 3\n").contains("unknown study key `seed`"), error("  seed: 3\n"))
        XCTAssertTrue(error("  models: [HQNN, Quantum]\n").contains("`Quantum`"))
        XCTAssertTrue(error("  train: [c]\n").contains("names `c`, which config.trainData does not define"))
        XCTAssertTrue(error("  splitSeed: often\n").contains("perSeed"))
        XCTAssertTrue(error("  warmStart: true\n  models: [HQNN]\n").contains("needs Classic"))
        let s = try ComparisonStudy.parse(yaml: "study:\n  seeds: [3, 9]\n  splitSeed: perSeed\n  nLayers: [1, 2]\n" + config, source: "s.yaml")
        XCTAssertNil(s.splitSeed)
        // Classic once per (seed, set); each quantum model and twin once per variant.
        XCTAssertEqual(s.points.count, 2 * 2 * (1 + 4 * 2))
        XCTAssertEqual(try s.config(for: s.points[0]).effectiveSplitSeed, 3)
        XCTAssertTrue(s.points.contains { $0.modelLabel == "QNN-twin q4 l2 strong" })
    }

    /// Deterministic scores: label + noise whose size depends on the model and seed.
    static func points() -> [PointResult] {
        var state: UInt64 = 12345
        func noise() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53) - 0.5
        }
        let models = [("Classic", 0.8, 0, 11_000), ("HQNN", 1.0, 8, 11_000), ("HQNN-twin", 1.05, 8, 11_000)]
        var out: [PointResult] = []
        for seed in 1...3 {
            for train in ["A", "B"] {
                for (model, spread, circuit, classical) in models {
                    var tests: [TestResult] = []
                    for test in [train, train == "A" ? "B" : "A"] {
                        let cross = test != train
                        let labels: [Int32] = (0..<40).map { Int32($0 % 2) }
                        let scores = labels.map { l in min(1, max(0, 0.5 + (Double(l) - 0.5) * (cross ? 0.2 : 0.6) + spread * noise())) }
                        tests.append(TestResult(testSet: test, inDomain: !cross, paths: (0..<40).map { "\(test)/img\($0).jpg" },
                                                labels: labels, pFake: scores))
                    }
                    out.append(PointResult(id: "\(train)-\(model)-s\(seed)", model: model, trainSet: train, seed: seed,
                                           configYAML: "modelType: Classic\n", runFolder: "/runs/\(train)-\(model)-\(seed)",
                                           bestWeights: "/runs/\(train)-\(model)-\(seed)/best.h5", warmStart: "",
                                           circuitParameters: circuit, classicalParameters: classical,
                                           trainSeconds: 10 + Double(seed), crossTestSeconds: 2, wallSeconds: 13 + Double(seed),
                                           epochs: [EpochRow(epoch: 1, trainLoss: 0.69, trainAccuracy: 0.5, valLoss: .nan, valAccuracy: 0.6,
                                                             valF1: 0.5, valAUC: 0.7, epochSeconds: 9)],
                                           tests: tests))
                }
            }
        }
        return out
    }

    func testReportTextIsGolden() throws {
        let text = ComparisonReport.markdown(Self.points(), title: "golden")
        try GoldenTests.assertGolden(text, "comparison-report.md")
    }

    func testReportStatisticsAreTheStatisticsModules() throws {
        let points = Self.points()
        let comps = ComparisonReport.comparisons(points)
        // HQNN vs twin and vs Classic on each of the four (train, test) cells.
        XCTAssertEqual(comps.count, 8)
        let c = try XCTUnwrap(comps.first { $0.a == "HQNN" && $0.b == "HQNN-twin" && $0.train == "A" && $0.test == "B" })
        let auc = { (m: String) in [1, 2, 3].map { s in points.first { $0.model == m && $0.seed == s && $0.trainSet == "A" }!.tests[1].metrics.auc } }
        let t = Statistics.pairedTTest(auc("HQNN"), auc("HQNN-twin"))
        XCTAssertEqual(c.t, t)
        XCTAssertEqual(c.deLong.map(\.seed), [1, 2, 3], "DeLong on every seed's shared test images")
        let v = ComparisonReport.verdict(c)
        XCTAssertTrue(v.hasPrefix("HQNN vs HQNN-twin on A->B: " + String(format: "%+.1f AUC points, 95%% CI [%+.1f, %+.1f]", 100 * t.meanDifference, 100 * t.lower, 100 * t.upper)), v)
        XCTAssertTrue(v.contains("n=3; DeLong p<0.05 on \(c.deLong.filter { $0.test.p < 0.05 }.count) of 3 seed(s))"), v)
        // One seed: the verdict is DeLong's on that seed's images.
        let one = ComparisonReport.comparisons(points.filter { $0.seed == 2 })
        let v1 = ComparisonReport.verdict(try XCTUnwrap(one.first { $0.a == "HQNN" && $0.b == "HQNN-twin" && $0.train == "A" && $0.test == "B" }))
        let d = c.deLong[1].test
        XCTAssertTrue(v1.contains(String(format: "from 1 seed (no interval over seeds; run more); DeLong on seed 2's 40 images: 95%% CI [%+.1f, %+.1f]", 100 * d.lower, 100 * d.upper)), v1)
    }

    func testResultFileRoundTripAndReportSection() throws {
        let points = Self.points()
        let path = try ComparisonResultFile.write(points, directory: tmp, attributes: ["study": "golden"])
        XCTAssertTrue((path as NSString).lastPathComponent.hasPrefix("comparison-"))
        XCTAssertEqual(try ComparisonResultFile.read(path: path), points)
        // An ordinary bench result file too: a /results row per (point, test set).
        let r = try BenchResultFile.read(path: path)
        XCTAssertEqual(r.suite, "comparison")
        XCTAssertEqual(r.records.count, points.count * 2)
        XCTAssertEqual(r.records[1].row.auc, points[0].tests[1].metrics.auc)
        XCTAssertEqual(r.records[0].figure("params_circuit"), 0)
        let (loaded, _) = try BenchReport.load([tmp])
        let text = BenchReport.render(loaded, format: .markdown)
        XCTAssertTrue(text.contains(ComparisonReport.markdown(points, title: "golden")), text)
        let svgs = try ReportPlots.write(loaded, to: tmp + "/plots")
        XCTAssertEqual(svgs.map { ($0 as NSString).lastPathComponent }, ["comparison-golden-auc.svg"])
        let svg = try String(contentsOfFile: svgs[0], encoding: .utf8)
        XCTAssertEqual(svg.components(separatedBy: "class=\"series\"").count - 1, 4, "one series per (train, test)")
        XCTAssertEqual(svg.components(separatedBy: "class=\"interval\"").count - 1, 12, "3 models x 4 cells")
        let iv = Statistics.meanInterval([1, 2, 3].map { s in points.first { $0.model == "HQNN" && $0.seed == s && $0.trainSet == "A" }!.tests[0].metrics.auc })
        XCTAssertTrue(svg.contains("data-category=\"HQNN\" data-mean=\"\(iv.mean)\" data-lower=\"\(iv.lower)\""), "the drawn interval is the table's")
    }

    /// A real study: HQNN and its twin, one epoch at 16 px on the built-in small set, tested in-domain
    /// and on a second generated set. The first run finishes seed 1 only (as a killed study would
    /// leave it); the second, with seeds 1 and 2, must skip seed 1's points and run seed 2's.
    func testQuickStudyTrainsResumesAndReports() throws {
        var study = try ComparisonStudy.quick(dataFolder: tmp + "/generated")
        study.models = [ComparisonModel(base: .hqnn, twin: false), ComparisonModel(base: .hqnn, twin: true)]
        study.threads = 2
        study.seeds = [1]
        var log1: [String] = []
        let first = try ComparisonSuite.run(study, outDirectory: tmp) { log1.append($0) }
        XCTAssertEqual(first.points.count, 2)
        let folder = ComparisonSuite.studyFolder(study, outDirectory: tmp)
        let done = folder + "/points/small-HQNN-s1/point.json"
        let before = try Data(contentsOf: URL(fileURLWithPath: done))

        // A killed run leaves a point folder without point.json: the next run moves it aside and redoes the point.
        let killed = folder + "/points/small-HQNN-s2"
        try FileManager.default.createDirectory(atPath: killed, withIntermediateDirectories: true)
        try "half a run".write(toFile: killed + "/train.yaml", atomically: true, encoding: .utf8)
        study.seeds = [1, 2]
        var log2: [String] = []
        let second = try ComparisonSuite.run(study, outDirectory: tmp) { log2.append($0) }
        XCTAssertEqual(second.points.map(\.id), ["small-HQNN-s1", "small-HQNN-twin-s1", "small-HQNN-s2", "small-HQNN-twin-s2"])
        XCTAssertEqual(log2.filter { $0.contains("finished before: skipped") }.count, 2, log2.joined(separator: "\n"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: done)), before, "a finished point is never rewritten")
        XCTAssertEqual(second.points[0], first.points[0])
        let aside = try FileManager.default.contentsOfDirectory(atPath: folder + "/points").filter { $0.hasPrefix("small-HQNN-s2.unfinished-") }
        XCTAssertEqual(aside.count, 1, "the killed attempt is kept aside, not deleted")
        XCTAssertEqual(try String(contentsOfFile: folder + "/points/" + aside[0] + "/train.yaml", encoding: .utf8), "half a run")
        XCTAssertTrue(FileManager.default.fileExists(atPath: killed + "/point.json"))

        for p in second.points {
            XCTAssertEqual(p.tests.map(\.testSet), ["small", "other"])
            XCTAssertEqual(p.tests[1].labels.count, 120, "the whole generated second set is the cross test")
            XCTAssertEqual(p.epochs.count, 1)
            XCTAssertGreaterThan(p.trainSeconds, 0)
            XCTAssertTrue(FileManager.default.fileExists(atPath: p.bestWeights))
        }
        // Parameter-matched twin: the same circuit-slot and classical counts, counted from tensors.
        XCTAssertGreaterThan(second.points[0].circuitParameters, 0)
        XCTAssertEqual(second.points[0].circuitParameters, second.points[1].circuitParameters)
        XCTAssertEqual(second.points[0].classicalParameters, second.points[1].classicalParameters)
        // The seed changes the initialisation, not the split: same test images, other scores.
        XCTAssertEqual(second.points[0].tests[0].paths, second.points[2].tests[0].paths)
        XCTAssertNotEqual(second.points[0].tests[0].pFake, second.points[2].tests[0].pFake)
        // The metrics are the run's own test_metrics.json figures for the in-domain test.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: second.points[2].runFolder + "/test_metrics.json"))) as? [String: Any]
        XCTAssertEqual((json?["auc"] as? Double) ?? .nan, second.points[2].tests[0].metrics.auc, accuracy: 1e-9)

        let path = try ComparisonResultFile.write(second.points, directory: tmp, attributes: ["study": study.name])
        let text = ComparisonReport.markdown(try ComparisonResultFile.read(path: path), title: study.name)
        XCTAssertTrue(text.contains("HQNN vs HQNN-twin on small->other: "), text)
        XCTAssertTrue(text.contains("| small | small (in-domain) | HQNN | 2 |"), text)
    }

    /// warmStart: the HQNN head starts from the same seed's trained Classic body (modelPath = its
    /// best.h5), and the run log says how many tensors it took over.
    func testWarmStartUsesTheSameSeedsClassicBody() throws {
        var study = try ComparisonStudy.quick(dataFolder: tmp + "/generated")
        study.models = [ComparisonModel(base: .classic, twin: false), ComparisonModel(base: .hqnn, twin: false)]
        study.threads = 2
        study.seeds = [4]
        study.warmStart = true
        study.train = [(name: "small", cross: [])]
        let r = try ComparisonSuite.run(study, outDirectory: tmp) { _ in }
        XCTAssertEqual(r.points.map(\.model), ["Classic", "HQNN"])
        XCTAssertEqual(r.points[0].warmStart, "")
        XCTAssertEqual(r.points[1].warmStart, r.points[0].bestWeights)
        let log = try String(contentsOfFile: r.points[1].runFolder + "/run.log", encoding: .utf8)
        XCTAssertTrue(log.contains("warm start: ") && log.contains(r.points[0].bestWeights), log)
        XCTAssertEqual(r.points[1].tests.map(\.testSet), ["small"], "no cross set asked for, none tested")
    }

    /// A point that fails (here: its training set is a folder that does not exist) is logged and
    /// left unfinished; the study goes on with the next point.
    func testAFailedPointDoesNotEndTheStudy() throws {
        var study = try ComparisonStudy.quick(dataFolder: tmp + "/generated")
        study.config.trainData.append(DatasetEntry(name: "missing", source: .localFolder(tmp + "/no-such-folder")))
        study.models = [ComparisonModel(base: .hqnn, twin: true)]
        study.threads = 2
        study.seeds = [1]
        study.train = [(name: "missing", cross: []), (name: "small", cross: [])]
        var log: [String] = []
        let r = try ComparisonSuite.run(study, outDirectory: tmp) { log.append($0) }
        XCTAssertEqual(r.points.map(\.id), ["small-HQNN-twin-s1"])
        XCTAssertTrue(log.contains { $0.hasPrefix("comparison suite: missing-HQNN-twin-s1 failed: ") && $0.contains("no-such-folder") },
                      log.joined(separator: "\n"))
        XCTAssertTrue(log.contains { $0.contains("1 point(s) run, 0 skipped (finished before), 1 failed, 0 left") }, log.joined(separator: "\n"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: ComparisonSuite.studyFolder(study, outDirectory: tmp) + "/points/missing-HQNN-twin-s1/point.json"))
    }

    /// The executables end to end: `bench run --suite comparison --study FILE` (each training in a
    /// child `bench train-config`), then `bench report` with --plots on its folder; and the suite
    /// without a study is an error that says what to pass.
    func testBenchRunAndReportAComparisonStudy() throws {
        let (s0, _, e0) = try GoldenTests.bench(["run", "--suite", "comparison", "--out", tmp + "/none"])
        XCTAssertEqual(s0, 1)
        XCTAssertTrue(e0.contains("the comparison suite needs a study: --study FILE"), e0)
        let file = tmp + "/tiny.yaml"
        try """
            study:
              name: tiny
              models: [QNN-twin]
              seeds: [1, 2]
              epochs: 1
              imageSize: 16
            config:
              modelType: Classic
              trainData: {small: builtin:small}
              valSize: 0.2
              testSize: 0.5
              batchSize: 16
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let (s1, out1, e1) = try GoldenTests.bench(["run", "--suite", "comparison", "--study", file, "--out", tmp + "/out", "--threads", "2"])
        XCTAssertEqual(s1, 0, e1 + out1)
        XCTAssertTrue(out1.contains("comparison: 2 point(s) -> "), out1)
        let (s2, out2, e2) = try GoldenTests.bench(["report", tmp + "/out", "--plots", tmp + "/plots"])
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(out2.contains("## comparison: tiny"), out2)
        XCTAssertTrue(out2.contains("| small | small (in-domain) | QNN-twin | 2 |"), out2)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp + "/plots/comparison-tiny-auc.svg"), e2)
        // Run again: both points are skipped and a second result file is written from them.
        let (s3, out3, _) = try GoldenTests.bench(["run", "--suite", "comparison", "--study", file, "--out", tmp + "/out", "--threads", "2"])
        XCTAssertEqual(s3, 0)
        XCTAssertEqual(out3.components(separatedBy: "finished before: skipped").count - 1, 2, out3)
    }
}
