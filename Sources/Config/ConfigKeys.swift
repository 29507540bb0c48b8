// ConfigKeys: the table of every config key, and the only place a key is declared: its name, type,
// valid values, one-line meaning and place in `Config` (the default is `Config()`'s value, read
// through the same key path). The reader and its validation (ConfigRules.swift), `toYAML()`,
// `validKeys`, "did you mean", `deepfake keys` and the README's key table all derive from it.
// Adding a key: a stored property with its default in Config.swift, and one row here; then
// regenerate the README table (`deepfake keys --markdown`) and the golden `deepfake --help`
// (Tests/DeepfakeCLITests), whose tests fail until they match.

import Yams

/// One config key: how to read, validate, write and document it.
public struct ConfigKey {
    /// The YAML key, camelCase as in the old tool.
    public let name: String
    /// "integer", "number", "boolean", "path", "choice", "choice list" or "datasets".
    public let type: String
    /// The valid values (a range, or the choices).
    public let valid: String
    /// What the key means, one line.
    public let doc: String
    /// Required keys have no default (modelType, trainData).
    public let required: Bool
    /// Keys whose rules look at other keys (testData needs testSize) are read after the rest.
    let readsLast: Bool
    let read: (inout ConfigReader, inout Config) -> Void
    /// The value as YAML; nil = not written (an empty, unused testData).
    let node: (Config) -> Node?

    /// The default as the resolved YAML writes it, "required" or "none".
    public var defaultText: String {
        if required { return "required" }
        return node(Config()).map(ConfigKey.text) ?? "none"
    }

    /// A node as one line of YAML flow text: `32`, `[hflip]`, `{a: builtin}`.
    static func text(_ n: Node) -> String {
        switch n {
        case .scalar(let s): return s.string
        case .sequence(let q): return "[" + q.map(text).joined(separator: ", ") + "]"
        case .mapping(let m): return "{" + m.map { "\(text($0.key)): \(text($0.value))" }.joined(separator: ", ") + "}"
        case .alias: return "*"
        }
    }
}

extension Config {
    /// Every key a config file may contain, in the order `toYAML()` writes them.
    public static let keys: [ConfigKey] = [
        // Paths
        .path("outputsPath", \.outputsPath, "root under which each run gets its own folder"),
        .path("kagglePath", \.kagglePath, "kagglehub cache root (overridden by $KAGGLEHUB_CACHE)"),
        .path("dataPath", \.dataPath, "where preprocessed tensors (HDF5) are kept"),
        .path("modelPath", \.modelPath, "where trained weights are kept (torchvision ResNet-18 weights for warm starts)"),
        // Data
        .int("manualSeed", \.manualSeed, .closed(1, 10000), "seed of every random choice (split, shuffle, augmentation, init)"),
        .int("splitSeed", \.splitSeed, .closed(0, 10000), "seed of the train/validation/test split alone; 0 = manualSeed (so a study can vary manualSeed over one fixed split)"),
        .datasets("trainData", \.trainData, required: true, "training datasets {name: source}, in config order; a source is a Kaggle handle owner/dataset[/versions/N], a local folder (/, ./, ../, ~) or builtin[:variant]"),
        .datasets("testData", \.testData, required: false, "test datasets {name: source}; required when testSize is 0, ignored (with a note) otherwise"),
        .real("valSize", \.valSize, .halfOpen(0, 1), "fraction of the training data held out for validation"),
        .real("testSize", \.testSize, .halfOpen(0, 1), "fraction of the validation part used for testing; 0 = test on testData (valSize 0.3, testSize 1/3 gives 70/20/10)"),
        .int("numWorkers", \.numWorkers, .closed(0, 256), "data-loading threads"),
        .int("batchSize", \.batchSize, .atLeast(1), "images per optimiser step over ALL ranks together (the global batch: each of R MPI ranks takes its share, batchSize/R); evaluation uses the same global batch"),
        .int("imageHeight", \.imageHeight, .closed(8, 1024), "image height after resizing"),
        .int("imageWidth", \.imageWidth, .closed(8, 1024), "image width after resizing"),
        ConfigKey(name: "numChannels", type: "integer", valid: "1 or 3 (2, the old README's B&W, reads as 1)",
                  doc: "1 = greyscale, 3 = RGB", required: false, readsLast: false,
                  read: { r, c in c.numChannels = r.readChannels(c.numChannels) }, node: { ConfigKey.int($0.numChannels) }),
        // Model
        ConfigKey(name: "modelType", type: "choice", valid: ModelType.choicesText + " (or 'Hybrid' = Quantum with quanType HQNN)",
                  doc: "classical CNN, or a quantum model of quanType", required: true, readsLast: false,
                  read: { r, c in r.readModelType(into: &c) }, node: { ConfigKey.string($0.modelType.rawValue) }),
        ConfigKey(name: "quanType", type: "choice", valid: QuanType.choicesText,
                  doc: "the quantum architecture when modelType is Quantum", required: false, readsLast: false,
                  read: { r, c in r.readQuanType(into: &c) }, node: { ConfigKey.string($0.quanType.rawValue) }),
        .int("nQubits", \.nQubits, .closed(1, 30), "wires per quantum layer"),
        .choice("qubitType", \.qubitType, "PennyLane device name; every device runs on our statevector simulator, the name is recorded"),
        .choice("diffType", \.diffType, "PennyLane diff_method of the quantum layers"),
        .int("nLayers", \.nLayers, .closed(1, 1000), "entangling layers per quantum circuit"),
        .choice("typeLayers", \.typeLayers, "StronglyEntanglingLayers (strong) or BasicEntanglerLayers (basic)"),
        .bool("trainable", \.trainable, "QNN: learn the quanvolution circuit's weights instead of keeping them fixed"),
        .bool("patch", \.patch, "QNN: apply the quanvolution patch-wise as a network layer"),
        .int("nQuantumLayers", \.nQuantumLayers, .closed(1, 64), "HQNN: parallel quantum layers k, each of nQubits wires (the dense layer before them outputs k x nQubits)"),
        .bool("classicalTwin", \.classicalTwin, "replace every quantum layer by a classical twin with the same inputs, outputs and parameter count"),
        // Training
        .int("numEpochs", \.numEpochs, .atLeast(1), "training epochs"),
        .real("learningRate", \.learningRate, .above(0), "optimiser step size (the peak rate of a cosine schedule)"),
        .real("beta1", \.beta1, .halfOpen(0, 1), "Adam/Adamax beta1"),
        .choice("optimizer", \.optimizer, "adam (with beta1, the old tool's loop), adamax or sgd (with momentum)"),
        .real("momentum", \.momentum, .halfOpen(0, 1), "SGD momentum"),
        .real("weightDecay", \.weightDecay, .atLeast(0), "L2 weight decay"),
        .choice("lrSchedule", \.lrSchedule, "constant, or cosine decay from learningRate towards 0 over the optimiser steps after warm-up"),
        .int("warmupEpochs", \.warmupEpochs, .atLeast(0), "epochs of linear warm-up before the cosine decay; below numEpochs"),
        .int("earlyStoppingPatience", \.earlyStoppingPatience, .atLeast(0), "stop after this many epochs without improvement; 0 = never"),
        .choice("earlyStoppingMetric", \.earlyStoppingMetric, "the validation metric for early stopping and for choosing best.h5"),
        .choices("augment", \.augment, "training-time augmentations (training batches only, never validation or test images); blur-jpeg = Wang et al. 2020's blur p 0.5 sigma U[0,3] + JPEG p 0.5 quality U[30,100]; self-blend = real images blended with an altered copy of themselves, labelled fake"),
        .real("blurProbability", \.blurProbability, .closed(0, 1), "augment blur: probability of a Gaussian blur per training image"),
        .real("blurSigmaMax", \.blurSigmaMax, .closed(0, 20), "augment blur: sigma ~ U[0, blurSigmaMax] pixels"),
        .real("jpegProbability", \.jpegProbability, .closed(0, 1), "augment jpeg: probability of a libjpeg re-compression per training image"),
        .int("jpegQualityMin", \.jpegQualityMin, .closed(1, 100), "augment jpeg: lowest JPEG quality drawn"),
        .int("jpegQualityMax", \.jpegQualityMax, .closed(1, 100), "augment jpeg: highest JPEG quality drawn; at least jpegQualityMin"),
        .real("cropProbability", \.cropProbability, .closed(0, 1), "augment crop: probability of a random resized crop per training image"),
        .real("cropScaleMin", \.cropScaleMin, .closed(0.05, 1), "augment crop: smallest area fraction kept (aspect ratio within 3/4...4/3), resized back"),
        .real("resampleProbability", \.resampleProbability, .closed(0, 1), "augment resample: probability of down- then up-sampling per training image"),
        .real("resampleScaleMin", \.resampleScaleMin, .closed(0.05, 1), "augment resample: smallest down-sampling factor per side"),
        .real("colourProbability", \.colourProbability, .closed(0, 1), "augment colour: probability of colour jitter per training image"),
        .real("colourJitter", \.colourJitter, .closed(0, 1), "augment colour: brightness, contrast and saturation factors ~ U[1 - colourJitter, 1 + colourJitter]"),
        .real("selfBlendProbability", \.selfBlendProbability, .closed(0, 1), "augment self-blend: probability that a real training image becomes a fake by blending an altered copy of itself into a soft face region (Shiohara & Yamasaki 2022)"),
        .int("checkpointEverySteps", \.checkpointEverySteps, .atLeast(0), "also write the resumable last.h5 every this many optimiser steps; 0 = only at the end of each epoch"),
        .bool("balanceTrainData", \.balanceTrainData, "draw training batches balanced per (dataset, class): every group gets an equal share of each epoch (small groups repeat, large ones are subsampled); an epoch keeps the unbalanced number of images and steps"),
        .bool("shardOptimizerState", \.shardOptimizerState, "data-parallel runs: each of N ranks keeps and updates 1/N of the optimiser state and parameters (ZeRO stage 1: the gradients are reduce-scattered, the updated parameters allgathered); the same steps as false, with 1/N of the moments' memory and update time per rank"),
        // Resources
        .int("nGPUs", \.nGPUs, .atLeast(0), "GPUs requested (the old tool's key; recorded, training runs on CPUs)"),
        .int("nCPUs", \.nCPUs, .atLeast(1), "compute threads per process (capped by the cores the process may use)"),
        ConfigKey(name: "statevectorRanks", type: "integer or auto", valid: "a power of two (1, 2, 4, ...) dividing the rank count, or auto",
                  doc: "ranks of a state group: HQNN splits each circuit's statevector over them (by amplitudes), a trainable QNN its patch circuits (by patches, whole 4-qubit states); the job's ranks form ranks/k data-parallel groups of k (auto = the fewest whose share fits statevectorMemoryMB)",
                  required: false, readsLast: false,
                  read: { r, c in c.statevectorRanks = r.readStatevectorRanks(c.statevectorRanks) },
                  node: { $0.statevectorRanks == 0 ? ConfigKey.string("auto") : ConfigKey.int($0.statevectorRanks) }),
        .real("statevectorMemoryMB", \.statevectorMemoryMB, .atLeast(0), "statevector memory budget per rank in MB (quantum models are refused at start above it; statevectorRanks auto shards to fit); 0 = half of this machine's memory"),
    ]

    /// Every key name, in table order.
    public static let validKeys: [String] = keys.map(\.name)

    /// The key table as Markdown (the README's list is this text, checked by a test).
    public static func keysMarkdown() -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var out = "| key | type | valid values | default | meaning |\n|---|---|---|---|---|\n"
        for k in keys {
            let def = k.required || k.defaultText == "none" ? k.defaultText : "`\(cell(k.defaultText))`"
            out += "| `\(k.name)` | \(k.type) | \(cell(k.valid)) | \(def) | \(cell(k.doc)) |\n"
        }
        return out
    }

    /// The key table as plain text for a terminal (`deepfake keys`).
    public static func keysText() -> String {
        keys.map { k in
            "\(k.name) (\(k.type); \(k.valid); default \(k.defaultText))\n    \(k.doc)"
        }.joined(separator: "\n") + "\n"
    }
}

// MARK: - Row constructors, one per value type

extension ConfigKey {
    static func string(_ v: String) -> Node { .scalar(v.represented()) }
    static func int(_ v: Int) -> Node { Node(String(v)) }
    // Swift's description is the shortest text that reads back to the same Double, and always
    // has a '.' or an exponent, so YAML resolves it as a float.
    static func real(_ v: Double) -> Node { Node(v.description) }

    static func path(_ name: String, _ kp: WritableKeyPath<Config, String>, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "path", valid: "a non-empty path", doc: doc, required: false, readsLast: false,
                  read: { r, c in c[keyPath: kp] = r.string(name, c[keyPath: kp]) }, node: { string($0[keyPath: kp]) })
    }

    static func int(_ name: String, _ kp: WritableKeyPath<Config, Int>, _ rule: RangeRule<Int>, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "integer", valid: rule.text, doc: doc, required: false, readsLast: false,
                  read: { r, c in c[keyPath: kp] = r.int(name, c[keyPath: kp], rule) }, node: { int($0[keyPath: kp]) })
    }

    static func real(_ name: String, _ kp: WritableKeyPath<Config, Double>, _ rule: RangeRule<Double>, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "number", valid: rule.text, doc: doc, required: false, readsLast: false,
                  read: { r, c in c[keyPath: kp] = r.real(name, c[keyPath: kp], rule) }, node: { real($0[keyPath: kp]) })
    }

    static func bool(_ name: String, _ kp: WritableKeyPath<Config, Bool>, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "boolean", valid: "true or false", doc: doc, required: false, readsLast: false,
                  read: { r, c in c[keyPath: kp] = r.bool(name, c[keyPath: kp]) }, node: { Node($0[keyPath: kp] ? "true" : "false") })
    }

    static func choice<E: ConfigChoice>(_ name: String, _ kp: WritableKeyPath<Config, E>, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "choice", valid: E.choicesText, doc: doc, required: false, readsLast: false,
                  read: { r, c in c[keyPath: kp] = r.choice(name, c[keyPath: kp]) }, node: { string($0[keyPath: kp].rawValue) })
    }

    static func choices<E: ConfigChoice>(_ name: String, _ kp: WritableKeyPath<Config, [E]>, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "choice list", valid: "any of " + E.choicesText, doc: doc, required: false, readsLast: false,
                  read: { r, c in c[keyPath: kp] = r.choices(name, c[keyPath: kp]) },
                  node: { Node($0[keyPath: kp].map { string($0.rawValue) }, .implicit, .flow) })
    }

    /// trainData / testData; read after the other keys because testData's rule looks at testSize.
    /// An empty optional list is not written (an empty testData is only allowed when testSize > 0).
    static func datasets(_ name: String, _ kp: WritableKeyPath<Config, [DatasetEntry]>, required: Bool, _ doc: String) -> ConfigKey {
        ConfigKey(name: name, type: "datasets", valid: "{name: source, ...} or [{name: source}, ...]", doc: doc,
                  required: required, readsLast: true,
                  read: { r, c in r.readDatasets(name, into: &c, kp) },
                  node: { c in
                      let v = c[keyPath: kp]
                      return v.isEmpty && !required ? nil : Node(v.map { (string($0.name), string($0.source.description)) })
                  })
    }
}
