// FileSafety: the two rules every writer of user-visible files follows. (1) An output never replaces
// an input, and never replaces an existing file unless the user said --force. (2) Temporary files
// are named `<final>.tmp-<host>-<pid>`, so a later run can tell litter from a live writer's file and
// remove the litter of dead processes (only names of that pattern, only in folders we own).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum OutputFiles {
    /// Throws unless every path in `outputs` may be written: none is the same file as any of
    /// `inputs` (same device and inode, or the same resolved path), and none exists unless `force`.
    /// `flag` names the option in the messages ("--output").
    public static func checkWritable(_ outputs: [String], inputs: [String], force: Bool, flag: String = "--output") throws {
        let inputIDs = inputs.compactMap { path in identity(path).map { (path, $0) } }
        let inputPaths = Dictionary(inputs.map { (resolved($0), $0) }, uniquingKeysWith: { a, _ in a })
        for out in outputs {
            if let id = identity(out), let same = inputIDs.first(where: { $0.1 == id }) {
                throw DeepfakeError("\(flag) \(out) is the input file \(same.0): writing it would destroy the input; choose another \(flag) path")
            }
            if let same = inputPaths[resolved(out)] {
                throw DeepfakeError("\(flag) \(out) is the input \(same): choose another \(flag) path")
            }
            var st = stat()
            if lstat(out, &st) == 0 && !force {
                throw DeepfakeError("\(flag) \(out) already exists: choose another path, or pass --force to replace it")
            }
        }
    }

    /// (device, inode) of an existing file, following symlinks; nil when it does not exist.
    static func identity(_ path: String) -> [UInt64]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [UInt64(st.st_dev), UInt64(st.st_ino)]
    }

    /// The absolute path with symlinks of its existing part resolved.
    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}

public enum TempFiles {
    /// This host's name, as used in temporary file names ('-' kept; '/' cannot occur).
    public static let host: String = {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, buf.count - 1)
        let h = String(cString: buf)
        return h.isEmpty ? "localhost" : h
    }()

    /// The temporary name a writer of `path` uses: `<path>.tmp-<host>-<pid>`.
    public static func name(for path: String, pid: Int32 = ProcessInfo.processInfo.processIdentifier) -> String {
        "\(path).tmp-\(host)-\(pid)"
    }

    /// Removes the temporary files and folders in `folder` (not below it) that were left by dead
    /// processes of this host: `<x>.tmp-<host>-<pid>` with `pid` not running here. Files named by
    /// older releases, `<x>.tmp-<pid>`, carry no host, so they are removed only when `pid` is not
    /// running here AND they are older than `legacyAge` seconds (a live writer on another node of a
    /// shared file system keeps its file's modification time fresh). Returns the removed paths.
    @discardableResult
    public static func removeStale(in folder: String, legacyAge: TimeInterval = 3600, now: Date = Date()) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let (owner, pid) = parse(name), !isRunning(pid) else { continue }
            let path = (folder as NSString).appendingPathComponent(name)
            if let owner {
                guard owner == host else { continue }
            } else {
                let mtime = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? now
                guard now.timeIntervalSince(mtime) > legacyAge else { continue }
            }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed.append(path) }
        }
        return removed
    }

    /// (host or nil for the legacy form, pid) of a temporary name, nil for any other name.
    public static func parse(_ name: String) -> (String?, Int32)? {
        guard let r = name.range(of: ".tmp-", options: .backwards), r.lowerBound > name.startIndex else { return nil }
        let tail = name[r.upperBound...]
        if let pid = Int32(tail), pid > 0 { return (nil, pid) }
        guard let dash = tail.lastIndex(of: "-"), let pid = Int32(tail[tail.index(after: dash)...]), pid > 0,
              dash > tail.startIndex else { return nil }
        return (String(tail[..<dash]), pid)
    }

    /// Whether a process with this id runs on this host (EPERM: it runs, as another user).
    static func isRunning(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }
}
