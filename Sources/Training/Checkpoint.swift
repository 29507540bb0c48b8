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
        do {
            let f = try H5File.create(tmp)
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
            f.close()
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: tmp, toPath: path)
        } catch {
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
            let firstDiff = zip(names, expected).first { $0 != $1 }
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
}
