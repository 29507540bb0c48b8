// Lists every image of a set of dataset entries, with label, official split and file identity,
// and derives the cache key from them.

import Config
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One image file to preprocess.
public struct SourceImage: Sendable, Equatable {
    /// Absolute path.
    public let path: String
    /// Path relative to the entry's folder (part of the cache key).
    public let relativePath: String
    public let label: Int32
    public let split: OfficialSplit
    public let datasetName: String
    public let byteSize: Int
    /// Modification time in nanoseconds since 1970.
    public let mtimeNs: Int64
}

/// The resolved inputs of a preprocessing run.
public struct SourceScan: Sendable {
    /// Entries sorted by name, with their folders.
    public let entries: [(entry: DatasetEntry, folder: String)]
    /// All images, entry by entry (sorted by name), real then fake per class level, sorted paths.
    public let images: [SourceImage]
    /// Image names found but never opened (not regular files, names not valid UTF-8), with reasons.
    public var rejected: [RejectedFile] = []

    /// Resolves each entry, detects its class folders and lists the images. Entry names must be unique.
    public static func scan(_ entries: [DatasetEntry], resolver: DatasetResolver, log: RunLog? = nil) throws -> SourceScan {
        guard !entries.isEmpty else {
            throw DeepfakeError("no datasets given: add at least one `name: source` entry to trainData/testData (e.g. `default: builtin`)")
        }
        let names = entries.map { $0.name }
        if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw DeepfakeError("dataset name '\(dup)' is used twice: give every entry its own name")
        }
        var resolved: [(entry: DatasetEntry, folder: String)] = []
        var images: [SourceImage] = []
        var rejected: [RejectedFile] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let folder = try resolver.folder(for: entry, log: log)
            resolved.append((entry, folder))
            let levels: [ClassFolders]
            do { levels = try ClassLayout.detect(root: folder) } catch let e as DeepfakeError {
                throw DeepfakeError("dataset '\(entry.name)' (\(entry.source)): \(e.message)")
            }
            for level in levels {
                for (label, dir) in [(Int32(0), level.real), (Int32(1), level.fake)] {
                    let listing = try ClassLayout.images(under: dir)
                    rejected += listing.rejected
                    for rel in listing.files {
                        let abs = (dir as NSString).appendingPathComponent(rel)
                        let (size, mtime) = fileIdentity(abs)
                        images.append(SourceImage(path: abs, relativePath: String(abs.dropFirst(folder.count)), label: label,
                                                  split: level.split, datasetName: entry.name, byteSize: size, mtimeNs: mtime))
                    }
                }
            }
        }
        return SourceScan(entries: resolved, images: images, rejected: rejected)
    }

    /// 128-bit hex key over the format version, the size, and every entry and file identity.
    public func cacheKey(height: Int, width: Int, channels: Int, formatVersion: Int) -> String {
        var h = KeyHasher()
        h.add("deepfake-prep v\(formatVersion) \(height)x\(width)x\(channels)")
        for (entry, folder) in entries { h.add("entry \(entry.name) \(entry.source) \(folder)") }
        for im in images { h.add("\(im.datasetName)|\(im.relativePath)|\(im.byteSize)|\(im.mtimeNs)") }
        for r in rejected { h.add("rejected \(r.path)") }
        return h.hex
    }

    /// (size in bytes, mtime in ns) from stat(2); (-1, -1) when the file cannot be stat'ed.
    static func fileIdentity(_ path: String) -> (Int, Int64) {
        var st = stat()
        guard stat(path, &st) == 0 else { return (-1, -1) }
        return (Int(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }
}

/// Two independent 64-bit FNV-1a streams (different offsets) over length-prefixed strings.
struct KeyHasher {
    private var a: UInt64 = 0xCBF2_9CE4_8422_2325
    private var b: UInt64 = 0x8422_2325_CBF2_9CE4
    mutating func add(_ s: String) {
        for byte in String(s.utf8.count).utf8 + [0x1F] + Array(s.utf8) + [0x1E] {
            a = (a ^ UInt64(byte)) &* 0x100_0000_01B3
            b = (b ^ UInt64(byte)) &* 0x100_0000_01B3
            b = (b << 13) | (b >> 51)
        }
    }
    var hex: String { String(format: "%016llx%016llx", a, b) }
}
