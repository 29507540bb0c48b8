// The `sharded` suite: one statevector split over 2^k ranks (Quantum.ShardedStatevector), one
// StronglyEntangling layer on it, at several qubit counts. The parent launches
// `bench sharded-child SPEC OUT` once per (round, R) (Launcher: srun or mpirun), so repeats
// interleave across rank counts; each child applies one untimed warm-up layer and one timed
// layer per qubit count (on the blocked schedule: BlockedPlan.swift, on each rank's shard) and
// writes its own JSON. A row per (qubits, R): every repeat's seconds per layer (the slowest
// rank, between barriers), passes over each rank's shard and shard exchanges per layer (counted
// by the state), bytes each rank sent (counted by the state: half a shard per remap swap), and at
// small sizes the largest amplitude difference to the unsharded state simulated gate by gate in
// one process. Efficiency against the 1-rank row is the report's ratio.
//
// Gradients: each child also times one adjoint gradient of the same layer on the sharded state
// (ShardedAdjointTiming: Quantum.ShardedCircuit.vjp, one untimed warm-up, then one timed; it
// includes the gradient's own forward); the row keeps the median over the repeats as `gradient_s`
// and the passes, exchanges and bytes the gradient's sharded states counted (the report shows the
// columns once any row has them).

import Core
import Foundation
import Quantum
import Reporting

/// What one timed gradient on a sharded state took: seconds on this rank, the passes over this
/// rank's shards, and the exchanges and bytes this rank's sharded states sent (counted by the states).
public struct ShardedGradientFigures: Codable, Sendable, Equatable {
    public var seconds: Double
    public var passes: Int
    public var exchanges: Int
    public var bytesSent: Int
    public init(seconds: Double, passes: Int, exchanges: Int, bytesSent: Int) {
        self.seconds = seconds; self.passes = passes; self.exchanges = exchanges; self.bytesSent = bytesSent
    }
}

/// Times one gradient of `circuit` (weights `weights`) on a state sharded like `state`.
public protocol ShardedGradientTiming: Sendable {
    func gradient(state: ShardedStatevector, circuit: Circuit, weights: [Double]) throws -> ShardedGradientFigures
}

/// The sharded adjoint (ShardedCircuit.vjp) of d(sum_i <Z_i>), over `state`'s communicator and
/// threads: one untimed warm-up (first touch of phi, lambda and their exchange buffers, which
/// the circuit keeps, as a training layer does), then one timed between barriers.
public struct ShardedAdjointTiming: ShardedGradientTiming {
    public init() {}
    public func gradient(state: ShardedStatevector, circuit: Circuit, weights: [Double]) throws -> ShardedGradientFigures {
        let comm = state.communicator, up = [Double](repeating: 1, count: circuit.nQubits)
        let sharded = try ShardedCircuit(circuit: circuit, communicator: comm, threads: state.threads)
        func once() -> ShardedVJP { sharded.vjp(inputs: [], weights: weights, upstream: up, method: .adjoint) }
        _ = once()
        comm.barrier()
        let t0 = WallClock.now()
        let v = once()
        comm.barrier()
        return ShardedGradientFigures(seconds: WallClock.now() - t0, passes: v.statePasses, exchanges: v.exchanges, bytesSent: v.bytesSent)
    }
}

/// What the sharded study runs.
public struct ShardedStudy: Sendable {
    public var qubits: [Int] = [22, 24, 26]
    public var rankCounts: [Int] = [1, 2, 4]
    /// Qubit counts up to this also run the unsharded reference in every rank (memory: the whole state per rank).
    public var checkMaxQubits = 16
    /// Qubits per rank at most (2^n x 16 bytes each: 30 = 16 GiB); larger counts are skipped at that R.
    public var maxLocalQubits = 30
    public var threadsPerRank = 1
    public var plan = RepeatPlan.standard(quick: false)

    public init() {}

    /// `--quick`: 10 and 12 qubits on 1 and 2 ranks, both checked, 2 repeats.
    public static var quick: ShardedStudy {
        var s = ShardedStudy()
        s.qubits = [10, 12]; s.rankCounts = [1, 2]; s.plan = .standard(quick: true)
        return s
    }
}

struct ShardedSpec: Codable { var qubits: [Int]; var checkMaxQubits: Int; var seed: UInt64 }

public enum ShardedChild {
    struct Point: Codable {
        var seconds: Double; var exchanges: Int; var bytesSent: Double; var maxDiff: Double?; var gradientSeconds: Double?
        var gradientExchanges: Int? = nil; var gradientBytesSent: Int? = nil
        var passes: Int? = nil; var gradientPasses: Int? = nil
    }
    struct Report: Codable { var rank: Int; var placement: String; var points: [String: Point] }

    /// The layer the suite times: StronglyEntangling, one layer, seeded weights.
    static func layer(_ qubits: Int, seed: UInt64) -> (Circuit, [Double]) {
        var c = Circuit(nQubits: qubits, nInputs: 0, nWeights: qubits * 3)
        Templates.stronglyEntangling(&c, layers: 1)
        return (c, QuantumBenchmarks.randomValues(c.nWeights, seed: seed))
    }

    public static func run(specPath: String, outDirectory: String, communicator comm: any Communicator,
                           gradient: (any ShardedGradientTiming)? = ShardedAdjointTiming()) throws {
        guard let data = FileManager.default.contents(atPath: specPath) else { throw DeepfakeError("cannot read the sharded spec \(specPath)") }
        let spec = try JSONDecoder().decode(ShardedSpec.self, from: data)
        var report = Report(rank: comm.rank, placement: RankPlacement.current(), points: [:])
        for n in spec.qubits {
            let (circuit, weights) = layer(n, seed: spec.seed)
            let state = try ShardedStatevector(qubits: n, communicator: comm)
            state.apply(circuit, weights: weights)   // warm-up: first-touch pages of the shard and the peer buffers
            state.reset(); state.resetLayout()       // the timed layer starts from |0> in the canonical layout too
            let before = state.exchanges, sentBefore = state.bytesSent, passesBefore = state.statePasses
            comm.barrier()
            let t0 = WallClock.now()
            state.apply(circuit, weights: weights, fromZeroState: true)
            comm.barrier()
            let seconds = comm.allreduceMax(WallClock.now() - t0)
            let exchanges = state.exchanges - before
            // Bytes as the state counted them (a remap swap sends half a shard, a whole-shard swap all of it).
            var point = Point(seconds: seconds, exchanges: exchanges,
                              bytesSent: Double(state.bytesSent - sentBefore), maxDiff: nil, gradientSeconds: nil,
                              passes: state.statePasses - passesBefore)
            if n <= spec.checkMaxQubits {
                state.restoreLayout()   // remapping leaves wires on other bits: compare in the canonical layout
                let full = try ShardedStatevector(qubits: n, communicator: SingleProcessCommunicator())
                full.apply(circuit, weights: weights, remap: false)   // the reference: gate by gate
                let base = comm.rank << state.localQubits
                var diff = 0.0
                for k in 0..<state.re.count {
                    diff = Swift.max(diff, abs(state.re[k] - full.re[base + k]), abs(state.im[k] - full.im[base + k]))
                }
                point.maxDiff = comm.allreduceMax(diff)
            }
            if let g = gradient {
                state.reset()
                let f = try g.gradient(state: state, circuit: circuit, weights: weights)
                point.gradientSeconds = comm.allreduceMax(f.seconds)
                point.gradientExchanges = f.exchanges
                point.gradientBytesSent = f.bytesSent
                point.gradientPasses = f.passes
            }
            report.points["\(n)"] = point
        }
        let path = (outDirectory as NSString).appendingPathComponent("rank-\(comm.rank).json")
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    static func readReports(_ directory: String, ranks: Int) throws -> [Report] {
        try ChildRound.readReports(directory, ranks: ranks)
    }
}

public enum ShardedSuite {
    static func rowName(_ n: Int, ranks: Int) -> String { "layer \(n)q R\(ranks)" }

    public static func run(_ s: ShardedStudy, executable: String, launcher: Launcher, outDirectory: String,
                           log: (String) -> Void = { print($0) }) throws -> [BenchRecord] {
        let work = (outDirectory as NSString).appendingPathComponent(
            "sharded-work-\(BenchResultFile.utcStamp(Date()))-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let children = ChildRound(launcher: launcher, executable: executable, work: work, threadsPerRank: s.threadsPerRank)
        for r in s.rankCounts where r < 1 || r & (r - 1) != 0 {
            throw DeepfakeError("sharded rank count \(r) is not a power of two: use 1, 2, 4, 8, ...")
        }
        var seconds: [String: [Double]] = [:], gradientSeconds: [String: [Double]] = [:], last: [String: ShardedChild.Point] = [:], placements: [String: [String]] = [:]
        for round in 0..<s.plan.repeats {
            for ranks in s.rankCounts {
                let qubits = s.qubits.filter { $0 - ranks.trailingZeroBitCount >= 3 && $0 - ranks.trailingZeroBitCount <= s.maxLocalQubits }
                guard !qubits.isEmpty else { continue }
                log("sharded suite: round \(round + 1)/\(s.plan.repeats), \(ranks) rank(s), qubits \(qubits)")
                let reports: [ShardedChild.Report] = try children.run(
                    "sharded-child", spec: ShardedSpec(qubits: qubits, checkMaxQubits: s.checkMaxQubits, seed: 3),
                    round: round, ranks: ranks, log: log)
                for n in qubits {
                    let name = rowName(n, ranks: ranks)
                    let p = reports[0].points["\(n)"]!
                    seconds[name, default: []].append(p.seconds)
                    if let g = p.gradientSeconds { gradientSeconds[name, default: []].append(g) }
                    last[name] = p
                    placements[name] = reports.map(\.placement)
                }
            }
        }
        var out: [BenchRecord] = []
        for n in s.qubits {
            for ranks in s.rankCounts {
                let name = rowName(n, ranks: ranks)
                guard let p = last[name], let t = seconds[name] else { continue }
                let (circuit, _) = ShardedChild.layer(n, seed: 3)
                let res = CircuitResources(circuit)
                var r = BenchRecord(row: BenchmarkRow(name: name, accuracy: .nan, loss: .nan, auc: .nan, gateCounts: res.gateCounts,
                                                      depth: res.depth, qubits: n, parameters: res.trainableParameters,
                                                      wallSeconds: t.reduce(0, +)),
                                    model: "Quantum", dataset: "random", batchSize: 1, threads: ranks * s.threadsPerRank,
                                    throughput: 1 / Spread(t).median, throughputUnit: "layers/s",
                                    baseline: ranks == s.rankCounts[0] ? "" : rowName(n, ranks: s.rankCounts[0]),
                                    note: "\(launcher.binding(threadsPerRank: s.threadsPerRank)); one StronglyEntangling layer, blocked schedule (2^\(ExecutorSettings.defaultBlockQubits)-amplitude blocks per shard); 1 warm-up layer per launch"
                                        + (gradientSeconds[name] == nil ? "" : "; gradient: sharded adjoint incl. its forward, median of \(gradientSeconds[name]!.count), 1 warm-up"))
                r.scaling = "strong"
                r.ranks = ranks
                r.threadsPerRank = s.threadsPerRank
                r.nodes = RankPlacement.nodes(placements[name] ?? [])
                r.hosts = (placements[name] ?? []).joined(separator: "; ")
                r.repeatSeconds = t
                r.figures["exchanges_per_layer"] = Double(p.exchanges)
                if let q = p.passes { r.figures["passes_per_layer"] = Double(q) }
                r.figures["bytes_sent_per_rank"] = p.bytesSent
                r.figures["state_bytes"] = Double(1 << n) * 16
                if let d = p.maxDiff { r.figures["max_amplitude_diff"] = d }
                if let g = gradientSeconds[name], !g.isEmpty { r.figures["gradient_s"] = Spread(g).median }
                if let e = p.gradientExchanges { r.figures["gradient_exchanges"] = Double(e) }
                if let b = p.gradientBytesSent { r.figures["gradient_bytes_sent_per_rank"] = Double(b) }
                if let q = p.gradientPasses { r.figures["gradient_passes"] = Double(q) }
                out.append(r)
            }
        }
        return out
    }
}
