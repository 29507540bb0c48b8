// FolderWalk: byte-exact folder listings (readdir) for the dataset scans, so that nothing a
// hostile or careless folder holds can hang or mislead them:
//   - each real folder is listed once per walk (tracked by device + inode), so symlinks to `.` or
//     to a parent cost nothing instead of an exponential search;
//   - an image name that is not a regular file (a FIFO named x.jpg, a socket, a dangling link) is
//     rejected with that reason and never opened, since opening a FIFO blocks forever;
//   - a name that is not valid UTF-8 is rejected with its bytes shown, instead of being turned into
//     a different String whose open fails with "No such file or directory";
//   - a folder that cannot be listed is an error naming the OS reason (Permission denied), not an
//     empty folder.

import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file's identity on this machine.
struct FileID: Hashable {
    let device: UInt64
    let inode: UInt64

    /// The identity of `path` after following symlinks; nil when it cannot be stat'ed.
    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev); inode = UInt64(st.st_ino)
    }
}

/// One name in a folder, with its kind after following symlinks.
struct FolderEntry {
    enum Kind { case directory, regular, other, missing }
    let name: String
    let kind: Kind
}

/// A name that could not be used, and why (with the fix).
public struct RejectedFile: Sendable, Equatable {
    public let path: String
    public let reason: String
}

enum FolderWalk {
    /// The entries of `dir` (without `.`, `..`), sorted by name, and the names rejected because they
    /// are not valid UTF-8. Throws when the folder cannot be listed.
    static func list(_ dir: String) throws -> (entries: [FolderEntry], rejected: [RejectedFile]) {
        guard let d = opendir(dir) else {
            let reason = String(cString: strerror(errno))
            throw DeepfakeError("cannot list folder \(dir): \(reason); make it readable (e.g. chmod -R a+rX '\(dir)') or remove it from the dataset")
        }
        defer { closedir(d) }
        var entries: [FolderEntry] = [], rejected: [RejectedFile] = []
        while let e = readdir(d) {
            let bytes = withUnsafeBytes(of: e.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                let shown = bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
                rejected.append(RejectedFile(path: (dir as NSString).appendingPathComponent(shown),
                    reason: "its name is not valid UTF-8: rename it (e.g. convmv -f latin1 -t utf8 --notest -r '\(dir)')"))
                continue
            }
            entries.append(FolderEntry(name: name, kind: kind((dir as NSString).appendingPathComponent(name))))
        }
        return (entries.sorted { $0.name < $1.name }, rejected.sorted { $0.path < $1.path })
    }

    /// The kind of `path` after following symlinks.
    static func kind(_ path: String) -> FolderEntry.Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .regular
        default: return .other
        }
    }
}
