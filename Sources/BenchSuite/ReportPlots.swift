// `bench report --plots DIR`: SVG charts beside the tables (Reporting's LineChart): speed-up
// against ranks with the ideal line and efficiency against ranks (ranks suite, a line per model,
// size and scaling mode), time against qubits on a log scale (qubits suite, a line per circuit
// kind, template and layer count), and sharded time per layer against ranks (a line per qubit
// count). Each chart compares rows of one file with their own baselines only.

import Core
import Foundation
import Reporting

public enum ReportPlots {
    /// Writes the charts the results allow into `directory` (created if needed); returns their paths.
    public static func write(_ results: [BenchResult], to directory: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw DeepfakeError("cannot create the --plots folder \(directory): \(error.localizedDescription)")
        }
        var written: [String] = []
        func save(_ chart: LineChart, _ name: String) throws {
            let path = (directory as NSString).appendingPathComponent(name)
            do { try chart.svg().write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw DeepfakeError("cannot write \(path): \(error.localizedDescription)")
            }
            written.append(path)
        }
        let ranks = results.filter { $0.suite == "ranks" }
        if !ranks.isEmpty {
            let speed = rankSeries(ranks) { r, b in r.throughput / b.throughput }
            let eff = rankSeries(ranks) { r, b in (r.throughput / b.throughput) / (Double(r.ranks) / Double(b.ranks)) }
            let maxR = Double(ranks.flatMap(\.records).map(\.ranks).max() ?? 1)
            let ideal = ChartSeries(name: "ideal", x: [1, maxR], y: [1, maxR], dashed: true)
            try save(LineChart(title: "Training speed-up against ranks", xLabel: "ranks", yLabel: "speed-up (images/s / R1)",
                               series: speed + [ideal], integerX: true), "ranks-speedup.svg")
            try save(LineChart(title: "Parallel efficiency against ranks", xLabel: "ranks", yLabel: "efficiency (speed-up / R)",
                               series: eff + [ChartSeries(name: "ideal", x: [1, maxR], y: [1, 1], dashed: true)],
                               yRange: 0...1.2, integerX: true), "ranks-efficiency.svg")
        }
        for (study, group) in BenchReport.comparisonStudies(results.filter { $0.suite == BenchSuiteName.comparison.rawValue })
            where !group.points.isEmpty {
            let path = (directory as NSString).appendingPathComponent("comparison-\(study)-auc.svg")
            do { try ComparisonReport.chart(group.points, title: study).svg().write(toFile: path, atomically: true, encoding: .utf8) } catch {
                throw DeepfakeError("cannot write \(path): \(error.localizedDescription)")
            }
            written.append(path)
        }
        let qubits = results.filter { $0.suite == "qubits" }
        if !qubits.isEmpty {
            var groups: [String: [(Double, Double)]] = [:]
            for f in qubits {
                for r in f.records {
                    let t = Spread(r.repeatSeconds).median
                    guard t > 0, t.isFinite else { continue }
                    let key = "\(r.scaling) L\(Int(r.figure("layers")))" + (r.batchSize > 1 ? " B\(r.batchSize)" : "")
                    groups[key, default: []].append((Double(r.row.qubits), t))
                }
            }
            let series = groups.keys.sorted().map { k -> ChartSeries in
                let p = groups[k]!.sorted { $0.0 < $1.0 }
                return ChartSeries(name: k, x: p.map(\.0), y: p.map(\.1))
            }
            try save(LineChart(title: "Quantum layer time against qubits", xLabel: "qubits",
                               yLabel: "seconds (median, log scale)", series: series, integerX: true, logY: true),
                     "qubits-time.svg")
        }
        let sharded = results.filter { $0.suite == "sharded" }
        if !sharded.isEmpty {
            var groups: [Int: [(Double, Double)]] = [:]
            for f in sharded {
                for r in f.records { groups[r.row.qubits, default: []].append((Double(r.ranks), Spread(r.repeatSeconds).median)) }
            }
            let series = groups.keys.sorted().map { q -> ChartSeries in
                let p = groups[q]!.sorted { $0.0 < $1.0 }
                return ChartSeries(name: "\(q) qubits", x: p.map(\.0), y: p.map(\.1))
            }
            try save(LineChart(title: "Sharded statevector: seconds per layer against ranks", xLabel: "ranks",
                               yLabel: "seconds per layer (median)", series: series, integerX: true), "sharded-time.svg")
        }
        return written
    }

    /// One series per (file, model, size, mode): R = 1 and that mode's rows, y = value(row, baseline).
    static func rankSeries(_ files: [BenchResult], _ value: (BenchRecord, BenchRecord) -> Double) -> [ChartSeries] {
        var out: [ChartSeries] = []
        for f in files {
            for base in f.records where base.scaling == "baseline" {
                for mode in ScalingMode.allCases {
                    let rows = f.records.filter { $0.baseline == base.row.name && $0.scaling == mode.rawValue }.sorted { $0.ranks < $1.ranks }
                    guard !rows.isEmpty else { continue }
                    out.append(ChartSeries(name: "\(base.model) \(base.imageSize)px \(mode.rawValue)" + (files.count > 1 ? " (\(BenchReport.runLabel(f)))" : ""),
                                           x: [Double(base.ranks)] + rows.map { Double($0.ranks) },
                                           y: [value(base, base)] + rows.map { value($0, base) }))
                }
            }
        }
        return out
    }
}
