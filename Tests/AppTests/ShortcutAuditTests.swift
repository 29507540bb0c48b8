// The shortcut audit on real image files this test writes: a dataset whose reals were saved at JPEG
// quality 95 and fakes at 60 (same picture distribution otherwise) must be flagged on jpeg_quality
// and not on the mean colour; a PNG-vs-JPEG dataset on the file format; the output folder is never
// overwritten; the per-dataset cache is reused; and the training log's audit lines name the flag.

import Config
import Core
import Datasets
import Foundation
import ImageIO
import Reporting
import XCTest
@testable import App
@testable import Training

final class ShortcutAuditTests: TemporaryFolderTestCase {
    /// A smooth random picture: two gradients and a disc whose colours and place come from `rng`.
    func picture(_ rng: inout SeededRNG, size: Int = 40) -> Image {
        let (a, b, c) = (rng.uniform() * 120 + 40, rng.uniform() * 120 + 40, rng.uniform() * 120 + 40)
        let (cx, cy) = (rng.uniform(), rng.uniform())
        var px = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let dx = Double(x) / Double(size) - cx, dy = Double(y) / Double(size) - cy
                let disc = 70 * exp(-(dx * dx + dy * dy) * 12)
                let v = [a + 60 * Double(x) / Double(size) + disc, b + 60 * Double(y) / Double(size), c + disc / 2]
                for k in 0..<3 { px[(y * size + x) * 3 + k] = UInt8(min(255, max(0, v[k]))) }
            }
        }
        return Image(width: size, height: size, channels: 3, pixels: px)
    }

    /// `root/real` and `root/fake` with `count` images each, written by `write(image, class, index)`.
    func makeDataset(_ root: String, count: Int, seed: UInt64, write: (Image, String, Int) throws -> Void) throws {
        var rng = SeededRNG(seed: seed)
        for cls in ["real", "fake"] {
            try FileManager.default.createDirectory(atPath: root + "/" + cls, withIntermediateDirectories: true)
            for i in 0..<count { try write(picture(&rng), cls, i) }
        }
    }

    func writeConfig(_ datasets: [String: String]) throws -> String {
        let path = tmp + "/audit.yaml"
        let entries = datasets.keys.sorted().map { "  \($0): \(datasets[$0]!)" }.joined(separator: "\n")
        try ("modelType: Classic\ntrainData:\n\(entries)\ntestSize: 0.5\nnCPUs: 2\ndataPath: \(tmp)/data\noutputsPath: \(tmp)/results\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func json(_ path: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    func testQualityAndFormatShortcutsAreFlaggedAndWrittenWithoutOverwriting() throws {
        // qsplit: reals at quality 95, fakes at 60. fsplit: reals JPEG q 90, fakes PNG.
        try makeDataset(tmp + "/qsplit", count: 24, seed: 1) { im, cls, i in
            try ImageEncoder.write(try ImageEncoder.jpeg(im, quality: cls == "real" ? 95 : 60), to: "\(self.tmp)/qsplit/\(cls)/\(i).jpg")
        }
        try makeDataset(tmp + "/fsplit", count: 16, seed: 2) { im, cls, i in
            let bytes = cls == "real" ? try ImageEncoder.jpeg(im, quality: 90) : try ImageEncoder.png(im)
            try ImageEncoder.write(bytes, to: "\(self.tmp)/fsplit/\(cls)/\(i).\(cls == "real" ? "jpg" : "png")")
        }
        let config = try writeConfig(["qsplit": tmp + "/qsplit", "fsplit": tmp + "/fsplit"])
        var printed = ""
        let out = tmp + "/audit-out"
        let folder = try ShortcutAudit.audit(RunRequest(configPath: config, offline: true), output: out, print: { printed += $0 })
        XCTAssertEqual(folder, out)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: out)), ["audit.json", "audit.csv", "audit.txt"])
        XCTAssertEqual(printed, try String(contentsOfFile: out + "/audit.txt", encoding: .utf8))

        let o = try json(out + "/audit.json")
        let datasets = try XCTUnwrap(o["datasets"] as? [String: [String: [String: Any]]])
        XCTAssertEqual(Set(datasets.keys), ["qsplit", "fsplit", "all"])
        let quality = try XCTUnwrap(datasets["qsplit"]?["jpeg_quality"])
        XCTAssertEqual(quality["auc"] as? Double, 1.0)
        XCTAssertEqual(quality["flagged"] as? Bool, true)
        XCTAssertEqual(quality["direction"] as? String, "lower means fake")
        XCTAssertEqual(quality["real_mean"] as? Double, 95, "every real's estimate is the 95 it was saved at")
        XCTAssertEqual(quality["fake_mean"] as? Double, 60)
        XCTAssertEqual(quality["rule"] as? String, "fake if <= 60")
        XCTAssertEqual(quality["real_count"] as? Int, 24)
        // Same picture distribution in both classes: the mean colour does not separate them.
        let red = try XCTUnwrap(datasets["qsplit"]?["mean_red"]?["auc"] as? Double)
        XCTAssertLessThan(red, 0.8)
        XCTAssertEqual(datasets["qsplit"]?["mean_red"]?["flagged"] as? Bool, false)
        XCTAssertEqual(datasets["qsplit"]?["width"]?["auc"] as? Double, 0.5, "every image is 40 px wide")
        // fsplit: the format alone separates perfectly; PNGs have no JPEG quality (missing, left out).
        let format = try XCTUnwrap(datasets["fsplit"]?["format"])
        XCTAssertEqual(format["auc"] as? Double, 1.0)
        XCTAssertEqual(format["fake_categories"] as? [String], ["png"])
        XCTAssertEqual(format["rule"] as? String, "fake if in {png}")
        XCTAssertEqual(datasets["fsplit"]?["jpeg_quality"]?["fake_count"] as? Int, 0)
        XCTAssertNil(datasets["fsplit"]?["jpeg_quality"]?["auc"] as? Double, "one class only: undefined (null)")
        let flagged = try XCTUnwrap(o["flagged"] as? [[String: Any]])
        XCTAssertTrue(flagged.contains { $0["dataset"] as? String == "qsplit" && $0["property"] as? String == "jpeg_quality" })
        XCTAssertTrue(flagged.contains { $0["dataset"] as? String == "fsplit" && $0["property"] as? String == "format" })
        XCTAssertTrue(printed.contains("SHORTCUT?"))
        let csv = try String(contentsOfFile: out + "/audit.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 3 * ShortcutAudit.properties.count)
        XCTAssertTrue(csv.contains { $0.hasPrefix("qsplit,jpeg_quality,24,24,") && $0.hasSuffix(",fake if <= 60,1") })

        // Never overwrites: the same output again is refused, and the files are untouched.
        let before = try Data(contentsOf: URL(fileURLWithPath: out + "/audit.json"))
        XCTAssertThrowsError(try ShortcutAudit.audit(RunRequest(configPath: config, offline: true), output: out, print: { _ in })) { e in
            XCTAssertTrue("\(e)".contains("already exists"), "\(e)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/audit.json")), before)
        // Without --output: a fresh folder under outputsPath each time.
        let a = try ShortcutAudit.audit(RunRequest(configPath: config, offline: true), output: nil, print: { _ in })
        let b = try ShortcutAudit.audit(RunRequest(configPath: config, offline: true), output: nil, print: { _ in })
        XCTAssertNotEqual(a, b)
        XCTAssertTrue(a.hasPrefix(tmp + "/results/audit_fsplit-qsplit_"), a)
    }

    func testTrainingLogPrintsTheFlagsAndReusesTheCache() throws {
        try makeDataset(tmp + "/qsplit", count: 12, seed: 3) { im, cls, i in
            try ImageEncoder.write(try ImageEncoder.jpeg(im, quality: cls == "real" ? 92 : 70), to: "\(self.tmp)/qsplit/\(cls)/\(i).jpg")
        }
        let config = try Config.load(path: try writeConfig(["qsplit": tmp + "/qsplit"]))
        func logged() throws -> String {
            let path = tmp + "/run-\(UUID().uuidString).log"
            let log = RunLog(echo: false)
            try log.attach(path: path)
            ShortcutAudit.logFlags(config: config, log: log, threads: Threads(2))
            log.close()
            return try String(contentsOfFile: path, encoding: .utf8)
        }
        let first = try logged()
        XCTAssertTrue(first.contains("audit qsplit: 24 image(s) measured"), first)
        XCTAssertTrue(first.contains("audit: likely shortcut in qsplit: jpeg_quality alone separates real from fake with AUC 1.000 (fake if <= 70"), first)
        let second = try logged()
        XCTAssertTrue(second.contains("audit qsplit: 24 image(s) read from the cache"), second)
        XCTAssertTrue(second.contains("likely shortcut in qsplit: jpeg_quality"), second)
        // A changed file changes the key: measured again.
        var rng = SeededRNG(seed: 99)
        try ImageEncoder.write(try ImageEncoder.jpeg(picture(&rng), quality: 92), to: tmp + "/qsplit/real/0.jpg")
        XCTAssertTrue(try logged().contains("audit qsplit: 24 image(s) measured"))
    }
}
