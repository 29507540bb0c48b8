// The scaling machinery on real inputs: repeat spread and interleaving order, the launcher's
// command lines (srun inside Slurm, mpirun --bind-to none outside), flag merging and its errors,
// the qubits suite on small counts (gates, passes and state bytes counted), the sharded and
// ranks children as one rank in this process (real state, real Classic model and data), and
// the new result-file columns surviving a write/read round trip.

@testable import BenchSuite
import Config
import Core
import Datasets
import Foundation
import Reporting
import TestSupport
import XCTest

final class ScalingSuiteTests: TemporaryFolderTestCase {
    func testSpreadAndInterleavedOrder() {
        let s = Spread([3, 1, 2, .nan, 10])
        XCTAssertEqual([s.median, s.min, s.max], [2.5, 1, 10])
        XCTAssertEqual(s.count, 4)
        XCTAssertTrue(Spread([]).median.isNaN)
        var order: [Int] = []
        let plan = RepeatPlan(repeats: 3, warmups: 1)
        let times = plan.interleaved(2) { i in order.append(i); return Double(order.count) }
        XCTAssertEqual(order, [0, 1, 0, 1, 0, 1, 0, 1])   // warm-up round, then A B A B A B
        XCTAssertEqual(times, [[3, 5, 7], [4, 6, 8]])
        XCTAssertEqual(RepeatPlan.standard(quick: false).repeats, 5)
        XCTAssertEqual(RepeatPlan.standard(quick: true).repeats, 2)
        XCTAssertEqual(RepeatPlan.standard(quick: true, repeats: 7).repeats, 7)
    }

    func testLauncherCommandLines() {
        XCTAssertEqual(Launcher.detect(environment: ["SLURM_JOB_ID": "42"]).kind, .srun)
        XCTAssertEqual(Launcher.detect(environment: [:]).kind, .mpirun)
        let m = Launcher(kind: .mpirun, cores: 2, asRoot: false)
        let a = m.arguments(ranks: 2, threadsPerRank: 1, executable: "/b/bench", ["ranks-child", "s.json", "out"])
        XCTAssertEqual(Array(a.prefix(5)), ["mpirun", "-np", "2", "--bind-to", "none"])
        XCTAssertFalse(a.contains("--oversubscribe"))
        XCTAssertEqual(Array(a.suffix(4)), ["/b/bench", "ranks-child", "s.json", "out"])
        XCTAssertTrue(a.contains("OPENBLAS_NUM_THREADS=1"))
        // More ranks x threads than cores: oversubscribe; root: allowed explicitly.
        let big = Launcher(kind: .mpirun, cores: 2, asRoot: true).arguments(ranks: 2, threadsPerRank: 2, executable: "b", [])
        XCTAssertTrue(big.contains("--oversubscribe") && big.contains("--allow-run-as-root"))
        XCTAssertEqual(m.binding(threadsPerRank: 2), "mpirun --bind-to none")
        let s = Launcher(kind: .srun).arguments(ranks: 4, threadsPerRank: 2, executable: "b", ["x"])
        XCTAssertEqual(s, ["srun", "--mpi=pmix", "-n", "4", "--cpus-per-task=2", "--export=ALL,OPENBLAS_NUM_THREADS=2", "b", "x"])
        XCTAssertEqual(RankPlacement.nodes(["n1:0-3", "n1:4-7", "n2:0-3"]), 2)
        XCTAssertTrue(RankPlacement.current().contains(":"), RankPlacement.current())   // Linux: host:cpus
    }

    func testRunFlagsMergeIntoStudiesAndRejectBadValues() throws {
        var f = RunFlags()
        f.quick = true; f.repeats = 3; f.ranks = [1, 2, 4]; f.modes = [.weak]; f.rankBatch = 8; f.maxQubits = 12
        f.models = [.classic, .qnn]; f.sizes = [48]; f.datasets = "/data"
        let o = try f.options(executable: "/b/bench", launcher: Launcher(kind: .mpirun), environment: [:])
        // Every suite but the comparison study, which runs only when named (it takes hours).
        XCTAssertEqual(o.suites, BenchSuiteName.allCases.filter { $0 != .comparison })
        XCTAssertEqual(o.ranks?.rankCounts, [1, 2, 4])
        XCTAssertEqual(o.ranks?.modes, [.weak])
        XCTAssertEqual(o.ranks?.batch, 8)
        XCTAssertEqual(o.ranks?.plan.repeats, 3)
        XCTAssertEqual(o.ranks?.imageSizes, [48])
        XCTAssertEqual(o.qubits?.maxQubits, 12)
        XCTAssertEqual(o.qubits?.plan.repeats, 3)
        XCTAssertEqual(o.inference?.models, [.classic])        // QNN has no image forward of its own
        XCTAssertEqual(o.training?.isolationExecutable, "/b/bench")
        XCTAssertEqual(o.training?.imageSizes, [48])
        XCTAssertEqual(o.datasets, "/data")
        XCTAssertEqual(try RunFlags().options(executable: "b", environment: ["DEEPFAKE_DATASETS": "/env"]).datasets, "/env")
        XCTAssertNil(try RunFlags().options(executable: "b", environment: [:]).datasets)

        var bad = RunFlags(); bad.repeats = 0
        XCTAssertThrowsError(try bad.options(executable: "b")) { XCTAssertTrue("\($0)".contains("--repeats 0 must be at least 1"), "\($0)") }
        bad = RunFlags(); bad.maxQubits = 3
        XCTAssertThrowsError(try bad.options(executable: "b")) { XCTAssertTrue("\($0)".contains("--max-qubits 3"), "\($0)") }
        bad = RunFlags(); bad.shardedRanks = [0]
        XCTAssertThrowsError(try bad.options(executable: "b")) { XCTAssertTrue("\($0)".contains("--sharded-ranks"), "\($0)") }
    }

    func testQubitsSuiteCountsGatesPassesAndStateBytes() throws {
        var s = QubitsStudy()
        s.maxQubits = 6; s.maxLayers = 2; s.batch = 4; s.threads = 1; s.plan = RepeatPlan(repeats: 2)
        s.maxStateMiB = 1
        let rows = QubitsSuite.run(s) { _ in }
        // 3 qubit counts x 2 templates x 2 layer counts x (layer + state).
        XCTAssertEqual(rows.count, 24)
        for r in rows {
            XCTAssertEqual(r.repeatSeconds.count, 2, r.row.name)
            XCTAssertTrue(r.repeatSeconds.allSatisfy { $0 > 0 }, r.row.name)
            XCTAssertGreaterThan(r.throughput, 0)
            XCTAssertGreaterThan(r.figure("passes"), 0)
        }
        let strong = try XCTUnwrap(rows.first { $0.row.name == "layer strong L2 5q B4" })
        // AngleEmbedding 5 RX + 2 x (5 Rot + 5 CNOT).
        XCTAssertEqual(strong.row.gateCounts, ["RX": 5, "Rot": 10, "CNOT": 10])
        XCTAssertEqual(strong.row.qubits, 5)
        XCTAssertEqual(strong.figure("state_bytes"), 4 * 32 * 16)
        XCTAssertEqual(strong.figure("layers"), 2)
        let state = try XCTUnwrap(rows.first { $0.row.name == "state strong L1 4q" })
        XCTAssertEqual(state.batchSize, 1)
        XCTAssertEqual(state.row.gateCounts, ["Rot": 4, "CNOT": 4])   // no embedding on the bare state
        XCTAssertEqual(state.figure("state_bytes"), 16 * 16)
        // The memory budget drops the batched layer, not the single-state row.
        s.maxStateMiB = 0
        let names = QubitsSuite.points(s).map(\.name)
        XCTAssertFalse(names.contains { $0.hasPrefix("layer") })
        XCTAssertEqual(names.count, 12)
    }

    func testShardedChildOnOneRankMatchesTheUnshardedState() throws {
        let spec = tmp + "/spec.json"
        try JSONEncoder().encode(ShardedSpec(qubits: [6, 8], checkMaxQubits: 8, seed: 3)).write(to: URL(fileURLWithPath: spec))
        try ShardedChild.run(specPath: spec, outDirectory: tmp, communicator: SingleProcessCommunicator())
        let reports = try ShardedChild.readReports(tmp, ranks: 1)
        XCTAssertEqual(Set(reports[0].points.keys), ["6", "8"])
        let p = try XCTUnwrap(reports[0].points["8"])
        XCTAssertGreaterThan(p.seconds, 0)
        XCTAssertEqual(p.exchanges, 0)            // one rank: every qubit is local
        XCTAssertEqual(p.passes, 1)               // 8 qubits fit one block: the whole layer in one pass
        XCTAssertLessThan(try XCTUnwrap(p.maxDiff), 1e-12)   // against the gate-by-gate run
        XCTAssertEqual(p.gradientPasses, 3)       // forward, lambda, backward
        // The adjoint gradient of the same layer is timed too; one rank exchanges nothing.
        XCTAssertGreaterThan(try XCTUnwrap(p.gradientSeconds), 0)
        XCTAssertEqual(p.gradientExchanges, 0)
        XCTAssertEqual(p.gradientBytesSent, 0)
        XCTAssertThrowsError(try ShardedChild.readReports(tmp, ranks: 2)) { XCTAssertTrue("\($0)".contains("rank 1 wrote no"), "\($0)") }
    }

    /// On 2 in-process ranks the remapped layer must still equal the unsharded state (compared in
    /// the canonical layout), and the gradient's exchanges and bytes are the sharded states' counts.
    func testShardedChildOnTwoRanksMatchesTheUnshardedStateAndTimesTheGradient() throws {
        let spec = tmp + "/spec2.json"
        try JSONEncoder().encode(ShardedSpec(qubits: [8], checkMaxQubits: 8, seed: 3)).write(to: URL(fileURLWithPath: spec))
        let out = tmp + "/two"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        _ = try LoopbackGroup(size: 2).run { comm in try ShardedChild.run(specPath: spec, outDirectory: out, communicator: comm) }
        let reports = try ShardedChild.readReports(out, ranks: 2)
        for report in reports {
            let p = try XCTUnwrap(report.points["8"])
            XCTAssertLessThan(try XCTUnwrap(p.maxDiff), 1e-12)
            XCTAssertGreaterThan(p.exchanges, 0)
            // Remap swaps of half a shard (2^7 / 2 amplitudes x 16 B) each.
            XCTAssertEqual(p.bytesSent, Double(p.exchanges * 64 * 16))
            XCTAssertGreaterThan(try XCTUnwrap(p.gradientSeconds), 0)
            XCTAssertGreaterThan(try XCTUnwrap(p.gradientExchanges), 0)
            XCTAssertEqual(p.gradientBytesSent, p.gradientExchanges! * 64 * 16)
            // The shard (7 qubits) is one block: each pass is a block pass or an exchange.
            XCTAssertLessThanOrEqual(try XCTUnwrap(p.passes), 2 * p.exchanges + 1)
            XCTAssertGreaterThan(try XCTUnwrap(p.gradientPasses), try XCTUnwrap(p.passes))
        }
    }

    func testRanksChildTimesPhasesOfRealTrainingSteps() throws {
        let faces = tmp + "/faces"
        try BuiltinDataset.generate(into: faces, countPerClass: 8, size: 16, seed: 7)
        var c = try TrainingSuite.makeConfig(model: .classic, size: 16, batch: 4, epochs: 1,
                                             entry: DatasetEntry(name: "tiny", source: .localFolder(faces)), kagglePath: "/tmp", threads: 1)
        c.dataPath = tmp + "/data"; c.modelPath = tmp + "/no-weights"; c.outputsPath = tmp + "/runs"
        let configPath = tmp + "/c.yaml"
        try c.toYAML().write(toFile: configPath, atomically: true, encoding: .utf8)
        let spec = tmp + "/spec.json"
        try JSONEncoder().encode([RanksConfiguration(name: "Classic 16px R1 b4", configPath: configPath, steps: 2)])
            .write(to: URL(fileURLWithPath: spec))
        try RanksChild.run(specPath: spec, outDirectory: tmp, threads: 1, communicator: SingleProcessCommunicator())
        let r = try XCTUnwrap(RanksChild.readReports(tmp, ranks: 1)[0].configurations["Classic 16px R1 b4"])
        XCTAssertGreaterThan(r.stepSeconds, 0)
        XCTAssertEqual(Set(r.phases.keys), Set(RanksChild.phaseNames))
        XCTAssertGreaterThan(r.phases["compute_s"]!, 0)
        XCTAssertGreaterThan(r.phases["optimizer_s"]!, 0, "the optimizer step is timed apart from compute")
        XCTAssertGreaterThanOrEqual(r.phases["data_wait_s"]!, 0)
        // The phases are parts of the step.
        XCTAssertLessThanOrEqual(r.phases.values.reduce(0, +), r.stepSeconds * 1.05)
    }

    func testNewColumnsSurviveTheResultFile() throws {
        var a = BenchRecord(row: BenchmarkRow(name: "Classic 32px strong R2 b32", accuracy: .nan, loss: .nan, auc: .nan, wallSeconds: 1),
                            model: "Classic", imageSize: 32, batchSize: 32, throughput: 50, baseline: "Classic 32px R1 b32")
        a.ranks = 2; a.nodes = 1; a.threadsPerRank = 1; a.hosts = "vm:0-1; vm:0-1"; a.scaling = "strong"
        a.repeatSeconds = [0.5, 0.7, 0.6]; a.figures = ["compute_s": 0.4, "allreduce_s": 0.1]
        var b = BenchRecord(row: BenchmarkRow(name: "other", accuracy: .nan, loss: .nan, auc: .nan, wallSeconds: 1), model: "Quantum")
        b.repeatSeconds = [1]
        let path = try BenchResultFile.write([a, b], suite: "ranks", directory: tmp)
        let back = try BenchResultFile.read(path: path)
        XCTAssertEqual(back.records, [a, b])
        XCTAssertTrue(back.records[1].figure("compute_s").isNaN)
        // Every file carries the environment.
        let env = BenchEnvironment.attributes(suite: "ranks", quick: true, packageRoot: "/nonexistent")
        for k in ["cpu_model", "cores_per_node", "build_configuration", "build_flags", "openblas_core", "convolution_engine", "mpi_library",
                  "slurm_job_id", "slurm_nodelist"] {
            XCTAssertNotNil(env[k], k)
        }
        XCTAssertEqual(BenchEnvironment.machine(environment: ["SLURM_JOB_ID": "7", "SLURM_JOB_NODELIST": "n[1-4]"])["slurm_nodelist"], "n[1-4]")
        XCTAssertEqual(BenchEnvironment.datasetsFolder(flag: nil, environment: [:]), nil)
        XCTAssertNil(BenchEnvironment.kaggleRoot(for: BenchEnvironment.hard1k, datasets: nil, environment: [:]))
    }
}
