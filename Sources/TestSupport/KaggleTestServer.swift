// Test support shared by DownloadTests and TrainingTests (never linked into an executable).
// Fixtures for downloads: a real HTTP server on 127.0.0.1 (Resources/kaggle_test_server.py,
// run with python3), zips built at test time in the published layouts of the datasets our users
// name, and a per-test sandbox (cache root, HOME, KAGGLE_CONFIG_DIR) so nothing touches ~/.kaggle.

import Foundation
import XCTest
import ZIPFoundation
import Core

/// The local stand-in for Kaggle. Start one per test; `stop()` in tearDown.
public final class KaggleTestServer {
    public let dir: String
    public let configPath: String
    public let logPath: String
    private let process = Process()
    public private(set) var port = 0
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Finds python3 on PATH, or skips the test saying why.
    public static func python3() throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw XCTSkip("python3 is not on PATH: the download tests need it to run their local HTTP server (Sources/TestSupport/Resources/kaggle_test_server.py); install python3 to run them")
    }

    public init(dir: String, config: [String: Any]) throws {
        self.dir = dir
        configPath = dir + "/server-config.json"
        logPath = dir + "/server-requests.jsonl"
        try setConfig(config)
        FileManager.default.createFile(atPath: logPath, contents: nil)
        guard let script = Bundle.module.path(forResource: "kaggle_test_server", ofType: "py", inDirectory: "Resources") else {
            throw DeepfakeError("test resource kaggle_test_server.py is missing from the TestSupport bundle")
        }
        let portFile = dir + "/server-port"
        try? FileManager.default.removeItem(atPath: portFile)
        process.executableURL = URL(fileURLWithPath: try Self.python3())
        process.arguments = [script, configPath, portFile, logPath, "300"]   // the server exits by itself after 5 min
        try process.run()
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let p = Int(text) { port = p; return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        stop()
        throw DeepfakeError("the test HTTP server did not start within 15 s (python3 \(script))")
    }

    public func setConfig(_ config: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: config)
        try data.write(to: URL(fileURLWithPath: configPath + ".w"))
        _ = rename(configPath + ".w", configPath)
    }

    public func config() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: configPath))) as! [String: Any]
    }

    /// Every request the server saw, in order.
    public func requests() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    public func clearLog() { FileManager.default.createFile(atPath: logPath, contents: nil) }

    public func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}

/// Deterministic incompressible bytes, so archives have real sizes and corruption shows.
public func fixtureBytes(_ count: Int, seed: UInt64) -> Data {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var data = Data(count: count)
    data.withUnsafeMutableBytes { (raw: UnsafeMutableRawBufferPointer) in
        for i in 0..<count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            raw[i] = UInt8(truncatingIfNeeded: state)
        }
    }
    return data
}

/// File lists in the layouts the datasets are published with on Kaggle (a few small files each).
public enum DatasetLayouts {
    public static func files(_ slug: String, perClass n: Int = 3) -> [String: Data] {
        var out: [String: Data] = [:]
        var seed: UInt64 = 1
        func add(_ path: String, _ size: Int = 700) { out[path] = fixtureBytes(size, seed: seed); seed += 1 }
        switch slug {
        case "hamzaboulahia/hardfakevsrealfaces":
            for i in 1...n { add("real/real_\(i).jpg"); add("fake/fake_\(i).jpg") }
            add("data.csv", 120)
        case "ciplab/real-and-fake-face-detection":
            for i in 1...n {
                add("real_and_fake_face/training_real/real_\(String(format: "%05d", i)).jpg")
                add("real_and_fake_face/training_fake/easy_\(i)_1111.jpg")
            }
        case "sachchitkunichetty/rvf10k":
            for split in ["train", "valid"] { for i in 1...n {
                add("rvf10k/\(split)/real/\(split)_real_\(i).jpg"); add("rvf10k/\(split)/fake/\(split)_fake_\(i).jpg")
            } }
            add("train.csv", 90); add("valid.csv", 90)
        case "xhlulu/140k-real-and-fake-faces":
            for split in ["train", "valid", "test"] { for cls in ["real", "fake"] { for i in 1...n {
                add("real_vs_fake/real-vs-fake/\(split)/\(cls)/\(cls)_\(split)_\(i).jpg")
            } } }
            add("train.csv", 90); add("valid.csv", 90); add("test.csv", 90)
        case "birdy654/cifake-real-and-ai-generated-synthetic-images":
            for split in ["train", "test"] { for cls in ["REAL", "FAKE"] { for i in 1...n {
                add("\(split)/\(cls)/\(i) (\(cls == "FAKE" ? 2 : 1)).jpg", 300)
            } } }
        default:
            for i in 1...n { add("real/\(i).jpg"); add("fake/\(i).jpg") }
        }
        return out
    }
}

/// Builds a deflate zip of `files` at `path`; extra raw entries (e.g. "../evil") may be added.
public func makeZip(at path: String, files: [String: Data], symlinks: [String: String] = [:]) throws {
    try? FileManager.default.removeItem(atPath: path)
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
    for (name, data) in files.sorted(by: { $0.key < $1.key }) {
        try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
            data.subdata(in: Int(pos)..<Int(pos) + size)
        }
    }
    for (name, target) in symlinks {
        let data = Data(target.utf8)
        try archive.addEntry(with: name, type: .symlink, uncompressedSize: Int64(data.count)) { pos, size in
            data.subdata(in: Int(pos)..<Int(pos) + size)
        }
    }
}

/// Relative paths of all regular files under `folder`, sorted.
public func filesUnder(_ folder: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: folder) else { return [] }
    var out: [String] = []
    while let p = e.nextObject() as? String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder + "/" + p, isDirectory: &isDir), !isDir.boolValue { out.append(p) }
    }
    return out.sorted()
}

/// A fresh folder under the system temp dir, removed by the caller (TemporaryFolder).
public func makeSandbox(_ name: String) throws -> String {
    try TemporaryFolder.create("dl-tests-\(name)")
}
