// Golden-file tests: the report tables of fixed result rows (every suite's columns, speed-up,
// efficiency, median and min-max, dropped empty columns, notes under the table) and the built
// `bench` binary's --help texts, compared with the committed text in Golden/. To accept an
// intended change, run with BENCH_UPDATE_GOLDEN=1 and review the diff of Golden/.

@testable import BenchSuite
import Foundation
import Reporting
import TestSupport
import XCTest

final class GoldenTests: XCTestCase {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    func assertGolden(_ text: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try Self.assertGolden(text, name, file: file, line: line)
    }

    /// The comparison against Golden/<name>, for any test class.
    static func assertGolden(_ text: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = (Self.golden as NSString).appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["BENCH_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        if text != expected {
            let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let b = text.split(separator: "\n", omittingEmptySubsequences: false)
            let i = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            XCTFail("\(name) differs at line \(i + 1):\n expected: \(i < a.count ? String(a[i]) : "<end>")\n   actual: \(i < b.count ? String(b[i]) : "<end>")",
                    file: file, line: line)
        }
    }

    static func row(_ name: String, model: String = "Classic", size: Int = 32, batch: Int = 32, speed: Double,
                    unit: String = "images/s", baseline: String = "", note: String = "") -> BenchRecord {
        BenchRecord(row: BenchmarkRow(name: name, accuracy: .nan, loss: .nan, auc: .nan, wallSeconds: 3),
                    model: model, dataset: "builtin:small", imageSize: size, batchSize: batch, threads: 2,
                    throughput: speed, throughputUnit: unit, baseline: baseline, note: note)
    }

    static func rankRow(_ model: String, _ scaling: String, ranks: Int, global: Int, steps: [Double], base: String) -> BenchRecord {
        let name = ranks == 1 ? "\(model) 32px R1 b32" : "\(model) 32px \(scaling) R\(ranks) b\(global)"
        var r = row(name, model: model, batch: global, speed: Double(global) / Spread(steps).median, baseline: ranks == 1 ? "" : base,
                    note: "mpirun --bind-to none; 4 timed step(s) per repeat after 1 warm-up")
        r.scaling = ranks == 1 ? "baseline" : scaling
        r.ranks = ranks; r.nodes = 1; r.threadsPerRank = 1; r.hosts = "vm:0-1"
        r.repeatSeconds = steps
        r.figures = ["compute_s": steps[0] * 0.7, "optimizer_s": steps[0] * 0.1, "allreduce_s": steps[0] * 0.15, "data_wait_s": 0.0004]
        return r
    }

    static var results: [BenchResult] {
        let attrs = ["host": "vm", "cpu_model": "Test CPU", "cores_per_node": "2", "date": "2026-12-01T22:00:00Z",
                     "commit": String(repeating: "b", count: 40), "build_configuration": "release", "build_flags": "-target-cpu haswell",
                     "openblas_core": "Haswell", "mpi_library": "mpirun (Open MPI) 4.1.4", "binding": "mpirun --bind-to none"]
        let ranks = [
            rankRow("Classic", "baseline", ranks: 1, global: 32, steps: [0.40, 0.42, 0.38], base: ""),
            rankRow("Classic", "strong", ranks: 2, global: 32, steps: [0.25, 0.24, 0.26], base: "Classic 32px R1 b32"),
            rankRow("Classic", "weak", ranks: 2, global: 64, steps: [0.45, 0.47, 0.44], base: "Classic 32px R1 b32"),
        ]
        var qubits: [BenchRecord] = []
        for (n, t) in [(4, 0.0001), (8, 0.0008), (12, 0.02)] {
            var r = row("layer strong L1 \(n)q B8", model: "Quantum", batch: 8, speed: 8 / t, unit: "samples/s",
                        note: "forward + adjoint backward of the batch")
            r.row.qubits = n; r.row.gateCounts = ["RX": n, "Rot": n, "CNOT": n]; r.row.depth = n + 2
            r.scaling = "layer strong"; r.repeatSeconds = [t, t * 1.1]
            r.figures = ["passes": Double(n + 1), "state_bytes": Double(8 << n) * 16, "layers": 1]
            qubits.append(r)
        }
        var sharded: [BenchRecord] = []
        for (ranks, t) in [(1, 2.0), (2, 1.1), (4, 0.7)] {
            var r = row("layer 24q R\(ranks)", model: "Quantum", batch: 1, speed: 1 / t, unit: "layers/s",
                        baseline: ranks == 1 ? "" : "layer 24q R1", note: "one StronglyEntangling layer, gate by gate")
            r.row.qubits = 24; r.scaling = "strong"; r.ranks = ranks; r.nodes = 1; r.threadsPerRank = 1
            r.repeatSeconds = [t, t * 1.05]
            r.figures = ["exchanges_per_layer": Double(ranks == 1 ? 0 : 2 * (ranks / 2)), "bytes_sent_per_rank": ranks == 1 ? 0 : Double(16 << (24 - ranks / 2)),
                         "state_bytes": Double(16 << 24)]
            sharded.append(r)
        }
        var inference = [row("Classic 64px b16 eval", size: 64, batch: 16, speed: 80, note: "forward only, eval mode"),
                         row("HQNN 64px b16 eval", model: "HQNN", size: 64, batch: 16, speed: 60, baseline: "Classic 64px b16 eval",
                             note: "forward only, eval mode")]
        for i in inference.indices { inference[i].repeatSeconds = [16 / inference[i].throughput, 16 / inference[i].throughput * 1.2] }
        let preprocess = [row("preprocess hard1k 64px", model: "Preprocess", size: 64, batch: 0, speed: 900, note: "hard1k"),
                          row("preprocess deepfake2k 64px", model: "Preprocess", size: 64, batch: 0, speed: 300, note: "deepfake2k")]
        func file(_ suite: String, _ records: [BenchRecord]) -> BenchResult {
            var a = attrs
            a["suite"] = suite
            return BenchResult(path: "/r/\(suite)-20261201-220000-abcdef.h5", attributes: a, records: records)
        }
        return [file("ranks", ranks), file("qubits", qubits), file("sharded", sharded), file("inference", inference),
                file("preprocess", preprocess)]
    }

    func testReportTablesMatchGolden() throws {
        let md = BenchReport.render(Self.results, format: .markdown)
        try assertGolden(md, "report.md")
        try assertGolden(BenchReport.render(Self.results, format: .csv), "report.csv")
    }

    func testRatiosCompareLikeWithLike() {
        let t = BenchReport.tables(Self.results)
        let ranks = t.first { $0.suite == "ranks" }!
        XCTAssertEqual(ranks.column("speed-up"), ["1.00", "1.60", "1.78"])
        XCTAssertEqual(ranks.column("efficiency"), ["100%", "80%", "89%"])
        let sharded = t.first { $0.suite == "sharded" }!
        XCTAssertEqual(sharded.column("speed-up"), ["1.00", "1.82", "2.86"])
        XCTAssertEqual(sharded.column("efficiency"), ["100%", "91%", "71%"])
        // deepfake2k is not compared with hard1k: no baseline named, no ratio.
        let pre = t.first { $0.suite == "preprocess" }!
        XCTAssertEqual(pre.column("ratio"), ["", ""])
    }

    func testPlotsAreWrittenForEverySuiteWithAChart() throws {
        let dir = try TemporaryFolder.make(for: self, label: "plots")
        let files = try ReportPlots.write(Self.results, to: dir).map { ($0 as NSString).lastPathComponent }
        XCTAssertEqual(files, ["ranks-speedup.svg", "ranks-efficiency.svg", "qubits-time.svg", "sharded-time.svg"])
        let speedup = try String(contentsOfFile: dir + "/ranks-speedup.svg", encoding: .utf8)
        for s in ["data-name=\"Classic 32px strong\"", "data-name=\"Classic 32px weak\"", "data-name=\"ideal\""] {
            XCTAssertTrue(speedup.contains(s), s)
        }
        let q = try String(contentsOfFile: dir + "/qubits-time.svg", encoding: .utf8)
        XCTAssertTrue(q.contains("seconds (median, log scale)"))
        XCTAssertTrue(q.contains("data-name=\"layer strong L1 B8\""))
    }

    // MARK: - The bench executable

    /// Runs the built `bench` (beside the test bundle) with `args`; returns (status, stdout, stderr).
    func bench(_ args: [String]) throws -> (Int32, String, String) { try Self.bench(args) }

    /// The same, for any test class; `folder` = the child's working folder.
    static func bench(_ args: [String], in folder: String? = nil) throws -> (Int32, String, String) {
        let exe = try ChildProcess.builtExecutable("bench")
        // OPENBLAS_CORETYPE set: no re-exec noise.
        return try ChildProcess.run(exe, args, environment: [
            "COLUMNS": "100", "OPENBLAS_CORETYPE": ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] ?? "Haswell"], in: folder)
    }

    func testHelpTextsMatchGolden() throws {
        for (args, name) in [(["--help"], "help-bench.txt"), (["run", "--help"], "help-run.txt"),
                             (["report", "--help"], "help-report.txt")] {
            let (status, out, _) = try bench(args)
            XCTAssertEqual(status, 0, name)
            try assertGolden(out, name)
        }
    }

    func testBadChoicesAreErrorsThatListTheValidValues() throws {
        let (s1, _, e1) = try bench(["classic", "--stem", "torchvisoin"])
        XCTAssertEqual(s1, 64)
        XCTAssertTrue(e1.contains("'torchvisoin' is invalid for '--stem <stem>'") && e1.contains("'torchvision'"), e1)
        let (s2, _, e2) = try bench(["run", "--suite", "rank"])
        XCTAssertEqual(s2, 64)
        XCTAssertTrue(e2.contains("'rank' is invalid") && e2.contains("ranks"), e2)
        let (s3, _, e3) = try bench(["report", "/nonexistent-results"])
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("bench: error: /nonexistent-results does not exist"), e3)
        let (s4, _, e4) = try bench(["run", "--repeats", "0", "--out", "/nonexistent-dir"])
        XCTAssertEqual(s4, 1)
        XCTAssertTrue(e4.contains("--repeats 0 must be at least 1"), e4)
    }
}
