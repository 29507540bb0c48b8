// Kaggle dataset handles and kagglehub's cache layout, shared by Config, Datasets and Download.
//
// A handle is `owner/name` or `owner/name/versions/N`. kagglehub caches a dataset at
// `<root>/datasets/<owner>/<name>/versions/<N>/`, where root is $KAGGLEHUB_CACHE if set, else the
// config's `kagglePath` (the old tool pointed kagglehub at kagglePath), so data fetched by either
// tool serves both.

import Foundation

public struct KaggleHandle: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let owner: String
    public let name: String
    /// nil means "the newest version available".
    public let version: Int?

    public init(owner: String, name: String, version: Int? = nil) {
        self.owner = owner; self.name = name; self.version = version
    }

    /// Parses `owner/name` or `owner/name/versions/N`; owner and name must pass `checkPart`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let usage = "use \"owner/dataset\" or \"owner/dataset/versions/N\" (for example \"hamzaboulahia/hardfakevsrealfaces/versions/1\"), or a local folder path starting with / or ./"
        guard parts.count == 2 || (parts.count == 4 && parts[2] == "versions") else {
            throw DeepfakeError("'\(text)' is not a Kaggle dataset handle: \(usage)")
        }
        for (part, role) in [(parts[0], "owner"), (parts[1], "dataset name")] {
            if let problem = KaggleHandle.checkPart(part) {
                throw DeepfakeError("'\(text)' is not a Kaggle dataset handle: its \(role) '\(part)' \(problem); \(usage)")
            }
        }
        if parts.count == 2 {
            self.init(owner: parts[0], name: parts[1])
        } else if let v = Int(parts[3]), v > 0 {
            self.init(owner: parts[0], name: parts[1], version: v)
        } else {
            throw DeepfakeError("'\(text)' is not a Kaggle dataset handle: the version '\(parts[3])' is not a positive integer; \(usage)")
        }
    }

    /// Why `part` cannot be a Kaggle owner or dataset slug, or nil when it can. Kaggle's slugs
    /// are ASCII letters, digits, '-' and '_' (usernames and dataset URLs allow nothing else), at
    /// most 100 here; in particular no '.', so a handle can never name `.` or `..` and climb out of
    /// `datasets/<owner>/<name>/` in the cache, and no '/' or other separator.
    public static func checkPart(_ part: String) -> String? {
        if part.isEmpty { return "is empty" }
        if part.count > 100 { return "is longer than 100 characters" }
        if let bad = part.unicodeScalars.first(where: { !($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")) }) {
            return "contains '\(bad)' (Kaggle slugs hold only letters a-z, digits, '-' and '_')"
        }
        return nil
    }

    /// Throws unless owner and name are valid Kaggle slugs (for handles built with the memberwise
    /// init rather than parsed): every user of the cache layout calls this before touching disk.
    public func validated() throws -> KaggleHandle {
        for (part, role) in [(owner, "owner"), (name, "dataset name")] {
            if let problem = KaggleHandle.checkPart(part) {
                throw DeepfakeError("Kaggle handle '\(slug)': its \(role) '\(part)' \(problem): fix the handle in the config")
            }
        }
        return self
    }

    /// `owner/name`, without the version.
    public var slug: String { "\(owner)/\(name)" }
    public var description: String { version.map { "\(slug)/versions/\($0)" } ?? slug }
}

/// Where kagglehub keeps datasets on disk.
public struct KaggleCache: Sendable {
    /// The cache root (the folder that holds `datasets/`).
    public let root: String

    public init(root: String) { self.root = root }

    /// $KAGGLEHUB_CACHE when set and non-empty, else `kagglePath`.
    public init(kagglePath: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let env = environment["KAGGLEHUB_CACHE"], !env.isEmpty { root = env } else { root = kagglePath }
    }

    /// `<root>/datasets/<owner>/<name>`.
    public func datasetRoot(_ handle: KaggleHandle) -> String {
        (root as NSString).appendingPathComponent("datasets/\(handle.owner)/\(handle.name)")
    }

    /// `<root>/datasets/<owner>/<name>/versions/<N>`.
    public func versionFolder(_ handle: KaggleHandle, version: Int) -> String {
        (datasetRoot(handle) as NSString).appendingPathComponent("versions/\(version)")
    }

    /// Versions present on disk, ascending (folders named by a positive integer).
    public func versionsOnDisk(_ handle: KaggleHandle) -> [Int] {
        let dir = (datasetRoot(handle) as NSString).appendingPathComponent("versions")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { Int($0) }.filter { $0 > 0 }.sorted()
    }

    /// The folder for the handle's version, or the newest version on disk when none is given;
    /// nil when nothing is cached.
    public func cachedFolder(_ handle: KaggleHandle) -> String? {
        let version = handle.version ?? versionsOnDisk(handle).last
        guard let v = version else { return nil }
        let path = versionFolder(handle, version: v)
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue ? path : nil
    }
}
