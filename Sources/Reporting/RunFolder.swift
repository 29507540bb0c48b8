// RunFolder: the folder one run writes everything into, named like the old tool's
// `<Model>_bs<batch>_ep<epochs>_<datasets>` plus a unique suffix, and created with one atomic
// mkdir(2) so two runs started at the same moment (two Slurm array tasks, say) never share or
// overwrite a folder: mkdir fails with EEXIST for the loser, which draws a new suffix.

import Core
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct RunFolder: Sendable, Equatable {
    /// Absolute or outputsPath-relative path of the folder (it exists once `create` returns).
    public let path: String
    /// The last path component, e.g. `HQNN_bs32_ep10_hard1k_20261128-184730_3fa9c2`.
    public let name: String

    public init(existing path: String) {
        self.path = path
        self.name = (path as NSString).lastPathComponent
    }

    /// `<model>_bs<batch>_ep<epochs>_<datasets joined by '-'>`, every character outside
    /// [A-Za-z0-9._-] replaced by '_' so the name is safe on every file system and in shells.
    public static func baseName(model: String, batchSize: Int, epochs: Int, datasets: [String]) -> String {
        let raw = "\(model)_bs\(batchSize)_ep\(epochs)_\(datasets.isEmpty ? "nodata" : datasets.joined(separator: "-"))"
        return String(raw.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
    }

    /// Creates a new, empty run folder under `outputsPath` (creating outputsPath itself if needed).
    /// The suffix is `_<UTC yyyyMMdd-HHmmss>_<6 random hex digits>`; on a clash a new random part is
    /// drawn, up to 1000 times. `token` supplies the random part (tests inject clashing tokens).
    public static func create(outputsPath: String, model: String, batchSize: Int, epochs: Int,
                              datasets: [String], now: Date = Date(),
                              token: () -> String = RunFolder.randomToken) throws -> RunFolder {
        do {
            try FileManager.default.createDirectory(atPath: outputsPath, withIntermediateDirectories: true)
        } catch {
            throw DeepfakeError("cannot create outputsPath \(outputsPath): \(error.localizedDescription); set outputsPath in the config to a writable folder")
        }
        let base = baseName(model: model, batchSize: batchSize, epochs: epochs, datasets: datasets)
        let stamp = timestamp(now)
        for _ in 0..<1000 {
            let name = "\(base)_\(stamp)_\(token())"
            let path = (outputsPath as NSString).appendingPathComponent(name)
            if mkdir(path, 0o755) == 0 { return RunFolder(existing: path) }
            let err = errno
            if err != EEXIST {
                throw DeepfakeError("cannot create run folder \(path): \(String(cString: strerror(err))); check that outputsPath (\(outputsPath)) is writable")
            }
        }
        throw DeepfakeError("could not find a free run-folder name under \(outputsPath) for \(base) after 1000 tries: the random-name source is broken")
    }

    /// 6 hex digits from the system generator (16.7 M values per second of start time).
    public static func randomToken() -> String {
        String(format: "%06x", UInt32.random(in: 0..<(1 << 24)))
    }

    static func timestamp(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: date)
    }

    /// `path/<file>`, for files named at run time (one `.qasm` per circuit).
    public func file(_ file: String) -> String { (path as NSString).appendingPathComponent(file) }

    /// `path/<standard file>`.
    public func file(_ file: RunFile) -> String { self.file(file.rawValue) }
}

/// The standard files of a run folder: the one list of their names, used by every writer and
/// reader (and by the README's "What a run leaves behind", which a test checks against a run).
public enum RunFile: String, CaseIterable, Sendable {
    case config = "config.yaml"
    case log = "run.log"
    case split = "split.json"
    case epochs = "epochs.csv"
    case bestWeights = "best.h5"
    case lastWeights = "last.h5"
    case testMetrics = "test_metrics.json"
    case testPredictions = "test_predictions.csv"
    case lossPlot = "loss.svg"
    case accuracyPlot = "accuracy.svg"
    case rocPlot = "roc.svg"
    /// running / interrupted / failed / done (Training's RunStatus).
    case status = "status.json"
    /// Quantum models only.
    case quantumResources = "quantum_resources.json"

    /// The files every training run writes (quantum runs add `quantumResources` and .qasm files).
    public static let everyTrainingRun: [RunFile] = allCases.filter { $0 != .quantumResources }
}
