// Extracts a downloaded zip without trusting it: every entry must stay inside the target folder
// (no absolute paths, no '..', no symlinks), and the entry count and the uncompressed total are
// capped, counted both from the headers (before writing anything) and from the bytes actually
// inflated (a zip bomb can lie in its headers). CRC-32 is verified, so a corrupt archive fails
// loudly instead of leaving damaged images that decode to noise.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Core
import ZIPFoundation

/// Caps on what an archive may expand to.
public struct ExtractionLimits: Sendable {
    /// Largest total uncompressed size; default 50 GiB (the largest dataset users name, 140k faces, is ~4 GB).
    public var maxBytes: UInt64
    /// Most entries (files and folders); default 2 million.
    public var maxEntries: Int

    public init(maxBytes: UInt64 = 50 << 30, maxEntries: Int = 2_000_000) {
        self.maxBytes = maxBytes; self.maxEntries = maxEntries
    }
}

/// An archive that cannot be extracted; `discardArchive` says whether downloading it again could
/// help (corrupt or unsafe content) or whether the user should fix something first (limits, disk).
struct ArchiveProblem: Error {
    let error: DeepfakeError
    let discardArchive: Bool
}

enum SafeUnzip {
    /// Why an entry name is unsafe, or nil when it is a plain relative path.
    static func unsafeReason(_ path: String) -> String? {
        if path.isEmpty { return "an empty name" }
        if path.contains("\0") { return "a NUL byte in its name" }
        if path.hasPrefix("/") || path.hasPrefix("\\") { return "an absolute path" }
        if path.count >= 2, path.dropFirst().first == ":", path.first!.isLetter { return "a drive-letter path" }
        let parts = path.split(whereSeparator: { $0 == "/" || $0 == "\\" })
        if parts.contains("..") { return "a '..' component" }
        if parts.allSatisfy({ $0 == "." }) { return "no file name" }
        return nil
    }

    /// Extracts `archive` into `folder` (which must exist and be empty).
    /// - Parameters:
    ///   - label: the dataset, for messages.
    ///   - progress: called with (entries done, bytes written) every entry.
    /// - Returns: (files written, bytes written).
    @discardableResult
    static func extract(archive path: String, into folder: String, limits: ExtractionLimits, label: String,
                        progress: (Int, UInt64) -> Void = { _, _ in }) throws -> (files: Int, bytes: UInt64) {
        let corrupt = { (why: String) in
            ArchiveProblem(error: DeepfakeError("the archive downloaded for \(label) is corrupt (\(why)): it has been deleted; re-run to download it again, and if this repeats check the dataset's page on Kaggle"), discardArchive: true)
        }
        let unsafe = { (why: String) in ArchiveProblem(error: DeepfakeError(why), discardArchive: true) }
        let limit = { (why: String) in ArchiveProblem(error: DeepfakeError(why), discardArchive: false) }
        let archive: Archive
        do { archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read) } catch {
            throw corrupt("not a readable zip file: \(error)")
        }
        // Pass 1: validate every header before writing a byte.
        var entries: [Entry] = []
        var declared: UInt64 = 0
        for entry in archive {
            entries.append(entry)
            if entries.count > limits.maxEntries {
                throw limit("the archive for \(label) has more than \(limits.maxEntries) entries, over the safety limit: if you trust this dataset, raise the limit with DEEPFAKE_MAX_EXTRACT_ENTRIES=<count> and re-run (the archive is kept)")
            }
            if let why = unsafeReason(entry.path) {
                throw unsafe("the archive for \(label) contains an unsafe entry '\(entry.path)' (\(why)) that would write outside the dataset folder: refusing to extract it; report it to the dataset's owner")
            }
            if entry.type == .symlink {
                throw unsafe("the archive for \(label) contains a symbolic link '\(entry.path)': links could point outside the dataset folder, so it is refused; report it to the dataset's owner")
            }
            declared &+= entry.uncompressedSize
            if declared > limits.maxBytes {
                throw limit("the archive for \(label) expands to more than \(formatBytes(limits.maxBytes)), over the safety limit: if you trust this dataset and have the space, raise the limit with DEEPFAKE_MAX_EXTRACT_GB=<gigabytes> and re-run (the archive is kept)")
            }
        }
        try DiskSpace.require(declared, at: folder, for: "extracting \(label)")

        // Pass 2: write. Our own writer (not ZIPFoundation's) so the real byte count is capped.
        var written: UInt64 = 0
        var files = 0
        var made: Set<String> = [folder]   // folders already created: thousands of files share a few
        for (i, entry) in entries.enumerated() {
            let target = (folder as NSString).appendingPathComponent(entry.path)
            if entry.type == .directory {
                if made.insert(target).inserted { try makeFolder(target, label: label) }
                continue
            }
            let parent = (target as NSString).deletingLastPathComponent
            if made.insert(parent).inserted { try makeFolder(parent, label: label) }
            // O_TRUNC: a duplicate name overwrites the earlier entry (last wins, as unzip does).
            let fd = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw DiskSpace.writeError(path: target, errno: errno, what: "extracting \(label)") }
            defer { close(fd) }
            do {
                // This form of extract returns the CRC-32 but leaves the comparison to us.
                // Buffer sized to the entry: a fixed 1 MiB buffer is zero-filled per entry, which
                // costs more than the inflate for the many small images datasets hold.
                let buffer = Int(min(max(entry.uncompressedSize, 16 << 10), 1 << 20))
                let crc = try archive.extract(entry, bufferSize: buffer, skipCRC32: false) { data in
                    written &+= UInt64(data.count)
                    if written > limits.maxBytes {
                        throw unsafe("the archive for \(label) inflates to more than \(formatBytes(limits.maxBytes)) although its headers declared \(formatBytes(declared)): refusing it as a possible zip bomb")
                    }
                    try data.withUnsafeBytes { raw in
                        var off = 0
                        while off < raw.count {
                            let n = write(fd, raw.baseAddress! + off, raw.count - off)
                            if n < 0 {
                                if errno == EINTR { continue }
                                throw DiskSpace.writeError(path: target, errno: errno, what: "extracting \(label)")
                            }
                            off += n
                        }
                    }
                }
                if crc != entry.checksum {
                    throw corrupt("entry '\(entry.path)' fails its CRC-32 check")
                }
            } catch let e as DeepfakeError {
                throw ArchiveProblem(error: e, discardArchive: false)   // a write failure: keep the archive
            } catch let e as ArchiveProblem {
                throw e
            } catch {
                throw corrupt("entry '\(entry.path)': \(error)")
            }
            files += 1
            progress(i + 1, written)
        }
        return (files, written)
    }

    private static func makeFolder(_ path: String, label: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            let code = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code ?? Int(EIO)
            throw DiskSpace.writeError(path: path, errno: Int32(code), what: "extracting \(label)")
        }
    }
}
