// LeakageCheck: refuses dataset lists whose entries overlap, so the test set never holds training
// images and no image is trained on twice. Two kinds of overlap:
//   - by path: two entries resolve to the same folder, or one folder lies inside the other (the
//     same folder in trainData and testData, or listed twice in trainData). Always a mistake:
//     refused.
//   - by content: the same file bytes under two entries (a copied folder). Only files whose byte
//     sizes collide are read and hashed, so the check costs little. When every image of one entry
//     is in the other it is a copy: refused. A few shared files between independently published
//     datasets are not the config's fault and cannot be fixed in it: a warning with the counts.

import Config
import Core
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum LeakageCheck {
    /// One entry's resolved folder and images.
    struct Side {
        let label: String      // "trainData 'a'"
        let folder: String     // resolved (symlinks followed)
        let images: [SourceImage]
    }

    /// Checks `train` against itself and against `test`; throws for a path overlap or a full copy,
    /// logs a warning with the counts for a partial content overlap. Returns the warnings.
    @discardableResult
    public static func check(train: [DatasetEntry], test: [DatasetEntry], resolver: DatasetResolver,
                             log: RunLog? = nil) throws -> [String] {
        var sides: [Side] = []
        for (role, entries) in [("trainData", train), ("testData", test)] {
            for entry in entries {
                let scan = try SourceScan.scan([entry], resolver: resolver, log: log)
                let folder = URL(fileURLWithPath: scan.entries[0].folder).resolvingSymlinksInPath().standardizedFileURL.path
                sides.append(Side(label: "\(role) '\(entry.name)' (\(entry.source))", folder: folder, images: scan.images))
            }
        }
        var warnings: [String] = []
        for i in 0..<sides.count {
            for j in (i + 1)..<sides.count {
                let (a, b) = (sides[i], sides[j])
                if a.folder == b.folder || a.folder.hasPrefix(b.folder + "/") || b.folder.hasPrefix(a.folder + "/") {
                    let how = a.folder == b.folder ? "are the same folder \(a.folder)" : "overlap (\(a.folder) and \(b.folder), one inside the other)"
                    throw DeepfakeError("\(a.label) and \(b.label) \(how): \(leakText(a, b)); list each folder once, in one of trainData/testData")
                }
                let shared = sharedFiles(a.images, b.images)
                guard !shared.isEmpty else { continue }
                let example = "e.g. \(shared[0].0) = \(shared[0].1)"
                if shared.count == min(a.images.count, b.images.count) {
                    throw DeepfakeError("\(a.label) and \(b.label) hold the same images (all \(shared.count) files of the smaller are "
                        + "byte-identical copies, \(example)): \(leakText(a, b)); remove the copy or use a different dataset")
                }
                let w = "\(a.label) and \(b.label) share \(shared.count) byte-identical image(s) of \(a.images.count) and "
                    + "\(b.images.count) (\(example)): \(leakText(a, b)); delete the duplicates from one of them to avoid this"
                log?.warning(w)
                warnings.append(w)
            }
        }
        return warnings
    }

    private static func leakText(_ a: Side, _ b: Side) -> String {
        a.label.hasPrefix("testData") != b.label.hasPrefix("testData")
            ? "the test set would hold training images" : "those images would be trained on twice"
    }

    /// Pairs of paths (one per side) with identical contents: sizes first, then a 128-bit hash.
    static func sharedFiles(_ a: [SourceImage], _ b: [SourceImage]) -> [(String, String)] {
        let sizesB = Set(b.map(\.byteSize))
        let candidatesA = a.filter { sizesB.contains($0.byteSize) && $0.byteSize >= 0 }
        guard !candidatesA.isEmpty else { return [] }
        let sizesA = Set(candidatesA.map(\.byteSize))
        var byHash: [String: String] = [:]
        for im in b where sizesA.contains(im.byteSize) {
            if let h = contentHash(im.path) { byHash[h] = byHash[h] ?? im.path }
        }
        var out: [(String, String)] = []
        for im in candidatesA {
            if let h = contentHash(im.path), let other = byHash[h] { out.append((im.path, other)) }
        }
        return out
    }

    /// Size-prefixed two-stream FNV-1a over the file's bytes, or nil when it cannot be read.
    static func contentHash(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var a: UInt64 = 0xCBF2_9CE4_8422_2325, b: UInt64 = 0x8422_2325_CBF2_9CE4
        data.withUnsafeBytes { raw in
            for byte in raw {
                a = (a ^ UInt64(byte)) &* 0x100_0000_01B3
                b = ((b ^ UInt64(byte)) &* 0x100_0000_01B3).rotatedLeft13
            }
        }
        return String(format: "%d-%016llx%016llx", data.count, a, b)
    }
}

private extension UInt64 {
    var rotatedLeft13: UInt64 { (self << 13) | (self >> 51) }
}
