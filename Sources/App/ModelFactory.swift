// ModelFactory: the config's model settings to a ClassifierModel, with a log line saying what
// was built (and, for quantum layers, which device and differentiation method actually run).

import Config
import Core
import Foundation
import Models
import NN
import Training

public enum ModelFactory {
    /// Builds the model the config describes, initialised from `manualSeed`, running with `context`
    /// (threads, and the data-parallel group whose ranks each hold their share of the global batch);
    /// `stateGroup`: the ranks sharing each quantum circuit's statevector (ProcessGrid.state).
    public static func make(_ config: Config, context: NNContext, stateGroup: (any Communicator)? = nil, log: RunLog) throws -> ClassifierModel {
        let seed = UInt64(config.manualSeed)
        switch config.modelType {
        case .classic:
            let model = ClassicResNet18(numChannels: config.numChannels, numClasses: 2, seed: seed,
                                        stem: .forImage(height: config.imageHeight, width: config.imageWidth), context: context)
            if let weights = torchvisionWeightsFile(config.modelPath) {
                if try !warmStartIfCheckpoint(model.network, file: weights, log: log) {
                    let notes = try model.loadTorchvisionWeights(path: weights)
                    log.info("loaded torchvision ResNet-18 weights from \(weights)")
                    for n in notes { log.info("  \(n)") }
                }
            } else {
                log.info("Classic ResNet-18 trained from scratch (no \(config.modelPath)/resnet18.h5; make one with benchmarks/convert_torchvision_resnet18.py)")
            }
            return model
        case .quantum:
            return try QuantumModels.make(config, seed: seed, context: context, stateGroup: stateGroup, log: log)
        }
    }

    /// When `file` is a run's checkpoint (best.h5 / last.h5), copies every tensor whose name and
    /// shape match into `network` (a warm start: everything still trains) and returns true;
    /// returns false for any other file (torchvision weights).
    static func warmStartIfCheckpoint(_ network: Network, file: String, log: RunLog) throws -> Bool {
        guard Checkpoint.isCheckpoint(file) else { return false }
        let copied = try Checkpoint.loadMatching(into: network, from: file).count, total = network.entries.count
        log.info("warm start: \(copied) tensors from the checkpoint \(file); the other \(total - copied) of the model's "
            + "\(total) keep their fresh initialisation (absent there or of another shape); everything trains")
        return true
    }

    /// `modelPath` itself when it is an .h5 file (torchvision weights, or a run's best.h5/last.h5
    /// for a warm start), else `modelPath/resnet18.h5` when present.
    static func torchvisionWeightsFile(_ modelPath: String) -> String? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDir) else { return nil }
        if !isDir.boolValue { return modelPath.hasSuffix(".h5") ? modelPath : nil }
        let file = (modelPath as NSString).appendingPathComponent("resnet18.h5")
        return FileManager.default.fileExists(atPath: file) ? file : nil
    }
}
