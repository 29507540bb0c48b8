// Dataset entries of a config (`name: source`) and where their images live on disk.
//
// A source is one of: a Kaggle handle ("owner/name" or "owner/name/versions/N", read from the
// kagglehub cache, never downloaded here), a local folder ("/abs", "./rel", "../rel", "~/...")
// holding class folders, or the built-in generated set ("builtin" or "builtin:<variant>").

import Core
import Foundation

/// One `name: source` line of `trainData` / `testData`.
public struct DatasetEntry: Equatable, Hashable, Sendable {
    public let name: String
    public let source: DatasetSource

    public init(name: String, source: DatasetSource) { self.name = name; self.source = source }

    /// Parses the source text of a config entry.
    public init(name: String, source text: String) throws {
        self.init(name: name, source: try DatasetSource(parsing: text))
    }
}

public enum DatasetSource: Equatable, Hashable, Sendable, CustomStringConvertible {
    case kaggle(KaggleHandle)
    case local(String)
    case builtin(BuiltinVariant)

    /// "builtin[:variant]", a path starting with /, ./, ../ or ~, else a Kaggle handle.
    public init(parsing raw: String) throws {
        let text = raw.trimmingCharacters(in: .whitespaces)
        if text == "builtin" || text.hasPrefix("builtin:") {
            let v = text == "builtin" ? "default" : String(text.dropFirst("builtin:".count))
            guard let variant = BuiltinVariant(rawValue: v) else {
                throw DeepfakeError("unknown built-in dataset variant '\(v)' in '\(raw)': use one of "
                    + BuiltinVariant.allCases.map { "builtin:\($0.rawValue)" }.joined(separator: ", ") + " or plain builtin")
            }
            self = .builtin(variant)
        } else if text.hasPrefix("/") || text.hasPrefix("./") || text.hasPrefix("../") || text == "~" || text.hasPrefix("~/")
                    || text == "." || text == ".." {
            self = .local(text)
        } else {
            self = .kaggle(try KaggleHandle(parsing: text))
        }
    }

    public var description: String {
        switch self {
        case .kaggle(let h): return h.description
        case .local(let p): return p
        case .builtin(let v): return v == .default ? "builtin" : "builtin:\(v.rawValue)"
        }
    }
}

/// Resolves entries to folders on disk.
public struct DatasetResolver: Sendable {
    /// kagglehub cache root ($KAGGLEHUB_CACHE, else the config's kagglePath).
    public let kaggle: KaggleCache
    /// Where the built-in set is generated (`<dataPath>/builtin/...`).
    public let dataPath: String
    /// Side of the generated built-in images; nil = the variant's own size. The preparer passes
    /// the run's image size so the set's fine artefacts are not averaged away by a resize.
    public let builtinSize: Int?

    public init(kagglePath: String, dataPath: String, builtinSize: Int? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        kaggle = KaggleCache(kagglePath: kagglePath, environment: environment)
        self.dataPath = dataPath
        self.builtinSize = builtinSize
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
        case .local(let text):
            let path = DatasetResolver.expand(text)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
                throw DeepfakeError("dataset '\(entry.name)': local folder '\(text)' (resolved to \(path)) does not exist or is not a folder: "
                    + "give a folder that holds real/ and fake/ class folders")
            }
            return path
        case .builtin(let variant):
            return try BuiltinDataset.ensure(variant: variant, size: builtinSize, under: (dataPath as NSString).appendingPathComponent("builtin"),
                                             log: log)
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
