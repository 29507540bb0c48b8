// ExecutorSettings: how a CircuitExecutor runs (threads, and the qubit counts at which it switches
// engine), handed in at construction so two executors in one process never share a switch.
// CircuitCounters: what an executor actually ran, counted where the circuits execute.

import Core

public struct ExecutorSettings: Sendable, Equatable {
    /// Worker threads for the batch (or, for one large state, the amplitudes).
    public var threads: Threads
    /// Circuits up to this many qubits run on the lane layout (laneWidth samples per SIMD
    /// vector); larger ones on the shard kernels. 0 sends every circuit to the shard kernels.
    public var laneMaxQubits: Int
    /// Qubit count from which a single state (batch 1) is split over threads by amplitude.
    public var amplitudeParallelQubits: Int

    public init(threads: Threads, laneMaxQubits: Int = 12, amplitudeParallelQubits: Int = 14) {
        self.threads = threads
        self.laneMaxQubits = laneMaxQubits
        self.amplitudeParallelQubits = amplitudeParallelQubits
    }

    /// One thread, default thresholds: for one-off evaluations (fixtures, `qlayer`, unitaries).
    public static let serial = ExecutorSettings(threads: .serial)
}

/// Circuit executions counted by an executor since its creation.
public struct CircuitCounters: Sendable, Equatable, CustomStringConvertible {
    /// Samples run forward (one circuit each) by `forward`.
    public var forward = 0
    /// Shifted circuits run by the parameter-shift rule (two per shift term and angle and sample).
    public var shifted = 0
    /// Samples differentiated by an adjoint sweep (one backward pass over the stored state each).
    public var adjointSweeps = 0

    public init(forward: Int = 0, shifted: Int = 0, adjointSweeps: Int = 0) {
        self.forward = forward; self.shifted = shifted; self.adjointSweeps = adjointSweeps
    }

    /// Circuit evaluations as PennyLane counts them: forward runs plus shifted runs (an adjoint
    /// sweep reuses its forward's state and is not a separate execution).
    public var evaluations: Int { forward + shifted }

    public static func + (a: Self, b: Self) -> Self {
        Self(forward: a.forward + b.forward, shifted: a.shifted + b.shifted, adjointSweeps: a.adjointSweeps + b.adjointSweeps)
    }
    public static func - (a: Self, b: Self) -> Self {
        Self(forward: a.forward - b.forward, shifted: a.shifted - b.shifted, adjointSweeps: a.adjointSweeps - b.adjointSweeps)
    }

    public var description: String { "\(forward) forward, \(shifted) shifted, \(adjointSweeps) adjoint sweeps" }
}
