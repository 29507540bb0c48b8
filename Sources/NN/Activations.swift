// Parameter-free elementwise layers: ReLU, Dropout, Flatten.

import Core

/// y = max(0, x); the gradient passes where the output is positive.
public final class ReLU: Layer {
    private let output = Tensor(zeros: [0])
    private var threads = Threads.serial
    private var workspace: Workspace!
    public init() {}

    public func bind(_ storage: ParameterStorage) { threads = storage.context.threads; workspace = storage.workspace }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(x.shape)
        let xp = x.data, yp = output.data
        threads.forChunks(x.count, minPerChunk: 1 << 15) { lo, hi in
            for i in lo..<hi { yp[i] = Swift.max(0, xp[i]) }
        }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        let gradInput = workspace.inputGradient(output.shape, reading: dy)
        let yp = output.data, gp = dy.data, dx = gradInput.data
        threads.forChunks(dy.count, minPerChunk: 1 << 15) { lo, hi in
            for i in lo..<hi { dx[i] = yp[i] > 0 ? gp[i] : 0 }
        }
        return gradInput
    }
}

/// Inverted dropout: in training each element is zeroed with probability `p` and the survivors
/// are scaled by 1/(1-p), so evaluation (identity) needs no rescaling. The mask comes from the
/// layer's own seeded generator, so a run is reproducible.
public final class Dropout: Layer {
    public let p: Float
    private var rng: SeededRNG
    /// Reuse the previous mask instead of drawing a new one (gradient checks, replays).
    public var reuseMask = false
    private var mask: [Float] = []
    private var wasTraining = false
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    public init(p: Float, seed: UInt64) {
        precondition(p >= 0 && p < 1, "Dropout probability must be in [0, 1), got \(p)")
        self.p = p
        rng = SeededRNG(seed: seed, stream: "dropout")
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(x.shape)
        wasTraining = training && p > 0
        guard wasTraining else { output.assign(x); return output }
        if !(reuseMask && mask.count == x.count) {
            let keep = 1 / (1 - p)
            if mask.count != x.count { mask = [Float](repeating: 0, count: x.count) }
            for i in 0..<x.count { mask[i] = rng.uniformFloat() < p ? 0 : keep }
        }
        let xp = x.data, yp = output.data
        mask.withUnsafeBufferPointer { m in for i in 0..<x.count { yp[i] = xp[i] * m[i] } }
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(dy.shape)
        guard wasTraining else { gradInput.assign(dy); return gradInput }
        let gp = dy.data, dx = gradInput.data
        mask.withUnsafeBufferPointer { m in for i in 0..<dy.count { dx[i] = gp[i] * m[i] } }
        return gradInput
    }
}

/// [N, d1, d2, ...] -> [N, d1*d2*...] (a copy, so the producer's tensor keeps its shape).
public final class Flatten: Layer {
    private var inputShape: [Int] = []
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])
    public init() {}

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        output.resize([x.shape[0], x.count / Swift.max(1, x.shape[0])])
        output.assign(x)
        return output
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(inputShape)
        gradInput.assign(dy)
        return gradInput
    }
}
