// Quanvolution: every 2x2 patch (stride 2) of every channel goes through a fixed 4-qubit circuit
// (RY(pi x) embedding + seeded random layer) and its four <Z_i> become four output channels.
//
// Fast path (exact, not an approximation): the embedding makes a real product state
// psi0 = (x)_q (cos(pi x_q / 2), sin(pi x_q / 2)); the random layer is one fixed 16x16 unitary U,
// computed once per call by simulating the same Circuit on the 16 basis states. Each patch then
// costs one 16x16 complex-by-real mat-vec instead of a gate-by-gate simulation.

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
    func unitaryColumns() -> (re: [SIMD16<Double>], im: [SIMD16<Double>]) {
        var cr = [SIMD16<Double>](repeating: .zero, count: 16), ci = cr
        for j in 0..<16 {
            var c = Circuit(nQubits: 4, nInputs: 0, nWeights: randomLayer.nWeights)
            for w in 0..<4 where (j >> (3 - w)) & 1 == 1 { c.append(.x, wires: [w]) }
            c.append(contentsOf: randomLayer)
            let ex = CircuitExecutor(circuit: c)
            _ = ex.forward(inputs: [], batch: 1, weights: weights)
            let a = ex.amplitudes(sample: 0)
            for k in 0..<16 { cr[j][k] = a.re[k]; ci[j][k] = a.im[k] }
        }
        return (cr, ci)
    }
}

public enum Quanvolution {
    /// images [N, C, H, W] -> [N, 4C, H/2, W/2] (floor), channel 4c + i = <Z_i> of the patches
    /// of input channel c. Threads split the (image, channel) planes.
    public static func apply(images: UnsafePointer<Float>, n: Int, channels: Int, height: Int, width: Int,
                             circuit: QuanvolutionCircuit) -> [Float] {
        let oh = height / 2, ow = width / 2
        var out = [Float](repeating: 0, count: n * 4 * channels * oh * ow)
        let (ur, ui) = circuit.unitaryColumns()
        // Sign of Z_q on basis state k (wire q = bit 3 - q).
        var sign = [SIMD16<Double>](repeating: .zero, count: 4)
        for q in 0..<4 { for k in 0..<16 { sign[q][k] = (k >> (3 - q)) & 1 == 0 ? 1 : -1 } }
        out.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            ur.withUnsafeBufferPointer { urp in ui.withUnsafeBufferPointer { uip in
                Parallel.forChunks(n * channels) { lo, hi in
                    for plane in lo..<hi {
                        let img = plane / channels, ch = plane % channels
                        let src = images + plane * height * width
                        let dst = o + (img * 4 * channels + 4 * ch) * oh * ow
                        for r in 0..<oh {
                            for c in 0..<ow {
                                let p = src + 2 * r * width + 2 * c
                                let z = patch(p[0], p[1], p[width], p[width + 1], urp.baseAddress!, uip.baseAddress!, sign)
                                let at = r * ow + c
                                dst[at] = Float(z.0); dst[oh * ow + at] = Float(z.1)
                                dst[2 * oh * ow + at] = Float(z.2); dst[3 * oh * ow + at] = Float(z.3)
                            }
                        }
                    }
                }
            } }
        }
        return out
    }

    @inline(__always)
    static func patch(_ x0: Float, _ x1: Float, _ x2: Float, _ x3: Float,
                      _ ur: UnsafePointer<SIMD16<Double>>, _ ui: UnsafePointer<SIMD16<Double>>,
                      _ sign: [SIMD16<Double>]) -> (Double, Double, Double, Double) {
        let h = Double.pi / 2
        let c0 = cos(h * Double(x0)), s0 = sin(h * Double(x0))
        let c1 = cos(h * Double(x1)), s1 = sin(h * Double(x1))
        let c2 = cos(h * Double(x2)), s2 = sin(h * Double(x2))
        let c3 = cos(h * Double(x3)), s3 = sin(h * Double(x3))
        let a = (c0 * c1, c0 * s1, s0 * c1, s0 * s1), b = (c2 * c3, c2 * s3, s2 * c3, s2 * s3)
        let amps = [a.0, a.1, a.2, a.3]
        let bs = [b.0, b.1, b.2, b.3]
        var pr = SIMD16<Double>.zero, pi = SIMD16<Double>.zero
        for i in 0..<4 {
            for j in 0..<4 {
                let v = amps[i] * bs[j]
                pr += ur[4 * i + j] * v
                pi += ui[4 * i + j] * v
            }
        }
        let p = pr * pr + pi * pi
        return ((p * sign[0]).sum(), (p * sign[1]).sum(), (p * sign[2]).sum(), (p * sign[3]).sum())
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
        let ex = CircuitExecutor(circuit: circuit.circuit)
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
