// The quanvolution model (QNN): QuanvLayer ([N, C, H, W] -> [N, 4C, H/2, W/2], 4 qubits per
// 2x2 patch) followed by a small ResNet-style CNN.
//
// Why not the ResNet-18 body: after the quanvolution a 32x32 image is 16x16, and ResNet-18's
// stride-2 stem + maxpool + three strided stages would reduce it to 1x1 by layer3 with 11M
// parameters on 2 cores. The CNN here keeps the ResNet ingredients (BasicBlocks, BatchNorm,
// global average pooling) at a size that trains in seconds per epoch:
// stem conv3x3 4C->32 + bn+relu -> block(32,32) -> block(32,64,/2) -> block(64,128,/2) -> avgpool -> fc 128->2.
// With `classicalTwin` the quanvolution is replaced by a patch-wise TwinLayer (4 -> 4, same
// parameter count: the random-layer angles when trainable; 0 trainable otherwise, then the twin
// is a fixed seeded random map, like the fixed circuit).

import Core
import NN
import Quantum

public final class QNNModel: QuantumCircuitModel {
    public let name: String
    public let numChannels: Int
    public let numClasses = 2
    public let network: Network
    public let quanv: QuanvLayer?
    public let twin: PatchTwinLayer?

    /// `diffMethod`: the quanvolution's gradient method; `context`: the network's threads (also the
    /// quanvolution's), SyncBatchNorm group and conv settings; `stateGroup`: the ranks that share
    /// the trainable quanvolution's patch circuits (ProcessGrid.state; nil or one rank: not shared).
    public init(numChannels: Int, seed: UInt64, mode: QuanvLayer.Mode, mean: [Float], std: [Float],
                diffMethod: DiffMethod, classicalTwin: Bool = false, context: NNContext = .serial,
                stateGroup: (any Communicator)? = nil) {
        self.numChannels = numChannels
        name = classicalTwin ? "QNN-twin" : "QNN"
        let front: Layer
        if classicalTwin {
            let rotations = QuanvolutionCircuit(seed: seed).weights.count
            let t = PatchTwinLayer(channels: numChannels, parameters: rotations, trainable: mode == .trainable,
                                   mean: mean, std: std)
            twin = t; quanv = nil; front = t
        } else {
            let q = QuanvLayer(channels: numChannels, seed: seed, mode: mode, mean: mean, std: std,
                               diffMethod: diffMethod, threads: context.threads, stateGroup: stateGroup)
            quanv = q; twin = nil; front = q
        }
        let stem = Conv2d(4 * numChannels, 32, kernel: 3, stride: 1, padding: 1, bias: false, weightInit: .kaimingNormalFanOut)
        network = Network(Sequential([
            ("quanv", front),
            ("conv1", stem), ("bn1", BatchNorm(32, fusedReLU: true)),
            ("layer1", BasicBlock(32, 32)), ("layer2", BasicBlock(32, 64, stride: 2)), ("layer3", BasicBlock(64, 128, stride: 2)),
            ("avgpool", GlobalAvgPool()), ("fc", Linear(128, 2)),
        ]), seed: seed, context: context)
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == numChannels && x.shape[2] >= 2 && x.shape[3] >= 2,
                     "QNN expects [N, \(numChannels), H >= 2, W >= 2] images, got \(x.shape)")
        return network.forward(x, training: training)
    }

    /// The quanvolution circuit; `imageSize` (H, W) gives the patches per image.
    public func quantumParts(height: Int, width: Int) -> [QuantumPart] {
        guard let q = quanv else { return [] }
        let trained = q.mode == .trainable
        let w = q.currentWeights
        let mode: String
        switch q.mode {
        case .fixed: mode = "fixed circuit simulated every step (forward only, no gradient)"
        case .trainable:
            mode = q.circuitRanks > 1
                ? "trainable: the patches of a batch split over the \(q.circuitRanks) ranks of a state group (each simulates 1/\(q.circuitRanks) "
                    + "of them as one batch, whole 4-qubit states), \(q.diffMethod.rawValue) gradients, features gathered and weight gradients summed over the group"
                : "trainable: all patches of a batch simulated as one batch, \(q.diffMethod.rawValue) gradients"
        case .cached: mode = "fixed circuit, features computed once and read from the HDF5 cache"
        }
        return [QuantumPart(name: "quanv", circuit: q.circuit.circuit, copies: 1,
                            evaluationsPerImage: numChannels * (height / 2) * (width / 2),
                            differentiated: trained, diffMethod: trained ? q.diffMethod : nil, weights: { _ in w }, mode: mode,
                            cached: q.mode == .cached, measuredStep: { q.firstTrainingStep }, circuitRanks: q.circuitRanks,
                            stateBytes: { q.stateBytes(images: $0, height: height, width: width) })]
    }

    public func quantumStateBytes(batch: Int, height: Int, width: Int) -> StateBytes {
        quanv?.stateBytes(images: batch, height: height, width: width) ?? StateBytes(persistent: 0, workspace: 0)
    }

    public var quantumParts: [QuantumPart] { quantumParts(height: 32, width: 32) }

    public var summary: String {
        let front = quanv.map { "quanvolution 2x2 (4 qubits, RY(pi x) + seeded random layer, \($0.mode.rawValue))" }
            ?? "patch-wise classical twin 4 -> 4 (\(twin!.trainable ? "trainable" : "fixed"))"
        return """
        \(name): \(front) -> [N, \(4 * numChannels), H/2, W/2] -> conv3x3 32 + bn -> BasicBlocks 32, 64/2, 128/2 -> avgpool -> fc 128x2
          \(groupedThousands(network.parameterCount)) trainable parameters
        """
    }
}

/// The classical twin of the quanvolution: every 2x2 patch of pixels in [0, 1] goes through a
/// TwinLayer block (4 -> 4, tanh, `parameters` weights) shared by all patches and channels.
/// Not trainable: the weights are a seeded random draw kept as state (like the fixed circuit).
public final class PatchTwinLayer: Layer {
    public let channels: Int, trainable: Bool
    public let mean: [Float], std: [Float]
    public let block: TwinLayer
    private let inner: Network
    private var storage: ParameterStorage!
    private var off = 0
    private var inShape: [Int] = []
    private let patchesIn = Tensor(zeros: [0])
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    public init(channels: Int, parameters: Int, trainable: Bool, mean: [Float], std: [Float]) {
        self.channels = channels; self.trainable = trainable; self.mean = mean; self.std = std
        block = TwinLayer(blocks: 1, width: 4, parameters: parameters)
        inner = Network(block, seed: 0)
    }

    public func register(in registry: ParameterRegistry, prefix: String) {
        off = registry.add(prefix + "weights", shape: [block.parameters], kind: trainable ? .trainable : .state)
    }
    public func bind(_ storage: ParameterStorage) { self.storage = storage }
    public func resetParameters(rng: inout SeededRNG) {
        block.resetParameters(rng: &rng)
        let dst = trainable ? storage.parameters : storage.state
        for i in 0..<block.parameters { dst[off + i] = inner.parameters[i] }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inShape = x.shape
        let n = x.shape[0], h = x.shape[2], w = x.shape[3], oh = h / 2, ow = w / 2, patches = oh * ow
        let src = trainable ? storage.parameters : storage.state
        for i in 0..<block.parameters { inner.parameters[i] = src[off + i] }
        patchesIn.resize([n * channels * patches, 4])
        let p = patchesIn.data, xp = x.data
        for plane in 0..<(n * channels) {
            let s = std[plane % channels], m = mean[plane % channels], base = plane * h * w
            for r in 0..<oh { for c in 0..<ow {
                let o = (plane * patches + r * ow + c) * 4, b = base + 2 * r * w + 2 * c
                p[o] = xp[b] * s + m; p[o + 1] = xp[b + 1] * s + m; p[o + 2] = xp[b + w] * s + m; p[o + 3] = xp[b + w + 1] * s + m
            } }
        }
        let z = inner.forward(patchesIn, training: training)
        output.resize([n, 4 * channels, oh, ow])
        let y = output.data
        for plane in 0..<(n * channels) {
            let img = plane / channels, ch = plane % channels
            for k in 0..<patches { for q in 0..<4 { y[(img * 4 * channels + 4 * ch + q) * patches + k] = z[(plane * patches + k) * 4 + q] } }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(inShape)
        gradInput.zero()
        guard trainable else { return gradInput }
        let n = inShape[0], h = inShape[2], w = inShape[3], oh = h / 2, ow = w / 2, patches = oh * ow
        let up = Tensor(zeros: [n * channels * patches, 4])
        for plane in 0..<(n * channels) {
            let img = plane / channels, ch = plane % channels
            for k in 0..<patches { for q in 0..<4 { up[(plane * patches + k) * 4 + q] = dy[(img * 4 * channels + 4 * ch + q) * patches + k] } }
        }
        inner.zeroGradients()
        let gx = inner.backward(up)
        for i in 0..<block.parameters { storage.gradients[off + i] += inner.gradients[i] }
        for plane in 0..<(n * channels) {
            let s = std[plane % channels], base = plane * h * w
            for r in 0..<oh { for c in 0..<ow {
                let o = (plane * patches + r * ow + c) * 4, b = base + 2 * r * w + 2 * c
                gradInput[b] = gx[o] * s; gradInput[b + 1] = gx[o + 1] * s; gradInput[b + w] = gx[o + 2] * s; gradInput[b + w + 1] = gx[o + 3] * s
            } }
        }
        return gradInput
    }
}
