// Layer protocol and the parameter registry that lays every layer's parameters out in one buffer.
//
// Why one flat buffer: a data-parallel step is then one allreduce over the gradients, an optimiser
// step one loop, and a checkpoint one HDF5 dataset. Layers never own parameter memory: they
// register named shapes (getting offsets), and once the `Network` has allocated the buffers they
// read and write through the `ParameterStorage` they were bound to.

import Core

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Trainable parameters get a gradient and an optimiser step; state (BatchNorm running mean and
/// variance) is saved and loaded but never trained.
public enum ParameterKind: Sendable, Equatable {
    case trainable
    case state
}

/// One named tensor in the network's flat buffers, e.g. "layer1.0.bn1.running_mean" [64].
public struct ParameterInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let kind: ParameterKind
    /// Offset into `Network.parameters` (trainable) or `Network.state` (state).
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
}

/// Collects parameter declarations while a network is assembled.
public final class ParameterRegistry {
    public private(set) var entries: [ParameterInfo] = []
    public private(set) var trainableCount = 0
    public private(set) var stateCount = 0

    public init() {}

    /// Declares a tensor and returns its offset in the buffer of its kind.
    public func add(_ name: String, shape: [Int], kind: ParameterKind = .trainable) -> Int {
        let n = shape.reduce(1, *)
        let offset: Int
        switch kind {
        case .trainable: offset = trainableCount; trainableCount += n
        case .state: offset = stateCount; stateCount += n
        }
        entries.append(ParameterInfo(name: name, shape: shape, kind: kind, offset: offset))
        return offset
    }
}

/// Grow-only scratch buffers shared by every layer of one network (layers run one at a time, so
/// the im2col matrices of all convolutions can live in the same memory).
public final class Workspace {
    private var buffers: [UnsafeMutablePointer<Float>?] = []
    private var capacities: [Int] = []

    public init() {}

    /// Scratch slot `slot` with room for at least `count` floats (contents unspecified).
    public func buffer(_ slot: Int, count: Int) -> UnsafeMutablePointer<Float> {
        while buffers.count <= slot { buffers.append(nil); capacities.append(0) }
        if capacities[slot] < count || buffers[slot] == nil {
            buffers[slot]?.deallocate()
            let p = UnsafeMutablePointer<Float>.allocate(capacity: Swift.max(count, 1))
            buffers[slot] = p
            capacities[slot] = Swift.max(count, 1)
        }
        return buffers[slot]!
    }

    deinit { for b in buffers { b?.deallocate() } }

    // Input gradients. A layer's input gradient is read once, by the layer before it, and is dead
    // after that, so instead of every layer keeping its own (as large as its input, all alive at
    // once) the layers share three tensors: each backward writes into one that neither its
    // upstream gradient nor a pinned tensor (a BasicBlock's shortcut gradient, alive across its
    // main path) occupies. Three suffice: the one read, the one written, one pinned. A fourth is
    // for `FoldedInference`, which borrows all four as its activation slots (eval forwards run
    // between training steps, never between a forward and its backward), so evaluating during
    // training adds no activation memory.
    private let gradientPool: [Tensor] = (0..<4).map { _ in Tensor(zeros: [0]) }

    /// The shared tensors, for a forward-only runner's activations (contents unspecified; they
    /// are overwritten by the next backward).
    var sharedTensors: [Tensor] { gradientPool }
    private var pinnedGradients: [ObjectIdentifier] = []

    /// A shared gradient tensor of `shape` that is neither `reading` nor pinned (contents unspecified).
    public func inputGradient(_ shape: [Int], reading: Tensor) -> Tensor {
        let avoid = pinnedGradients + [ObjectIdentifier(reading)]
        guard let t = gradientPool.first(where: { !avoid.contains(ObjectIdentifier($0)) }) else {
            preconditionFailure("Workspace: every shared gradient tensor is in use (at most one may be pinned)")
        }
        t.resize(shape)
        return t
    }

    /// Keeps `t` from being handed out by `inputGradient` until `unpin` (no-op for other tensors).
    public func pin(_ t: Tensor) { pinnedGradients.append(ObjectIdentifier(t)) }
    public func unpin(_ t: Tensor) {
        if let i = pinnedGradients.lastIndex(of: ObjectIdentifier(t)) { pinnedGradients.remove(at: i) }
    }
}

/// The buffers a bound layer reads its parameters from and accumulates gradients into, and the
/// context (threads, data-parallel group, conv settings) of the network it belongs to.
public final class ParameterStorage {
    public let parameters: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let state: UnsafeMutablePointer<Float>
    public let workspace: Workspace
    public let context: NNContext

    init(parameters: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>,
         state: UnsafeMutablePointer<Float>, workspace: Workspace, context: NNContext) {
        self.parameters = parameters
        self.gradients = gradients
        self.state = state
        self.workspace = workspace
        self.context = context
    }
}

/// A differentiable layer over NCHW or [N, F] tensors.
///
/// `forward` returns a tensor the layer owns and reuses on the next call; `backward` must follow
/// the matching `forward` (the layer keeps references to what it needs), *accumulates* parameter
/// gradients, and returns the gradient with respect to the input (layer-owned, or one of the
/// network's shared gradient tensors, `Workspace.inputGradient`: valid until the next backward
/// of a layer of the same network, so read it or copy it before).
public protocol Layer: AnyObject {
    /// Declares this layer's parameters and state (and its children's) under `prefix`
    /// (e.g. "layer1.0." so a BatchNorm named "bn1" registers "layer1.0.bn1.weight").
    func register(in registry: ParameterRegistry, prefix: String)
    /// Attaches the layer (and its children) to the allocated buffers and the network's context;
    /// a layer with threaded loops takes its `Threads` from `storage.context` here.
    func bind(_ storage: ParameterStorage)
    /// Sets initial parameter and state values; called after `bind`.
    func resetParameters(rng: inout SeededRNG)
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ gradOutput: Tensor) -> Tensor
    /// `backward`, reporting children whose parameter gradients are final to `readiness`
    /// (containers do; other layers just run `backward`).
    func backward(_ gradOutput: Tensor, readiness: GradientReadiness) -> Tensor
}

extension Layer {
    // Parameter-free layers need none of these.
    public func register(in registry: ParameterRegistry, prefix: String) {}
    public func bind(_ storage: ParameterStorage) {}
    public func resetParameters(rng: inout SeededRNG) {}
    public func backward(_ gradOutput: Tensor, readiness: GradientReadiness) -> Tensor { backward(gradOutput) }
}

/// Weight initialisations matching PyTorch's.
public enum WeightInit: Sendable {
    /// PyTorch's default for Conv/Linear: kaiming_uniform(a = sqrt 5), i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
    case torchDefault
    /// kaiming_normal(mode = fan_out, nonlinearity = relu): N(0, 2 / fanOut), torchvision's ResNet init.
    case kaimingNormalFanOut

    func fill(_ p: UnsafeMutablePointer<Float>, count: Int, fanIn: Int, fanOut: Int, rng: inout SeededRNG) {
        switch self {
        case .torchDefault:
            let bound = 1 / Double(fanIn).squareRoot()
            for i in 0..<count { p[i] = Float((rng.uniform() * 2 - 1) * bound) }
        case .kaimingNormalFanOut:
            // Box-Muller using both outputs of each pair: half the uniforms and logarithms of
            // SeededRNG.normal(), which matters for an 11M-parameter network in debug builds.
            let std = (2 / Double(fanOut)).squareRoot()
            var i = 0
            while i < count {
                var u1 = rng.uniform()
                while u1 <= .leastNormalMagnitude { u1 = rng.uniform() }
                let r = (-2 * log(u1)).squareRoot() * std, theta = 2 * Double.pi * rng.uniform()
                p[i] = Float(r * cos(theta))
                if i + 1 < count { p[i + 1] = Float(r * sin(theta)) }
                i += 2
            }
        }
    }
}
