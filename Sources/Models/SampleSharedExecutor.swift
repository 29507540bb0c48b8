// A batch of small circuits whose samples are split over the k ranks of a state group
// (ProcessGrid.state), for the trainable QNN's 4-qubit patch circuits: a 16-amplitude state is far
// too small to split its amplitudes (ShardedCircuitRunner does that for HQNN), so the group shares
// the WORK instead. Every rank hands in the same batch; rank r runs its contiguous share of the
// samples (RankBatch over samples, shares differ by at most one) on its own CircuitExecutor, whole
// states in its own memory, and the group combines the shares: <Z> and input gradients by
// allgather (rank order = sample order), weight gradients by allreduce. So every rank of the
// group gets the same results as one executor running the whole batch, up to the order of the
// weight-gradient sum (k partial sums added, ~1e-16 relative in Double).
//
// Counters are this rank's executor's: the circuits this rank ran (its share), not the group's.

import Core
import Quantum

public final class SampleSharedExecutor {
    public let circuit: Circuit
    public let group: any Communicator
    private let executor: CircuitExecutor
    /// This rank's rows of the last forward's batch.
    private var share = 0..<0
    private var batch = 0

    public init(circuit: Circuit, settings: ExecutorSettings, group: any Communicator) {
        self.circuit = circuit; self.group = group
        executor = CircuitExecutor(circuit: circuit, settings: settings)
    }

    /// Ranks sharing the samples.
    public var ranks: Int { group.size }
    /// Circuit runs of this rank's share since creation.
    public var counters: CircuitCounters { executor.counters }

    /// Statevector memory one rank holds for a forward + backward of `batch` samples: its share's,
    /// the largest of `ranks` shares (default: this group's).
    public func stateBytes(batch: Int, method: DiffMethod, ranks: Int? = nil) -> StateBytes {
        executor.stateBytes(batch: RankBatch.largestShare(global: batch, ranks: ranks ?? group.size), method: method)
    }

    /// <Z_0..Z_{n-1}> of every sample of the batch, [batch * nQubits], the same on every rank.
    /// Collective: every rank of the group calls it with the same batch.
    public func forward(inputs: [Double], batch: Int, weights: [Double]) -> [Double] {
        let m = circuit.nInputs
        precondition(inputs.count == batch * m && weights.count == circuit.nWeights, "SampleSharedExecutor.forward: bad input sizes")
        self.batch = batch
        share = RankBatch(global: batch, rank: group.rank, ranks: group.size).range
        // Alone (the default: no state group), the share is the whole batch: no copy, no gather.
        if group.size == 1 { return executor.forward(inputs: inputs, batch: batch, weights: weights) }
        let mine = share.isEmpty ? [] : executor.forward(inputs: Array(inputs[(share.lowerBound * m)..<(share.upperBound * m)]),
                                                         batch: share.count, weights: weights)
        return group.allgather(mine)
    }

    /// Input gradients [batch * nInputs] and weight gradients (summed over the whole batch) of
    /// sum_b,i upstream[b*n+i] <Z_i>(sample b) for the last forward's batch, the same on every rank.
    /// Collective, like `forward`; each rank differentiates its own share by `method`.
    public func backward(upstream: [Double], method: DiffMethod) -> (inputs: [Double], weights: [Double]) {
        let n = circuit.nQubits
        precondition(upstream.count == batch * n, "SampleSharedExecutor.backward: upstream has \(upstream.count) values, expected \(batch * n)")
        if group.size == 1 { return executor.backward(upstream: upstream, method: method) }
        var gi: [Double] = [], gw = [Double](repeating: 0, count: circuit.nWeights)
        if !share.isEmpty {
            (gi, gw) = executor.backward(upstream: Array(upstream[(share.lowerBound * n)..<(share.upperBound * n)]), method: method)
        }
        group.allreduceSum(&gw)
        return (group.allgather(gi), gw)
    }
}
