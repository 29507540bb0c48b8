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
    /// Shard-path states run on the blocked schedule (BlockedPlan.swift) in blocks of
    /// 2^blockQubits amplitudes (2^15 x 16 bytes = 512 KiB: half this machine's 1 MiB L2 per
    /// core); 0 runs them gate by gate (the reference path).
    public var blockQubits: Int
    /// The block size both the executor and the sharded statevector default to.
    public static let defaultBlockQubits = 15

    public init(threads: Threads, laneMaxQubits: Int = 12, amplitudeParallelQubits: Int = 14,
                blockQubits: Int = ExecutorSettings.defaultBlockQubits) {
        self.threads = threads
        self.laneMaxQubits = laneMaxQubits
        self.amplitudeParallelQubits = amplitudeParallelQubits
        self.blockQubits = blockQubits
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
    /// Sweeps over a whole shard-path state that apply gates: one per step gate by gate, one per
    /// block pass or permutation on the blocked schedule (an adjoint pass sweeps phi and lambda
    /// together and counts once). Preparing |0> and the <Z> readout are not counted; the lane
    /// engine (small batched circuits) is not counted.
    public var statePasses = 0

    public init(forward: Int = 0, shifted: Int = 0, adjointSweeps: Int = 0, statePasses: Int = 0) {
        self.forward = forward; self.shifted = shifted; self.adjointSweeps = adjointSweeps; self.statePasses = statePasses
    }

    /// Circuit evaluations as PennyLane counts them: forward runs plus shifted runs (an adjoint
    /// sweep reuses its forward's state and is not a separate execution).
    public var evaluations: Int { forward + shifted }

    public static func + (a: Self, b: Self) -> Self {
        Self(forward: a.forward + b.forward, shifted: a.shifted + b.shifted, adjointSweeps: a.adjointSweeps + b.adjointSweeps,
             statePasses: a.statePasses + b.statePasses)
    }
    public static func - (a: Self, b: Self) -> Self {
        Self(forward: a.forward - b.forward, shifted: a.shifted - b.shifted, adjointSweeps: a.adjointSweeps - b.adjointSweeps,
             statePasses: a.statePasses - b.statePasses)
    }

    public var description: String { "\(forward) forward, \(shifted) shifted, \(adjointSweeps) adjoint sweeps" }
}
