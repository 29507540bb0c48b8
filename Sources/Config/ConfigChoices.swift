// The closed sets of values a config key may take (model kinds, devices, optimisers, ...) and the
// dataset source syntax (Kaggle handle, local folder, built-in generated data).
//
// Choice values are matched case-insensitively at load and normalised to the spelling below, so
// `modelType: classic` and `modelType: Classic` load the same; the resolved YAML uses the canonical
// spelling.

import Core
import Foundation

/// A key whose value is one of a fixed list of strings.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Equatable, Sendable where RawValue == String {}

extension ConfigChoice {
    /// The case whose raw value equals `text`, ignoring case.
    static func matching(_ text: String) -> Self? {
        allCases.first { $0.rawValue.lowercased() == text.lowercased() }
    }

    /// "'a', 'b' or 'c'", for error messages.
    static var choicesText: String { quotedList(allCases.map { $0.rawValue }) }
}

/// "'a', 'b' or 'c'".
func quotedList(_ items: [String]) -> String {
    let q = items.map { "'\($0)'" }
    guard q.count > 1 else { return q.first ?? "" }
    return q.dropLast().joined(separator: ", ") + " or " + q.last!
}

/// `modelType`. The old tool's `Hybrid` is accepted at load as `quantum` with `quanType: HQNN`.
public enum ModelType: String, ConfigChoice {
    case classic = "Classic"
    case quantum = "Quantum"
}

/// `quanType`: the quantum architecture used when `modelType` is Quantum.
public enum QuanType: String, ConfigChoice {
    /// CNN features -> dense -> k parallel quantum layers -> dense -> 2 logits.
    case hqnn = "HQNN"
    /// 2x2-patch quanvolution in front of a CNN.
    case qnn = "QNN"
}

/// `qubitType`: the PennyLane device name of the old tool. Every device runs on our own statevector
/// simulator; the name is kept so configs load unchanged and results record what was asked for.
public enum QubitType: String, ConfigChoice {
    case defaultQubit = "default.qubit"
    case lightningQubit = "lightning.qubit"
    case lightningGPU = "lightning.gpu"
    case softwareqQpp = "softwareq.qpp"
    case nvidiaCustatevec = "nvidia.custatevec"
    case nvidiaCutensornet = "nvidia.cutensornet"
}

/// `diffType`: PennyLane's `diff_method`. Every value gives exact gradients of the simulated
/// circuit here; the value is kept for the record.
public enum DiffType: String, ConfigChoice {
    case best
    case adjoint
    case parameterShift = "parameter-shift"
    case backprop
    case `default`
}

/// `typeLayers`: StronglyEntanglingLayers or BasicEntanglerLayers.
public enum TypeLayers: String, ConfigChoice {
    case strong
    case basic
}

/// `optimizer` (ours). Adam with `beta1` reproduces the old tool's training loop.
public enum OptimizerKind: String, ConfigChoice {
    case adam
    case adamax
    case sgd
}

/// `lrSchedule` (ours): constant, or cosine decay to 0 over the epochs after warm-up.
public enum LRSchedule: String, ConfigChoice {
    case constant
    case cosine
}

/// `earlyStoppingMetric` (ours); also the metric that picks the best checkpoint.
public enum EarlyStoppingMetric: String, ConfigChoice {
    case valAUC = "val_auc"
    case valLoss = "val_loss"
    case valAccuracy = "val_accuracy"

    /// True when a smaller value is better (loss).
    public var lowerIsBetter: Bool { self == .valLoss }
}

/// One entry of `augment` (ours): training-time only, never applied to validation or test images.
/// The robustness ops (blur ... colour) take their probabilities and ranges from their own keys;
/// `blur-jpeg` is Wang et al. (CVPR 2020)'s fixed Blur+JPEG (0.5) setting, whatever those keys say.
public enum Augmentation: String, ConfigChoice {
    case hflip
    case vflip
    case rotate
    case blur
    case jpeg
    case crop
    case resample
    case colour
    case blurJPEG = "blur-jpeg"
    /// Real training images turned into self-blended fakes (Shiohara & Yamasaki, CVPR 2022) with
    /// probability `selfBlendProbability`, labelled fake.
    case selfBlend = "self-blend"
}

/// Where a dataset comes from.
public enum DatasetSource: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// A Kaggle dataset, read from the kagglehub cache under `kagglePath`.
    case kaggle(KaggleHandle)
    /// A local folder, as written; `~` and relative paths are resolved by Datasets (DatasetResolver).
    case localFolder(String)
    /// Generated data: `builtin` (variant nil) or `builtin:<variant>`.
    case builtin(variant: String?)

    /// Parses `owner/name[/versions/N]`, a path starting with `/`, `./`, `../` or `~`, or
    /// `builtin[:variant]`.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == "builtin" {
            self = .builtin(variant: nil)
        } else if t.hasPrefix("builtin:") {
            let v = String(t.dropFirst("builtin:".count))
            guard !v.isEmpty, v.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
                throw DeepfakeError("'\(text)' is not a built-in dataset: write \"builtin\" or \"builtin:<variant>\" with a variant of letters, digits, '-', '_' or '.'")
            }
            self = .builtin(variant: v)
        } else if t == "." || t == ".." || t == "~" || ["/", "./", "../", "~/"].contains(where: { t.hasPrefix($0) }) {
            self = .localFolder(t)
        } else {
            self = .kaggle(try KaggleHandle(parsing: t))
        }
    }

    /// The text that parses back to this source.
    public var description: String {
        switch self {
        case .kaggle(let h): return h.description
        case .localFolder(let p): return p
        case .builtin(let v): return v.map { "builtin:\($0)" } ?? "builtin"
        }
    }
}

/// One named dataset of `trainData` / `testData`, in the order the config lists them.
public struct DatasetEntry: Equatable, Hashable, Sendable {
    /// The config's name for it (e.g. `hard1k`); used in run-folder names and prediction files.
    public var name: String
    public var source: DatasetSource

    public init(name: String, source: DatasetSource) {
        self.name = name; self.source = source
    }
}
