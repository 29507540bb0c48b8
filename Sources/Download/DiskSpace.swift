// Free-space checks and disk-full errors: a login node's quota-limited home or scratch fills up
// quietly, so we check before writing and name ENOSPC plainly when a write fails anyway.

import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Core

enum DiskSpace {
    /// Bytes available to this (unprivileged) user on the filesystem holding `path`, or nil when
    /// it cannot be measured (then callers skip the check rather than refuse).
    static func available(at path: String) -> UInt64? {
        var probe = path
        // statvfs needs an existing path: walk up to the nearest existing folder.
        while !FileManager.default.fileExists(atPath: probe) && probe != "/" && !probe.isEmpty {
            probe = (probe as NSString).deletingLastPathComponent
        }
        var s = statvfs()
        guard statvfs(probe.isEmpty ? "." : probe, &s) == 0 else { return nil }
        return UInt64(s.f_bavail) * UInt64(s.f_frsize)
    }

    /// Throws a disk-full error when fewer than `needed` bytes (plus a 64 MiB margin) are free at `path`.
    static func require(_ needed: UInt64, at path: String, for what: String) throws {
        guard let free = available(at: path) else { return }
        let margin: UInt64 = 64 << 20
        if free < needed &+ margin {
            throw DeepfakeError("not enough disk space for \(what): it needs about \(formatBytes(needed)) at \(path) but only \(formatBytes(free)) is free: free some space, or point KAGGLEHUB_CACHE (or the config's kagglePath) at a larger filesystem such as scratch")
        }
    }

    /// The error for a failed write: ENOSPC/EDQUOT become "disk full", the rest say what failed.
    static func writeError(path: String, errno code: Int32, what: String) -> DeepfakeError {
        if code == ENOSPC || code == EDQUOT {
            return DeepfakeError("disk full (or quota exceeded) while writing \(path) for \(what): free some space or point KAGGLEHUB_CACHE (or the config's kagglePath) at a larger filesystem, then re-run (the download resumes)")
        }
        return DeepfakeError("cannot write \(path) for \(what): \(String(cString: strerror(code))); check the folder's permissions, or point KAGGLEHUB_CACHE (or the config's kagglePath) elsewhere")
    }
}

/// `1536` -> "1.5 KB"; decimal units, as download tools print them.
func formatBytes(_ n: UInt64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB", "PB"]
    var v = Double(n), i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[i])
}

/// Seconds as "42 s", "3 min 5 s", "2 h 10 min".
func formatDuration(_ s: Double) -> String {
    guard s.isFinite, s >= 0 else { return "?" }
    let t = Int(s.rounded())
    if t < 60 { return "\(t) s" }
    if t < 3600 { return "\(t / 60) min \(t % 60) s" }
    return "\(t / 3600) h \((t % 3600) / 60) min"
}
