// Loading torchvision ResNet-18 weights into the Classic model by parameter name.
//
// `benchmarks/convert_torchvision_resnet18.py` dumps a torchvision state_dict to HDF5, one float32
// dataset per name ("conv1.weight", "layer1.0.bn1.running_mean", ...); the file reader below
// feeds the same dictionary loader that tests use directly. The copying itself (and its greyscale
// adaptation) is NamedWeights', shared with the HQNN body and the checkpoint warm start.

import Core
import NN

extension ClassicResNet18 {
    /// Copies every parameter and BatchNorm statistic from `tensors` (torchvision names).
    ///
    /// Adaptations: `fc.*` with another class count (ImageNet's 1000 vs our 2) is skipped and keeps
    /// its fresh initialisation; `conv1.weight` [64, 3, 7, 7] is summed over its input channels
    /// for a 1-channel model (the response to a grey image equals the RGB filter's response to
    /// that grey replicated in three channels). Extra names such as `num_batches_tracked` are ignored.
    /// - Returns: one note per skipped or adapted tensor.
    /// - Throws: DeepfakeError naming a missing or mis-shaped tensor.
    @discardableResult
    public func loadTorchvisionWeights(_ tensors: NamedTensors) throws -> [String] {
        var notes: [String] = []
        // Every tensor must be there and fit before anything is copied.
        for entry in network.entries {
            guard let t = tensors[entry.name] else {
                throw DeepfakeError("torchvision weights have no tensor '\(entry.name)' (shape \(entry.shape)): "
                    + "export a full resnet18 state_dict with benchmarks/convert_torchvision_resnet18.py")
            }
            guard t.values.count == t.shape.reduce(1, *) else {
                throw DeepfakeError("torchvision tensor '\(entry.name)' has \(t.values.count) values for shape \(t.shape): the file is corrupt; re-export it")
            }
            if t.shape == entry.shape || NamedWeights.isGreyFromRGB(source: t.shape, target: entry.shape) { continue }
            if entry.name.hasPrefix("fc.") && t.shape.first != entry.shape.first {
                notes.append("\(entry.name): source shape \(t.shape) is for \(t.shape[0]) classes, kept a fresh \(entry.shape) initialisation")
            } else {
                throw DeepfakeError("torchvision tensor '\(entry.name)' has shape \(t.shape) but the Classic model expects \(entry.shape): "
                    + "use ResNet-18 weights (not another depth) with numChannels 1 or 3")
            }
        }
        return NamedWeights.copyMatching(tensors, into: network).adapted + notes
    }

    /// Loads an HDF5 file written by `benchmarks/convert_torchvision_resnet18.py` (one float32
    /// dataset per state_dict name at the file's root).
    @discardableResult
    public func loadTorchvisionWeights(path: String) throws -> [String] {
        let tensors = try NamedWeights.read(path: path, names: network.entries.map(\.name))
        return try loadTorchvisionWeights(tensors)
    }
}
