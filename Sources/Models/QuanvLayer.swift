// QuanvLayer: the 2x2-patch quanvolution as a network layer, [N, C, H, W] -> [N, 4C, H/2, W/2].
//
// Its input is the normalised batch the BatchAssembler builds; the layer maps it back to pixel
// values in [0, 1] (x01 = x * std[c] + mean[c]) because the embedding is RY(pi * x01).
// Modes:
//  - fixed:     the seeded random circuit, fast 16x16-unitary path (Quanvolution.apply); no
//               parameters; the input gradient is zero (the layer sits on the image).
//  - trainable: the circuit's random-layer angles are parameters "weights" [layers * rotations]
//               (initialised to the fixed seeded angles); every patch of the batch is one sample of
//               one batched CircuitExecutor run, and the backward (`diffMethod`: adjoint, or the
//               parameter-shift rule batched over every patch) gives input and weight gradients
//               (input gradient scaled by std[c]). With a state group of k ranks
//               (ProcessGrid.state) the group shares the patch circuits: each rank runs 1/k of
//               them, whole 4-qubit states, and the group gathers the rest (SampleSharedExecutor).
//  - cached:    features come from a QuanvFeatureTable (the whole dataset quanvolved once, see the
//               Training target's HDF5 cache) looked up by image content; a horizontally flipped
//               image gets the cached map flipped horizontally (an approximation: flipping the
//               image also swaps the wires of each patch); anything else (rotation augmentation,
//               images not in the table) is computed with the fixed circuit and counted in `misses`.
// Every patch circuit that runs on this rank is counted (`counters`: the executor's, its share when
// a group shares them, plus the fixed path's patches in `forward`), and the first training step's
// runs are kept for the records.

import Core
import Foundation
import NN
import Quantum

public final class QuanvLayer: Layer {
    public enum Mode: String, Sendable { case fixed, trainable, cached }
    public let mode: Mode
    public let channels: Int
    public private(set) var circuit: QuanvolutionCircuit
    public let mean: [Float], std: [Float]
    /// How the trainable circuit is differentiated.
    public let diffMethod: DiffMethod
    /// Threads of the fixed-circuit path and of the trainable executor.
    public let threads: Threads
    /// Ranks sharing the trainable patch circuits (1: this process runs every patch).
    public var circuitRanks: Int { executor?.ranks ?? 1 }
    /// Cached features (mode .cached); hits/misses count lookups since creation.
    public var table: QuanvFeatureTable?
    public private(set) var hits = 0, flippedHits = 0, misses = 0
    private var storage: ParameterStorage!
    private var wOff = 0
    private var executor: SampleSharedExecutor?
    /// Patches run by the fixed-circuit path (fixed mode, cache misses).
    private var fixedPatches = 0
    private var meter = StepMeter()
    private var inShape: [Int] = []
    private var pixels: [Float] = []
    private let output = Tensor(zeros: [0])
    private let gradInput = Tensor(zeros: [0])

    /// - Parameters: `mean`/`std` per channel, the normalisation the batch was built with;
    ///   `stateGroup`: the ranks that share the trainable patch circuits (ProcessGrid.state; every
    ///   rank of it must run this layer on the same batch). Fixed and cached modes run alone.
    public init(channels: Int, seed: UInt64, mode: Mode, mean: [Float], std: [Float], diffMethod: DiffMethod,
                threads: Threads, stateGroup: (any Communicator)? = nil) {
        precondition(mean.count == channels && std.count == channels, "QuanvLayer: mean/std need \(channels) values")
        precondition(mode == .trainable || (stateGroup?.size ?? 1) == 1, "QuanvLayer: only the trainable mode shares its circuits over a state group")
        self.channels = channels; self.mode = mode; self.mean = mean; self.std = std
        self.diffMethod = diffMethod; self.threads = threads
        circuit = QuanvolutionCircuit(seed: seed)
        if mode == .trainable {
            executor = SampleSharedExecutor(circuit: circuit.circuit, settings: ExecutorSettings(threads: threads),
                                            group: stateGroup ?? SingleProcessCommunicator())
        }
    }

    /// Patch circuits run since creation (executor runs, plus fixed-path patches as forward runs).
    public var counters: CircuitCounters {
        (executor?.counters ?? CircuitCounters()) + CircuitCounters(forward: fixedPatches)
    }
    /// Circuit runs of the first training step (nil before one ran).
    public var firstTrainingStep: MeasuredStep? { meter.first }

    /// Statevector memory one rank holds for a batch of `images` of h x w (trainable mode: one
    /// state per patch and channel of its share, with `ranks` sharing the patches, default this
    /// layer's group; the fixed path holds no statevectors).
    public func stateBytes(images: Int, height: Int, width: Int, ranks: Int? = nil) -> StateBytes {
        executor?.stateBytes(batch: images * channels * (height / 2) * (width / 2), method: diffMethod, ranks: ranks)
            ?? StateBytes(persistent: 0, workspace: 0)
    }

    public func register(in registry: ParameterRegistry, prefix: String) {
        if mode == .trainable { wOff = registry.add(prefix + "weights", shape: [circuit.weights.count]) }
    }
    public func bind(_ storage: ParameterStorage) { self.storage = storage }
    public func resetParameters(rng: inout SeededRNG) {
        guard mode == .trainable else { return }
        for (i, w) in circuit.weights.enumerated() { storage.parameters[wOff + i] = Float(w) }
    }

    /// The circuit's current angles (the trained ones in trainable mode).
    public var currentWeights: [Double] {
        mode == .trainable ? (0..<circuit.weights.count).map { Double(storage.parameters[wOff + $0]) } : circuit.weights
    }

    /// Pixel values in [0, 1] of the normalised batch, CHW per image.
    private func unnormalise(_ x: Tensor) {
        let n = x.shape[0], c = x.shape[1], plane = x.shape[2] * x.shape[3]
        if pixels.count != x.count { pixels = [Float](repeating: 0, count: x.count) }
        let xp = x.data
        pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { for ch in 0..<c {
                let o = (i * c + ch) * plane, s = std[ch], m = mean[ch]
                for k in 0..<plane { p[o + k] = xp[o + k] * s + m }
            } }
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == channels, "QuanvLayer expects [N, \(channels), H, W], got \(x.shape)")
        inShape = x.shape
        let n = x.shape[0], h = x.shape[2], w = x.shape[3], oh = h / 2, ow = w / 2
        meter.forward(training: training, images: n, counters: counters)
        output.resize([n, 4 * channels, oh, ow])
        unnormalise(x)
        switch mode {
        case .fixed:
            writeFixed(0..<n, h: h, w: w)
        case .cached:
            var todo: [Int] = []
            let per = 4 * channels * oh * ow
            for i in 0..<n {
                let img = Array(pixels[(i * channels * h * w)..<((i + 1) * channels * h * w)])
                switch table?.lookup(pixels: img, channels: channels, height: h, width: w) {
                case .some(.direct(let row)):
                    hits += 1
                    _ = UnsafeMutableBufferPointer(start: output.data + i * per, count: per).update(fromContentsOf: table!.row(row))
                case .some(.flipped(let row)):
                    flippedHits += 1
                    let src = Array(table!.row(row)), dst = output.data + i * per
                    for p in 0..<(4 * channels * oh) { for c in 0..<ow { dst[p * ow + c] = src[p * ow + ow - 1 - c] } }
                default:
                    misses += 1; todo.append(i)
                }
            }
            for i in todo { writeFixed(i..<(i + 1), h: h, w: w) }
        case .trainable:
            let patches = oh * ow, samples = n * channels * patches
            var inputs = [Double](repeating: 0, count: samples * 4)
            for plane in 0..<(n * channels) {
                let base = plane * h * w
                for r in 0..<oh { for c in 0..<ow {
                    let s = (plane * patches + r * ow + c) * 4, b = base + 2 * r * w + 2 * c
                    inputs[s] = Double(pixels[b]); inputs[s + 1] = Double(pixels[b + 1])
                    inputs[s + 2] = Double(pixels[b + w]); inputs[s + 3] = Double(pixels[b + w + 1])
                } }
            }
            let z = executor!.forward(inputs: inputs, batch: samples, weights: currentWeights)
            let y = output.data
            for plane in 0..<(n * channels) {
                let img = plane / channels, ch = plane % channels
                for k in 0..<patches { for q in 0..<4 {
                    y[(img * 4 * channels + 4 * ch + q) * patches + k] = Float(z[(plane * patches + k) * 4 + q])
                } }
            }
        }
        return output
    }

    private func writeFixed(_ range: Range<Int>, h: Int, w: Int) {
        let per = channels * h * w, oh = h / 2, ow = w / 2
        let out = pixels.withUnsafeBufferPointer { p in
            Quanvolution.apply(images: p.baseAddress! + range.lowerBound * per, n: range.count, channels: channels,
                               height: h, width: w, circuit: circuit, threads: threads)
        }
        fixedPatches += range.count * channels * oh * ow
        _ = UnsafeMutableBufferPointer(start: output.data + range.lowerBound * 4 * channels * oh * ow, count: out.count)
            .update(fromContentsOf: out)
    }

    public func backward(_ dy: Tensor) -> Tensor {
        gradInput.resize(inShape)
        gradInput.zero()
        defer { meter.backward(counters: counters) }
        guard mode == .trainable, let ex = executor else { return gradInput }
        let n = inShape[0], h = inShape[2], w = inShape[3], oh = h / 2, ow = w / 2
        let patches = oh * ow, samples = n * channels * patches
        precondition(dy.shape == [n, 4 * channels, oh, ow], "QuanvLayer.backward: gradient \(dy.shape)")
        var up = [Double](repeating: 0, count: samples * 4)
        let g = dy.data
        for plane in 0..<(n * channels) {
            let img = plane / channels, ch = plane % channels
            for k in 0..<patches { for q in 0..<4 {
                up[(plane * patches + k) * 4 + q] = Double(g[(img * 4 * channels + 4 * ch + q) * patches + k])
            } }
        }
        let grads = ex.backward(upstream: up, method: diffMethod)
        let gw = storage.gradients + wOff
        for j in 0..<grads.weights.count { gw[j] += Float(grads.weights[j]) }
        let gx = gradInput.data
        for plane in 0..<(n * channels) {
            let s = std[plane % channels], base = plane * h * w
            for r in 0..<oh { for c in 0..<ow {
                let i = (plane * patches + r * ow + c) * 4, b = base + 2 * r * w + 2 * c
                gx[b] = Float(grads.inputs[i]) * s; gx[b + 1] = Float(grads.inputs[i + 1]) * s
                gx[b + w] = Float(grads.inputs[i + 2]) * s; gx[b + w + 1] = Float(grads.inputs[i + 3]) * s
            } }
        }
        return gradInput
    }
}

/// Quanvolved features of a whole dataset, row i = image i as [4C, H/2, W/2], found by image content
/// (a 64-bit FNV-1a hash of the image's pixels as bytes, CHW order).
public final class QuanvFeatureTable {
    public let features: [Float]
    public let rowSize: Int
    private var index: [UInt64: Int] = [:]
    private var flippedIndex: [UInt64: Int] = [:]

    public enum Hit { case direct(Int), flipped(Int) }

    /// - Parameters: `features` [count, rowSize]; `hashes` of every image (see `hash`), and of its
    ///   horizontal mirror (`flippedHashes`).
    public init(features: [Float], rowSize: Int, hashes: [UInt64], flippedHashes: [UInt64]) {
        precondition(features.count == rowSize * hashes.count && hashes.count == flippedHashes.count)
        self.features = features; self.rowSize = rowSize
        for (i, h) in hashes.enumerated() where index[h] == nil { index[h] = i }
        for (i, h) in flippedHashes.enumerated() where flippedIndex[h] == nil { flippedIndex[h] = i }
    }

    public func row(_ i: Int) -> ArraySlice<Float> { features[(i * rowSize)..<((i + 1) * rowSize)] }

    func lookup(pixels: [Float], channels: Int, height: Int, width: Int) -> Hit? {
        let bytes = pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        let h = QuanvFeatureTable.hash(bytes)
        if let r = index[h] { return .direct(r) }
        if let r = flippedIndex[h] { return .flipped(r) }
        return nil
    }

    /// FNV-1a over bytes.
    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The CHW bytes of an HWC image and of its horizontal mirror.
    public static func chwBytes(hwc: UnsafePointer<UInt8>, channels: Int, height: Int, width: Int, mirrored: Bool) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: channels * height * width)
        for c in 0..<channels { for y in 0..<height { for x in 0..<width {
            let sx = mirrored ? width - 1 - x : x
            out[(c * height + y) * width + x] = hwc[(y * width + sx) * channels + c]
        } } }
        return out
    }
}
