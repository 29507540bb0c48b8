// TwinLayer: the classical twin of a bank of k quantum circuits. Each block maps its n inputs to
// n outputs in [-1, 1] (like <Z_i>) with EXACTLY P trainable parameters, P = the circuit's weight
// count, so quantum and twin models have identical parameter counts.
//
// Construction per block: a stack of m = ceil(P / (n^2 + n)) tanh-dense sublayers
// h <- tanh(W_j h + b_j), W_j [n, n], b_j [n]. Every sublayer but the last uses all n^2 + n
// entries; the last one uses only the first r = P - (m-1)(n^2 + n) slots of a fixed order:
// the diagonal W[i][i] (i = 0..n-1), then the cyclic bands W[i][(i+d) mod n] for d = 1..n-1,
// then the bias b[i]. Unused slots are fixed at 0. (So small budgets give a per-wire scaling
// first, then nearest-neighbour mixing, which resembles what a shallow circuit can express.)

import Core
import Foundation
import NN

public final class TwinLayer: Layer {
    public let blocks: Int, width: Int
    /// Trainable parameters per block (P).
    public let parameters: Int
    /// Sublayers per block (m) and the slots used by the last one (r).
    public let sublayers: Int, lastSlots: Int
    private var storage: ParameterStorage!
    private var off = 0
    private var batch = 0
    /// Activations per sublayer boundary: acts[j] is the input of sublayer j, [N, blocks * n].
    private var acts: [[Float]] = []
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    public init(blocks: Int, width: Int, parameters: Int) {
        precondition(blocks >= 1 && width >= 1 && parameters >= 1, "TwinLayer needs blocks, width, parameters >= 1")
        self.blocks = blocks; self.width = width; self.parameters = parameters
        let full = width * width + width
        sublayers = (parameters + full - 1) / full
        lastSlots = parameters - (sublayers - 1) * full
    }

    /// Slot s of a sublayer -> (row, col) of W, or (row, -1) for the bias.
    @inline(__always) func slot(_ s: Int) -> (Int, Int) {
        let n = width
        if s < n * n { let d = s / n, i = s % n; return (i, (i + d) % n) }
        return (s - n * n, -1)
    }

    /// Parameter slots of sublayer j.
    func slots(_ j: Int) -> Int { j == sublayers - 1 ? lastSlots : width * width + width }

    public func register(in registry: ParameterRegistry, prefix: String) {
        off = registry.add(prefix + "weights", shape: [blocks, parameters])
    }
    public func bind(_ storage: ParameterStorage) { self.storage = storage }

    /// U(-1/sqrt(n), 1/sqrt(n)) for W and b (PyTorch's Linear default), except the diagonal, drawn
    /// around 1 so a one-sublayer twin with a small budget starts as tanh of ~its input.
    public func resetParameters(rng: inout SeededRNG) {
        let bound = 1 / Double(width).squareRoot()
        let p = storage.parameters + off
        for b in 0..<blocks {
            var k = 0
            for j in 0..<sublayers {
                for s in 0..<slots(j) {
                    let (r, c) = slot(s)
                    let u = (rng.uniform() * 2 - 1) * bound
                    p[b * parameters + k] = Float(r == c ? 1 + u : u)
                    k += 1
                }
            }
        }
    }

    /// Dense W [n, n] and b [n] of sublayer j of block b (unused slots 0).
    private func dense(block b: Int, sublayer j: Int) -> (w: [Float], b: [Float]) {
        let n = width
        var w = [Float](repeating: 0, count: n * n), bias = [Float](repeating: 0, count: n)
        let base = storage.parameters + off + b * parameters + j * (n * n + n)
        for s in 0..<slots(j) {
            let (r, c) = slot(s)
            if c >= 0 { w[r * n + c] = base[s] } else { bias[r] = base[s] }
        }
        return (w, bias)
    }

    /// [N, blocks * n] -> [N, blocks * n]; block c reads and writes columns c*n ..< (c+1)*n.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let n = width, f = blocks * n
        precondition(x.shape.count == 2 && x.shape[1] == f, "TwinLayer(\(blocks) x \(n)) expects [N, \(f)], got \(x.shape)")
        batch = x.shape[0]
        acts = [x.array]
        for j in 0..<sublayers {
            var next = [Float](repeating: 0, count: batch * f)
            for c in 0..<blocks {
                let (w, bias) = dense(block: c, sublayer: j)
                for r in 0..<batch {
                    for i in 0..<n {
                        var s = bias[i]
                        for k in 0..<n { s += w[i * n + k] * acts[j][r * f + c * n + k] }
                        next[r * f + c * n + i] = tanh(s)
                    }
                }
            }
            acts.append(next)
        }
        output.resize([batch, f])
        _ = output.buffer.update(fromContentsOf: acts[sublayers])
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let n = width, f = blocks * n
        precondition(dy.shape == [batch, f], "TwinLayer.backward: gradient \(dy.shape), expected [\(batch), \(f)]")
        var g = dy.array
        for j in stride(from: sublayers - 1, through: 0, by: -1) {
            let y = acts[j + 1], x = acts[j]
            var gx = [Float](repeating: 0, count: batch * f)
            for c in 0..<blocks {
                let (w, _) = dense(block: c, sublayer: j)
                var gw = [Float](repeating: 0, count: n * n), gb = [Float](repeating: 0, count: n)
                for r in 0..<batch {
                    for i in 0..<n {
                        let o = r * f + c * n + i
                        let gs = g[o] * (1 - y[o] * y[o])     // through tanh
                        gb[i] += gs
                        for k in 0..<n {
                            gw[i * n + k] += gs * x[r * f + c * n + k]
                            gx[r * f + c * n + k] += gs * w[i * n + k]
                        }
                    }
                }
                let base = storage.gradients + off + c * parameters + j * (n * n + n)
                for s in 0..<slots(j) {
                    let (r, col) = slot(s)
                    base[s] += col >= 0 ? gw[r * n + col] : gb[r]
                }
            }
            g = gx
        }
        gradInput.resize([batch, f])
        _ = gradInput.buffer.update(fromContentsOf: g)
        return gradInput
    }
}
