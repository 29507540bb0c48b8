// Memory of one circuit evaluated on a statevector sharded over k ranks (ShardedStatevector,
// ShardedGradients), per rank, from the buffers those types allocate: a shard of re + im
// (16 B x 2^n / k); with k > 1 each state also keeps a send and a receive buffer of one message
// each (QubitRemap's swap: min(exchangeChunk, half a shard) complex amplitudes); the adjoint
// holds two states (phi and lambda), the parameter-shift rule one. Samples run one after another, so the batch does not multiply it.

import Core

public struct ShardedMemory: Sendable, Equatable {
    public let qubits: Int
    public let ranks: Int
    public let method: DiffMethod

    public init(qubits: Int, ranks: Int, method: DiffMethod) {
        precondition(qubits >= 1 && ranks >= 1 && ranks & (ranks - 1) == 0, "ShardedMemory needs qubits >= 1 and a power-of-two rank count")
        self.qubits = qubits; self.ranks = ranks; self.method = method
    }

    /// Bytes of one whole statevector (complex double amplitudes).
    public var bytesPerState: Double { 16 * Double(sign: .plus, exponent: qubits, significand: 1) }
    /// Bytes of this rank's shard of one state.
    public var bytesPerShard: Double { bytesPerState / Double(ranks) }
    /// States a backward holds at once: phi and lambda for the adjoint, one for parameter shift.
    public var statesHeld: Int { method == .adjoint ? 2 : 1 }
    /// One remap message's buffer: min(exchangeChunk, half a shard) complex amplitudes.
    public var bytesPerMessage: Double { 16 * Swift.min(Double(ShardedStatevector.defaultExchangeChunk), bytesPerShard / 32) }
    /// Per state: its shard, plus the send and receive buffers of one message each when split.
    public var bytesPerRank: Double { Double(statesHeld) * (bytesPerShard + (ranks > 1 ? 2 * bytesPerMessage : 0)) }
}
