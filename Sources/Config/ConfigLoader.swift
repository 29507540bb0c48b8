// Reads a YAML config into a Config and validates it once, collecting EVERY problem (unknown keys
// with a "did you mean", wrong types, out-of-range values, missing required keys, inconsistent
// combinations) into one DeepfakeError with one `file:line: problem` line each.
//
// Leniencies, chosen so the old tool's files load unchanged: choice values match case-insensitively;
// an integer is accepted where a real number is expected; a null value (`key:` with nothing after
// it) means "use the default"; `Hybrid` means Quantum + HQNN; `numChannels: 2` (the old README's
// "2 for B&W") means greyscale. Each leniency that changes a value leaves a sentence in `loadNotes`.

import Core
import Foundation
import Yams

extension Config {
    /// Every key a config file may contain, in the order `toYAML()` writes them.
    public static let validKeys: [String] = [
        "outputsPath", "kagglePath", "dataPath", "modelPath", "manualSeed",
        "trainData", "testData", "valSize", "testSize", "numWorkers", "batchSize",
        "imageHeight", "imageWidth", "numChannels",
        "modelType", "quanType", "nQubits", "qubitType", "diffType", "nLayers", "typeLayers",
        "trainable", "patch", "nQuantumLayers", "classicalTwin",
        "numEpochs", "learningRate", "beta1", "optimizer", "momentum", "weightDecay", "lrSchedule",
        "warmupEpochs", "earlyStoppingPatience", "earlyStoppingMetric", "augment", "checkpointEverySteps",
        "nGPUs", "nCPUs",
    ]

    /// Reads and validates the YAML file at `path`.
    /// - Throws: DeepfakeError listing every problem, each on its own line prefixed `path:line:`.
    public static func load(path: String) throws -> Config {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeepfakeError("cannot read config file \(path): check the path (pass it with -c/--config)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DeepfakeError("config file \(path) is not UTF-8 text")
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses and validates YAML text; `source` names it in messages (a path, or "<string>").
    public static func parse(yaml: String, source: String = "<string>") throws -> Config {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw DeepfakeError("\(source): not valid YAML: \(error)")
        }
        var reader = ConfigReader(source: source)
        let config = reader.read(root)
        if !reader.problems.isEmpty {
            let n = reader.problems.count
            throw DeepfakeError("config \(source) has \(n) problem\(n == 1 ? "" : "s"):\n"
                                + reader.problems.joined(separator: "\n"))
        }
        return config
    }

    /// Checks a configuration built in code by the same rules as a file (it goes through
    /// `toYAML()` and back); returns the normalised value.
    public func validated() throws -> Config {
        try Config.parse(yaml: toYAML(), source: "<config built in code>")
    }
}

/// Case-insensitive Levenshtein distance (insert, delete, substitute each cost 1).
func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a.lowercased()), y = Array(b.lowercased())
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var prev = Array(0...y.count), cur = [Int](repeating: 0, count: y.count + 1)
    for i in 1...x.count {
        cur[0] = i
        for j in 1...y.count {
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
        }
        swap(&prev, &cur)
    }
    return prev[y.count]
}

/// The valid key closest to `key`, when it is close enough to be a plausible typo
/// (distance <= max(2, length / 3)); nil otherwise.
func closestKey(to key: String, in keys: [String]) -> String? {
    let best = keys.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
    guard let (k, d) = best, d <= max(2, key.count / 3) else { return nil }
    return k
}
