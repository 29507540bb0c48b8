// The reading order and the rules a typed reader cannot express alone: the aliases of the old
// tool (Hybrid, numChannels 2), the required keys, the dataset keys and the rules that involve
// several keys. Each key's own type and range is its row in `Config.keys` (ConfigKeys.swift).

import Core
import Yams

extension ConfigReader {
    /// Reads every key of `Config.keys` in table order (the keys that look at others last),
    /// then checks the rules that involve several keys.
    mutating func readAll(into c: inout Config) {
        for key in Config.keys where !key.readsLast { key.read(&self, &c) }
        for key in Config.keys where key.readsLast { key.read(&self, &c) }
        crossChecks(c)
    }

    /// statevectorRanks: a power of two, or `auto` (stored as 0).
    mutating func readStatevectorRanks(_ def: Int) -> Int {
        guard let v = value("statevectorRanks") else { return def }
        if case .scalar(let s) = v, s.string.lowercased() == "auto" { return 0 }
        guard plainScalar(v) != nil, tagName(v) == .int, let k = v.int, k >= 1, k & (k - 1) == 0 else {
            problem(v, "statevectorRanks is \(show(v)), expected a power of two (1, 2, 4, 8, ...) or auto"); return def
        }
        return k
    }

    /// 1 or 3; 2 (the old README's "2 for B&W") is read as 1 with a note.
    mutating func readChannels(_ def: Int) -> Int {
        let n = int("numChannels", def, .closed(1, 3))
        if n == 2 {
            notes.append("numChannels: 2 read as 1 (greyscale): the old README's \"2 for B&W\" meant one grey channel")
            return 1
        }
        return n
    }

    /// modelType is required; `Hybrid` is Quantum with quanType HQNN (checked by readQuanType).
    mutating func readModelType(into c: inout Config) {
        guard let v = value("modelType") else {
            if !isPresent("modelType") {
                problem(nil, "missing required key 'modelType': add `modelType: Classic` or `modelType: Quantum` (or Hybrid)")
            }
            return
        }
        if case .scalar(let s) = v, s.string.lowercased() == "hybrid" {
            c.modelType = .quantum
            hybridAlias = true
            notes.append("modelType: Hybrid resolved to modelType: Quantum with quanType: HQNN")
            return
        }
        guard case .scalar(let s) = v, let m = ModelType.matching(s.string) else {
            problem(v, "modelType is \(show(v)), not a valid choice: use one of \(ModelType.choicesText) (or 'Hybrid' = Quantum with quanType HQNN)")
            return
        }
        c.modelType = m
    }

    /// quanType; with modelType Hybrid it must be HQNN (or absent).
    mutating func readQuanType(into c: inout Config) {
        let quan = choice("quanType", c.quanType)
        c.quanType = quan
        guard hybridAlias else { return }
        if let q = value("quanType"), quan != .hqnn {
            problem(q, "modelType 'Hybrid' means Quantum with quanType HQNN, but quanType is \(show(q)): write modelType: Quantum, quanType: QNN")
        }
        c.quanType = .hqnn
    }

    /// trainData (required, at least one dataset) or testData (required when testSize is 0).
    mutating func readDatasets(_ key: String, into c: inout Config, _ kp: WritableKeyPath<Config, [DatasetEntry]>) {
        let before = problems.count
        let entries = datasets(key)
        c[keyPath: kp] = entries ?? []
        if key == "trainData" {
            if let train = entries {
                if train.isEmpty && problems.count == before {
                    problem(values[key], "trainData names no dataset: add at least one `name: source` entry")
                }
            } else if !isPresent(key) {
                problem(nil, "missing required key 'trainData': add e.g. trainData: {hard1k: \"hamzaboulahia/hardfakevsrealfaces/versions/1\"}")
            }
            return
        }
        // A testSize that was given but refused (testSize: 1.0) is already a problem above; the
        // default 0 it fell back to must not produce a second, misleading one about testData.
        let testSizeRefused = values["testSize"] != nil && c.testSize == 0 && Double(values["testSize"]?.string ?? "") != 0
        if c.testSize == 0 && !testSizeRefused && problems.count == before {
            if entries == nil {
                if !isPresent(key) {
                    problem(nil, "missing key 'testData': with testSize 0 (the default) the test set comes from testData; add testData: {name: source}, or set testSize > 0 to test on a split of the validation data")
                }
            } else if entries!.isEmpty {
                problem(values[key], "testData names no dataset, but testSize is 0: add at least one `name: source` entry, or set testSize > 0")
            }
        } else if let t = entries, !t.isEmpty {
            notes.append("testSize \(c.testSize) > 0: the test set is that fraction of the validation split; testData (\(t.map { $0.name }.joined(separator: ", "))) is not used")
        }
    }

    /// Rules that involve several keys.
    private mutating func crossChecks(_ c: Config) {
        if c.testSize > 0 && c.valSize == 0 {
            problem(values["testSize"], "testSize is \(c.testSize), a fraction of the validation split, but valSize is 0: set valSize > 0 or testSize: 0 with testData")
        }
        if c.earlyStoppingPatience > 0 && c.valSize == 0 {
            problem(values["earlyStoppingPatience"], "earlyStoppingPatience is \(c.earlyStoppingPatience) but valSize is 0, so there is no validation metric to watch: set valSize > 0 or earlyStoppingPatience: 0")
        }
        if c.jpegQualityMin > c.jpegQualityMax {
            problem(values["jpegQualityMax"] ?? values["jpegQualityMin"], "jpegQualityMax is \(c.jpegQualityMax), below jpegQualityMin (\(c.jpegQualityMin)): make the range min <= max")
        }
        if c.augment.contains(.blurJPEG) && (c.augment.contains(.blur) || c.augment.contains(.jpeg)) {
            problem(values["augment"], "augment lists blur-jpeg (Wang et al. 2020's fixed blur and JPEG setting) together with blur or jpeg: keep blur-jpeg alone, or use blur and jpeg with their probability and range keys")
        }
        if c.warmupEpochs > 0 && c.warmupEpochs >= c.numEpochs {
            problem(values["warmupEpochs"], "warmupEpochs is \(c.warmupEpochs), out of range: it must be below numEpochs (\(c.numEpochs))")
        }
    }
}
