// The columns of each suite's report table, and how a record fills them. The rank suites get
// speed-up (this row's speed / its R = 1 baseline's) and parallel efficiency (speed-up divided
// by the rank ratio); every suite with repeats shows the median and min-max of the timed
// repeats. Formatting is fixed (no locale) so golden-file tests can compare the text.

import Foundation

enum ReportTables {
    /// Short explanations printed under a suite's table.
    static let legend: [String: String] = [
        "ranks": "rank CPUs: the CPU sets the ranks were allowed. step s: median seconds per training step over the repeats [min-max]; compute (forward, loss, backward), optimizer (the update; with the state sharded, ZeRO-1, also the parameters' allgather), allreduce (the wait for the gradient sum after backward), data: median seconds per step of each phase (mean over ranks). speed-up = images/s / the R1 row's; efficiency = speed-up / R. strong: fixed global batch; weak: fixed per-rank batch.",
        "qubits": "layer: HQNN circuit layer forward + adjoint backward of the batch; state: the template on one state, forward. s: median seconds [min-max]; passes over the state after fusion.",
        "sharded": "s/layer: median seconds of one StronglyEntangling layer, slowest rank [min-max]; sent/rank: MiB each rank sent per layer. speed-up = 1-rank time / this time; efficiency = speed-up / R.",
        "inference": "forward only, eval mode; s: median seconds per batch [min-max]; ratio = images/s / Classic's at the same size.",
        "training": "ratio = speed / the baseline row's speed, same file and unit only.",
        "throughput": "ratio = speed / the baseline row's speed, same file and unit only.",
    ]

    static func table(suite: String, files: [BenchResult]) -> BenchReport.Table {
        var notes: [String] = []
        func noteRef(_ n: String) -> String {
            guard !n.isEmpty else { return "" }
            if let i = notes.firstIndex(of: n) { return "[\(i + 1)]" }
            notes.append(n)
            return "[\(notes.count)]"
        }
        let multi = files.count > 1
        let spec = columns(suite)
        var rows: [[String]] = []
        for f in files {
            for r in f.records {
                var cells = spec.cells(r, f, BenchReport.baseline(of: r, in: f))
                cells[spec.columns.firstIndex(of: "note")!] = noteRef(r.note)
                if let i = spec.columns.firstIndex(of: "run") { cells[i] = multi ? BenchReport.runLabel(f) : "" }
                rows.append(cells)
            }
        }
        return BenchReport.Table(suite: suite, files: files, columns: spec.columns, rows: rows, notes: notes)
    }

    struct Spec {
        var columns: [String]
        var cells: (BenchRecord, BenchResult, BenchRecord?) -> [String]
    }

    static func columns(_ suite: String) -> Spec {
        switch suite {
        case "ranks":
            return Spec(columns: ["run", "model", "px", "scaling", "R", "nodes", "thr/rank", "rank CPUs", "global batch", "step s", "min-max",
                                  "compute", "optimizer", "allreduce", "data", "images/s", "speed-up", "efficiency", "note"]) { r, _, b in
                let (speedUp, eff) = rankRatios(r, b)
                let s = Spread(r.repeatSeconds)
                return ["", r.model, int(r.imageSize), r.scaling, int(r.ranks), int(r.nodes), int(r.threadsPerRank), cpuSets(r), int(r.batchSize),
                        sig(s.median), range(s), sig(r.figure("compute_s")), sig(r.figure("optimizer_s")), sig(r.figure("allreduce_s")), sig(r.figure("data_wait_s")),
                        num(r.throughput, 1), speedUp, eff, ""]
            }
        case "qubits":
            return Spec(columns: ["run", "circuit", "qubits", "layers", "batch", "gates", "depth", "passes", "state MiB",
                                  "s", "min-max", "samples/s", "note"]) { r, _, _ in
                let s = Spread(r.repeatSeconds)
                return ["", r.scaling, int(r.row.qubits), intFigure(r, "layers"), int(r.batchSize), int(r.row.totalGates), int(r.row.depth),
                        intFigure(r, "passes"), mib(r.figure("state_bytes")), sig(s.median), range(s), speed(r.throughput), ""]
            }
        case "sharded":
            return Spec(columns: ["run", "qubits", "R", "nodes", "thr/rank", "rank CPUs", "s/layer", "min-max", "exchanges", "sent/rank MiB",
                                  "speed-up", "efficiency", "max diff", "gradient s", "grad exchanges", "grad sent/rank MiB", "note"]) { r, _, b in
                let (speedUp, eff) = rankRatios(r, b)
                let s = Spread(r.repeatSeconds)
                let diff = r.figure("max_amplitude_diff")
                return ["", int(r.row.qubits), int(r.ranks), int(r.nodes), int(r.threadsPerRank), cpuSets(r), sig(s.median), range(s),
                        intFigure(r, "exchanges_per_layer"), mib(r.figure("bytes_sent_per_rank")), speedUp, eff,
                        diff.isFinite ? String(format: "%.1e", diff) : "", sig(r.figure("gradient_s")),
                        intFigure(r, "gradient_exchanges"), mib(r.figure("gradient_bytes_sent_per_rank")), ""]
            }
        case "inference":
            return Spec(columns: ["run", "model", "px", "batch", "images/s", "s", "min-max", "ratio", "parameters", "note"]) { r, f, b in
                let s = Spread(r.repeatSeconds)
                return ["", r.model, int(r.imageSize), int(r.batchSize), num(r.throughput, 1), sig(s.median), range(s),
                        ratio(r, b, f), int(r.row.parameters), ""]
            }
        default:
            return Spec(columns: ["run", "configuration", "accuracy", "loss", "AUC", "speed", "unit", "wall s", "qubits", "gates",
                                  "depth", "parameters", "ratio", "baseline", "gates by kind", "note"]) { r, f, b in
                let kinds = r.row.gateCounts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
                return ["", r.row.name, num(r.row.accuracy, 4), num(r.row.loss, 4), num(r.row.auc, 4),
                        num(r.throughput, r.throughput < 100 ? 2 : 1), r.throughput.isFinite ? r.throughputUnit : "",
                        num(r.row.wallSeconds, r.row.wallSeconds >= 1 ? 2 : 4), int(r.row.qubits), int(r.row.totalGates),
                        int(r.row.depth), int(r.row.parameters), ratio(r, b, f), b?.row.name ?? "", kinds, ""]
            }
        }
    }

    /// Speed-up over the baseline and efficiency = speed-up / (R / R_baseline); the baseline row
    /// itself reads 1.00 / 100%.
    static func rankRatios(_ r: BenchRecord, _ b: BenchRecord?) -> (String, String) {
        let base = b ?? (r.baseline.isEmpty ? r : nil)
        guard let base, r.throughput.isFinite, base.throughput.isFinite, base.throughput > 0, base.ranks > 0 else { return ("", "") }
        let s = r.throughput / base.throughput
        return (String(format: "%.2f", s), String(format: "%.0f%%", 100 * s / (Double(r.ranks) / Double(base.ranks))))
    }

    /// This row's speed / its baseline's; "1.00x" for a row that other rows of the file compare
    /// with; "n/a" when the comparison has no figure; "" when the row compares with nothing.
    static func ratio(_ r: BenchRecord, _ b: BenchRecord?, _ f: BenchResult) -> String {
        if let b {
            if r.throughput.isFinite && b.throughput.isFinite && b.throughput > 0 {
                return String(format: "%.2fx", r.throughput / b.throughput)
            }
            return "n/a"
        }
        if !r.baseline.isEmpty { return "n/a" }
        let isBaseline = f.records.contains { $0.baseline == r.row.name }
        return isBaseline && r.throughput.isFinite && !BenchReport.failed(r) ? "1.00x" : ""
    }

    /// The distinct CPU sets the ranks were allowed ("0-1" for every rank unbound on a 2-core node,
    /// "0 1" for one core each): shows the binding that actually applied.
    static func cpuSets(_ r: BenchRecord) -> String {
        var seen: [String] = []
        for p in r.hosts.components(separatedBy: "; ") where !p.isEmpty {
            let cpus = p.split(separator: ":", maxSplits: 1).last.map(String.init) ?? p
            if !seen.contains(cpus) { seen.append(cpus) }
        }
        return seen.joined(separator: " ")
    }

    /// A rate: whole numbers from 100 up, else three significant digits.
    static func speed(_ x: Double) -> String { !x.isFinite ? "" : x >= 100 ? String(format: "%.0f", x) : String(format: "%.3g", x) }
    static func num(_ x: Double, _ digits: Int) -> String { x.isFinite ? String(format: "%.\(digits)f", x) : "n/a" }
    /// Four significant digits, or "" when not measured.
    static func sig(_ x: Double) -> String { x.isFinite ? String(format: "%.4g", x) : "" }
    static func range(_ s: Spread) -> String { s.count > 1 ? String(format: "%.4g-%.4g", s.min, s.max) : "" }
    static func int(_ x: Int) -> String { x == 0 ? "" : String(x) }
    static func intFigure(_ r: BenchRecord, _ name: String) -> String { r.figure(name).isFinite ? String(Int(r.figure(name))) : "" }
    static func mib(_ bytes: Double) -> String { bytes.isFinite ? String(format: "%.4g", bytes / 1_048_576) : "" }
}
