// Network: a root layer plus the one contiguous parameter, gradient and state buffers it uses.

import Core

/// Owns the flat buffers and a named table of every parameter and state tensor.
///
/// `parameters` and `gradients` have `parameterCount` elements in registration order (so a
/// data-parallel step is one allreduce of `gradients`); `state` holds BatchNorm running
/// statistics. Names follow torchvision ("conv1.weight", "layer1.0.bn1.running_mean").
public final class Network {
    public let root: Layer
    public let entries: [ParameterInfo]
    public let parameters: UnsafeMutableBufferPointer<Float>
    public let gradients: UnsafeMutableBufferPointer<Float>
    public let state: UnsafeMutableBufferPointer<Float>
    public let workspace = Workspace()
    /// Threads, data-parallel group and conv settings every layer of this network runs with.
    public let context: NNContext
    private let index: [String: Int]

    /// Registers, allocates, binds (to `context`) and initialises `root` with a generator seeded by `seed`.
    public init(_ root: Layer, seed: UInt64, context: NNContext = .serial) {
        self.root = root
        self.context = context
        let registry = ParameterRegistry()
        root.register(in: registry, prefix: "")
        entries = registry.entries
        var idx: [String: Int] = [:]
        for (i, e) in entries.enumerated() {
            precondition(idx[e.name] == nil, "duplicate parameter name \(e.name)")
            idx[e.name] = i
        }
        index = idx
        func alloc(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: Swift.max(n, 1))
            b.initialize(repeating: 0)
            return UnsafeMutableBufferPointer(rebasing: b[0..<n])
        }
        parameters = alloc(registry.trainableCount)
        gradients = alloc(registry.trainableCount)
        state = alloc(registry.stateCount)
        root.bind(ParameterStorage(parameters: parameters.baseAddress!, gradients: gradients.baseAddress!,
                                   state: state.baseAddress!, workspace: workspace, context: context))
        var rng = SeededRNG(seed: seed, stream: "init")
        root.resetParameters(rng: &rng)
    }

    deinit {
        parameters.baseAddress?.deallocate()
        gradients.baseAddress?.deallocate()
        state.baseAddress?.deallocate()
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.count }
    public var stateCount: Int { state.count }

    public func forward(_ x: Tensor, training: Bool) -> Tensor { root.forward(x, training: training) }
    @discardableResult
    public func backward(_ gradOutput: Tensor) -> Tensor { root.backward(gradOutput) }
    /// `backward`, telling `readiness` when each layer's parameter gradients are final.
    @discardableResult
    public func backward(_ gradOutput: Tensor, readiness: GradientReadiness) -> Tensor {
        root.backward(gradOutput, readiness: readiness)
    }

    public func zeroGradients() { gradients.update(repeating: 0) }

    public func entry(named name: String) -> ParameterInfo? { index[name].map { entries[$0] } }

    /// The live values of a named parameter or state tensor (writes go straight into the network).
    public func values(named name: String) -> UnsafeMutableBufferPointer<Float>? {
        guard let e = entry(named: name) else { return nil }
        let base = e.kind == .trainable ? parameters.baseAddress! : state.baseAddress!
        return UnsafeMutableBufferPointer(start: base + e.offset, count: e.count)
    }

    /// The gradient of a named trainable parameter.
    public func gradient(named name: String) -> UnsafeMutableBufferPointer<Float>? {
        guard let e = entry(named: name), e.kind == .trainable else { return nil }
        return UnsafeMutableBufferPointer(start: gradients.baseAddress! + e.offset, count: e.count)
    }

    /// Copies every parameter and state value from another network with the same table.
    public func copyWeights(from other: Network) {
        precondition(other.entries == entries, "copyWeights: networks have different parameter tables")
        parameters.update(fromContentsOf: other.parameters)
        state.update(fromContentsOf: other.state)
    }
}

/// Layers applied in order; children are named (their names become parameter-name prefixes).
public final class Sequential: Layer {
    public let children: [(name: String, layer: Layer)]

    public init(_ children: [(String, Layer)]) { self.children = children.map { (name: $0.0, layer: $0.1) } }
    /// Children named "0", "1", ... like torch.nn.Sequential.
    public convenience init(_ layers: [Layer]) { self.init(layers.enumerated().map { ("\($0.offset)", $0.element) }) }

    public func register(in registry: ParameterRegistry, prefix: String) {
        for c in children { c.layer.register(in: registry, prefix: prefix + c.name + ".") }
    }
    public func bind(_ storage: ParameterStorage) { for c in children { c.layer.bind(storage) } }
    public func resetParameters(rng: inout SeededRNG) { for c in children { c.layer.resetParameters(rng: &rng) } }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = input
        for c in children { x = c.layer.forward(x, training: training) }
        return x
    }

    public func backward(_ gradOutput: Tensor) -> Tensor { backward(gradOutput, readiness: .none) }

    public func backward(_ gradOutput: Tensor, readiness: GradientReadiness) -> Tensor {
        var g = gradOutput
        for c in children.reversed() {
            g = c.layer.backward(g, readiness: readiness.child(c.name))
            readiness.finished(c.name)
        }
        return g
    }
}
