// Test-only dense reference: each gate as a 2^n x 2^n matrix built from Kronecker products of
// textbook 2x2 matrices (controlled gates as P0 (x) I + P1 (x) U), applied to a dense vector.
// Independent of the library's Gates.swift so it checks it.

import Foundation
@testable import Quantum

struct C: Equatable {
    var re: Double, im: Double
    init(_ re: Double, _ im: Double = 0) { self.re = re; self.im = im }
    static func * (a: C, b: C) -> C { C(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re) }
    static func + (a: C, b: C) -> C { C(a.re + b.re, a.im + b.im) }
    static func expi(_ t: Double) -> C { C(cos(t), sin(t)) }
}

typealias M2 = [[C]]

enum Dense {
    static let i2: M2 = [[C(1), C(0)], [C(0), C(1)]]
    static let p0: M2 = [[C(1), C(0)], [C(0), C(0)]]
    static let p1: M2 = [[C(0), C(0)], [C(0), C(1)]]

    static func mat(_ k: GateKind, _ a: [Double]) -> M2 {
        switch k {
        case .rx, .crx: let c = cos(a[0] / 2), s = sin(a[0] / 2); return [[C(c), C(0, -s)], [C(0, -s), C(c)]]
        case .ry: let c = cos(a[0] / 2), s = sin(a[0] / 2); return [[C(c), C(-s)], [C(s), C(c)]]
        case .rz: return [[C.expi(-a[0] / 2), C(0)], [C(0), C.expi(a[0] / 2)]]
        case .phaseShift: return [[C(1), C(0)], [C(0), C.expi(a[0])]]
        case .rot: return mul(mat(.rz, [a[2]]), mul(mat(.ry, [a[1]]), mat(.rz, [a[0]])))
        case .h: let r = 1 / 2.0.squareRoot(); return [[C(r), C(r)], [C(r), C(-r)]]
        case .x, .cnot: return [[C(0), C(1)], [C(1), C(0)]]
        case .y: return [[C(0), C(0, -1)], [C(0, 1), C(0)]]
        case .z, .cz: return [[C(1), C(0)], [C(0), C(-1)]]
        }
    }

    static func mul(_ a: M2, _ b: M2) -> M2 {
        (0..<2).map { i in (0..<2).map { j in a[i][0] * b[0][j] + a[i][1] * b[1][j] } }
    }

    /// Kronecker product of per-wire 2x2 matrices (wire 0 most significant): [dim][dim].
    static func kron(_ f: [M2]) -> [[C]] {
        var m: [[C]] = [[C(1)]]
        for g in f {
            let d = m.count
            var out = [[C]](repeating: [C](repeating: C(0), count: 2 * d), count: 2 * d)
            for i in 0..<d { for j in 0..<d { for a in 0..<2 { for b in 0..<2 {
                out[i * 2 + a][j * 2 + b] = m[i][j] * g[a][b]
            } } } }
            m = out
        }
        return m
    }

    /// Full unitary of one operation at concrete angles.
    static func unitary(_ op: Gate, n: Int, angles: [Double]) -> [[C]] {
        var f = [M2](repeating: i2, count: n)
        if op.kind.wireCount == 1 {
            f[op.wires[0]] = mat(op.kind, angles)
            return kron(f)
        }
        var f0 = f, f1 = f
        f0[op.wires[0]] = p0
        f1[op.wires[0]] = p1
        f1[op.wires[1]] = mat(op.kind, angles)
        let a = kron(f0), b = kron(f1)
        return (0..<a.count).map { i in (0..<a.count).map { j in a[i][j] + b[i][j] } }
    }

    /// Final state of the circuit from |0...0>.
    static func state(_ c: Circuit, inputs: [Double], weights: [Double]) -> [C] {
        let d = 1 << c.nQubits
        var v = [C](repeating: C(0), count: d)
        v[0] = C(1)
        for op in c.operations {
            let ang = inputs.withUnsafeBufferPointer { x in weights.withUnsafeBufferPointer { w in
                op.params.map { $0.value(inputs: x.baseAddress, weights: w.baseAddress) }
            } }
            let u = unitary(op, n: c.nQubits, angles: ang)
            v = (0..<d).map { i in (0..<d).reduce(C(0)) { $0 + u[i][$1] * v[$1] } }
        }
        return v
    }

    /// <Z_i> for every wire.
    static func expvals(_ c: Circuit, inputs: [Double], weights: [Double]) -> [Double] {
        let v = state(c, inputs: inputs, weights: weights)
        let n = c.nQubits
        return (0..<n).map { w in
            v.indices.reduce(0.0) { acc, k in
                let p = v[k].re * v[k].re + v[k].im * v[k].im
                return acc + ((k >> (n - 1 - w)) & 1 == 0 ? p : -p)
            }
        }
    }
}

/// Deterministic pseudo-random doubles for tests.
struct TestRNG {
    var s: UInt64
    mutating func next() -> Double {
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Double(s >> 11) * 0x1.0p-53
    }
    mutating func angles(_ k: Int) -> [Double] { (0..<k).map { _ in 2 * Double.pi * next() - Double.pi } }
    mutating func below(_ n: Int) -> Int { Int(next() * Double(n)) }
}

/// A random circuit using every gate kind, reading inputs (some scaled) and weights.
func randomCircuit(n: Int, gates: Int, seed: UInt64) -> Circuit {
    var rng = TestRNG(s: seed)
    var c = Circuit(nQubits: n, nInputs: 3, nWeights: 40)
    var wi = 0
    let kinds: [GateKind] = n > 1 ? GateKind.allCases : GateKind.allCases.filter { $0.wireCount == 1 }
    for g in 0..<gates {
        let k = kinds[rng.below(kinds.count)]
        var wires = [rng.below(n)]
        if k.wireCount == 2 { var b = rng.below(n - 1); if b >= wires[0] { b += 1 }; wires.append(b) }
        var ps: [ParamRef] = []
        for _ in 0..<k.parameterCount {
            if g % 3 == 0 { ps.append(.input(rng.below(3), scale: 0.5 + rng.next())) } else { ps.append(.weight(wi % 40)); wi += 1 }
        }
        c.append(k, wires: wires, params: ps)
    }
    return c
}

/// Runs `body` with settings for the lane engine and for the shard engine (laneMaxQubits 0).
func forBothEngines(_ body: (ExecutorSettings) -> Void) {
    for limit in [12, 0] { body(ExecutorSettings(threads: .serial, laneMaxQubits: limit)) }
}
