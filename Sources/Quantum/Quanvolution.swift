// Quanvolution: every 2x2 patch (stride 2) of every channel goes through a fixed 4-qubit circuit
// (RY(pi x) embedding + seeded random layer) and its four <Z_i> become four output channels.
//
// Fast path (exact algebra, single-precision arithmetic): the embedding makes a real product
// state psi0 = (x)_q (cos(pi x_q / 2), sin(pi x_q / 2)); the random layer is one fixed 16x16
// unitary U, computed once per call in double by simulating the same Circuit on the 16 basis
// states. Each patch then costs one 16x16 complex-by-real mat-vec in Float (the output is Float;
// measured 2x faster than Double, agreeing with the double gate-by-gate reference to ~1e-6).

import Core
import Foundation

/// The quanvolution circuit: 4 wires, RY(pi * x_i) on wire i, then a seeded random layer.
public struct QuanvolutionCircuit: Sendable {
    public let seed: UInt64
    public let layers: Int
    public let rotations: Int
    /// Random-layer angles [layers * rotations] (fixed unless the model trains them).
    public var weights: [Double]
    /// inputs = 4 patch pixels (wire 0 = top-left, 1 = top-right, 2 = bottom-left, 3 = bottom-right).
    public let circuit: Circuit
    /// The random layer alone (no embedding), used to build U.
    let randomLayer: Circuit

    public init(seed: UInt64, layers: Int = 1, rotations: Int = 4, weights: [Double]? = nil) {
        self.seed = seed; self.layers = layers; self.rotations = rotations
        let nW = layers * rotations
        self.weights = weights ?? Templates.randomLayerWeights(layers: layers, rotations: rotations, seed: seed)
        precondition(self.weights.count == nW, "QuanvolutionCircuit: weights must have \(nW) values")
        var c = Circuit(nQubits: 4, nInputs: 4, nWeights: nW)
        Templates.angleEmbedding(&c, features: 4, rotation: .y, scale: Double.pi)
        var r = Circuit(nQubits: 4, nInputs: 0, nWeights: nW)
        Templates.randomLayer(&r, layers: layers, rotations: rotations, seed: seed)
        c.append(contentsOf: r)
        circuit = c
        randomLayer = r
    }

    /// Columns of U (U|j> for j in 0..<16), real and imaginary parts.
    func unitaryColumns() -> (re: [SIMD16<Float>], im: [SIMD16<Float>]) {
        var cr = [SIMD16<Float>](repeating: .zero, count: 16), ci = cr
        for j in 0..<16 {
            var c = Circuit(nQubits: 4, nInputs: 0, nWeights: randomLayer.nWeights)
            for w in 0..<4 where (j >> (3 - w)) & 1 == 1 { c.append(.x, wires: [w]) }
            c.append(contentsOf: randomLayer)
            let ex = CircuitExecutor(circuit: c, settings: .serial)  // 16 one-sample runs
            _ = ex.forward(inputs: [], batch: 1, weights: weights)
            let a = ex.amplitudes(sample: 0)
            for k in 0..<16 { cr[j][k] = Float(a.re[k]); ci[j][k] = Float(a.im[k]) }
        }
        return (cr, ci)
    }
}

public enum Quanvolution {
    /// images [N, C, H, W] -> [N, 4C, H/2, W/2] (floor), channel 4c + i = <Z_i> of the patches
    /// of input channel c. `threads` split the (image, channel) planes.
    public static func apply(images: UnsafePointer<Float>, n: Int, channels: Int, height: Int, width: Int,
                             circuit: QuanvolutionCircuit, threads: Threads) -> [Float] {
        let oh = height / 2, ow = width / 2
        var out = [Float](repeating: 0, count: n * 4 * channels * oh * ow)
        let (ur, ui) = circuit.unitaryColumns()
        let sign = Signs()
        out.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            ur.withUnsafeBufferPointer { urp in ui.withUnsafeBufferPointer { uip in
                threads.forChunks(n * channels) { lo, hi in
                    for plane in lo..<hi {
                        let img = plane / channels, ch = plane % channels
                        let src = images + plane * height * width
                        let dst = o + (img * 4 * channels + 4 * ch) * oh * ow
                        for r in 0..<oh {
                            for c in 0..<ow {
                                let p = src + 2 * r * width + 2 * c
                                let z = patch(p[0], p[1], p[width], p[width + 1], urp.baseAddress!, uip.baseAddress!, sign)
                                let at = r * ow + c
                                dst[at] = z.0; dst[oh * ow + at] = z.1
                                dst[2 * oh * ow + at] = z.2; dst[3 * oh * ow + at] = z.3
                            }
                        }
                    }
                }
            } }
        }
        return out
    }

    /// Signs of Z_0..Z_3 on the 16 basis states (wire q = bit 3 - q).
    struct Signs {
        let z0, z1, z2, z3: SIMD16<Float>
        init() {
            func z(_ q: Int) -> SIMD16<Float> {
                var v = SIMD16<Float>()
                for k in 0..<16 { v[k] = (k >> (3 - q)) & 1 == 0 ? 1 : -1 }
                return v
            }
            z0 = z(0); z1 = z(1); z2 = z(2); z3 = z(3)
        }
    }

    /// <Z_0..3> of U (x)_q (cos(pi x_q / 2), sin(pi x_q / 2)): psi = sum_j psi0_j U|j>.
    @inline(__always)
    static func patch(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float,
                      _ ur: UnsafePointer<SIMD16<Float>>, _ ui: UnsafePointer<SIMD16<Float>>,
                      _ sign: Signs) -> (Float, Float, Float, Float) {
        let t = SIMD4<Float>(x0, x1, x2, x3) * (Float.pi / 2)
        let c = SIMD4<Float>(cos(t[0]), cos(t[1]), cos(t[2]), cos(t[3]))
        let s = SIMD4<Float>(sin(t[0]), sin(t[1]), sin(t[2]), sin(t[3]))
        // psi0 index = 8 b0 + 4 b1 + 2 b2 + b3 (wire 0 most significant).
        let a = SIMD4<Float>(c[0] * c[1], c[0] * s[1], s[0] * c[1], s[0] * s[1])
        let b = SIMD4<Float>(c[2] * c[3], c[2] * s[3], s[2] * c[3], s[2] * s[3])
        var pr = SIMD16<Float>(), pi = SIMD16<Float>()
        for i in 0..<4 {
            let ai = a[i]
            for j in 0..<4 {
                let v = ai * b[j]
                pr += ur[4 * i + j] * v
                pi += ui[4 * i + j] * v
            }
        }
        let p = pr * pr + pi * pi
        return ((p * sign.z0).sum(), (p * sign.z1).sum(), (p * sign.z2).sum(), (p * sign.z3).sum())
    }

    /// Reference: every patch simulated gate by gate with CircuitExecutor (tests, small inputs).
    public static func applyReference(images: [Float], n: Int, channels: Int, height: Int, width: Int,
                                      circuit: QuanvolutionCircuit) -> [Float] {
        let oh = height / 2, ow = width / 2
        var inputs: [Double] = []
        for plane in 0..<(n * channels) {
            for r in 0..<oh { for c in 0..<ow {
                let base = plane * height * width + 2 * r * width + 2 * c
                inputs += [base, base + 1, base + width, base + width + 1].map { Double(images[$0]) }
            } }
        }
        let ex = CircuitExecutor(circuit: circuit.circuit, settings: .serial)
        let z = ex.forward(inputs: inputs, batch: n * channels * oh * ow, weights: circuit.weights)
        var out = [Float](repeating: 0, count: n * 4 * channels * oh * ow)
        for plane in 0..<(n * channels) {
            let img = plane / channels, ch = plane % channels
            for k in 0..<(oh * ow) { for q in 0..<4 {
                out[((img * 4 * channels + 4 * ch + q) * oh * ow) + k] = Float(z[(plane * oh * ow + k) * 4 + q])
            } }
        }
        return out
    }
}
