// ResNet BasicBlock (torchvision layout): relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut(x)).
//
// The shortcut is the identity, or a 1x1 strided conv + BN ("downsample.0", "downsample.1") when
// the stride or channel count changes. bn1 carries the block's first ReLU fused in.

import Core

public final class BasicBlock: Layer {
    public let conv1: Conv2d, bn1: BatchNorm, conv2: Conv2d, bn2: BatchNorm
    public let downsample: Sequential?
    /// The block's output: bn2's output tensor, overwritten in place by relu(. + shortcut) (bn2's
    /// backward does not read its output, so no separate buffer is needed).
    private var output: Tensor?
    private let gradSum = Tensor(zeros: [0])
    /// Threads of the residual sum and the final ReLU, from the network's context at bind.
    private var threads = Threads.serial
    private var workspace: Workspace!

    public init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1, weightInit: WeightInit = .kaimingNormalFanOut) {
        conv1 = Conv2d(inChannels, outChannels, kernel: 3, stride: stride, padding: 1, bias: false, weightInit: weightInit)
        bn1 = BatchNorm(outChannels, fusedReLU: true)
        conv2 = Conv2d(outChannels, outChannels, kernel: 3, stride: 1, padding: 1, bias: false, weightInit: weightInit)
        bn2 = BatchNorm(outChannels)
        if stride != 1 || inChannels != outChannels {
            downsample = Sequential([Conv2d(inChannels, outChannels, kernel: 1, stride: stride, bias: false, weightInit: weightInit),
                                     BatchNorm(outChannels)])
        } else {
            downsample = nil
        }
    }

    private var children: [(String, Layer)] {
        var c: [(String, Layer)] = [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2)]
        if let downsample { c.append(("downsample", downsample)) }
        return c
    }

    public func register(in registry: ParameterRegistry, prefix: String) {
        for (name, layer) in children { layer.register(in: registry, prefix: prefix + name + ".") }
    }
    public func bind(_ storage: ParameterStorage) {
        threads = storage.context.threads
        workspace = storage.workspace
        for (_, l) in children { l.bind(storage) }
    }
    public func resetParameters(rng: inout SeededRNG) { for (_, l) in children { l.resetParameters(rng: &rng) } }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let a = bn1.forward(conv1.forward(x, training: training), training: training)
        let b = bn2.forward(conv2.forward(a, training: training), training: training)
        let shortcut = downsample?.forward(x, training: training) ?? x
        precondition(shortcut.shape == b.shape, "BasicBlock: shortcut \(shortcut.shape) vs main path \(b.shape)")
        let bp = b.data, sp = shortcut.data
        threads.forChunks(b.count, minPerChunk: 1 << 15) { lo, hi in
            for i in lo..<hi { bp[i] = Swift.max(0, bp[i] + sp[i]) }
        }
        output = b
        return b
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let output else { preconditionFailure("BasicBlock.backward before forward") }
        // Through the final ReLU: one gradient feeds both the main path and the shortcut.
        gradSum.resize(dy.shape)
        let yp = output.data, gp = dy.data, gs = gradSum.data
        threads.forChunks(dy.count, minPerChunk: 1 << 15) { lo, hi in
            for i in lo..<hi { gs[i] = yp[i] > 0 ? gp[i] : 0 }
        }
        // The shortcut first, its gradient pinned while the main path uses the shared tensors;
        // the block's input gradient is then summed into the main path's in place.
        let dShort = downsample?.backward(gradSum) ?? gradSum
        workspace.pin(dShort)
        let dMain = conv1.backward(bn1.backward(conv2.backward(bn2.backward(gradSum))))
        workspace.unpin(dShort)
        precondition(dMain.shape == dShort.shape && dMain !== dShort, "BasicBlock: gradient buffers overlap")
        let ap = dMain.data, sp = dShort.data
        threads.forChunks(dMain.count, minPerChunk: 1 << 15) { lo, hi in
            for i in lo..<hi { ap[i] += sp[i] }
        }
        return dMain
    }
}
