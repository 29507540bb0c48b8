// `bench report` on comparison studies: per model and (train set -> test set), the mean and 95%
// t interval over seeds of accuracy, AUC, F1 and EER with the parameter counts and training time;
// the paired difference of each quantum model against its twin and against Classic (paired t-test
// and Wilcoxon signed-rank over seeds, DeLong's test on the shared test images of each seed) with
// a one-line verdict; and the train-on-X / test-on-Y AUC matrix per model. Statistics live in
// Metrics.Statistics; this file only groups points and formats (fixed, locale-free formats, so
// golden-file tests can compare the text).

import Foundation
import Metrics
import Reporting

public enum ComparisonReport {
    /// The four metrics of the tables, in order.
    public static let metrics: [(name: String, value: (BinaryMetrics) -> Double)] = [
        ("accuracy", { $0.accuracy }), ("AUC", { $0.auc }), ("F1", { $0.f1 }), ("EER", { $0.eer }),
    ]

    /// One (model, train set, test set) cell: a value per seed.
    struct Cell {
        var model: String
        var train: String
        var test: String
        var inDomain: Bool
        /// seed -> metrics, scores
        var bySeed: [Int: (metrics: BinaryMetrics, test: TestResult)]
        var points: [PointResult]
    }

    /// Points of several files: a point id met again (a resumed study written twice) keeps the later one.
    public static func merge(_ files: [[PointResult]]) -> [PointResult] {
        var order: [String] = [], byID: [String: PointResult] = [:]
        for f in files { for p in f { if byID[p.id] == nil { order.append(p.id) }; byID[p.id] = p } }
        return order.map { byID[$0]! }
    }

    static func cells(_ points: [PointResult]) -> [Cell] {
        var out: [Cell] = []
        for p in points {
            for t in p.tests {
                let m = t.metrics
                if let i = out.firstIndex(where: { $0.model == p.model && $0.train == p.trainSet && $0.test == t.testSet }) {
                    out[i].bySeed[p.seed] = (m, t); out[i].points.append(p)
                } else {
                    out.append(Cell(model: p.model, train: p.trainSet, test: t.testSet, inDomain: t.inDomain,
                                    bySeed: [p.seed: (m, t)], points: [p]))
                }
            }
        }
        return out
    }

    /// The comparisons a model takes part in as the first member: a quantum model against its twin
    /// ("HQNN" vs "HQNN-twin", variants alike) and against Classic.
    static func opponents(of model: String, among models: [String]) -> [String] {
        let parts = model.split(separator: " ", maxSplits: 1).map(String.init)
        let base = parts[0], variant = parts.count > 1 ? " " + parts[1] : ""
        guard base == "HQNN" || base == "QNN" else { return [] }
        return [base + "-twin" + variant, "Classic"].filter { models.contains($0) }
    }

    /// A paired comparison of two models on one (train, test) cell.
    public struct Comparison: Sendable {
        public var a: String
        public var b: String
        public var train: String
        public var test: String
        public var seeds: [Int]
        /// AUC a - b per seed and its paired t-test (in AUC units).
        public var t: Statistics.PairedTest
        public var wilcoxon: Statistics.SignedRankTest
        /// DeLong's test per shared seed (same test images), in seed order.
        public var deLong: [(seed: Int, test: Statistics.DeLongTest)]
    }

    public static func comparisons(_ points: [PointResult]) -> [Comparison] {
        let cs = cells(points)
        let models = orderedModels(points)
        var out: [Comparison] = []
        for c in cs {
            for other in opponents(of: c.model, among: models) {
                guard let d = cs.first(where: { $0.model == other && $0.train == c.train && $0.test == c.test }) else { continue }
                let seeds = Set(c.bySeed.keys).intersection(d.bySeed.keys).sorted()
                guard !seeds.isEmpty else { continue }
                let a = seeds.map { c.bySeed[$0]!.metrics.auc }, b = seeds.map { d.bySeed[$0]!.metrics.auc }
                var dl: [(seed: Int, test: Statistics.DeLongTest)] = []
                for s in seeds {
                    let x = c.bySeed[s]!.test, y = d.bySeed[s]!.test
                    // The same images in both: match by path (order may differ between runs).
                    var yScore: [String: Double] = [:]
                    for (p, v) in zip(y.paths, y.pFake) { yScore[p] = v }
                    var labels: [Int32] = [], sa: [Double] = [], sb: [Double] = []
                    for k in x.paths.indices { if let v = yScore[x.paths[k]] { labels.append(x.labels[k]); sa.append(x.pFake[k]); sb.append(v) } }
                    guard labels.count == x.paths.count, labels.count == y.paths.count else { continue }
                    dl.append((seed: s, test: Statistics.deLong(labels: labels, scoresA: sa, scoresB: sb)))
                }
                out.append(Comparison(a: c.model, b: other, train: c.train, test: c.test, seeds: seeds,
                                      t: Statistics.pairedTTest(a, b), wilcoxon: Statistics.wilcoxonSignedRank(a, b), deLong: dl))
            }
        }
        return out
    }

    /// Models in a fixed order: Classic, HQNN, HQNN-twin, QNN, QNN-twin, then any other, as met.
    static func orderedModels(_ points: [PointResult]) -> [String] {
        var seen: [String] = []
        for p in points where !seen.contains(p.model) { seen.append(p.model) }
        let rank = ComparisonModel.all.map(\.label)
        return seen.enumerated().sorted { x, y in
            let bx = String(x.element.split(separator: " ").first ?? ""), by = String(y.element.split(separator: " ").first ?? "")
            return (rank.firstIndex(of: bx) ?? rank.count, x.offset) < (rank.firstIndex(of: by) ?? rank.count, y.offset)
        }.map(\.element)
    }

    /// "-0.4 AUC points, 95% CI [-1.9, 1.1], no evidence of a difference (paired t p=0.52, n=5)".
    public static func verdict(_ c: Comparison) -> String {
        let pts = 100 * c.t.meanDifference
        let head = "\(c.a) vs \(c.b) on \(c.train)->\(c.test)\(c.train == c.test ? " (in-domain)" : ""): "
        guard c.t.count >= 2, c.t.lower.isFinite else {
            // One seed: no spread over seeds to test against; DeLong still tests that seed's AUCs
            // on the shared images (test-set noise only, not initialisation noise).
            guard let d = c.deLong.first, d.test.p.isFinite else {
                return head + String(format: "%+.1f AUC points from %d seed(s): no interval, no test (run more seeds)", pts, c.t.count)
            }
            let j = d.test.p < 0.05 ? "evidence that \(d.test.difference > 0 ? c.a : c.b) has the higher AUC on these images" : "no evidence of a difference"
            return head + String(format: "%+.1f AUC points from 1 seed (no interval over seeds; run more); DeLong on seed %d's %d images: 95%% CI [%+.1f, %+.1f], ",
                                 pts, d.seed, d.test.positives + d.test.negatives, 100 * d.test.lower, 100 * d.test.upper)
                + j + " (\(pIs(d.test.p)))"
        }
        let p = c.t.p
        let judgement: String
        if p.isNaN { judgement = "no test (every seed gives the same difference)" }
        else if p < 0.05 { judgement = "evidence that \(pts > 0 ? c.a : c.b) has the higher AUC" }
        else { judgement = "no evidence of a difference" }
        let significant = c.deLong.filter { $0.test.p < 0.05 }.count
        return head + String(format: "%+.1f AUC points, 95%% CI [%+.1f, %+.1f], ", pts, 100 * c.t.lower, 100 * c.t.upper)
            + judgement + " (paired t \(pIs(p)), n=\(c.t.count); DeLong p<0.05 on \(significant) of \(c.deLong.count) seed(s))"
    }

    /// The report section of the comparison points (Markdown).
    public static func markdown(_ points: [PointResult], title: String) -> String {
        guard !points.isEmpty else { return "\n## comparison\n\nNo finished points.\n" }
        let models = orderedModels(points)
        let seeds = Set(points.map(\.seed)).sorted()
        var o = "\n## comparison: \(title)\n\n"
        o += "\(points.count) point(s): \(models.joined(separator: ", ")); seeds \(seeds.map(String.init).joined(separator: ", ")); "
        o += "\(Set(points.map { $0.epochs.count }).sorted().map(String.init).joined(separator: "/")) epoch(s) per point; "
        o += String(format: "wall time %.0f s (training %.0f s, cross-set tests %.0f s).\n",
                    points.map(\.wallSeconds).reduce(0, +), points.map(\.trainSeconds).reduce(0, +), points.map(\.crossTestSeconds).reduce(0, +))
        o += "Cells: mean over seeds [95% t interval]; n = seeds; params = trainable (circuit slot + other classical); train s = mean seconds of training + validation + in-domain test.\n\n"
        let cs = cells(points)
        let pairs = orderedPairs(cs)
        o += "| train | test | model | n | accuracy | AUC | F1 | EER | params circuit | params classical | train s |\n"
        o += "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        for (train, test) in pairs {
            for m in models {
                guard let c = cs.first(where: { $0.model == m && $0.train == train && $0.test == test }) else { continue }
                let seedsHere = c.bySeed.keys.sorted()
                let vals = metrics.map { metric in interval(seedsHere.map { metric.value(c.bySeed[$0]!.metrics) }) }
                let p = c.points[0]
                o += "| \(train) | \(test)\(c.inDomain ? " (in-domain)" : "") | \(m) | \(seedsHere.count) | "
                    + vals.joined(separator: " | ")
                    + " | \(p.circuitParameters) | \(p.classicalParameters) | "
                    + String(format: "%.0f", Statistics.mean(c.points.map(\.trainSeconds))) + " |\n"
            }
        }
        let comps = comparisons(points)
        if !comps.isEmpty {
            o += "\n### Paired differences (AUC points = 100 x AUC difference, first minus second)\n\n"
            o += "| train | test | comparison | n | mean | 95% CI | paired t p | Wilcoxon p | DeLong (per seed: diff, p) |\n"
            o += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
            for c in comps {
                let ci = c.t.lower.isFinite ? String(format: "[%+.1f, %+.1f]", 100 * c.t.lower, 100 * c.t.upper) : "n/a"
                let dl = c.deLong.map { String(format: "s%d: %+.1f, ", $0.seed, 100 * $0.test.difference) + pIs($0.test.p) }
                    .joined(separator: "; ")
                o += "| \(c.train) | \(c.test) | \(c.a) - \(c.b) | \(c.t.count) | " + String(format: "%+.1f", 100 * c.t.meanDifference)
                    + " | \(ci) | \(pValue(c.t.p)) | \(c.wilcoxon.count >= 2 ? pValue(c.wilcoxon.p) : "n/a") | \(dl.isEmpty ? "n/a" : dl) |\n"
            }
            o += "\nVerdicts (paired t-test over seeds, 5% level):\n\n"
            for c in comps { o += "- " + verdict(c) + "\n" }
        }
        let trains = unique(cs.map(\.train)), tests = unique(cs.map(\.test))
        if trains.count > 1 || tests.count > 1 {
            o += "\n### Train-on-X / test-on-Y AUC (mean over seeds [95% interval]; * = in-domain)\n\n"
            o += "| model | train \\ test | " + tests.joined(separator: " | ") + " |\n"
            o += "| --- | --- |" + String(repeating: " --- |", count: tests.count) + "\n"
            for m in models {
                for tr in trains {
                    let row = tests.map { te -> String in
                        guard let c = cs.first(where: { $0.model == m && $0.train == tr && $0.test == te }) else { return "" }
                        return interval(c.bySeed.keys.sorted().map { c.bySeed[$0]!.metrics.auc }) + (c.inDomain ? " *" : "")
                    }
                    guard row.contains(where: { !$0.isEmpty }) else { continue }
                    o += "| \(m) | \(tr) | " + row.joined(separator: " | ") + " |\n"
                }
            }
        }
        return o
    }

    /// An interval chart per study: AUC per model with its 95% interval, a series per (train -> test).
    public static func chart(_ points: [PointResult], title: String) -> IntervalChart {
        let cs = cells(points)
        let models = orderedModels(points)
        let series = orderedPairs(cs).map { (train, test) -> IntervalSeries in
            let ivs = models.map { m -> Statistics.Interval? in
                guard let c = cs.first(where: { $0.model == m && $0.train == train && $0.test == test }) else { return nil }
                return Statistics.meanInterval(c.bySeed.keys.sorted().map { c.bySeed[$0]!.metrics.auc })
            }
            return IntervalSeries(name: "\(train) -> \(test)", mean: ivs.map { $0?.mean ?? .nan },
                                  lower: ivs.map { $0?.lower ?? .nan }, upper: ivs.map { $0?.upper ?? .nan })
        }
        return IntervalChart(title: "AUC per model (mean over seeds, 95% t interval): \(title)", yLabel: "test AUC",
                             categories: models, series: series)
    }

    static func orderedPairs(_ cs: [Cell]) -> [(String, String)] {
        var out: [(String, String)] = []
        for c in cs where !out.contains(where: { $0 == (c.train, c.test) }) { out.append((c.train, c.test)) }
        // In-domain first within each training set, training sets as met.
        let trains = unique(cs.map(\.train))
        return out.sorted { x, y in
            (trains.firstIndex(of: x.0)!, x.0 == x.1 ? 0 : 1) < (trains.firstIndex(of: y.0)!, y.0 == y.1 ? 0 : 1)
        }
    }

    static func unique(_ xs: [String]) -> [String] { var s: [String] = []; for x in xs where !s.contains(x) { s.append(x) }; return s }

    /// "0.912 [0.894, 0.930]"; one seed: "0.912"; undefined: "n/a".
    static func interval(_ x: [Double]) -> String {
        let v = x.filter { !$0.isNaN }
        guard !v.isEmpty else { return "n/a" }
        let iv = Statistics.meanInterval(v)
        return iv.lower.isFinite ? String(format: "%.3f [%.3f, %.3f]", iv.mean, iv.lower, iv.upper) : String(format: "%.3f", iv.mean)
    }

    /// "p=0.52", "p<0.001", "p n/a".
    static func pIs(_ p: Double) -> String { p.isFinite && p < 0.001 ? "p<0.001" : "p=" + pValue(p) }

    /// "0.52", "0.003", "<0.001", "n/a".
    static func pValue(_ p: Double) -> String {
        guard p.isFinite else { return "n/a" }
        if p < 0.001 { return "<0.001" }
        return p < 0.01 ? String(format: "%.3f", p) : String(format: "%.2f", p)
    }
}
