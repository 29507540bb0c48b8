// Checkpoint: a model's flat parameter and state buffers in one HDF5 file, self-describing.
//
// Layout: `/parameters` (float32, all trainable values in registration order), `/state`
// (BatchNorm running statistics), `/names`, `/shapes` and `/kinds` describing every tensor so the
// file can be converted back to a PyTorch state_dict, plus attributes (model, epoch, metric).
// A resumable checkpoint (`last.h5`) adds `/optimizer/0..` (the optimiser's moments) and
// `/training_state` (ResumeState as JSON). Every dataset carries a `crc32` attribute (CRC-32 of
// its bytes) that loading verifies, and loading refuses non-finite weights, so a damaged file is
// an error instead of plausible metrics. Files are written to a temporary name, fsynced and
// renamed over the old one, so a crash never leaves a torn checkpoint.

import Core
import Foundation
import Models
import NN
import Storage

public struct CheckpointInfo: Sendable {
    public var model: String
    public var epoch: Int
    public var metricName: String
    public var metricValue: Double
}

public enum Checkpoint {
    /// Writes `network` (and, for a resumable checkpoint, the optimiser's buffers over all
    /// parameters, `Optimizer.checkpointBuffers()`, and `resume`) to `path`.
    public static func save(_ network: Network, info: CheckpointInfo, to path: String,
                            optimizerBuffers: [[Float]]? = nil, resume: ResumeState? = nil) throws {
        try AtomicFile.replace(path) { tmp in
            let f = try H5File.create(tmp)
            do {
                try writeChecked(f, "parameters", UnsafeBufferPointer(network.parameters))
                try writeChecked(f, "state", UnsafeBufferPointer(network.state))
                if let optimizerBuffers {
                    for (i, buffer) in optimizerBuffers.enumerated() {
                        try buffer.withUnsafeBufferPointer { try writeChecked(f, "optimizer/\(i)", $0) }
                    }
                    try f.setAttribute("optimizerBuffers", optimizerBuffers.count)
                }
                if let resume {
                    try resume.encoded().withUnsafeBufferPointer { try writeChecked(f, "training_state", $0) }
                }
                try f.writeStrings("names", network.entries.map(\.name))
                try f.writeStrings("shapes", network.entries.map { $0.shape.map(String.init).joined(separator: "x") })
                try f.writeStrings("kinds", network.entries.map { $0.kind == .trainable ? "parameter" : "state" })
                try f.setAttribute("format", "deepfake-checkpoint")
                try f.setAttribute("formatVersion", 2)
                try f.setAttribute("model", info.model)
                try f.setAttribute("epoch", info.epoch)
                try f.setAttribute("metricName", info.metricName)
                try f.setAttribute("metricValue", info.metricValue)
                try f.finish()
            } catch {
                f.abandon()   // closed exactly once, emptied and deleted, even on a full disk
                throw error
            }
        }
    }

    /// Loads weights saved by `save` into `network`; the architecture must match exactly.
    /// Returns the stored info.
    @discardableResult
    public static func load(into network: Network, from path: String) throws -> CheckpointInfo {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DeepfakeError("weights file \(path) does not exist: pass the best.h5 or last.h5 of a run folder to -i")
        }
        let f = try H5File.open(path)
        defer { f.close() }
        guard try f.attributeString("format") == "deepfake-checkpoint" else {
            throw DeepfakeError("\(path) is not a deepfake checkpoint (no format attribute): pass a run's best.h5 or last.h5; "
                + "torchvision weights go in modelPath and are loaded with the Classic model")
        }
        let model = try f.attributeString("model") ?? "?"
        let names = try f.readStrings("names")
        let expected = network.entries.map(\.name)
        if names != expected {
            // The first name that differs, or the first tensor only one side has.
            let firstDiff: (String, String)? = zip(names, expected).first { $0 != $1 }
                ?? (names.count < expected.count ? ("(none)", expected[names.count]) : (names[expected.count], "(none)"))
            throw DeepfakeError("weights in \(path) are for a different architecture (model '\(model)', \(names.count) tensors; "
                + "this config builds \(expected.count)\(firstDiff.map { ", first difference: '\($0.0)' vs '\($0.1)'" } ?? "")): "
                + "use the config saved in the same run folder (config.yaml) with -i")
        }
        let params = try readChecked(f, "parameters", path: path, as: Float.self)
        let state = try readChecked(f, "state", path: path, as: Float.self)
        try requireFinite(params, state, names: names, shapes: try f.readStrings("shapes"),
                          kinds: try f.readStrings("kinds"), path: path)
        guard params.count == network.parameterCount, state.count == network.stateCount else {
            throw DeepfakeError("weights in \(path) have \(params.count) parameters and \(state.count) state values; the model has "
                + "\(network.parameterCount) and \(network.stateCount): use the run's own config.yaml")
        }
        _ = params.withUnsafeBufferPointer { network.parameters.update(fromContentsOf: $0) }
        _ = state.withUnsafeBufferPointer { network.state.update(fromContentsOf: $0) }
        return CheckpointInfo(model: model, epoch: try f.attributeInt("epoch") ?? 0,
                              metricName: try f.attributeString("metricName") ?? "",
                              metricValue: try f.attributeDouble("metricValue") ?? .nan)
    }

    /// Whether `path` is a file written by `save` (a run's best.h5 / last.h5).
    public static func isCheckpoint(_ path: String) -> Bool {
        guard let f = try? H5File.open(path) else { return false }
        defer { f.close() }
        return (try? f.attributeString("format")) == "deepfake-checkpoint"
    }

    /// Warm start from another model's checkpoint: copies every tensor (parameter or BatchNorm
    /// state) whose name and shape fit an entry of `network` (Models' NamedWeights: the same
    /// shape, or an RGB conv1 summed for a greyscale network) and leaves the rest as they are,
    /// e.g. a Classic run's ResNet-18 body into an HQNN (whose fc has another shape).
    /// Returns the names copied, in the network's order.
    public static func loadMatching(into network: Network, from path: String) throws -> [String] {
        let f = try H5File.open(path)
        defer { f.close() }
        guard try f.attributeString("format") == "deepfake-checkpoint" else {
            throw DeepfakeError("\(path) is not a deepfake checkpoint (no format attribute): pass a run's best.h5 or last.h5")
        }
        let names = try f.readStrings("names"), shapes = try f.readStrings("shapes"), kinds = try f.readStrings("kinds")
        let params = try readChecked(f, "parameters", path: path, as: Float.self)
        let state = try readChecked(f, "state", path: path, as: Float.self)
        try requireFinite(params, state, names: names, shapes: shapes, kinds: kinds, path: path)
        guard names.count == shapes.count, names.count == kinds.count else {
            throw DeepfakeError("\(path): names, shapes and kinds differ in length; the file is damaged")
        }
        // Offsets follow registration order within each kind, as `save` wrote the flat buffers.
        var source: NamedTensors = [:]
        var pOff = 0, sOff = 0
        for (i, name) in names.enumerated() {
            let shape = shapes[i].split(separator: "x").compactMap { Int($0) }
            let n = shape.reduce(1, *)
            let isParameter = kinds[i] == "parameter"
            let buffer = isParameter ? params : state
            let start = isParameter ? pOff : sOff
            guard start + n <= buffer.count else {
                throw DeepfakeError("\(path): tensor '\(name)' runs past the end of the stored values; the file is damaged")
            }
            source[name] = (shape, Array(buffer[start..<(start + n)]))
            if isParameter { pOff += n } else { sOff += n }
        }
        return NamedWeights.copyMatching(source, into: network).copied
    }

    /// Loads a resumable checkpoint (`last.h5`): weights into `network` (as `load`), the
    /// optimiser's moments and step count into `optimizer`, and returns the stored ResumeState.
    public static func loadResumable(into network: Network, optimizer: Optimizer, from path: String) throws -> ResumeState {
        try load(into: network, from: path)
        let f = try H5File.open(path)
        defer { f.close() }
        guard f.exists("training_state") else {
            throw DeepfakeError("\(path) holds weights but no training state (written by a version before resume existed, "
                + "or a best.h5): it cannot be resumed; test it with -i, or start a new run")
        }
        let resume = try ResumeState.decode(try readChecked(f, "training_state", path: path, as: UInt8.self), path: path)
        let count = try f.attributeInt("optimizerBuffers") ?? 0
        var buffers: [[Float]] = []
        for i in 0..<count { buffers.append(try readChecked(f, "optimizer/\(i)", path: path, as: Float.self)) }
        guard buffers.allSatisfy({ $0.count == network.parameterCount }) else {
            throw DeepfakeError("\(path): the optimiser state does not match the model's \(network.parameterCount) parameters; "
                + "resume with the run's own config.yaml")
        }
        if let bad = buffers.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
            throw DeepfakeError("\(path): optimiser buffer \(bad) holds non-finite values; the file is damaged: resume from an earlier copy")
        }
        try optimizer.restoreState(stepCount: resume.optimizerSteps, buffers: buffers)
        return resume
    }

    /// Writes a 1-D dataset with its CRC-32 as attribute `crc32`.
    static func writeChecked<T: H5Element>(_ f: H5File, _ name: String, _ values: UnsafeBufferPointer<T>) throws {
        try f.write(name, values, shape: [values.count])
        try f.setAttribute("crc32", Int(CRC32.checksum(values)), on: name)
    }

    /// Reads a dataset and verifies its `crc32` attribute when it has one (files before format 2 have none).
    static func readChecked<T: H5Element>(_ f: H5File, _ name: String, path: String, as type: T.Type) throws -> [T] {
        let values: [T]
        do { values = try f.read(name, as: T.self).values } catch {
            throw DeepfakeError("\(path): dataset '\(name)' cannot be read (\(error)); the file is damaged: use an earlier copy or retrain")
        }
        if let stored = try f.attributeInt("crc32", on: name) {
            let actual = values.withUnsafeBufferPointer { Int(CRC32.checksum($0)) }
            guard actual == stored else {
                throw DeepfakeError(String(format: "%@: dataset '%@' fails its checksum (CRC-32 %08x, stored %08x): the file is "
                    + "damaged (a torn copy or a bad disk); use an earlier copy or retrain", path, name, actual, stored))
            }
        }
        return values
    }

    /// Refuses NaN or infinite weights, naming the first tensor that holds one.
    static func requireFinite(_ params: [Float], _ state: [Float], names: [String], shapes: [String], kinds: [String],
                              path: String) throws {
        let badP = params.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }, badS = state.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        guard badP + badS > 0 else { return }
        // Name the first tensor that holds a non-finite value (offsets in registration order per kind).
        var pOff = 0, sOff = 0, first = "?"
        for (i, name) in names.enumerated() where i < shapes.count && i < kinds.count {
            let n = shapes[i].split(separator: "x").compactMap { Int($0) }.reduce(1, *)
            let isParameter = kinds[i] == "parameter"
            let buffer = isParameter ? params : state, start = isParameter ? pOff : sOff
            if start + n <= buffer.count, buffer[start..<(start + n)].contains(where: { !$0.isFinite }) { first = name; break }
            if isParameter { pOff += n } else { sOff += n }
        }
        throw DeepfakeError("\(path) holds \(badP + badS) non-finite weight value(s) (NaN or infinity; first in tensor '\(first)'): "
            + "the file is damaged or training diverged; use an earlier checkpoint or retrain (for divergence, lower learningRate)")
    }
}
