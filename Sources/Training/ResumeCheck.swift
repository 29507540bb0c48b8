// ResumeCheck: what `deepfake --resume RUN_FOLDER` may continue. The run's own config.yaml is
// the configuration; a `-c` given as well must agree with it in every setting except paths
// (a moved data or output folder is fine; a changed learning rate is a different run).

import Config
import Core
import Foundation

public enum ResumeCheck {
    /// Keys that name places, not settings: they may differ between the run and a `-c` on resume.
    static let pathKeys: Set<String> = ["outputsPath", "kagglePath", "dataPath", "modelPath"]

    /// The config to resume `folder` with; throws when the folder cannot be resumed or `given`
    /// differs in a setting (naming the keys).
    public static func config(of folder: String, given: String?) throws -> Config {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else {
            throw DeepfakeError("--resume \(folder): no such run folder: pass the folder a run printed as 'run folder: ...'")
        }
        guard fm.fileExists(atPath: folder + "/config.yaml") else {
            throw DeepfakeError("--resume \(folder): the folder has no config.yaml, so it is not a run folder of deepfake")
        }
        guard fm.fileExists(atPath: folder + "/last.h5") else {
            throw DeepfakeError("--resume \(folder): the run wrote no last.h5 yet (it stopped before its first checkpoint): "
                + "start it again with -c \(folder)/config.yaml")
        }
        let own = try Config.load(path: folder + "/config.yaml")
        guard let given else { return own }
        let other = try Config.load(path: given)
        let differing = differingKeys(own, other).filter { !pathKeys.contains($0) }
        guard differing.isEmpty else {
            throw DeepfakeError("--resume \(folder) with -c \(given): the configs differ in \(differing.joined(separator: ", ")); "
                + "a resumed run keeps its own settings: drop -c (the run's config.yaml is used) or start a new run")
        }
        return own
    }

    /// Names of the settings whose values differ (by the fields of Config, so new keys count too).
    static func differingKeys(_ a: Config, _ b: Config) -> [String] {
        let left = Mirror(reflecting: a).children, right = Array(Mirror(reflecting: b).children)
        var out: [String] = []
        for (i, child) in left.enumerated() {
            guard let label = child.label, label != "loadNotes", i < right.count else { continue }
            if String(describing: child.value) != String(describing: right[i].value) { out.append(label) }
        }
        return out
    }
}
