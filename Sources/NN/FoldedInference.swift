// FoldedInference: a forward-only, eval-mode runner of a network with every BatchNorm that follows
// a convolution folded into that convolution's weights and bias (and the following ReLU, and a
// ResNet block's residual add, fused into the convolution's output pass).
//
// Why: in eval mode BatchNorm is a fixed per-channel affine map, y = scale * conv(x) + shift, so
// conv(x, W * scale) + shift gives the same output with one pass over the activation instead of
// three (conv scatter, BN, ReLU), and a ResNet block's output is written once. The runner keeps
// no input for a backward pass, has no gradient buffers, and holds its activations in four
// reused slots (the most a BasicBlock has live: its input, the middle activation, the shortcut,
// its output) borrowed from the network's shared gradient tensors, and its column matrices in
// the network's workspace: only the folded weights are new memory. Max pooling writes its values
// (no argmax) into a slot; layers it does not know (average pooling, Linear, quantum layers) run
// as themselves with `training: false`. 3x3 stride-1 convolutions with 64 or more input channels
// run by Winograd F(4x4, 3x3) or F(2x2, 3x3), whichever takes fewer products on the plane
// (Winograd.swift); the others in cache-sized im2col tiles taken by
// the workers dynamically where the batch has enough of them (FoldedConvTiles.swift), else as one
// batched GEMM.
//
// The folded weights are a copy taken by `refresh()` (called by `init`): after the network's
// parameters or running statistics change, call `refresh()` again before the next forward. Do not
// run it between a training forward and its backward (the slots are the backward's gradients).

import Core

public final class FoldedInference {
    public let network: Network
    private let root: InferenceStep
    private let folded: [FoldedConv]

    /// Compiles `network.root` into folded steps and folds the current weights.
    public init(_ network: Network) {
        self.network = network
        var compiler = InferenceCompiler(context: network.context, workspace: network.workspace)
        var out: Int? = nil
        root = compiler.compile(network.root, inputSlot: nil, outputSlot: &out)
        folded = compiler.folded
        refresh()
    }

    /// Number of convolutions with a BatchNorm folded in (what the tests and logs check).
    public var foldedBatchNormCount: Int { folded.filter { $0.batchNorm != nil }.count }
    /// Number of convolutions run by the folded kernel (with or without a BatchNorm).
    public var convolutionCount: Int { folded.count }

    /// Number of convolutions run by Winograd (either tile).
    public var winogradCount: Int { folded.filter(\.usesWinograd).count }

    /// Re-reads every folded convolution's weights, bias and BatchNorm statistics from the network.
    public func refresh() { for f in folded { f.fold() } }

    /// Eval-mode logits (or whatever the root returns); the tensor is reused by the next call.
    public func forward(_ x: Tensor) -> Tensor { root.run(x) }
}

/// One compiled piece of the forward pass.
protocol InferenceStep: AnyObject {
    func run(_ x: Tensor) -> Tensor
}

/// Max pooling into an activation slot, values only (`MaxPool2d.forwardValues`).
final class MaxPoolStep: InferenceStep {
    let pool: MaxPool2d
    let output: Tensor
    init(_ pool: MaxPool2d, output: Tensor) { self.pool = pool; self.output = output }
    func run(_ x: Tensor) -> Tensor {
        pool.forwardValues(x, into: output)
        return output
    }
}

/// A layer the runner does not fold, run as itself in eval mode.
final class LayerStep: InferenceStep {
    let layer: Layer
    init(_ layer: Layer) { self.layer = layer }
    func run(_ x: Tensor) -> Tensor { layer.forward(x, training: false) }
}

final class SequenceStep: InferenceStep {
    let steps: [InferenceStep]
    init(_ steps: [InferenceStep]) { self.steps = steps }
    func run(_ x: Tensor) -> Tensor {
        var y = x
        for s in steps { y = s.run(y) }
        return y
    }
}

/// A ResNet BasicBlock: relu(conv2'(relu(conv1'(x))) + shortcut(x)), with the BatchNorms folded,
/// the residual add and the last ReLU done in conv2's output pass.
final class BlockStep: InferenceStep {
    let conv1: FoldedConv, conv2: FoldedConv, downsample: FoldedConv?
    init(conv1: FoldedConv, conv2: FoldedConv, downsample: FoldedConv?) {
        self.conv1 = conv1; self.conv2 = conv2; self.downsample = downsample
    }
    func run(_ x: Tensor) -> Tensor {
        let a = conv1.run(x, residual: nil)
        let shortcut = downsample?.run(x, residual: nil) ?? x
        return conv2.run(a, residual: shortcut)
    }
}

/// Conv2d (+ BatchNorm) (+ ReLU) (+ residual add), with the bias, residual and ReLU in the output
/// pass: Winograd (`WinogradPass`, whole planes) for a 3x3 stride-1 pad-1 kernel from
/// `ConvSettings.winogradMinChannels` input channels; else cache-sized im2col tiles, one per worker
/// at a time (`TiledConvPass`), when the batch gives every worker two or more; else one im2col +
/// GEMM over the whole batch (in chunks bounded by `ConvSettings.maxColumnElements`).
final class FoldedConv: InferenceStep {
    let conv: Conv2d
    let batchNorm: BatchNorm?
    let relu: Bool
    let output: Tensor
    private let threads: Threads
    private let settings: ConvSettings
    private let workspace: Workspace
    /// W * scale, [outC, K]; bias' = shift + bias * scale, [outC].
    private var weights: [Float]
    private var bias: [Float]
    /// Winograd-transformed W' [points, outC, C] per tile, made when a forward first needs it
    /// (the tile depends on the input size) and dropped by `fold`.
    private var winograd: [WinogradTile: [Float]] = [:]
    var usesWinograd: Bool {
        settings.winogradInference && conv.hasWinogradShape && conv.inChannels >= settings.winogradMinChannels
    }

    init(conv: Conv2d, batchNorm: BatchNorm?, relu: Bool, output: Tensor, context: NNContext, workspace: Workspace) {
        self.conv = conv; self.batchNorm = batchNorm; self.relu = relu; self.output = output
        threads = context.threads; settings = context.conv; self.workspace = workspace
        weights = [Float](repeating: 0, count: conv.outChannels * conv.k)
        bias = [Float](repeating: 0, count: conv.outChannels)
    }

    /// scale = gamma / sqrt(running_var + eps), shift = beta - running_mean * scale (in Double).
    func fold() {
        let oc = conv.outChannels, kk = conv.k, w = conv.weightValues, b = conv.biasValues
        for o in 0..<oc {
            var scale = 1.0, shift = 0.0
            if let bn = batchNorm {
                let p = bn.evalAffine
                scale = Double(p.gamma[o]) / (Double(p.variance[o]) + Double(bn.eps)).squareRoot()
                shift = Double(p.beta[o]) - Double(p.mean[o]) * scale
            }
            for i in 0..<kk { weights[o * kk + i] = Float(Double(w[o * kk + i]) * scale) }
            bias[o] = Float(shift + Double(b?[o] ?? 0) * scale)
        }
        winograd = [:]
    }

    /// U = G W' G^T for `tile`, made from the folded weights on first use.
    private func winogradWeights(for tile: WinogradTile) -> [Float] {
        if let u = winograd[tile] { return u }
        let oc = conv.outChannels, c = conv.inChannels
        var u = [Float](repeating: 0, count: tile.points * winogradWeightStride(outChannels: oc, inChannels: c))
        weights.withUnsafeBufferPointer { wb in
            u.withUnsafeMutableBufferPointer { ub in
                NN.winogradWeights(wb.baseAddress!, outChannels: oc, inChannels: c, tile: tile, into: ub.baseAddress!, threads: threads)
            }
        }
        winograd[tile] = u
        return u
    }

    func run(_ x: Tensor) -> Tensor { run(x, residual: nil) }

    /// y = act(W' * x + bias' (+ residual)), NCHW in and out.
    func run(_ x: Tensor, residual: Tensor?) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == conv.inChannels,
                     "Conv2d expects [N, \(conv.inChannels), H, W], got \(x.shape)")
        let n = x.shape[0], h = x.shape[2], w = x.shape[3]
        let (oh, ow) = conv.outputSize(h, w)
        precondition(oh > 0 && ow > 0, "Conv2d: input \(h)x\(w) too small for kernel \(conv.kernelH)x\(conv.kernelW)")
        output.resize([n, conv.outChannels, oh, ow])
        if let residual { precondition(residual.shape == output.shape, "residual \(residual.shape) vs output \(output.shape)") }
        let ohw = oh * ow, kk = conv.k, oc = conv.outChannels
        let chunk = Swift.max(1, Swift.min(n, settings.maxColumnElements / Swift.max(1, kk * ohw)))
        var g = conv.geometry
        g.h = h; g.w = w; g.oh = oh; g.ow = ow
        // A 1x1 stride-1 unpadded kernel needs no column matrix: sample s's columns are x[s] itself.
        let pointwise = conv.kernelH == 1 && conv.kernelW == 1 && conv.strideH == 1 && conv.strideW == 1
            && conv.padH == 0 && conv.padW == 0
        let y = output.data, r = residual?.data, act = relu
        if usesWinograd && WinogradGrid.pays(h: h, w: w) {
            // The Winograd passes (Winograd.swift) with this layer's epilogue, on the tile that takes fewer products.
            let c = conv.inChannels, hw = h * w
            let tile = WinogradTile.forInference(h: h, w: w, largeTiles: settings.winogradInferenceLargeTiles)
            winogradWeights(for: tile).withUnsafeBufferPointer { ub in
                bias.withUnsafeBufferPointer { bb in
                    WinogradPass.forEachChunk(n: n, h: h, w: w, tile: tile, inChannels: c, outChannels: oc,
                                              maxElements: settings.maxColumnElements, threads: threads) { pass, n0 in
                        pass.convolve(x.data + n0 * c * hw, u: ub.baseAddress!, bias: bb.baseAddress!, residual: r.map { UnsafePointer($0 + n0 * oc * hw) },
                                      relu: act, output: y + n0 * oc * hw, workspace: workspace)
                    }
                }
            }
            return output
        }
        if let plan = ConvTilePlan.make(n: n, oh: oh, ow: ow, k: kk, workers: threads.count, settings: settings) {
            weights.withUnsafeBufferPointer { wb in
                bias.withUnsafeBufferPointer { bb in
                    TiledConvPass(x: x.data, geometry: g, batch: n, outChannels: oc, k: kk, weights: wb.baseAddress!,
                                  bias: bb.baseAddress!, output: y, residual: r, relu: act, pointwise: pointwise)
                        .run(plan, threads: threads, workspace: workspace)
                }
            }
            return output
        }
        // Too few tiles for the workers (small outputs, e.g. layer4 at 32-64 px): one GEMM over the
        // chunk's N*OH*OW columns, split over the threads (`threadedSgemm`).
        weights.withUnsafeBufferPointer { wb in
            bias.withUnsafeBufferPointer { bb in
                let wp = wb.baseAddress!, bp = bb.baseAddress!
                var n0 = 0
                while n0 < n {
                    let n1 = pointwise ? n0 + 1 : Swift.min(n, n0 + chunk), p = (n1 - n0) * ohw, nc = n1 - n0, base = n0
                    let ycn: UnsafeMutablePointer<Float>
                    if pointwise {
                        // Straight into the output plane; the epilogue below then runs in place.
                        ycn = y + base * oc * ohw
                        threadedSgemm(threads, m: oc, n: ohw, k: kk, a: wp, lda: kk, b: x.data + base * kk * ohw, ldb: ohw, beta: 0, c: ycn, ldc: ohw)
                    } else {
                        let cols = workspace.buffer(0, count: kk * p)
                        ycn = workspace.buffer(1, count: oc * p)
                        im2colKernel(x.data, g, n0, n1, cols, threads: threads)
                        threadedSgemm(threads, m: oc, n: p, k: kk, a: wp, lda: kk, b: cols, ldb: p, beta: 0, c: ycn, ldc: p)
                    }
                    // Y[oc, (n, pix)] -> NCHW with the bias, the residual and the ReLU in one pass.
                    threads.forChunks(oc * nc, minPerChunk: 8) { lo, hi in
                        for t in lo..<hi {
                            let o = t / nc, s = t % nc
                            let src = pointwise ? ycn + (s * oc + o) * ohw : ycn + o * p + s * ohw
                            let off = ((base + s) * oc + o) * ohw
                            foldedEpilogue(y + off, src, r.map { $0 + off }, ohw, bp[o], act)
                        }
                    }
                    n0 = n1
                }
            }
        }
        return output
    }
}

/// Turns a layer tree into steps, handing each folded convolution an activation slot that none
/// of the tensors still live at that point occupies.
struct InferenceCompiler {
    let context: NNContext
    let workspace: Workspace
    var folded: [FoldedConv] = []
    /// The network's shared gradient tensors, free between training steps.
    let slots: [Tensor]

    init(context: NNContext, workspace: Workspace) {
        self.context = context; self.workspace = workspace
        slots = workspace.sharedTensors
        precondition(slots.count >= 4, "FoldedInference needs four activation slots")
    }

    /// A slot none of `busy` uses.
    private func freeSlot(_ busy: [Int?]) -> Int {
        (0..<slots.count).first { s in !busy.contains(s) }!
    }

    private mutating func fold(_ conv: Conv2d, _ bn: BatchNorm?, relu: Bool, busy: [Int?]) -> (FoldedConv, Int) {
        let s = freeSlot(busy)
        let f = FoldedConv(conv: conv, batchNorm: bn, relu: relu, output: slots[s], context: context, workspace: workspace)
        folded.append(f)
        return (f, s)
    }

    /// Compiles `layer` whose input lives in `inputSlot` (nil: a tensor not in a slot); sets
    /// `outputSlot` to the slot of the step's output (nil: a layer's own tensor).
    mutating func compile(_ layer: Layer, inputSlot: Int?, outputSlot: inout Int?) -> InferenceStep {
        if let seq = layer as? Sequential {
            var steps: [InferenceStep] = [], slot = inputSlot, i = 0
            let kids = seq.children.map(\.layer)
            while i < kids.count {
                if let conv = kids[i] as? Conv2d {
                    let bn = i + 1 < kids.count ? kids[i + 1] as? BatchNorm : nil
                    var used = 1 + (bn == nil ? 0 : 1)
                    var relu = bn?.fusedReLU ?? false
                    if !relu, i + used < kids.count, kids[i + used] is ReLU { relu = true; used += 1 }
                    let (f, s) = fold(conv, bn, relu: relu, busy: [slot])
                    steps.append(f); slot = s; i += used
                } else {
                    var o: Int? = nil
                    steps.append(compile(kids[i], inputSlot: slot, outputSlot: &o))
                    slot = o; i += 1
                }
            }
            outputSlot = slot
            return steps.count == 1 ? steps[0] : SequenceStep(steps)
        }
        if let block = layer as? BasicBlock {
            let (c1, s1) = fold(block.conv1, block.bn1, relu: block.bn1.fusedReLU, busy: [inputSlot])
            var ds: FoldedConv? = nil, sd: Int? = inputSlot
            if let d = block.downsample {
                let kids = d.children.map(\.layer)
                guard kids.count == 2, let conv = kids[0] as? Conv2d, let bn = kids[1] as? BatchNorm, !bn.fusedReLU else {
                    preconditionFailure("BasicBlock downsample must be Conv2d + BatchNorm")
                }
                let (f, s) = fold(conv, bn, relu: false, busy: [inputSlot, s1])
                ds = f; sd = s
            }
            // The block ends with relu(bn2(conv2 a) + shortcut); bn2 itself carries no ReLU.
            precondition(!block.bn2.fusedReLU, "BasicBlock bn2 must not fuse a ReLU (the add comes first)")
            let (c2, s2) = fold(block.conv2, block.bn2, relu: true, busy: [inputSlot, s1, sd])
            outputSlot = s2
            return BlockStep(conv1: c1, conv2: c2, downsample: ds)
        }
        if let conv = layer as? Conv2d {
            let (f, s) = fold(conv, nil, relu: false, busy: [inputSlot])
            outputSlot = s
            return f
        }
        if let pool = layer as? MaxPool2d {
            let s = freeSlot([inputSlot])
            outputSlot = s
            return MaxPoolStep(pool, output: slots[s])
        }
        outputSlot = nil  // the layer's own tensor
        return LayerStep(layer)
    }
}
