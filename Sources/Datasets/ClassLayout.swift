// Finds the real and fake class folders under a dataset folder, and lists their images.
//
// Naming rule for class folders: split the lower-cased folder name into tokens at any character
// that is not a letter or digit ("training_real" -> [training, real], "real-vs-fake" ->
// [real, vs, fake]). A folder is a REAL class folder when its tokens contain "real" and not
// "fake", a FAKE class folder when they contain "fake" and not "real". Folders naming both
// ("real_vs_fake", "real_and_fake_face") are containers and are searched further. Split folders
// are named train/training, valid/val/validation, test/testing.
//
// A "class level" is a folder whose children include real or fake class folders: it must hold
// exactly one of each. Several class levels are allowed only when each sits under a different
// official split folder (CIFAKE {train,test}/{REAL,FAKE}, 140k real-vs-fake/{train,valid,test}/...).
// Exact duplicate copies (the Kaggle deepfake2k archive ships one) collapse to the shallowest.
// Anything else is ambiguous and refused with the folders found.

import Core
import Foundation

/// Official split of an image: 0 unspecified, 1 train, 2 validation, 3 test (the HDF5 `splits` codes).
public enum OfficialSplit: Int32, Sendable, CaseIterable {
    case none = 0, train = 1, val = 2, test = 3

    /// The split a folder name stands for, if any.
    public init?(folderName: String) {
        switch folderName.lowercased() {
        case "train", "training": self = .train
        case "valid", "val", "validation": self = .val
        case "test", "testing": self = .test
        default: return nil
        }
    }
}

/// One pair of class folders and its split.
public struct ClassFolders: Equatable, Sendable {
    public let real: String
    public let fake: String
    public let split: OfficialSplit
}

public enum ClassLayout {
    /// The class a folder name stands for: 0 real, 1 fake, nil neither/both.
    public static func classLabel(ofFolder name: String) -> Int32? {
        let tokens = Set(name.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init))
        let real = tokens.contains("real"), fake = tokens.contains("fake")
        if real && !fake { return 0 }
        if fake && !real { return 1 }
        return nil
    }

    /// Detects the class folders under `root` (see the file header for the rules).
    /// Each real folder is searched once (symlinks back to `.` or a parent are not followed again).
    public static func detect(root: String, maxDepth: Int = 6) throws -> [ClassFolders] {
        var levels: [(dir: String, real: String, fake: String, depth: Int)] = []
        var queue: [(String, Int)] = [(root, 0)]
        var seen = Set<FileID>()
        if let id = FileID(path: root) { seen.insert(id) }
        while !queue.isEmpty {
            let (dir, depth) = queue.removeFirst()
            let children = try subfolders(of: dir)
            let reals = children.filter { classLabel(ofFolder: $0) == 0 }
            let fakes = children.filter { classLabel(ofFolder: $0) == 1 }
            if !reals.isEmpty || !fakes.isEmpty {
                guard reals.count == 1, fakes.count == 1 else {
                    throw DeepfakeError("ambiguous class folders in \(dir): found real candidates \(reals) and fake candidates \(fakes); "
                        + "each folder may hold exactly one real and one fake class folder (rename or move the extra ones)")
                }
                let join = { (n: String) in (dir as NSString).appendingPathComponent(n) }
                levels.append((dir, join(reals[0]), join(fakes[0]), depth))
                // Other children (not class folders) are still searched: a stray copy is reported.
            }
            if depth < maxDepth {
                for c in children where classLabel(ofFolder: c) == nil {
                    let path = (dir as NSString).appendingPathComponent(c)
                    guard let id = FileID(path: path), seen.insert(id).inserted else { continue }
                    queue.append((path, depth + 1))
                }
            }
        }
        guard !levels.isEmpty else {
            throw DeepfakeError("no real/fake class folders under \(root): found subfolders \((try? subfolders(of: root)) ?? []). "
                + "Expected folders named like real/fake, REAL/FAKE, training_real/training_fake (optionally under train/valid/test)")
        }
        var result: [ClassFolders] = []
        var seenSplit: [OfficialSplit: String] = [:]
        for level in levels {
            let split = splitOf(relative: relativePath(level.dir, from: root))
            if let earlier = seenSplit[split] {
                let first = result.first { $0.split == split }!
                if sameFiles(first.real, level.real) && sameFiles(first.fake, level.fake) { continue }  // duplicate copy
                throw DeepfakeError("ambiguous layout under \(root): class folders in both \(earlier) and \(level.dir) for split '\(split)'; "
                    + "keep one copy or point the entry at the folder you mean")
            }
            seenSplit[split] = level.dir
            result.append(ClassFolders(real: level.real, fake: level.fake, split: split))
        }
        if result.count > 1 && result.contains(where: { $0.split == .none }) {
            throw DeepfakeError("ambiguous layout under \(root): class folders at \(result.map { $0.real }) mix split folders "
                + "(train/valid/test) with unsplit ones; keep one layout")
        }
        for c in result {
            for dir in [c.real, c.fake] {
                let listing: ImageListing
                do { listing = try images(under: dir) } catch let e as DeepfakeError {
                    throw DeepfakeError("class folder \(dir) cannot be read: \(e.message)")
                }
                if listing.files.isEmpty {
                    let why = listing.rejected.isEmpty ? ""
                        : " it has \(listing.rejected.count) unusable image name(s), e.g. \(listing.rejected[0].path): \(listing.rejected[0].reason);"
                    throw DeepfakeError("class folder \(dir) holds no .jpg/.jpeg/.png images:\(why) add images or remove the folder")
                }
            }
        }
        return result
    }

    /// The image files below a class folder and the image names that cannot be used.
    public struct ImageListing: Sendable {
        /// Regular files named .jpg .jpeg .png (any case), as sorted paths relative to the folder.
        public var files: [String] = []
        /// Image names that are not regular files (FIFOs, sockets, dangling links) and names that
        /// are not valid UTF-8, with the reason; they are never opened.
        public var rejected: [RejectedFile] = []
    }

    /// Lists the images below `dir`, recursively, each real folder once (device + inode), without
    /// opening any file. Links back to `dir` or to a folder above it are not followed (a link to
    /// `..` would pull the other class's images in under this label). Throws when `dir` or a
    /// folder below it cannot be listed.
    public static func images(under dir: String) throws -> ImageListing {
        var out = ImageListing()
        var seen = Set<FileID>()
        var up = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path
        while true {
            if let id = FileID(path: up) { seen.insert(id) }
            if up == "/" || up.isEmpty { break }
            up = (up as NSString).deletingLastPathComponent
        }
        var stack = [""]
        while let rel = stack.popLast() {
            let here = rel.isEmpty ? dir : (dir as NSString).appendingPathComponent(rel)
            let (entries, rejected) = try FolderWalk.list(here)
            out.rejected += rejected
            for e in entries where !e.name.hasPrefix(".") {
                let child = rel.isEmpty ? e.name : (rel as NSString).appendingPathComponent(e.name)
                let path = (dir as NSString).appendingPathComponent(child)
                if e.kind == .directory {
                    if let id = FileID(path: path), seen.insert(id).inserted { stack.append(child) }
                    continue
                }
                let ext = (e.name as NSString).pathExtension.lowercased()
                guard ext == "jpg" || ext == "jpeg" || ext == "png" else { continue }
                switch e.kind {
                case .regular: out.files.append(child)
                case .missing: out.rejected.append(RejectedFile(path: path, reason: "it is a dangling symbolic link: fix or remove it"))
                default: out.rejected.append(RejectedFile(path: path, reason: "it is not a regular file (a FIFO, socket or device): remove it"))
                }
            }
        }
        out.files.sort()
        out.rejected.sort { $0.path < $1.path }
        return out
    }

    /// Image files below `dir` as sorted relative paths (see `images(under:)`); [] when unreadable.
    public static func imageFiles(under dir: String) -> [String] {
        (try? images(under: dir).files) ?? []
    }

    /// Visible subfolders, sorted (macOS archive debris skipped). Throws when `dir` cannot be listed.
    static func subfolders(of dir: String) throws -> [String] {
        try FolderWalk.list(dir).entries.filter { e in
            e.kind == .directory && !e.name.hasPrefix(".") && e.name != "__MACOSX"
        }.map(\.name)
    }

    /// The split named by the nearest split folder on the path (innermost wins).
    static func splitOf(relative: String) -> OfficialSplit {
        for comp in relative.split(separator: "/").reversed() {
            if let s = OfficialSplit(folderName: String(comp)) { return s }
        }
        return .none
    }

    static func relativePath(_ path: String, from root: String) -> String {
        path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
    }

    /// True when two folders list the same image files with the same sizes.
    static func sameFiles(_ a: String, _ b: String) -> Bool {
        let fa = imageFiles(under: a), fb = imageFiles(under: b)
        guard fa == fb else { return false }
        let fm = FileManager.default
        for f in fa {
            let sa = (try? fm.attributesOfItem(atPath: (a as NSString).appendingPathComponent(f))[.size] as? Int) ?? -1
            let sb = (try? fm.attributesOfItem(atPath: (b as NSString).appendingPathComponent(f))[.size] as? Int) ?? -2
            if sa != sb { return false }
        }
        return true
    }
}
