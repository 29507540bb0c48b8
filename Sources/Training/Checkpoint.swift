// Checkpoint: a model's flat parameter and state buffers in one HDF5 file, self-describing.
//
// Layout: `/parameters` (float32, all trainable values in registration order), `/state`
// (BatchNorm running statistics), `/names`, `/shapes` and `/kinds` describing every tensor so the
// file can be converted back to a PyTorch state_dict, plus attributes (model, epoch, metric).
// Files are written to a temporary name and renamed, so a crash never leaves a torn checkpoint.

import Core
import Foundation
import NN
import Storage

public struct CheckpointInfo: Sendable {
    public var model: String
    public var epoch: Int
    public var metricName: String
    public var metricValue: Double
}

public enum Checkpoint {
    public static func save(_ network: Network, info: CheckpointInfo, to path: String) throws {
        let tmp = path + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        var file: H5File?
        do {
            let f = try H5File.create(tmp)
            file = f
            try f.write("parameters", UnsafeBufferPointer(network.parameters), shape: [network.parameterCount])
            try f.write("state", UnsafeBufferPointer(network.state), shape: [network.stateCount])
            try f.writeStrings("names", network.entries.map(\.name))
            try f.writeStrings("shapes", network.entries.map { $0.shape.map(String.init).joined(separator: "x") })
            try f.writeStrings("kinds", network.entries.map { $0.kind == .trainable ? "parameter" : "state" })
            try f.setAttribute("format", "deepfake-checkpoint")
            try f.setAttribute("formatVersion", 1)
            try f.setAttribute("model", info.model)
            try f.setAttribute("epoch", info.epoch)
            try f.setAttribute("metricName", info.metricName)
            try f.setAttribute("metricValue", info.metricValue)
            try f.finish()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
            file?.abandon()   // closed exactly once, emptied and deleted, even on a full disk
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
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
        let (params, _) = try f.read("parameters", as: Float.self)
        let (state, _) = try f.read("state", as: Float.self)
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
    /// state) whose name and shape match an entry of `network` and leaves the rest as they are,
    /// e.g. a Classic run's ResNet-18 body into an HQNN (whose fc has another shape).
    /// Returns the names copied, in the network's order.
    public static func loadMatching(into network: Network, from path: String) throws -> [String] {
        let f = try H5File.open(path)
        defer { f.close() }
        guard try f.attributeString("format") == "deepfake-checkpoint" else {
            throw DeepfakeError("\(path) is not a deepfake checkpoint (no format attribute): pass a run's best.h5 or last.h5")
        }
        let names = try f.readStrings("names"), shapes = try f.readStrings("shapes"), kinds = try f.readStrings("kinds")
        let (params, _) = try f.read("parameters", as: Float.self)
        let (state, _) = try f.read("state", as: Float.self)
        guard names.count == shapes.count, names.count == kinds.count else {
            throw DeepfakeError("\(path): names, shapes and kinds differ in length; the file is damaged")
        }
        // Offsets follow registration order within each kind, as `save` wrote the flat buffers.
        var source: [String: (values: ArraySlice<Float>, shape: [Int])] = [:]
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
            source[name] = (buffer[start..<(start + n)], shape)
            if isParameter { pOff += n } else { sOff += n }
        }
        var copied: [String] = []
        for entry in network.entries {
            guard let (values, shape) = source[entry.name], shape == entry.shape,
                  let target = network.values(named: entry.name) else { continue }
            _ = target.update(fromContentsOf: values)
            copied.append(entry.name)
        }
        return copied
    }
}
