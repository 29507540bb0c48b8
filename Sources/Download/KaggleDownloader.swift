// Makes a Kaggle dataset present and complete in kagglehub's cache layout, so data fetched by
// this tool or by kagglehub serves both:
//
//   <root>/datasets/<owner>/<name>/versions/<N>/   the extracted dataset
//   <root>/datasets/<owner>/<name>/<N>.complete    kagglehub's completion marker (empty file)
//   <root>/datasets/<owner>/<name>/<N>.archive     the zip while downloading (kagglehub's name, so
//                                                  either tool resumes the other's partial file)
//   <root>/datasets/<owner>/<name>/.<N>.extracting staging folder, renamed into versions/<N>
//   <root>/datasets/<owner>/<name>/.<N>.lock       serialises concurrent runs (flock)
//
// A version counts as complete only when its marker exists and its folder is a directory, as in
// kagglehub. The folder appears by one rename of the fully extracted staging folder and the marker
// is written after it, so an interrupted run never leaves a half dataset that looks whole.
//
// Version rule when the handle names none (kagglehub's): ask <endpoint>/api/v1/datasets/view/
// <owner>/<name> for `currentVersionNumber`. If Kaggle cannot be reached, or answers without a
// usable number (other than 401/403/404, which are errors), use the newest complete version on
// disk with a warning; with none on disk, fail and say how to pin a version or work offline.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import Core

public final class KaggleDownloader {
    public let cache: KaggleCache
    public let api: KaggleAPIConfig
    public let log: RunLog
    /// Seconds without a byte before a transfer is abandoned (also bounds connecting).
    public var idleTimeout: Double
    public var limits: ExtractionLimits
    /// Tries per archive when the connection breaks mid-body (each resumes where the last stopped).
    public var maxAttempts: Int = 3
    /// Seconds between progress lines (a line is also written every 10 %).
    public var progressInterval: Double = 5
    /// Seconds before the first retry after HTTP 429/5xx; the n-th retry waits n times as long.
    public var retryDelay: Double = 5

    public init(cache: KaggleCache, api: KaggleAPIConfig, log: RunLog, idleTimeout: Double = 60,
                limits: ExtractionLimits = ExtractionLimits()) {
        self.cache = cache; self.api = api; self.log = log; self.idleTimeout = idleTimeout; self.limits = limits
    }

    /// Reads endpoint and credentials from `environment` (see KaggleAPIConfig), and lets the user
    /// override the defaults without a config change (the error messages name these):
    /// DEEPFAKE_DOWNLOAD_TIMEOUT (idle seconds), DEEPFAKE_MAX_EXTRACT_GB, DEEPFAKE_MAX_EXTRACT_ENTRIES.
    /// Throws for an unusable KAGGLE_API_ENDPOINT, kaggle.json or override.
    public convenience init(cache: KaggleCache, environment: [String: String] = ProcessInfo.processInfo.environment,
                            log: RunLog, idleTimeout: Double = 60, limits: ExtractionLimits = ExtractionLimits()) throws {
        func number(_ name: String) throws -> Double? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let v = Double(text), v > 0, v.isFinite else {
                throw DeepfakeError("\(name)='\(text)' is not a positive number: unset it or give e.g. \(name)=120")
            }
            return v
        }
        var limits = limits
        if let gb = try number("DEEPFAKE_MAX_EXTRACT_GB") { limits.maxBytes = UInt64(gb * 1e9) }
        if let n = try number("DEEPFAKE_MAX_EXTRACT_ENTRIES") { limits.maxEntries = Int(n) }
        self.init(cache: cache, api: try KaggleAPIConfig(environment: environment), log: log,
                  idleTimeout: try number("DEEPFAKE_DOWNLOAD_TIMEOUT") ?? idleTimeout, limits: limits)
    }

    // MARK: Cache state

    /// `<root>/datasets/<owner>/<name>/<N>.complete`.
    public func markerPath(_ handle: KaggleHandle, version: Int) -> String {
        (cache.datasetRoot(handle) as NSString).appendingPathComponent("\(version).complete")
    }

    /// `<root>/datasets/<owner>/<name>/<N>.archive`.
    public func archivePath(_ handle: KaggleHandle, version: Int) -> String {
        (cache.datasetRoot(handle) as NSString).appendingPathComponent("\(version).archive")
    }

    private func hiddenPath(_ handle: KaggleHandle, _ name: String) -> String {
        (cache.datasetRoot(handle) as NSString).appendingPathComponent(name)
    }

    /// True when version `version` is fully present (marker and folder), by either tool.
    public func isComplete(_ handle: KaggleHandle, version: Int) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: markerPath(handle, version: version))
            && FileManager.default.fileExists(atPath: cache.versionFolder(handle, version: version), isDirectory: &isDir)
            && isDir.boolValue
    }

    /// Complete versions on disk, ascending.
    public func completeVersions(_ handle: KaggleHandle) -> [Int] {
        cache.versionsOnDisk(handle).filter { isComplete(handle, version: $0) }
    }

    // MARK: Public entry points

    /// Makes `handle` complete in the cache and returns its folder (`.../versions/<N>`). A
    /// versioned handle that is already complete costs no network access at all.
    public func ensureDataset(_ handle: KaggleHandle) throws -> String {
        let handle = try handle.validated()
        if let v = handle.version, isComplete(handle, version: v) {
            let folder = cache.versionFolder(handle, version: v)
            log.info("\(handle.slug) v\(v): already complete in \(folder), no download needed")
            return folder
        }
        let version = try handle.version ?? resolveVersion(handle)
        let label = "\(handle.slug) v\(version)"
        let folder = cache.versionFolder(handle, version: version)
        if isComplete(handle, version: version) {
            log.info("\(label): already complete in \(folder), no download needed")
            return folder
        }
        try makeFolder(cache.datasetRoot(handle), label: label)
        let lock = try FileLock(path: hiddenPath(handle, ".\(version).lock"), label: label, log: log)
        defer { lock.release() }
        if isComplete(handle, version: version) {   // another process finished it while we waited
            log.info("\(label): completed by another process in \(folder)")
            return folder
        }
        let t0 = WallClock.now()
        let archive = archivePath(handle, version: version)
        try fetchArchive(handle, version: version, to: archive, label: label)
        try install(handle, version: version, archive: archive, label: label)
        log.info("\(label): ready in \(folder) (\(formatDuration(WallClock.now() - t0)) in all)")
        return folder
    }

    /// `ensureDataset` for each distinct handle, in order; stops at the first failure.
    public func ensureAll(_ handles: [KaggleHandle]) throws -> [KaggleHandle: String] {
        var out: [KaggleHandle: String] = [:]
        for h in handles where out[h] == nil { out[h] = try ensureDataset(h) }
        return out
    }

    // MARK: Version resolution

    /// The newest version number per Kaggle, with the fall-back rule in the file header.
    func resolveVersion(_ handle: KaggleHandle) throws -> Int {
        var request = URLRequest(url: api.viewURL(handle))
        applyHeaders(&request)
        let reason: String
        var networkFailure: TransferFailure?
        do {
            let r = try HTTPTransfer(request: request, sink: .memory, idleTimeout: min(idleTimeout, 30)).run()
            switch r.status {
            case 200:
                let object = try? JSONSerialization.jsonObject(with: r.body) as? [String: Any]
                if let n = object?["currentVersionNumber"] as? Int, n > 0 { return n }
                if let s = object?["currentVersionNumber"] as? String, let n = Int(s), n > 0 { return n }
                reason = "Kaggle's dataset metadata had no currentVersionNumber"
            case 401, 403: throw credentialsError(handle, status: r.status)
            case 404: throw notFoundError(handle, version: nil)
            default: reason = "Kaggle answered HTTP \(r.status) when asked for the newest version"
            }
        } catch let f as TransferFailure {
            networkFailure = f
            reason = describe(f)
        }
        if let v = completeVersions(handle).last {
            log.warning("\(handle.slug): could not learn the newest version (\(reason)); using version \(v) already in \(cache.root)")
            return v
        }
        if let f = networkFailure { throw networkError(handle, f) }
        throw DeepfakeError("cannot tell which version of \(handle.slug) to download (\(reason)) and none is cached: pin one in the config as \"\(handle.slug)/versions/N\" (N from the dataset's Kaggle page), or prepare the data on a connected node (deepfake prepare -c <config>) and run here with -o")
    }

    // MARK: Install

    /// Extracts `archive` into a staging folder, renames it to `versions/<N>`, writes the marker
    /// and deletes the archive.
    private func install(_ handle: KaggleHandle, version: Int, archive: String, label: String) throws {
        let fm = FileManager.default
        let archive = try inside(handle, archive)
        let staging = try inside(handle, hiddenPath(handle, ".\(version).extracting"))
        try? fm.removeItem(atPath: staging)   // left by an interrupted run
        try makeFolder(staging, label: label)
        log.info("\(label): extracting into \(staging)")
        let t0 = WallClock.now()
        var lastLine = t0
        let result: (files: Int, bytes: UInt64)
        do {
            result = try SafeUnzip.extract(archive: archive, into: staging, limits: limits, label: label) { n, bytes in
                let now = WallClock.now()
                if now - lastLine >= self.progressInterval {
                    lastLine = now
                    self.log.info("\(label): extracted \(n) files, \(formatBytes(bytes)), \(formatBytes(UInt64(Double(bytes) / (now - t0))))/s")
                }
            }
        } catch let p as ArchiveProblem {
            try? fm.removeItem(atPath: staging)
            if p.discardArchive { try? fm.removeItem(atPath: archive) }
            throw p.error
        } catch {
            try? fm.removeItem(atPath: staging)
            throw error
        }
        let dt = max(WallClock.now() - t0, 1e-6)
        log.info("\(label): extracted \(result.files) files, \(formatBytes(result.bytes)) in \(formatDuration(dt)) (\(formatBytes(UInt64(Double(result.bytes) / dt)))/s)")

        let versions = (cache.datasetRoot(handle) as NSString).appendingPathComponent("versions")
        try makeFolder(versions, label: label)
        let final = try inside(handle, cache.versionFolder(handle, version: version))
        // A folder without a marker is an interrupted kagglehub extraction or a hand copy: replace it.
        var stale: String?
        if fm.fileExists(atPath: final) {
            let aside = try inside(handle, hiddenPath(handle, ".\(version).stale-\(getpid())"))
            log.warning("\(label): replacing \(final), which had no completion marker (\(version).complete)")
            guard rename(final, aside) == 0 else { throw DiskSpace.writeError(path: final, errno: errno, what: label) }
            stale = aside
        }
        guard rename(staging, final) == 0 else { throw DiskSpace.writeError(path: final, errno: errno, what: label) }
        if let s = stale { try? fm.removeItem(atPath: s) }
        let marker = markerPath(handle, version: version)
        guard fm.createFile(atPath: marker, contents: Data()) else {
            throw DiskSpace.writeError(path: marker, errno: EACCES, what: label)
        }
        try? fm.removeItem(atPath: inside(handle, archive))   // kagglehub deletes it too
    }

    /// `path` itself when it lies strictly inside `datasets/<owner>/<name>/` once both are
    /// resolved (symlinks, `.` and `..`); otherwise an error, so that no handle and no symlink
    /// planted in the cache can make a delete or rename reach another dataset.
    func inside(_ handle: KaggleHandle, _ path: String) throws -> String {
        let root = URL(fileURLWithPath: cache.datasetRoot(handle)).standardizedFileURL.resolvingSymlinksInPath().path
        let parent = URL(fileURLWithPath: (path as NSString).deletingLastPathComponent).standardizedFileURL.resolvingSymlinksInPath().path
        let name = (path as NSString).lastPathComponent
        let within = parent == root || parent.hasPrefix(root + "/")
        guard within, !name.isEmpty, name != ".", name != ".." else {
            throw DeepfakeError("refusing to touch \(path): it resolves outside \(root), the cache folder of \(handle.slug); check the handle and any symlinks in \(cache.root)")
        }
        return path
    }

    func makeFolder(_ path: String, label: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw DeepfakeError("cannot create \(path) for \(label): \((error as NSError).localizedDescription); check permissions, or point KAGGLEHUB_CACHE (or the config's kagglePath) at a writable folder")
        }
    }
}

/// An exclusive advisory lock on a file, so two jobs sharing a cache do not extract the same
/// dataset at once (the second waits, then finds it complete).
final class FileLock {
    private let fd: Int32

    init(path: String, label: String, log: RunLog) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DiskSpace.writeError(path: path, errno: errno, what: label) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            log.info("\(label): another process is downloading it; waiting for it to finish")
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
    }

    func release() { flock(fd, LOCK_UN); close(fd) }
}
