// Optimisers over a network's flat parameter and gradient buffers, with PyTorch's update rules.
//
// Weight decay: `.l2` adds wd * p to the gradient before the update (torch's `weight_decay`);
// `.decoupled` shrinks the parameters by lr * wd before the update (AdamW). Every element is
// independent, so the loops are split across the worker threads handed to `step` (a network's
// own `context.threads` for `step(network)`).

import Core

public enum WeightDecay: Sendable, Equatable {
    case none
    case l2(Float)
    case decoupled(Float)
}

public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    /// Number of steps taken so far.
    var stepCount: Int { get }
    /// Updates `parameters` in place from `gradients` (same length, as laid out by a Network),
    /// splitting the elementwise loops over `threads` (the result does not depend on them).
    /// With `.l2` weight decay the gradient buffer holds the decayed gradient afterwards.
    func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>, threads: Threads)
    /// The internal buffers (moments) this process holds, in a fixed order; empty before the
    /// first step.
    var stateBuffers: [[Float]] { get }
    /// The internal buffers over all parameters, for a resumable checkpoint: `stateBuffers` for an
    /// optimiser that holds all of them; collective for one whose state is split over ranks
    /// (Training's ShardedOptimizer), so every rank must call it.
    func checkpointBuffers() -> [[Float]]
    /// Restores what `stepCount` and `checkpointBuffers()` returned, so the next step is the one the
    /// saved optimiser would have taken. Throws when the buffer count does not fit this optimiser.
    func restoreState(stepCount: Int, buffers: [[Float]]) throws
}

/// Checks restored optimiser buffers: `expected` of them (or none, before the first step), equal lengths.
private func checkRestore(_ name: String, _ buffers: [[Float]], expected: Int) throws {
    guard buffers.isEmpty || (buffers.count == expected && Set(buffers.map(\.count)).count == 1) else {
        throw DeepfakeError("\(name) state: \(buffers.count) buffer(s) of lengths \(buffers.map(\.count)) do not fit (\(expected) "
            + "of one length expected): the checkpoint was written by another optimiser; resume with the run's own config.yaml")
    }
}

extension Optimizer {
    public func checkpointBuffers() -> [[Float]] { stateBuffers }

    /// One step of `network`'s parameters, on the network's own threads.
    public func step(_ network: Network) {
        step(parameters: network.parameters, gradients: network.gradients, threads: network.context.threads)
    }
}

/// Runs `body(lo, hi)` over chunks of `n` elements on the worker threads.
@inline(__always)
private func elementwise(_ n: Int, _ threads: Threads, _ body: (Int, Int) -> Void) {
    threads.forChunks(n, minPerChunk: 1 << 16, body)
}

/// Applies weight decay to elements lo..<hi before the update: `.l2` adds c * p to the gradient
/// buffer (as torch does to its grad), `.decoupled` scales p by 1 - lr * c. Done as its own pass
/// so the update loops stay branch-free and vectorise.
private func applyDecay(_ wd: WeightDecay, lr: Float, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>, _ lo: Int, _ hi: Int) {
    switch wd {
    case .none: break
    case .l2(let c): for i in lo..<hi { g[i] += c * p[i] }
    case .decoupled(let c): let f = 1 - lr * c; for i in lo..<hi { p[i] *= f }
    }
}

/// Adam (Kingma & Ba) as torch.optim.Adam: m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public let weightDecay: WeightDecay
    public private(set) var stepCount = 0
    private var m: [Float] = [], v: [Float] = []

    public init(learningRate: Float, beta1: Float = 0.5, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: WeightDecay = .none) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }

    public var stateBuffers: [[Float]] { m.isEmpty ? [] : [m, v] }

    public func restoreState(stepCount: Int, buffers: [[Float]]) throws {
        try checkRestore("Adam", buffers, expected: 2)
        self.stepCount = stepCount
        (m, v) = buffers.isEmpty ? ([], []) : (buffers[0], buffers[1])
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>, threads: Threads) {
        precondition(parameters.count == gradients.count)
        if m.count != parameters.count {
            m = [Float](repeating: 0, count: parameters.count); v = m
        }
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - _pow(Double(beta1), t), bc2 = 1 - _pow(Double(beta2), t)
        let stepSize = Float(Double(learningRate) / bc1), sqrtBc2 = Float(bc2.squareRoot())
        let b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay, lr = learningRate
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let mp = mb.baseAddress!, vp = vb.baseAddress!
                elementwise(parameters.count, threads) { lo, hi in
                    applyDecay(wd, lr: lr, p: p, g: g, lo, hi)
                    // 8 lanes at a time (the compiler cannot prove the four buffers disjoint).
                    var i = lo
                    let vb1 = V8(repeating: b1), vb1c = V8(repeating: 1 - b1), vb2 = V8(repeating: b2), vb2c = V8(repeating: 1 - b2)
                    let vs = V8(repeating: stepSize), vbc = V8(repeating: 1 / sqrtBc2), veps = V8(repeating: eps)
                    while i + 8 <= hi {
                        let gi = load8(g, i)
                        let mi = vb1 * load8(mp, i) + vb1c * gi
                        let vi = vb2 * load8(vp, i) + vb2c * gi * gi
                        store8(mp, i, mi); store8(vp, i, vi)
                        store8(p, i, load8(p, i) - vs * mi / (vi.squareRoot() * vbc + veps))
                        i += 8
                    }
                    // The tail computes exactly what the lanes do (the same operations in the same order),
                    // so an element's update does not depend on where a thread's chunk or a rank's part
                    // (ShardedOptimizer) begins.
                    let invBc = 1 / sqrtBc2
                    while i < hi {
                        let gi = g[i]
                        mp[i] = b1 * mp[i] + (1 - b1) * gi
                        vp[i] = b2 * vp[i] + (1 - b2) * gi * gi
                        p[i] = p[i] - stepSize * mp[i] / (vp[i].squareRoot() * invBc + eps)
                        i += 1
                    }
                }
            }
        }
    }
}

/// Adamax as torch.optim.Adamax: m = b1 m + (1-b1) g, u = max(b2 u, |g| + eps),
/// p -= lr / (1 - b1^t) * m / u.
public final class Adamax: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public let weightDecay: WeightDecay
    public private(set) var stepCount = 0
    private var m: [Float] = [], u: [Float] = []

    public init(learningRate: Float = 0.002, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: WeightDecay = .none) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
    }

    public var stateBuffers: [[Float]] { m.isEmpty ? [] : [m, u] }

    public func restoreState(stepCount: Int, buffers: [[Float]]) throws {
        try checkRestore("Adamax", buffers, expected: 2)
        self.stepCount = stepCount
        (m, u) = buffers.isEmpty ? ([], []) : (buffers[0], buffers[1])
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>, threads: Threads) {
        precondition(parameters.count == gradients.count)
        if m.count != parameters.count {
            m = [Float](repeating: 0, count: parameters.count); u = m
        }
        stepCount += 1
        let clr = Float(Double(learningRate) / (1 - _pow(Double(beta1), Double(stepCount))))
        let b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay, lr = learningRate
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        m.withUnsafeMutableBufferPointer { mb in
            u.withUnsafeMutableBufferPointer { ub in
                let mp = mb.baseAddress!, up = ub.baseAddress!
                elementwise(parameters.count, threads) { lo, hi in
                    applyDecay(wd, lr: lr, p: p, g: g, lo, hi)
                    for i in lo..<hi {
                        let gi = g[i]
                        mp[i] = b1 * mp[i] + (1 - b1) * gi
                        up[i] = Swift.max(b2 * up[i], Swift.abs(gi) + eps)
                        p[i] -= clr * mp[i] / up[i]
                    }
                }
            }
        }
    }
}

/// SGD as torch.optim.SGD (dampening 0): buf = g on the first step, then buf = mu buf + g;
/// the update direction is buf, or g + mu buf with Nesterov.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float, nesterov: Bool
    public let weightDecay: WeightDecay
    public private(set) var stepCount = 0
    private var buf: [Float] = []

    public init(learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: WeightDecay = .none) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
    }

    public var stateBuffers: [[Float]] { buf.isEmpty ? [] : [buf] }

    public func restoreState(stepCount: Int, buffers: [[Float]]) throws {
        try checkRestore("SGD", buffers, expected: 1)
        self.stepCount = stepCount
        buf = buffers.first ?? []
    }

    public func step(parameters: UnsafeMutableBufferPointer<Float>, gradients: UnsafeMutableBufferPointer<Float>, threads: Threads) {
        precondition(parameters.count == gradients.count)
        let first = stepCount == 0
        stepCount += 1
        if momentum != 0 && buf.count != parameters.count { buf = [Float](repeating: 0, count: parameters.count) }
        let mu = momentum, nest = nesterov, wd = weightDecay, lr = learningRate
        let p = parameters.baseAddress!, g = gradients.baseAddress!
        buf.withUnsafeMutableBufferPointer { bb in
            let bp = bb.baseAddress
            elementwise(parameters.count, threads) { lo, hi in
                applyDecay(wd, lr: lr, p: p, g: g, lo, hi)
                for i in lo..<hi {
                    var d = g[i]
                    if let bp {
                        bp[i] = first ? d : mu * bp[i] + d
                        d = nest ? d + mu * bp[i] : bp[i]
                    }
                    p[i] -= lr * d
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
#elseif canImport(Darwin)
import Darwin
@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { Darwin.pow(x, y) }
#endif
