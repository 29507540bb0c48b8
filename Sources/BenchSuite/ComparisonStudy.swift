// The comparison study of `bench run --suite comparison --study FILE`: a grid of models (Classic,
// HQNN, HQNN-twin, QNN, QNN-twin, optionally over nQubits x nLayers x typeLayers), training sets
// each tested in-domain and on its cross-dataset test sets, and seeds. The study file has two
// sections:
//
//   study:                    # the grid (keys below)
//     name: hard1k-deepfake2k
//     models: [Classic, HQNN, HQNN-twin, QNN, QNN-twin]
//     seeds: 5                # or a list [1, 7, 9]; default 5 (= 1...5)
//     splitSeed: 999          # the one split every seed shares (default: the config's manualSeed);
//                             # `perSeed` draws the split from each seed as well
//     epochs: 1               # the equal budget of every point (default: the config's numEpochs)
//     imageSize: 64           # default: the config's imageHeight
//     nQubits: [4]            # optional lists: every combination is a quantum model variant
//     nLayers: [1, 2]
//     typeLayers: [strong]
//     warmStart: false        # true: every quantum head and twin starts from the same seed's
//                             # trained Classic point (modelPath = its best.h5)
//     train: [hard1k, deepfake2k]   # default: every trainData entry
//     test: {hard1k: [deepfake2k]}  # cross test sets per training set; default: every other entry
//   config:                   # an ordinary run config (every key of `deepfake -c`); its trainData
//     trainData: {...}        # names the datasets (sources) the grid refers to
//
// The seed of a point is its manualSeed (initialisation, shuffling, augmentation); the split seed
// is fixed unless the study asks, so every seed is tested on the same images (what paired tests
// and DeLong's test need).

import Config
import Core
import Datasets
import Foundation
import Yams

/// A model of the comparison grid: a base model, optionally its classical twin.
public struct ComparisonModel: Hashable, Sendable {
    public var base: ModelChoice
    public var twin: Bool

    public init(base: ModelChoice, twin: Bool) { self.base = base; self.twin = twin }

    /// "Classic", "HQNN", "HQNN-twin", "QNN", "QNN-twin" (Config.modelLabel's spelling).
    public var label: String { base.rawValue + (twin ? "-twin" : "") }

    public static let all: [ComparisonModel] = [
        .init(base: .classic, twin: false), .init(base: .hqnn, twin: false), .init(base: .hqnn, twin: true),
        .init(base: .qnn, twin: false), .init(base: .qnn, twin: true),
    ]

    /// Parses "HQNN-twin", "hqnn twin", "QNN_twin", "Classic" (any case).
    public init?(parsing text: String) {
        let t = text.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: " ", with: "-")
        guard let m = ComparisonModel.all.first(where: { $0.label.lowercased() == t }) else { return nil }
        self = m
    }
}

/// One quantum variant of the grid (nQubits, nLayers, typeLayers).
public struct QuantumVariant: Hashable, Sendable {
    public var qubits: Int
    public var layers: Int
    public var template: TypeLayers
    public var label: String { "q\(qubits) l\(layers) \(template.rawValue)" }
}

/// One grid point: what trains, on what, with which seed.
public struct ComparisonPoint: Sendable, Equatable {
    public var model: ComparisonModel
    /// nil for Classic, or when the grid has a single variant (the config's own settings).
    public var variant: QuantumVariant?
    public var trainSet: String
    public var crossSets: [String]
    public var seed: Int

    /// The model as the report groups it: "HQNN-twin", or "HQNN-twin q4 l2 strong" in a variant grid.
    public var modelLabel: String { model.label + (variant.map { " " + $0.label } ?? "") }

    /// A folder-safe unique name: "hard1k-HQNN-twin-q4l2strong-s3".
    public var id: String {
        let v = variant.map { "-q\($0.qubits)l\($0.layers)\($0.template.rawValue)" } ?? ""
        let safe = trainSet.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined()
        return "\(safe)-\(model.label)\(v)-s\(seed)"
    }
}

public struct ComparisonStudy: Sendable {
    public var name: String
    public var models: [ComparisonModel]
    public var seeds: [Int]
    /// nil = each point's split follows its seed; else the one split seed of every point.
    public var splitSeed: Int?
    public var epochs: Int
    public var imageSize: Int
    public var variants: [QuantumVariant]
    public var warmStart: Bool
    /// Training sets, in order, with their cross test sets.
    public var train: [(name: String, cross: [String])]
    /// The base run config: every setting but the grid's; its trainData names the datasets.
    public var config: Config
    /// Compute threads per point (config nCPUs).
    public var threads: Int
    /// When set, each training runs in a child `<executable> train-config` (a crash is a failed point).
    public var isolationExecutable: String?
    /// Stop starting new points after this many seconds (nil = run them all); the study is then
    /// resumable by running the same command again.
    public var timeBudgetSeconds: Double?

    /// Every point, seed-major (a truncated study holds whole seeds), then training set, model, variant.
    public var points: [ComparisonPoint] {
        var out: [ComparisonPoint] = []
        for seed in seeds {
            for t in train {
                for m in models {
                    let vs: [QuantumVariant?] = m.base == .classic || variants.count <= 1 ? [nil] : variants
                    for v in vs {
                        out.append(ComparisonPoint(model: m, variant: v, trainSet: t.name, crossSets: t.cross, seed: seed))
                    }
                }
            }
        }
        return out
    }

    /// The dataset entry of a name in the config's trainData.
    public func entry(_ name: String) -> DatasetEntry? { config.trainData.first { $0.name == name } }

    /// The study `bench run --suite comparison --quick` runs (and the tests): the built-in small set
    /// trained at 16 px for one epoch, tested in-domain and on a second generated set (the built-in
    /// generator with another seed, 60 faces per class, made once under `dataFolder`: the built-in
    /// variants share their generator seed, so one holds copies of the other's images), two seeds,
    /// Classic, HQNN and its twin.
    public static func quick(dataFolder: String) throws -> ComparisonStudy {
        let other = (dataFolder as NSString).appendingPathComponent("comparison-other-16px-seed7")
        if !FileManager.default.fileExists(atPath: other) {
            let staging = other + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            try? FileManager.default.removeItem(atPath: staging)
            try BuiltinDataset.generate(into: staging, countPerClass: 60, size: 16, seed: 7)
            do { try FileManager.default.moveItem(atPath: staging, toPath: other) } catch {
                guard FileManager.default.fileExists(atPath: other) else { throw DeepfakeError("cannot create \(other): \(error.localizedDescription)") }
                try? FileManager.default.removeItem(atPath: staging)   // another process made it first
            }
        }
        var c = Config(modelType: .classic, trainData: [DatasetEntry(name: "small", source: .builtin(variant: "small")),
                                                        DatasetEntry(name: "other", source: .localFolder(other))])
        c.valSize = 0.2; c.testSize = 0.5; c.batchSize = 16; c.learningRate = 0.001; c.beta1 = 0.9
        return ComparisonStudy(name: "quick", models: [ComparisonModel.all[0], ComparisonModel.all[1], ComparisonModel.all[2]],
                               seeds: [1, 2], splitSeed: 999, epochs: 1, imageSize: 16, variants: [], warmStart: false,
                               train: [(name: "small", cross: ["other"])], config: c,
                               threads: ProcessInfo.processInfo.activeProcessorCount, isolationExecutable: nil, timeBudgetSeconds: nil)
    }

    static let studyKeys = ["name", "models", "seeds", "splitSeed", "epochs", "imageSize", "nQubits", "nLayers", "typeLayers",
                            "warmStart", "train", "test"]

    /// Reads a study file (see the file header); every problem is an error naming the key and the fix.
    public static func load(path: String) throws -> ComparisonStudy {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw DeepfakeError("cannot read the study file \(path): pass an existing YAML file (e.g. configs/bench/comparison.yaml)")
        }
        return try parse(yaml: text, source: path)
    }

    public static func parse(yaml text: String, source: String) throws -> ComparisonStudy {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw DeepfakeError("\(source) is not valid YAML: \(error)")
        }
        guard let top = root as? [String: Any] else {
            throw DeepfakeError("\(source): a study file is a mapping with `study:` and `config:` sections")
        }
        for k in top.keys where k != "study" && k != "config" {
            throw DeepfakeError("\(source): unknown top-level key `\(k)`: a study file has only `study:` (the grid) and `config:` (a run config)")
        }
        guard let configNode = top["config"] as? [String: Any] else {
            throw DeepfakeError("\(source): no `config:` section: give a run config whose trainData names the datasets of the study")
        }
        let study = (top["study"] as? [String: Any]) ?? [:]
        if top["study"] != nil && top["study"] as? [String: Any] == nil {
            throw DeepfakeError("\(source): `study:` must be a mapping of grid keys (\(studyKeys.joined(separator: ", ")))")
        }
        for k in study.keys where !studyKeys.contains(k) {
            throw DeepfakeError("\(source): unknown study key `\(k)`; study keys are \(studyKeys.joined(separator: ", ")) (run settings go under `config:`)")
        }
        let configYAML: String
        do { configYAML = try Yams.dump(object: configNode) } catch {
            throw DeepfakeError("\(source): cannot re-read the config section: \(error)")
        }
        var config = try Config.parse(yaml: configYAML, source: "\(source) (config section)")
        // Absolute, so the points' generated configs (and their resume check) do not depend on a cwd.
        if !config.kagglePath.hasPrefix("/") {
            config.kagglePath = URL(fileURLWithPath: config.kagglePath).standardizedFileURL.path
        }
        guard !config.trainData.isEmpty else { throw DeepfakeError("\(source): config.trainData names no dataset") }

        func bad(_ key: String, _ want: String) -> DeepfakeError {
            DeepfakeError("\(source): study.\(key) is \(String(describing: study[key]!)): use \(want)")
        }
        func int(_ key: String, _ def: Int, min lo: Int = 1) throws -> Int {
            guard let v = study[key] else { return def }
            guard let i = v as? Int, i >= lo else { throw bad(key, "a whole number >= \(lo)") }
            return i
        }
        func list(_ key: String) -> [Any]? {
            guard let v = study[key] else { return nil }
            return (v as? [Any]) ?? [v]
        }

        let name = (study["name"] as? String) ?? ((source as NSString).lastPathComponent as NSString).deletingPathExtension
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw DeepfakeError("\(source): study.name `\(name)` must be letters, digits, - _ . (it names the study folder)")
        }
        var models = ComparisonModel.all
        if let raw = list("models") {
            models = try raw.map { v in
                guard let s = v as? String, let m = ComparisonModel(parsing: s) else {
                    throw DeepfakeError("\(source): study.models has `\(v)`: use \(ComparisonModel.all.map(\.label).joined(separator: ", "))")
                }
                return m
            }
            guard !models.isEmpty else { throw bad("models", "a list of models") }
        }
        var seeds = Array(1...5)
        if let v = study["seeds"] {
            if let n = v as? Int {
                guard n >= 1 else { throw bad("seeds", "a count >= 1 or a list of seeds") }
                seeds = Array(1...n)
            } else if let l = v as? [Any] {
                seeds = try l.map { x in
                    guard let i = x as? Int, (1...10000).contains(i) else { throw bad("seeds", "seeds in 1...10000 (manualSeed's range)") }
                    return i
                }
                guard !seeds.isEmpty, Set(seeds).count == seeds.count else { throw bad("seeds", "distinct seeds") }
            } else { throw bad("seeds", "a count or a list of seeds") }
        }
        var splitSeed: Int? = config.effectiveSplitSeed
        if let v = study["splitSeed"] {
            if let s = v as? String, s == "perSeed" { splitSeed = nil }
            else if let i = v as? Int, (1...10000).contains(i) { splitSeed = i }
            else { throw bad("splitSeed", "a seed in 1...10000 or `perSeed`") }
        }
        let epochs = try int("epochs", config.numEpochs)
        let imageSize = try int("imageSize", config.imageHeight, min: 8)
        func ints(_ key: String, _ def: Int) throws -> [Int] {
            guard let l = list(key) else { return [def] }
            return try l.map { x in guard let i = x as? Int, i >= 1 else { throw bad(key, "whole numbers >= 1") }; return i }
        }
        let qubits = try ints("nQubits", config.nQubits), layers = try ints("nLayers", config.nLayers)
        let templates: [TypeLayers] = try (list("typeLayers") ?? [config.typeLayers.rawValue]).map { x in
            guard let s = x as? String, let t = TypeLayers.allCases.first(where: { $0.rawValue == s.lowercased() }) else {
                throw bad("typeLayers", TypeLayers.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return t
        }
        var variants: [QuantumVariant] = []
        for q in qubits { for l in layers { for t in templates { variants.append(QuantumVariant(qubits: q, layers: l, template: t)) } } }
        let warm: Bool
        if let v = study["warmStart"] { guard let b = v as? Bool else { throw bad("warmStart", "true or false") }; warm = b } else { warm = false }
        if warm && !models.contains(ComparisonModel.all[0]) {
            throw DeepfakeError("\(source): study.warmStart needs Classic in study.models (its trained body is the warm start)")
        }

        let names = config.trainData.map(\.name)
        func known(_ n: Any, _ key: String) throws -> String {
            guard let s = n as? String, names.contains(s) else {
                throw DeepfakeError("\(source): study.\(key) names `\(n)`, which config.trainData does not define (it has \(names.joined(separator: ", ")))")
            }
            return s
        }
        let trainNames = try (list("train") ?? names).map { try known($0, "train") }
        var cross: [String: [String]] = [:]
        if let t = study["test"] {
            guard let m = t as? [String: Any] else { throw bad("test", "a mapping {trainSet: [testSet, ...]}") }
            for (k, v) in m {
                let key = try known(k, "test")
                cross[key] = try ((v as? [Any]) ?? [v]).map { try known($0, "test.\(key)") }.filter { $0 != key }
            }
        }
        let train = trainNames.map { n in (name: n, cross: cross[n] ?? names.filter { $0 != n }) }
        return ComparisonStudy(name: name, models: models, seeds: seeds, splitSeed: splitSeed, epochs: epochs, imageSize: imageSize,
                               variants: variants, warmStart: warm, train: train, config: config,
                               threads: config.nCPUs, isolationExecutable: nil, timeBudgetSeconds: nil)
    }

    /// The resolved config of one point (paths are the suite's to set).
    public func config(for p: ComparisonPoint) throws -> Config {
        var c = config
        guard let e = entry(p.trainSet) else { throw DeepfakeError("study \(name): no dataset \(p.trainSet) in config.trainData") }
        c.trainData = [e]
        c.testData = []
        switch p.model.base {
        case .classic: c.modelType = .classic
        case .hqnn: c.modelType = .quantum; c.quanType = .hqnn
        case .qnn: c.modelType = .quantum; c.quanType = .qnn
        }
        c.classicalTwin = p.model.twin
        if let v = p.variant { c.nQubits = v.qubits; c.nLayers = v.layers; c.typeLayers = v.template }
        c.manualSeed = p.seed
        c.splitSeed = splitSeed ?? 0
        c.numEpochs = epochs
        c.imageHeight = imageSize; c.imageWidth = imageSize
        c.nCPUs = max(1, threads)
        if c.testSize == 0 {
            throw DeepfakeError("study \(name): config.testSize is 0: the in-domain test needs a held-out part (e.g. valSize 0.3, testSize 0.3333)")
        }
        return c
    }
}
