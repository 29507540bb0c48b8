// The built-in real/fake face set: generated on the machine (no download), deterministic from a
// seed, written as real PNG files in the hard1k layout ({real,fake}/*.png) so the normal
// pipeline (layout detection, decode, cache) runs on it. See Sources/Datasets/README.md.

import Core
import Foundation
import ImageIO

/// Named sizes of the built-in set ("builtin" = "builtin:default").
public enum BuiltinVariant: String, CaseIterable, Sendable {
    case `default`, small, large

    /// Images per class.
    public var countPerClass: Int {
        switch self { case .default: return 500; case .small: return 120; case .large: return 2000 }
    }
    /// Side of the square images written to disk when the run does not ask for its own size.
    public var size: Int {
        switch self { case .default: return 64; case .small: return 32; case .large: return 96 }
    }
    /// The variant a config names (`builtin` = nil = default, `builtin:small`, ...).
    public init(configName: String?) throws {
        guard let v = BuiltinVariant(rawValue: configName ?? "default") else {
            throw DeepfakeError("unknown built-in dataset 'builtin:\(configName ?? "")': use "
                + BuiltinVariant.allCases.map { "builtin:\($0.rawValue)" }.joined(separator: ", ") + " or plain builtin")
        }
        self = v
    }

    /// Fixed generator seed: the data are the same on every machine; manualSeed drives the split.
    public var seed: UInt64 { 20_240_601 }
}

public enum BuiltinDataset {
    /// Bumped whenever the renderer changes, so an old generated folder is not reused.
    public static let generatorVersion = 1
    static let completeMarker = "COMPLETE"

    /// Writes `countPerClass` real and fake `size`x`size` PNG faces into `folder/real` and
    /// `folder/fake` (real_00000.png, ...), rendering in parallel over `threads`.
    public static func generate(into folder: String, countPerClass: Int, size: Int, seed: UInt64, threads: Threads = .serial) throws {
        guard countPerClass > 0, size >= 16 else {
            throw DeepfakeError("built-in dataset needs countPerClass > 0 and size >= 16 (got \(countPerClass), \(size))")
        }
        let fm = FileManager.default
        for cls in ["real", "fake"] {
            try fm.createDirectory(atPath: (folder as NSString).appendingPathComponent(cls), withIntermediateDirectories: true)
        }
        let total = 2 * countPerClass
        let errors = ErrorBox()
        threads.forEach(total) { k in
            let fake = k >= countPerClass, i = k % countPerClass
            let pixels = FaceRenderer.render(seed: seed, index: i, fake: fake, size: size)
            let name = String(format: "%@/%@_%05d.png", fake ? "fake" : "real", fake ? "fake" : "real", i)
            do {
                let png = try ImageEncoder.png(Image(width: size, height: size, channels: 3, pixels: pixels))
                try Data(png).write(to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent(name)))
            } catch { errors.set(error) }
        }
        if let e = errors.error {
            throw DeepfakeError("cannot write the built-in dataset into \(folder): \(e); check the folder is writable and has space")
        }
    }

    /// The folder of `variant` at `size` (default: the variant's) under `root`
    /// (`<variant>-<size>px-v<generatorVersion>`), generating it first when absent. Generation goes
    /// to a temporary folder renamed into place, so an interrupted run never leaves a partial set.
    public static func ensure(variant: BuiltinVariant, size: Int? = nil, under root: String, log: RunLog? = nil,
                              threads: Threads = .serial) throws -> String {
        let side = max(16, size ?? variant.size)
        let folder = (root as NSString).appendingPathComponent("\(variant.rawValue)-\(side)px-v\(generatorVersion)")
        let fm = FileManager.default
        if fm.fileExists(atPath: (folder as NSString).appendingPathComponent(completeMarker)) { return folder }
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        for stale in TempFiles.removeStale(in: root) { log?.info("removed \(stale), left by an interrupted run") }
        let tmp = TempFiles.name(for: folder)
        try? fm.removeItem(atPath: tmp)
        log?.info("generating built-in dataset '\(variant.rawValue)': \(variant.countPerClass) real + \(variant.countPerClass) fake "
                  + "\(side)x\(side) images into \(folder)")
        do { try generate(into: tmp, countPerClass: variant.countPerClass, size: side, seed: variant.seed, threads: threads) } catch {
            try? fm.removeItem(atPath: tmp)   // a full disk must not leave a partial set behind
            throw error
        }
        _ = fm.createFile(atPath: (tmp as NSString).appendingPathComponent(completeMarker), contents: Data("v\(generatorVersion)\n".utf8))
        if fm.fileExists(atPath: folder) { try? fm.removeItem(atPath: folder) }  // stale, incomplete copy
        do { try fm.moveItem(atPath: tmp, toPath: folder) } catch {
            // Another process finished first: keep its copy.
            try? fm.removeItem(atPath: tmp)
            guard fm.fileExists(atPath: (folder as NSString).appendingPathComponent(completeMarker)) else {
                throw DeepfakeError("cannot move the generated built-in dataset into \(folder): \(error)")
            }
        }
        return folder
    }
}

/// First error seen by parallel workers.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: Error?
    func set(_ e: Error) { lock.lock(); if error == nil { error = e }; lock.unlock() }
}
