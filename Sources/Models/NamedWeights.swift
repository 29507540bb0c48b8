// NamedWeights: the one way tensors stored by name (torchvision's state_dict names, which our
// networks use too) go into a network. A tensor of the entry's shape is copied; an RGB image
// convolution [o, 3, kh, kw] going into a 1-channel network's [o, 1, kh, kw] is summed over its
// input channels (the response to a grey image equals the RGB filter's response to that grey
// replicated in three channels); anything else is left as it is. Its three users: the Classic
// model's torchvision loader (which first requires every tensor), the HQNN's CNN body from
// torchvision weights, and a warm start from a run's checkpoint (Training's Checkpoint).

import Core
import NN
import Storage

public typealias NamedTensors = [String: (shape: [Int], values: [Float])]

/// What a copy did, by entry name in the network's order.
public struct WeightCopy: Sendable, Equatable {
    /// Every entry that received values (copied as they are, or adapted).
    public var copied: [String] = []
    /// One note per entry whose values were adapted on the way in (included in `copied`).
    public var adapted: [String] = []
    /// Entries the source holds under the same name but with a shape that does not fit.
    public var mismatched: [String] = []
}

public enum NamedWeights {
    /// The tensors of an HDF5 file holding one float32 dataset per name at its root (as
    /// `benchmarks/convert_torchvision_resnet18.py` writes), for the `names` it holds.
    public static func read(path: String, names: [String]) throws -> NamedTensors {
        let file = try H5File.open(path)
        defer { file.close() }
        var tensors: NamedTensors = [:]
        for name in names where file.exists(name) {
            let (values, shape) = try file.read(name, as: Float.self)
            tensors[name] = (shape, values)
        }
        return tensors
    }

    /// Whether `source` is an RGB image convolution that sums into the 1-channel `target`.
    public static func isGreyFromRGB(source: [Int], target: [Int]) -> Bool {
        source.count == 4 && target.count == 4 && source[1] == 3 && target[1] == 1
            && source[0] == target[0] && source[2] == target[2] && source[3] == target[3]
    }

    /// Copies into `network` every entry of `tensors` whose shape fits (the same, or RGB into
    /// greyscale) and leaves the others as they are.
    @discardableResult
    public static func copyMatching(_ tensors: NamedTensors, into network: Network) -> WeightCopy {
        var report = WeightCopy()
        for entry in network.entries {
            guard let t = tensors[entry.name], t.values.count == t.shape.reduce(1, *),
                  let dst = network.values(named: entry.name) else { continue }
            if t.shape == entry.shape {
                _ = dst.update(fromContentsOf: t.values)
            } else if isGreyFromRGB(source: t.shape, target: entry.shape) {
                let plane = entry.shape[2] * entry.shape[3]
                for o in 0..<entry.shape[0] {
                    for k in 0..<plane {
                        dst[o * plane + k] = t.values[(o * 3) * plane + k] + t.values[(o * 3 + 1) * plane + k]
                            + t.values[(o * 3 + 2) * plane + k]
                    }
                }
                report.adapted.append("\(entry.name): summed the 3 RGB input channels into 1 for greyscale input")
            } else {
                report.mismatched.append(entry.name)
                continue
            }
            report.copied.append(entry.name)
        }
        return report
    }
}
