// Where the images of a config's dataset entries (`name: source`, parsed by Config) live on disk.
//
// A source is one of: a Kaggle handle ("owner/name" or "owner/name/versions/N", read from the
// kagglehub cache, never downloaded here), a local folder ("/abs", "./rel", "../rel", "~/...")
// holding class folders, or the built-in generated set ("builtin" or "builtin:<variant>").

import Config
import Core
import Foundation

/// Resolves entries to folders on disk.
public struct DatasetResolver: Sendable {
    /// kagglehub cache root ($KAGGLEHUB_CACHE, else the config's kagglePath).
    public let kaggle: KaggleCache
    /// Where the built-in set is generated (`<dataPath>/builtin/...`).
    public let dataPath: String
    /// Side of the generated built-in images; nil = the variant's own size. The preparer passes
    /// the run's image size so the set's fine artefacts are not averaged away by a resize.
    public let builtinSize: Int?
    /// Threads that render the built-in set when it is generated.
    public let threads: Threads

    public init(kagglePath: String, dataPath: String, builtinSize: Int? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment, threads: Threads = .serial) {
        kaggle = KaggleCache(kagglePath: kagglePath, environment: environment)
        self.dataPath = dataPath
        self.builtinSize = builtinSize
        self.threads = threads
    }

    /// The folder holding the entry's class folders; generates the built-in set on first use.
    public func folder(for entry: DatasetEntry, log: RunLog? = nil) throws -> String {
        switch entry.source {
        case .kaggle(let handle):
            guard let path = kaggle.cachedFolder(handle) else {
                let want = handle.version.map { "version \($0)" } ?? "any version"
                throw DeepfakeError("dataset '\(entry.name)' (\(handle)) is not in the kagglehub cache: looked for \(want) under "
                    + "\(kaggle.datasetRoot(handle))/versions. Run once without -o/--offline on a node with internet to download it, "
                    + "or set KAGGLEHUB_CACHE (or kagglePath) to a folder that holds datasets/\(handle.owner)/\(handle.name)/versions/<n>")
            }
            return path
        case .localFolder(let text):
            let path = DatasetResolver.expand(text)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw DeepfakeError("dataset '\(entry.name)': local folder '\(text)' (resolved to \(path)) does not exist or is not a folder: "
                    + "give a folder that holds real/ and fake/ class folders")
            }
            return path
        case .builtin(let name):
            return try BuiltinDataset.ensure(variant: try BuiltinVariant(configName: name), size: builtinSize, under: (dataPath as NSString).appendingPathComponent("builtin"),
                                             log: log, threads: threads)
        }
    }

    /// Expands "~" and makes relative paths absolute against the current directory.
    public static func expand(_ text: String) -> String {
        var p = (text as NSString).expandingTildeInPath
        if !p.hasPrefix("/") {
            p = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
        }
        return (p as NSString).standardizingPath
    }
}
