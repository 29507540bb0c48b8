// StatevectorPlan: how many ranks form a state group (`statevectorRanks`, or the fewest that fit
// for `auto`), decided at start from the config and the job's rank count, and the refusal, with
// the numbers and the fix, of a quantum config that cannot fit its statevector memory budget
// (`statevectorMemoryMB`) even spread over every rank the job has.
//
// What a group's k ranks share depends on the circuits (GroupWork): an HQNN circuit's statevector
// is split by amplitudes (ShardedStatevector); a trainable QNN's 4-qubit patch state (16
// amplitudes) is too small to split, so the group splits the patch circuits instead, each rank
// simulating whole states of 1/k of them (SampleSharedExecutor).
//
// The bytes come from the layers' own sizing rules: unsharded, a QuantumLayer's executors hold
// every image's state of every circuit copy (CircuitExecutor.stateBytes); sharded over k ranks,
// one sample's states at a time, 1/k of each (ShardedMemory); QNN patches shared by k ranks, the
// states of this rank's 1/k of the patches (QuanvLayer.stateBytes).

import Config
import Core
import Foundation
import Models
import Quantum

public struct StatevectorPlan: Equatable {
    /// What the ranks of a state group share.
    enum GroupWork: Equatable {
        /// Nothing: the model has no circuit a group can share (Classic, twins, fixed or cached QNN).
        case none
        /// Every HQNN circuit's statevector, split by amplitudes.
        case amplitudes
        /// The trainable QNN's patch circuits, split by patches (whole 4-qubit states per rank).
        case circuits
    }
    let work: GroupWork
    /// Ranks per state group (k) and data-parallel groups (world / k).
    let statevectorRanks: Int
    let groups: Int
    /// The most images one rank's group gets in a step.
    let perRankBatch: Int
    /// Statevector bytes one rank holds with this plan, and the budget.
    let bytesPerRank: Double
    let budgetBytes: Double

    /// `statevectorMemoryMB`, or half of the machine's memory when 0.
    public static func budgetBytes(_ config: Config, physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> Double {
        config.statevectorMemoryMB > 0 ? config.statevectorMemoryMB * 1e6 : Double(physicalMemory) / 2
    }

    /// What a state group of the config's model can share.
    static func groupWork(_ config: Config) -> GroupWork {
        guard config.modelType == .quantum && !config.classicalTwin else { return .none }
        switch config.quanType {
        case .hqnn: return .amplitudes
        case .qnn: return config.trainable ? .circuits : .none
        }
    }

    /// Statevector bytes per rank for k ranks per state in a job of `worldSize` ranks.
    static func bytesPerRank(_ config: Config, statevectorRanks k: Int, worldSize: Int, threads: Threads = .serial) -> Double {
        let method = QuantumSettings(config).diff.method
        if k > 1 { return ShardedMemory(qubits: config.nQubits, ranks: k, method: method).bytesPerRank }
        let probe = QuantumLayer(circuits: config.nQuantumLayers, qubits: config.nQubits, layers: config.nLayers,
                                 template: QuantumSettings(config).template, diffMethod: method, executor: ExecutorSettings(threads: threads))
        return Double(probe.stateBytes(batch: RankBatch.largestShare(global: config.batchSize, ranks: worldSize)).total)
    }

    /// The plan for `config` on `worldSize` ranks. Throws when statevectorRanks does not suit the
    /// job or model, or when no allowed k fits the budget.
    /// `threads`: the run's (the unsharded adjoint keeps one workspace per worker thread).
    static func resolve(_ config: Config, worldSize: Int, threads: Threads = .serial,
                        physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) throws -> StatevectorPlan {
        let budget = budgetBytes(config, physicalMemory: physicalMemory)
        let work = groupWork(config)
        func plan(_ k: Int, _ bytes: Double) -> StatevectorPlan {
            StatevectorPlan(work: k > 1 ? work : .none, statevectorRanks: k, groups: worldSize / k,
                            perRankBatch: RankBatch.largestShare(global: config.batchSize, ranks: worldSize / k),
                            bytesPerRank: bytes, budgetBytes: budget)
        }
        switch work {
        case .none:
            if config.statevectorRanks > 1 {
                throw DeepfakeError("statevectorRanks is \(config.statevectorRanks) but this \(config.modelLabel) model has no circuit a group of ranks can share "
                    + "(HQNN circuits are sharded by amplitudes and a trainable QNN's patch circuits split between the ranks; "
                    + "a QNN with trainable: false runs its fixed circuit as a layer without gradients (patch: true) or reads cached features, "
                    + "whole on every rank): "
                    + "set statevectorRanks: 1 (or auto), or trainable: true to share the QNN's patches")
            }
            return plan(1, 0)  // the model's own memory check (QuantumModels.checkStateMemory) follows
        case .circuits:
            return try circuitsPlan(config, worldSize: worldSize, threads: threads, budget: budget, plan: plan)
        case .amplitudes:
            break
        }
        let n = config.nQubits
        let fixed = config.statevectorRanks
        if fixed > 0 {
            try ProcessGrid.validate(statevectorRanks: fixed, worldSize: worldSize)
            guard n - fixed.trailingZeroBitCount >= 3 else {
                throw DeepfakeError("statevectorRanks \(fixed) leaves \(n - fixed.trailingZeroBitCount) local qubit(s) of nQubits \(n) per rank; "
                    + "at least 3 are needed: use statevectorRanks \(1 << Swift.max(0, n - 3)) or fewer")
            }
        }
        let candidates = fixed > 0 ? [fixed] : ProcessGrid.candidates(worldSize: worldSize).filter { n - $0.trailingZeroBitCount >= 3 }
        let sized = candidates.map { ($0, bytesPerRank(config, statevectorRanks: $0, worldSize: worldSize, threads: threads)) }
        if let fit = sized.first(where: { $0.1 <= budget }) { return plan(fit.0, fit.1) }
        throw DeepfakeError(refusal(config, worldSize: worldSize, tried: sized, budget: budget))
    }

    /// A trainable QNN's plan: `statevectorRanks` k, or for auto the fewest ranks sharing the patch
    /// circuits whose share of the states fits the budget (any power of two dividing the world: a
    /// batch has thousands of patches). A group of k holding 1/k of its batch's patch states per
    /// rank holds about what k data-parallel groups hold, so auto rarely picks k > 1: sharing is
    /// for spreading the circuit work of a batch, chosen with a fixed statevectorRanks.
    private static func circuitsPlan(_ config: Config, worldSize: Int, threads: Threads, budget: Double,
                                     plan: (Int, Double) -> StatevectorPlan) throws -> StatevectorPlan {
        let fixed = config.statevectorRanks
        if fixed > 0 { try ProcessGrid.validate(statevectorRanks: fixed, worldSize: worldSize) }
        let probe = QuanvLayer(channels: config.numChannels, seed: 0, mode: .trainable, mean: [Float](repeating: 0, count: config.numChannels),
                               std: [Float](repeating: 1, count: config.numChannels), diffMethod: QuantumSettings(config).diff.method, threads: threads)
        let sized = (fixed > 0 ? [fixed] : ProcessGrid.candidates(worldSize: worldSize)).map { k in
            (k, Double(probe.stateBytes(images: RankBatch.largestShare(global: config.batchSize, ranks: worldSize / k),
                                        height: config.imageHeight, width: config.imageWidth, ranks: k).total))
        }
        // A fixed k is checked against the budget by the model's memory check (QuantumModels.checkStateMemory).
        if fixed > 0, let (k, b) = sized.first { return plan(k, b) }
        if let fit = sized.first(where: { $0.1 <= budget }) { return plan(fit.0, fit.1) }
        func mb(_ b: Double) -> String { String(format: "%.3f MB", b / 1e6) }
        throw DeepfakeError("\(config.modelLabel) (trainable) does not fit its statevector memory budget of \(mb(budget)) per rank on \(worldSize) rank(s): "
            + "its 4-qubit patch states need " + sized.map { "\(mb($0.1)) per rank with \($0.0) rank(s) sharing the patches" }.joined(separator: "; ")
            + ". Fix: more ranks (each holds the states of fewer patches, whether as data-parallel groups or sharing them); "
            + "or a smaller batchSize or image size; "
            + "or a larger statevectorMemoryMB if the machine has the memory")
    }

    /// The refusal: what one state costs, what the adjoint holds, what each allowed k needs per
    /// rank against the budget, and the ways out.
    static func refusal(_ config: Config, worldSize: Int, tried: [(Int, Double)], budget: Double) -> String {
        let method = QuantumSettings(config).diff.method
        let n = config.nQubits
        let one = ShardedMemory(qubits: n, ranks: 1, method: method)
        func mb(_ b: Double) -> String { b >= 1e9 ? String(format: "%.2f GB", b / 1e9) : String(format: "%.3f MB", b / 1e6) }
        let held = method == .adjoint ? "the adjoint holds 2 states per sample (phi and lambda)" : "parameter shift holds 1 state per sample"
        let needs = tried.map { k, b in
            k == 1 ? "1 rank per state: \(mb(b)) per rank (\(config.nQuantumLayers) circuit(s) x \(RankBatch.largestShare(global: config.batchSize, ranks: worldSize)) image(s) per rank of batchSize \(config.batchSize), states kept for the backward)"
                : "\(k) ranks per state: \(mb(b)) per rank (1/\(k) of each state, plus exchange buffers; one sample at a time)"
        }
        // The fewest ranks per state that would fit, if sharding can fit at all (>= 3 local qubits).
        var k = 2, enough: Int? = nil
        while n - k.trailingZeroBitCount >= 3 {
            if ShardedMemory(qubits: n, ranks: k, method: method).bytesPerRank <= budget { enough = k; break }
            k *= 2
        }
        let more = enough.map { "more ranks: statevectorRanks \($0) (or auto) on a multiple of \($0) ranks, e.g. srun -n \($0)" }
            ?? "more ranks cannot help: even \(1 << Swift.max(0, n - 3)) ranks per state (3 local qubits each) exceed the budget"
        return "\(config.modelLabel) with nQubits \(n) does not fit its statevector memory budget of \(mb(budget)) per rank "
            + "(statevectorMemoryMB \(config.statevectorMemoryMB == 0 ? "0 = half of this machine's memory" : String(config.statevectorMemoryMB))) "
            + "on \(worldSize) rank(s): one state is 2^\(n) x 16 B = \(mb(one.bytesPerState)); diffType \(config.diffType.rawValue): \(held); "
            + "needed: " + needs.joined(separator: "; ")
            + ". Fix: \(more); or a smaller batchSize (unsharded states scale with it); or fewer qubits (each qubit less halves a state); "
            + "or a larger statevectorMemoryMB if the machine has the memory"
    }
}

/// The plan turned into communicators, and its log line.
enum GridSetup {
    /// Splits `world` as the plan says (collective when k > 1: every rank calls it).
    static func grid(_ plan: StatevectorPlan, world: any Communicator) throws -> ProcessGrid {
        guard plan.statevectorRanks > 1 else { return ProcessGrid(unsharded: world) }
        guard let splittable = world as? any SplittableCommunicator else {
            throw DeepfakeError("statevectorRanks \(plan.statevectorRanks) needs a communicator that can be split into groups (MPI or in-process ranks)")
        }
        return try ProcessGrid(world: splittable, statevectorRanks: plan.statevectorRanks)
    }

    static func describe(_ plan: StatevectorPlan, worldSize: Int) -> String {
        let k = plan.statevectorRanks
        let shared = plan.work == .circuits
            ? "\(k) rank(s) sharing the patch circuits (split by patches: each rank simulates whole 4-qubit states of 1/\(k) of them)"
            : "\(k) rank(s) per statevector"
        return "process grid: \(worldSize) rank(s) = \(plan.groups) data-parallel group(s) x \(shared); \(plan.perRankBatch) image(s) per group per step; "
            + String(format: "statevectors %.3f MB per rank of a %.3f MB budget", plan.bytesPerRank / 1e6, plan.budgetBytes / 1e6)
    }
}
