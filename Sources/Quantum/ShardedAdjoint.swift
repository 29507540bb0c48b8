// Gradients of <Z_i> readouts on a statevector sharded across ranks: the adjoint method (one
// forward, one backward sweep over two sharded states, phi and lambda) and the parameter-shift
// rule (forward passes only). Both return the same vector-Jacobian product as the single-process
// `Gradients.vjp`, summed over ranks, identical on every rank.
//
// Adjoint on shards: phi = U|0>, lambda = H phi with H = sum_w g_w Z_w (diagonal: every rank
// scales its own amplitudes, reading global bits from its rank). Walking the gates backwards,
// each elementary factor F on a bit runs `Kernels.adjointStep` on this rank's shard (undo F on
// phi, contract with lambda, undo F on lambda); the 2x2 contraction is a sum over amplitude pairs,
// so per-rank partial sums simply add up: the slot gradients are reduced ONCE at the end. A factor
// on a global bit is made local first by the same remap swap as the forward (QubitRemap.swift),
// applied to phi and lambda together so the two keep one layout. A control on a global bit
// selects ranks: where this rank's control bit is 0 the gate is the identity and contributes 0.

import Core
import Foundation

/// Values and vector-Jacobian products of one sample on a sharded state.
public struct ShardedVJP: Sendable {
    /// <Z_w>, [nQubits].
    public var expvals: [Double]
    /// d(sum_w g_w <Z_w>)/d inputs, [nInputs]; / d weights, [nWeights].
    public var inputs: [Double]
    public var weights: [Double]
    /// Exchanges and bytes sent by this rank over the forward and (adjoint) backward sweeps.
    public var exchanges: Int
    public var bytesSent: Int
    /// Forward circuit executions (1 for the adjoint, 1 + 2 per shift term for parameter shift).
    public var forwardRuns: Int
}

public enum ShardedGradients {
    /// g . d<Z>/d(inputs, weights) for one sample, sharded over `communicator`'s ranks.
    public static func vjp(circuit: Circuit, inputs: [Double], weights: [Double], upstream: [Double],
                           method: DiffMethod, communicator: any Communicator, threads: Threads = .serial) throws -> ShardedVJP {
        precondition(upstream.count == circuit.nQubits, "upstream must have one entry per wire")
        switch method {
        case .adjoint: return try adjoint(circuit, inputs, weights, upstream, communicator, threads)
        case .parameterShift: return try parameterShift(circuit, inputs, weights, upstream, communicator, threads)
        }
    }

    /// Adds d/d(angle k of operation p) = `g` to the input / weight it reads (chain rule by scale).
    static func accumulate(_ ref: ParamRef, _ g: Double, _ gi: inout [Double], _ gw: inout [Double]) {
        switch ref.source {
        case .input: gi[ref.index] += ref.scale * g
        case .weight: gw[ref.index] += ref.scale * g
        case .constant: break
        }
    }

    static func adjoint(_ circuit: Circuit, _ inputs: [Double], _ weights: [Double], _ upstream: [Double],
                        _ comm: any Communicator, _ threads: Threads) throws -> ShardedVJP {
        let n = circuit.nQubits
        let phi = try ShardedStatevector(qubits: n, communicator: comm, threads: threads)
        phi.apply(circuit, inputs: inputs, weights: weights)
        let z = phi.expectationZ()
        let lambda = ShardedStatevector(copying: phi)
        lambda.multiplyByObservable(upstream)

        let ops = circuit.operations
        // Backward order; the factor (or controlled target) of a gate with angles needs its bit
        // local for the contraction, a fixed non-diagonal gate for the undo.
        let rev = Array(ops.reversed())
        let planner = RemapPlanner(needs: rev.map { $0.kind.mixesTarget || !$0.params.isEmpty ? $0.wires[$0.wires.count - 1] : -1 },
                                   other: rev.map { $0.wires.count == 2 ? $0.wires[0] : -1 })
        var angleGrads = [[Double]](repeating: [], count: ops.count)  // per op, per angle (this rank's part)
        let ip = inputs, wp = weights
        for (q, op) in rev.enumerated() {
            let p = ops.count - 1 - q
            let angles = ip.withUnsafeBufferPointer { x in wp.withUnsafeBufferPointer { w in
                op.params.map { $0.value(inputs: x.baseAddress, weights: w.baseAddress) }
            } }
            let w = planner.needs[q]
            if w >= 0, !phi.isLocal(bit: phi.bitOfWire[w]) {
                let v = planner.victim(at: q, state: phi)
                phi.swapGlobal(wire: w, withLocal: v)
                lambda.swapGlobal(wire: w, withLocal: v)
            }
            var grads = [Double](repeating: 0, count: op.params.count)
            switch op.kind {
            case .cnot, .cz:
                phi.apply(op.kind, wires: op.wires, angles: [])
                lambda.apply(op.kind, wires: op.wires, angles: [])
            case .crx:
                let cb = phi.bitOfWire[op.wires[0]], tb = phi.bitOfWire[op.wires[1]]
                let control: Int
                if phi.isLocal(bit: cb) { control = cb } else if phi.rankBit(cb) == 1 { control = -1 } else { break }
                let m = contract(phi, lambda, control: control, target: tb, Elementary.rx.matrix(angles[0]).dagger)
                grads[0] = 2 * Elementary.rx.derivative(angles[0]).realContraction(m)
            default:
                let tb = phi.bitOfWire[op.wires[0]]
                if op.params.isEmpty && !phi.isLocal(bit: tb) {
                    // A fixed diagonal gate (Z) on a global bit: undo by scaling, no contraction.
                    let inv = op.kind.matrix([]).dagger
                    phi.apply(matrix: inv, wire: op.wires[0]); lambda.apply(matrix: inv, wire: op.wires[0])
                    break
                }
                // Factors in reverse application order; k counts the angle each one reads.
                var k = op.params.count
                for f in op.kind.factors.reversed() {
                    if case .fixed(let mf) = f {
                        _ = contract(phi, lambda, control: -1, target: tb, mf.dagger)
                        continue
                    }
                    k -= 1
                    let m = contract(phi, lambda, control: -1, target: tb, f.matrix(angles[k]).dagger)
                    grads[k] = 2 * f.derivative(angles[k]).realContraction(m)
                }
            }
            angleGrads[p] = grads
        }
        // One reduction for every angle of the circuit.
        var flat = angleGrads.flatMap { $0 }
        comm.allreduceSum(&flat)
        var gi = [Double](repeating: 0, count: circuit.nInputs), gw = [Double](repeating: 0, count: circuit.nWeights)
        var at = 0
        for op in ops {
            for ref in op.params { accumulate(ref, flat[at], &gi, &gw); at += 1 }
        }
        return ShardedVJP(expvals: z, inputs: gi, weights: gw, exchanges: phi.exchanges + lambda.exchanges,
                          bytesSent: phi.bytesSent + lambda.bytesSent, forwardRuns: 1)
    }

    /// One adjoint step on this rank's shards of phi and lambda (both local on `target`): returns
    /// this rank's part of the contraction M (see `Kernels.adjointStep`).
    static func contract(_ phi: ShardedStatevector, _ lambda: ShardedStatevector, control: Int, target: Int, _ u: Mat2) -> Mat2 {
        let range = control < 0 ? phi.re.count >> 1 : phi.re.count >> 2
        let lock = NSLock()
        var total = Mat2.zero
        phi.re.withUnsafeMutableBufferPointer { prb in phi.im.withUnsafeMutableBufferPointer { pib in
            lambda.re.withUnsafeMutableBufferPointer { lrb in lambda.im.withUnsafeMutableBufferPointer { lib in
                let pr = prb.baseAddress!, pi = pib.baseAddress!, lr = lrb.baseAddress!, li = lib.baseAddress!
                phi.threads.forChunks(range, minPerChunk: 1 << 12) { lo, hi in
                    let m = Kernels.adjointStep(pr, pi, lr, li, control: control, target: target, u, lo, hi)
                    lock.lock()
                    total = Mat2(total.ar + m.ar, total.ai + m.ai, total.br + m.br, total.bi + m.bi,
                                 total.cr + m.cr, total.ci + m.ci, total.dr + m.dr, total.di + m.di)
                    lock.unlock()
                }
            } }
        } }
        return total
    }

    /// Parameter shift: for every angle of every operation, the circuit runs again with the angle
    /// shifted by each term of its rule (two runs for rotations, four for CRX).
    static func parameterShift(_ circuit: Circuit, _ inputs: [Double], _ weights: [Double], _ upstream: [Double],
                               _ comm: any Communicator, _ threads: Threads) throws -> ShardedVJP {
        let state = try ShardedStatevector(qubits: circuit.nQubits, communicator: comm, threads: threads)
        state.apply(circuit, inputs: inputs, weights: weights)
        let z = state.expectationZ()
        var runs = 1
        var gi = [Double](repeating: 0, count: circuit.nInputs), gw = [Double](repeating: 0, count: circuit.nWeights)
        for (p, op) in circuit.operations.enumerated() {
            for (k, ref) in op.params.enumerated() where ref.source != .constant {
                var d = 0.0
                for (s, c) in op.kind.shiftTerms {
                    for sign in [1.0, -1.0] {
                        state.reset(); state.resetLayout()
                        state.apply(circuit, inputs: inputs, weights: weights, shift: (p, k, sign * s))
                        runs += 1
                        let zs = state.expectationZ()
                        for w in 0..<circuit.nQubits { d += sign * c * upstream[w] * zs[w] }
                    }
                }
                accumulate(ref, d, &gi, &gw)
            }
        }
        return ShardedVJP(expvals: z, inputs: gi, weights: gw, exchanges: state.exchanges,
                          bytesSent: state.bytesSent, forwardRuns: runs)
    }
}

extension ShardedStatevector {
    /// psi <- H psi with H = sum_w g_w Z_w (diagonal), for this rank's amplitudes in the current layout.
    public func multiplyByObservable(_ g: [Double]) {
        let base = communicator.rank << localQubits, bits = bitOfWire, d = re.count
        re.withUnsafeMutableBufferPointer { rp in im.withUnsafeMutableBufferPointer { ip in
            let r = rp.baseAddress!, i = ip.baseAddress!
            threads.forChunks(d, minPerChunk: 1 << 14) { lo, hi in
                for k in lo..<hi {
                    let idx = base | k
                    var h = 0.0
                    for w in 0..<g.count { h += (idx >> bits[w]) & 1 == 0 ? g[w] : -g[w] }
                    r[k] *= h; i[k] *= h
                }
            }
        } }
    }

    /// Forgets the layout after `reset()` (the state |0...0> is the same in every layout).
    public func resetLayout() {
        bitOfWire = (0..<qubits).map { qubits - 1 - $0 }
        wireOfBit = (0..<qubits).map { qubits - 1 - $0 }
    }
}

extension ShardedRun {
    /// `bench sharded --gradient`: AngleEmbedding(X) + `layers` StronglyEntangling layers on
    /// `qubits` wires, forward and adjoint VJP timed on the sharded state; with `check`, the
    /// largest difference of values and gradients to the single-process CircuitExecutor.
    public static func gradientFigures(qubits: Int, layers: Int, seed: UInt64, communicator: any Communicator,
                                       threads: Threads, check: Bool) throws -> [(String, String)] {
        let c = Templates.layerCircuit(template: .strong, wires: qubits, layers: layers, features: qubits)
        var rng = SeededRNG(seed: seed)
        let x = (0..<qubits).map { _ in rng.uniform() }, w = (0..<c.nWeights).map { _ in 2 * Double.pi * rng.uniform() }
        let g = (0..<qubits).map { _ in rng.uniform() - 0.5 }
        communicator.barrier()
        var t0 = WallClock.now()
        let fwd = try ShardedStatevector(qubits: qubits, communicator: communicator, threads: threads)
        fwd.apply(c, inputs: x, weights: w)
        _ = fwd.expectationZ()
        let forwardSeconds = communicator.allreduceMax(WallClock.now() - t0)
        communicator.barrier()
        t0 = WallClock.now()
        let v = try ShardedGradients.vjp(circuit: c, inputs: x, weights: w, upstream: g, method: .adjoint,
                                         communicator: communicator, threads: threads)
        let gradientSeconds = communicator.allreduceMax(WallClock.now() - t0)
        var out: [(String, String)] = [
            ("sharded_gradient_layers", "\(layers)"), ("sharded_forward_seconds", "\(forwardSeconds)"),
            ("sharded_forward_exchanges", "\(fwd.exchanges)"),
            ("sharded_adjoint_seconds", "\(gradientSeconds)"), ("sharded_adjoint_exchanges", "\(v.exchanges)"),
            ("sharded_adjoint_bytes_sent_per_rank", "\(v.bytesSent)"),
        ]
        if check {
            let ex = CircuitExecutor(circuit: c, settings: ExecutorSettings(threads: threads))
            let y = ex.forward(inputs: x, batch: 1, weights: w)
            let ref = ex.backward(upstream: g)
            var d = 0.0
            for (a, b) in zip(v.expvals + v.inputs + v.weights, y + ref.inputs + ref.weights) { d = Swift.max(d, abs(a - b)) }
            out.append(("sharded_gradient_max_diff", "\(communicator.allreduceMax(d))"))
        }
        return out
    }

    /// Each rank's binding as `<key> <value>` lines: the launcher's policy and, per rank, the
    /// number of CPUs in its affinity mask (the ground truth).
    public static func bindingFigures(communicator: any Communicator, threads: Threads) -> [(String, String)] {
        let cpus = CPUAffinity.allowedCPUs()
        let counts = communicator.allgather([Double(cpus.count)]).map { String(Int($0)) }
        var out = [("sharded_binding", CPUAffinity.launcherBinding()),
                   ("sharded_cpus_per_rank", counts.joined(separator: ",")),
                   ("sharded_threads_per_rank", "\(threads.count)")]
        if let least = counts.compactMap(Int.init).min(), least < threads.count {
            out.append(("sharded_binding_warning", "a rank may run on \(least) CPU(s) but uses \(threads.count) threads: launch with `mpirun --bind-to none` or `--map-by slot:PE=\(threads.count)` (srun: --cpus-per-task=\(threads.count))"))
        }
        return out
    }
}
