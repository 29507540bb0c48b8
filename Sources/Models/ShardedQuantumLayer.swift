// The circuits of a QuantumLayer evaluated on statevectors sharded over the k ranks of a state
// group (ProcessGrid.state): the sharded counterpart of CircuitExecutor. Every rank of the group
// hands in the same samples and weights and gets the same <Z_i> and gradients back (the sharded
// reductions make them identical), so the rest of the network runs unchanged on each rank.
//
// Samples run one after another, each on one sharded state of 2^n / k amplitudes per rank:
// sharding exists for states too large for one process, where a batch of them would not fit
// either. The states (phi, and the adjoint's lambda) are allocated once and kept (ShardedCircuit):
// a layer holds what its backward needs all along instead of allocating it per sample. The
// backward recomputes each sample's forward (ShardedCircuit.vjp) instead of keeping batch-many
// sharded states from the forward (memory over time; counted as forward runs).
// Exchanges, bytes sent and passes over the shard (counters.statePasses) are the sharded
// states' own counts.

import Core
import Quantum

/// Messages a rank's sharded states exchanged with partner ranks.
public struct StateTraffic: Sendable, Equatable {
    public var exchanges = 0
    public var bytesSent = 0
    public init(exchanges: Int = 0, bytesSent: Int = 0) { self.exchanges = exchanges; self.bytesSent = bytesSent }
    public static func + (a: Self, b: Self) -> Self { Self(exchanges: a.exchanges + b.exchanges, bytesSent: a.bytesSent + b.bytesSent) }
    public static func - (a: Self, b: Self) -> Self { Self(exchanges: a.exchanges - b.exchanges, bytesSent: a.bytesSent - b.bytesSent) }
}

public final class ShardedCircuitRunner {
    public let circuit: Circuit
    public let communicator: any Communicator
    public let threads: Threads
    public let method: DiffMethod
    /// Circuit runs since creation (forward includes the backward's recomputed forwards).
    public private(set) var counters = CircuitCounters()
    /// Exchanges and bytes this rank's sharded states sent since creation.
    public private(set) var traffic = StateTraffic()
    private var inputs: [Double] = []
    private var weights: [Double] = []
    private var batch = 0

    /// - Precondition: the rank count is a power of two leaving at least 3 local qubits (the
    ///   training plan refuses other configs with a message before building the model).
    public init(circuit: Circuit, communicator: any Communicator, threads: Threads, method: DiffMethod) {
        let k = communicator.size
        precondition(k >= 1 && k & (k - 1) == 0 && circuit.nQubits - k.trailingZeroBitCount >= 3,
                     "ShardedCircuitRunner: \(circuit.nQubits) qubits cannot be sharded over \(k) ranks")
        self.circuit = circuit; self.communicator = communicator; self.threads = threads; self.method = method
    }

    /// The circuit's schedule and sharded states, made on first use and kept across samples
    /// and steps (the init checked what ShardedCircuit.init throws for).
    private lazy var sharded: ShardedCircuit = {
        do { return try ShardedCircuit(circuit: circuit, communicator: communicator, threads: threads) } catch {
            preconditionFailure("ShardedCircuitRunner: \(error)")
        }
    }()

    /// <Z_0..Z_{n-1}> of every sample, [batch * n]; `inputs` is [batch * nInputs].
    public func forward(inputs: [Double], batch: Int, weights: [Double]) -> [Double] {
        let n = circuit.nQubits, m = circuit.nInputs
        precondition(inputs.count == batch * m && weights.count == circuit.nWeights, "ShardedCircuitRunner.forward: bad input sizes")
        self.inputs = inputs; self.weights = weights; self.batch = batch
        guard batch > 0 else { return [] }
        var out = [Double](repeating: 0, count: batch * n)
        let before = sharded.counts
        for b in 0..<batch {
            let z = sharded.forward(inputs: Array(inputs[(b * m)..<((b + 1) * m)]), weights: weights)
            for i in 0..<n { out[b * n + i] = z[i] }
        }
        let after = sharded.counts
        counters.forward += batch
        counters.statePasses += after.passes - before.passes
        traffic = traffic + StateTraffic(exchanges: after.exchanges - before.exchanges, bytesSent: after.bytesSent - before.bytesSent)
        return out
    }

    /// Input gradients [batch * nInputs] and weight gradients (summed over the batch) of
    /// sum_b,i upstream[b*n+i] <Z_i>(sample b), for the samples of the last forward.
    public func backward(upstream: [Double]) -> (inputs: [Double], weights: [Double]) {
        let n = circuit.nQubits, m = circuit.nInputs
        precondition(upstream.count == batch * n, "ShardedCircuitRunner.backward: upstream has \(upstream.count) values, expected \(batch * n)")
        var gi = [Double](repeating: 0, count: batch * m), gw = [Double](repeating: 0, count: circuit.nWeights)
        for b in 0..<batch {
            let v = sharded.vjp(inputs: Array(inputs[(b * m)..<((b + 1) * m)]), weights: weights,
                                upstream: Array(upstream[(b * n)..<((b + 1) * n)]), method: method)
            for j in 0..<m { gi[b * m + j] = v.inputs[j] }
            for j in 0..<gw.count { gw[j] += v.weights[j] }
            counters.forward += 1
            counters.statePasses += v.statePasses
            if method == .adjoint { counters.adjointSweeps += 1 } else { counters.shifted += v.forwardRuns - 1 }
            traffic = traffic + StateTraffic(exchanges: v.exchanges, bytesSent: v.bytesSent)
        }
        return (gi, gw)
    }
}
