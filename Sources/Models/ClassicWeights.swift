// Loading torchvision ResNet-18 weights into the Classic model by parameter name.
//
// `benchmarks/convert_torchvision_resnet18.py` dumps a torchvision state_dict to HDF5, one float32
// dataset per name ("conv1.weight", "layer1.0.bn1.running_mean", ...); the file reader below
// feeds the same dictionary loader that tests use directly.

import Core
import NN
import Storage

public typealias NamedTensors = [String: (shape: [Int], values: [Float])]

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
        for entry in network.entries {
            guard let t = tensors[entry.name] else {
                throw DeepfakeError("torchvision weights have no tensor '\(entry.name)' (shape \(entry.shape)): "
                    + "export a full resnet18 state_dict with benchmarks/convert_torchvision_resnet18.py")
            }
            guard t.values.count == t.shape.reduce(1, *) else {
                throw DeepfakeError("torchvision tensor '\(entry.name)' has \(t.values.count) values for shape \(t.shape): the file is corrupt; re-export it")
            }
            let dst = network.values(named: entry.name)!
            if t.shape == entry.shape {
                _ = dst.update(fromContentsOf: t.values)
            } else if entry.name.hasPrefix("fc.") && t.shape.first != entry.shape.first {
                notes.append("\(entry.name): source shape \(t.shape) is for \(t.shape[0]) classes, kept a fresh \(entry.shape) initialisation")
            } else if entry.name == "conv1.weight" && numChannels == 1 && t.shape == [64, 3, 7, 7] {
                for o in 0..<64 {
                    for k in 0..<49 {
                        dst[o * 49 + k] = t.values[(o * 3) * 49 + k] + t.values[(o * 3 + 1) * 49 + k] + t.values[(o * 3 + 2) * 49 + k]
                    }
                }
                notes.append("conv1.weight: summed the 3 RGB input channels into 1 for greyscale input")
            } else {
                throw DeepfakeError("torchvision tensor '\(entry.name)' has shape \(t.shape) but the Classic model expects \(entry.shape): "
                    + "use ResNet-18 weights (not another depth) with numChannels 1 or 3")
            }
        }
        return notes
    }

    /// Loads an HDF5 file written by `benchmarks/convert_torchvision_resnet18.py` (one float32
    /// dataset per state_dict name at the file's root).
    @discardableResult
    public func loadTorchvisionWeights(path: String) throws -> [String] {
        let file = try H5File.open(path)
        defer { file.close() }
        var tensors: NamedTensors = [:]
        for entry in network.entries where file.exists(entry.name) {
            let (values, shape) = try file.read(entry.name, as: Float.self)
            tensors[entry.name] = (shape, values)
        }
        return try loadTorchvisionWeights(tensors)
    }
}
