// Linear (fully connected) layer: y = x W^T + b with W stored [out, in] like torch.nn.Linear.

import Core

public final class Linear: Layer {
    public let inFeatures: Int, outFeatures: Int
    public let hasBias: Bool
    private var storage: ParameterStorage!
    private var wOff = 0, bOff = 0
    private var input: Tensor?
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.inFeatures = inFeatures; self.outFeatures = outFeatures; hasBias = bias
    }

    public func register(in registry: ParameterRegistry, prefix: String) {
        wOff = registry.add(prefix + "weight", shape: [outFeatures, inFeatures])
        if hasBias { bOff = registry.add(prefix + "bias", shape: [outFeatures]) }
    }
    public func bind(_ storage: ParameterStorage) { self.storage = storage }

    public func resetParameters(rng: inout SeededRNG) {
        WeightInit.torchDefault.fill(storage.parameters + wOff, count: inFeatures * outFeatures,
                                     fanIn: inFeatures, fanOut: outFeatures, rng: &rng)
        if hasBias {
            WeightInit.torchDefault.fill(storage.parameters + bOff, count: outFeatures,
                                         fanIn: inFeatures, fanOut: outFeatures, rng: &rng)
        }
    }

    /// x: [N, in] -> [N, out].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "Linear(\(inFeatures)) expects [N, \(inFeatures)], got \(x.shape)")
        input = x
        let n = x.shape[0], o = outFeatures
        output.resize([n, o])
        let y = output.data
        if hasBias {
            let b = storage.parameters + bOff
            for r in 0..<n { (y + r * o).update(from: b, count: o) }
        }
        sgemm(transB: true, m: n, n: o, k: inFeatures, a: x.data, lda: inFeatures,
              b: storage.parameters + wOff, ldb: inFeatures, beta: hasBias ? 1 : 0, c: y, ldc: o)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("Linear.backward before forward") }
        let n = x.shape[0], o = outFeatures, i = inFeatures
        precondition(dy.shape == [n, o], "Linear.backward: gradient \(dy.shape), expected [\(n), \(o)]")
        // dW[o, in] += dy^T x ; db += column sums of dy ; dx = dy W.
        sgemm(transA: true, m: o, n: i, k: n, a: dy.data, lda: o, b: x.data, ldb: i, beta: 1,
              c: storage.gradients + wOff, ldc: i)
        if hasBias {
            let db = storage.gradients + bOff, g = dy.data
            for r in 0..<n { for j in 0..<o { db[j] += g[r * o + j] } }
        }
        gradInput.resize(x.shape)
        sgemm(m: n, n: i, k: o, a: dy.data, lda: o, b: storage.parameters + wOff, ldb: i, beta: 0,
              c: gradInput.data, ldc: i)
        return gradInput
    }
}
