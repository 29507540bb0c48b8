// BatchNorm over the channel dimension (dim 1) of [N, C, ...] tensors, with an optional fused ReLU.
//
// Training: normalise with the batch's mean and biased variance, and update the running
// statistics as PyTorch does (momentum 0.1, running_var from the unbiased variance). Evaluation:
// normalise with the running statistics. Fusing the following ReLU saves one pass over the
// activation and one buffer, which is measurable in a ResNet.

import Core

public final class BatchNorm: Layer {
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    /// Applies max(0, .) to the output (and masks the gradient) when true.
    public var fusedReLU: Bool

    private var storage: ParameterStorage!
    private var gOff = 0, bOff = 0, rmOff = 0, rvOff = 0
    private var input: Tensor?
    private var wasTraining = false
    private let output = Tensor(zeros: [0])
    private var mean: [Float], invStd: [Float]
    /// Values per channel the last training forward normalised over (all ranks of the group).
    private var groupCount: Float = 0

    /// Threads of the per-channel loops, and the data-parallel group whose statistics are
    /// summed in training (SyncBatchNorm; nil: this process's batch only), from the network's
    /// context at bind.
    private var threads = Threads.serial
    private var group: (any Communicator)?

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, fusedReLU: Bool = false) {
        self.channels = channels; self.eps = eps; self.momentum = momentum; self.fusedReLU = fusedReLU
        mean = [Float](repeating: 0, count: channels)
        invStd = [Float](repeating: 1, count: channels)
    }

    public func register(in registry: ParameterRegistry, prefix: String) {
        gOff = registry.add(prefix + "weight", shape: [channels])
        bOff = registry.add(prefix + "bias", shape: [channels])
        rmOff = registry.add(prefix + "running_mean", shape: [channels], kind: .state)
        rvOff = registry.add(prefix + "running_var", shape: [channels], kind: .state)
    }
    public func bind(_ storage: ParameterStorage) {
        self.storage = storage
        threads = storage.context.threads
        group = storage.context.reductionGroup
    }

    /// gamma, beta, running mean and running variance [channels] in the bound buffers (inference
    /// folding reads them).
    var evalAffine: (gamma: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                     mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>) {
        (storage.parameters + gOff, storage.parameters + bOff, storage.state + rmOff, storage.state + rvOff)
    }

    public func resetParameters(rng: inout SeededRNG) {
        (storage.parameters + gOff).update(repeating: 1, count: channels)
        (storage.parameters + bOff).update(repeating: 0, count: channels)
        (storage.state + rmOff).update(repeating: 0, count: channels)
        (storage.state + rvOff).update(repeating: 1, count: channels)
    }

    /// x: [N, C] or [N, C, ...]; same shape out.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count >= 2 && x.shape[1] == channels, "BatchNorm(\(channels)) got \(x.shape)")
        input = x
        wasTraining = training
        output.resize(x.shape)
        let n = x.shape[0], l = x.count / (n * channels), c = channels, m = n * l
        precondition(!training || m > 1, "BatchNorm in training needs more than one value per channel, got \(x.shape)")
        let gamma = storage.parameters + gOff, beta = storage.parameters + bOff
        let rm = storage.state + rmOff, rv = storage.state + rvOff
        let xp = x.data, yp = output.data, relu = fusedReLU, mom = momentum, eps = eps
        // Training: batch statistics, summed over the data-parallel group when one is set
        // (two small allreduces: the sums, then the squared deviations from the global mean).
        var total = Double(m)
        if training {
            var sums = [Double](repeating: 0, count: c + 1)
            sums.withUnsafeMutableBufferPointer { sb in
                let sp = sb.baseAddress!
                threads.forChunks(c) { lo, hi in
                    for ch in lo..<hi {
                        // Float sums within a plane (vectorised), Double across planes.
                        var s = 0.0
                        for b in 0..<n { s += Double(planeSum(xp + (b * c + ch) * l, l)) }
                        sp[ch] = s
                    }
                }
                sp[c] = Double(m)
                group?.allreduceSum(sb)
            }
            total = sums[c]
            var dev = [Double](repeating: 0, count: c)
            dev.withUnsafeMutableBufferPointer { db in
                let dp = db.baseAddress!
                threads.forChunks(c) { lo, hi in
                    for ch in lo..<hi {
                        let mf = Float(sums[ch] / total)
                        var v = 0.0
                        for b in 0..<n { v += Double(planeSquaredDeviation(xp + (b * c + ch) * l, l, mf)) }
                        dp[ch] = v
                    }
                }
                group?.allreduceSum(db)
            }
            for ch in 0..<c {
                let mf = Float(sums[ch] / total), varB = dev[ch] / total
                mean[ch] = mf
                invStd[ch] = Float(1 / (varB + Double(eps)).squareRoot())
                rm[ch] = (1 - mom) * rm[ch] + mom * mf
                rv[ch] = (1 - mom) * rv[ch] + mom * Float(dev[ch] / (total - 1))
            }
        } else {
            for ch in 0..<c { mean[ch] = rm[ch]; invStd[ch] = 1 / (rv[ch] + eps).squareRoot() }
        }
        groupCount = Float(total)
        mean.withUnsafeMutableBufferPointer { meanB in
            invStd.withUnsafeMutableBufferPointer { isB in
                let meanP = meanB.baseAddress!, isP = isB.baseAddress!
                threads.forChunks(c) { lo, hi in
                    for ch in lo..<hi {
                        let mu = meanP[ch], inv = isP[ch]
                        let scale = gamma[ch] * inv, shift = beta[ch] - mu * scale
                        for b in 0..<n {
                            let p = xp + (b * c + ch) * l, q = yp + (b * c + ch) * l
                            if relu { for i in 0..<l { q[i] = Swift.max(0, p[i] * scale + shift) } }
                            else { for i in 0..<l { q[i] = p[i] * scale + shift } }
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm.backward before forward") }
        precondition(dy.shape == x.shape, "BatchNorm.backward: gradient \(dy.shape) for input \(x.shape)")
        let gradInput = storage.workspace.inputGradient(x.shape, reading: dy)
        let n = x.shape[0], l = x.count / (n * channels), c = channels, localM = Float(n * l)
        let gamma = storage.parameters + gOff
        let dg = storage.gradients + gOff, db = storage.gradients + bOff
        let xp = x.data, yp = output.data, gp = dy.data, dxp = gradInput.data
        let relu = fusedReLU, training = wasTraining
        // Sums of dy and dy * xhat per channel (dy masked by the fused ReLU), over the group.
        var sums = [Double](repeating: 0, count: 2 * c)
        mean.withUnsafeBufferPointer { meanB in
            invStd.withUnsafeBufferPointer { isB in
                sums.withUnsafeMutableBufferPointer { sb in
                    let meanP = meanB.baseAddress!, isP = isB.baseAddress!, sp = sb.baseAddress!
                    threads.forChunks(c) { lo, hi in
                        for ch in lo..<hi {
                            var sdy = 0.0, sdyx = 0.0
                            for b in 0..<n {
                                let off = (b * c + ch) * l
                                let (a, bx) = planeGradSums(xp + off, gp + off, yp + off, l, meanP[ch], relu)
                                sdy += Double(a); sdyx += Double(bx)
                            }
                            sp[ch] = sdy; sp[c + ch] = sdyx * Double(isP[ch])
                        }
                    }
                }
            }
        }
        // gamma/beta gradients are local sums (the model's gradient allreduce adds them up);
        // the input gradient needs the group's sums.
        for ch in 0..<c { dg[ch] += Float(sums[c + ch]); db[ch] += Float(sums[ch]) }
        if training { sums.withUnsafeMutableBufferPointer { group?.allreduceSum($0) } }
        let m = training ? groupCount : localM
        mean.withUnsafeBufferPointer { meanB in
            invStd.withUnsafeBufferPointer { isB in
                let meanP = meanB.baseAddress!, isP = isB.baseAddress!
                threads.forChunks(c) { lo, hi in
                    for ch in lo..<hi {
                        let mu = meanP[ch], inv = isP[ch]
                        let k = gamma[ch] * inv
                        let a = Float(sums[ch]) / m, bcoef = Float(sums[c + ch]) / m
                        // dx = gamma*inv/M * (M dy - sum dy - xhat * sum dy*xhat) = k*d + c0 + c1*x
                        let c1: Float = training ? -k * inv * bcoef : 0
                        let c0: Float = training ? -k * a + k * inv * bcoef * mu : 0
                        for b in 0..<n {
                            let off = (b * c + ch) * l
                            let p = xp + off, g = gp + off, q = yp + off, dx = dxp + off
                            bnInputGradient(dx, g, p, q, l, k, c0, c1, relu)
                        }
                    }
                }
            }
        }
        return gradInput
    }
}

// Reductions use 8-wide SIMD accumulators: Swift does not reorder Float additions on its own,
// so a scalar loop would not vectorise.
@inline(__always)
private func planeSum(_ p: UnsafeMutablePointer<Float>, _ l: Int) -> Float {
    var acc = V8(repeating: 0), i = 0
    while i + 8 <= l { acc += load8(p, i); i += 8 }
    var s = acc.sum()
    while i < l { s += p[i]; i += 1 }
    return s
}

@inline(__always)
private func planeSquaredDeviation(_ p: UnsafeMutablePointer<Float>, _ l: Int, _ mu: Float) -> Float {
    var acc = V8(repeating: 0), i = 0
    let m = V8(repeating: mu)
    while i + 8 <= l { let d = load8(p, i) - m; acc += d * d; i += 8 }
    var s = acc.sum()
    while i < l { let d = p[i] - mu; s += d * d; i += 1 }
    return s
}

/// (sum d, sum d * (x - mu)) over one plane, d = dy masked by the output's sign when `relu`.
@inline(__always)
private func planeGradSums(_ x: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                           _ l: Int, _ mu: Float, _ relu: Bool) -> (Float, Float) {
    var a = V8(repeating: 0), ax = V8(repeating: 0), i = 0
    let m = V8(repeating: mu), zero = V8(repeating: 0)
    while i + 8 <= l {
        var d = load8(g, i)
        if relu { d.replace(with: zero, where: load8(y, i) .<= zero) }
        a += d; ax += d * (load8(x, i) - m); i += 8
    }
    var s = a.sum(), sx = ax.sum()
    while i < l {
        let d = (relu && y[i] <= 0) ? 0 : g[i]
        s += d; sx += d * (x[i] - mu); i += 1
    }
    return (s, sx)
}

/// dx = k * d + c0 + c1 * x over one plane, d = dy masked where the (fused-ReLU) output is 0.
@inline(__always)
private func bnInputGradient(_ dx: UnsafeMutablePointer<Float>, _ g: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>,
                             _ y: UnsafeMutablePointer<Float>, _ l: Int, _ k: Float, _ c0: Float, _ c1: Float, _ relu: Bool) {
    let vk = V8(repeating: k), v0 = V8(repeating: c0), v1 = V8(repeating: c1), zero = V8(repeating: 0)
    var i = 0
    while i + 8 <= l {
        var d = load8(g, i)
        if relu { d.replace(with: zero, where: load8(y, i) .<= zero) }
        store8(dx, i, vk * d + v0 + v1 * load8(x, i))
        i += 8
    }
    while i < l {
        let d = (relu && y[i] <= 0) ? 0 : g[i]
        dx[i] = k * d + c0 + c1 * x[i]
        i += 1
    }
}

/// torch.nn.BatchNorm2d over [N, C, H, W].
public typealias BatchNorm2d = BatchNorm
/// torch.nn.BatchNorm1d over [N, C] or [N, C, L].
public typealias BatchNorm1d = BatchNorm
