// Memory of a CircuitExecutor: the sizing rules its allocations use (states, angles, adjoint
// workspace, the parameter-shift scratch batch), an estimate for a batch and method computed from
// those same rules before anything runs, and the bytes it has actually reserved (for the training
// memory guard and its test). Per-worker readout buffers of n values (< 1 KB) are not counted.

import Core
import Foundation

/// Bytes an executor holds: `persistent` (states, angles, kept between steps) and `workspace`
/// (the largest buffer set of a backward pass: parameter-shift readouts are freed when it returns,
/// the adjoint's buffers are kept for the next backward, so a step does not page-fault them again).
public struct StateBytes: Sendable, Equatable, CustomStringConvertible {
    public var persistent: Int
    public var workspace: Int
    public init(persistent: Int, workspace: Int) { self.persistent = persistent; self.workspace = workspace }
    public var total: Int { persistent + workspace }
    public var description: String { "\(persistent) B persistent + \(workspace) B workspace" }
}

extension CircuitExecutor {
    /// Whether this executor runs on the lane layout (small circuits) or the shard kernels.
    var usesLanes: Bool { circuit.nQubits <= settings.laneMaxQubits }

    /// Lane vectors for the states of `batch` samples: ceil(batch / laneWidth) chunks of re + im.
    func laneVectors(batch: Int) -> Int { (batch + laneWidth - 1) / laneWidth * 2 * dim }
    /// Amplitudes in each of re and im for `batch` samples on the shard path.
    func shardAmplitudes(batch: Int) -> Int { batch * dim }
    /// One shard-path adjoint worker's buffers: phi and lambda, re and im.
    var adjointWorkspaceDoubles: Int { 4 * dim + 3 * Self.adjointSkew }
    /// Doubles between the adjoint buffer's four arrays (phi re, im, lambda re, im) beyond their
    /// 2^n each (4 KiB + one cache line): at power-of-two distances every step's four streams
    /// alias in the caches (and a store to phi blocks the load of lambda at the same 4 KiB
    /// offset); a 26-qubit gradient took 10.3 s without the skew and 2.5 s with it (24 qubits 7%).
    static let adjointSkew = 520
    /// One lane-path adjoint worker's buffers: phi and lambda, re and im, plus the upstream lanes.
    var laneAdjointWorkspaceVectors: Int { 4 * dim + circuit.nQubits }
    /// Parameter-shift readouts [B * shifted evaluations, n].
    func shiftReadoutDoubles(batch: Int) -> Int { batch * shiftEvaluations.count * circuit.nQubits }
    /// Parameter-shift transients: the readouts, and on lanes the shift plan's [B][steps] matrices.
    func shiftWorkspaceBytes(batch: Int) -> Int {
        shiftReadoutDoubles(batch: batch) * MemoryLayout<Double>.stride
            + (usesLanes ? batch * kinds.count * MemoryLayout<Mat2>.stride : 0)
    }

    /// States and slot angles kept after a forward of `batch` samples.
    func forwardBytes(batch: Int) -> Int {
        let states = usesLanes ? laneVectors(batch: batch) * MemoryLayout<Lane>.stride
            : 2 * shardAmplitudes(batch: batch) * MemoryLayout<Double>.stride
        return states + Swift.max(1, batch * program.nSlots) * MemoryLayout<Double>.stride
    }

    /// Adjoint workspace of a backward over `batch` samples: one buffer set per worker thread
    /// (workers as Threads.forChunks picks them: at most one per chunk of 4 samples on lanes, per
    /// sample on shards, one for an amplitude-parallel single state).
    func adjointWorkspaceBytes(batch: Int) -> Int {
        guard batch > 0 else { return 0 }
        if usesLanes {
            let chunks = (batch + laneWidth - 1) / laneWidth
            return Swift.max(1, Swift.min(settings.threads.count, chunks)) * laneAdjointWorkspaceVectors * MemoryLayout<Lane>.stride
        }
        let single = batch == 1 && circuit.nQubits >= settings.amplitudeParallelQubits
        let workers = single ? 1 : Swift.max(1, Swift.min(settings.threads.count, batch))
        return workers * adjointWorkspaceDoubles * MemoryLayout<Double>.stride
    }

    /// What a forward + backward of `batch` samples by `method` will reserve, from the rules the
    /// allocations use. Parameter-shift keeps a scratch executor for batch x (shifted evaluations).
    public func stateBytes(batch: Int, method: DiffMethod) -> StateBytes {
        switch method {
        case .adjoint:
            return StateBytes(persistent: forwardBytes(batch: batch), workspace: adjointWorkspaceBytes(batch: batch))
        case .parameterShift:
            let rows = batch * shiftEvaluations.count
            return StateBytes(persistent: forwardBytes(batch: batch) + (rows > 0 ? forwardBytes(batch: rows) : 0),
                              workspace: shiftWorkspaceBytes(batch: batch))
        }
    }

    /// Bytes actually reserved so far: buffers held now, and the largest workspace allocated.
    public var reservedBytes: StateBytes {
        var held = laneCapacity * MemoryLayout<Lane>.stride + 2 * capacity * MemoryLayout<Double>.stride
            + slotAngles.count * MemoryLayout<Double>.stride
        var workspace = workspacePeakBytes
        if let s = shiftExecutor {
            held += s.reservedBytes.persistent
            workspace = Swift.max(workspace, s.reservedBytes.workspace)
        }
        return StateBytes(persistent: held, workspace: workspace)
    }
}

/// Sums the workspace bytes allocated by concurrent workers of one backward pass.
final class WorkspaceTally: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var bytes = 0
    func add(_ b: Int) { lock.lock(); bytes += b; lock.unlock() }
}
