// The built-in generated dataset: deterministic, runs through the normal pipeline, learnable
// but not trivially separable by simple features.

import Config
import Core
import Foundation
import XCTest
@testable import Datasets

final class BuiltinTests: XCTestCase {
    func testRenderIsDeterministic() {
        XCTAssertEqual(FaceRenderer.render(seed: 1, index: 3, fake: true, size: 32), FaceRenderer.render(seed: 1, index: 3, fake: true, size: 32))
        XCTAssertNotEqual(FaceRenderer.render(seed: 1, index: 3, fake: true, size: 32), FaceRenderer.render(seed: 2, index: 3, fake: true, size: 32))
        XCTAssertNotEqual(FaceRenderer.render(seed: 1, index: 3, fake: true, size: 32), FaceRenderer.render(seed: 1, index: 4, fake: true, size: 32))
    }

    func testGeneratedFilesAreIdenticalAcrossRuns() throws {
        let a = tempDir("gen"), b = tempDir("gen")
        try BuiltinDataset.generate(into: a, countPerClass: 5, size: 24, seed: 42)
        try BuiltinDataset.generate(into: b, countPerClass: 5, size: 24, seed: 42)
        let files = ClassLayout.imageFiles(under: a)
        XCTAssertEqual(files.count, 10)
        XCTAssertEqual(files, ClassLayout.imageFiles(under: b))
        for f in files {
            XCTAssertEqual(FileManager.default.contents(atPath: a + "/" + f), FileManager.default.contents(atPath: b + "/" + f), f)
        }
    }

    func testBuiltinEntryRunsThroughThePipeline() throws {
        let dataPath = tempDir("builtin")
        let d = try DataPreparer.prepare(entries: [try Fixtures.entry("default", source: "builtin:small")], dataPath: dataPath,
                                         kagglePath: "/nonexistent", settings: PrepareSettings(height: 32, width: 32, channels: 3),
                                         log: RunLog(echo: false), environment: [:])
        XCTAssertEqual(d.classCounts, [BuiltinVariant.small.countPerClass, BuiltinVariant.small.countPerClass])
        XCTAssertTrue(d.skipped.isEmpty)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dataPath + "/builtin/small-32px-v\(BuiltinDataset.generatorVersion)/COMPLETE"))
        // The pixels are the renderer's (PNG is lossless and the size matches: no resize).
        XCTAssertEqual(Array(d.images[0..<(32 * 32 * 3)]), FaceRenderer.render(seed: BuiltinVariant.small.seed, index: 0, fake: false, size: 32))
    }

    /// Simple global features: channel means and stds, and mean absolute neighbour difference.
    func features(_ p: [UInt8], size: Int) -> [Double] {
        var f: [Double] = []
        for c in 0..<3 {
            let v = stride(from: c, to: p.count, by: 3).map { Double(p[$0]) }
            let m = v.reduce(0, +) / Double(v.count)
            f += [m, (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()]
        }
        var hf = 0.0
        for y in 0..<size { for x in 1..<size { hf += abs(Double(p[(y * size + x) * 3]) - Double(p[(y * size + x - 1) * 3])) } }
        return f + [hf / Double(size * (size - 1))]
    }

    func testNearestCentroidIsNotPerfect() {
        let size = 32, n = 200
        var trainF: [[Double]] = [], trainY: [Int] = [], testF: [[Double]] = [], testY: [Int] = []
        for i in 0..<n { for y in 0...1 {
            let f = features(FaceRenderer.render(seed: 7, index: i, fake: y == 1, size: size), size: size)
            if i % 2 == 0 { trainF.append(f); trainY.append(y) } else { testF.append(f); testY.append(y) }
        } }
        let dims = trainF[0].count
        let mean = (0..<dims).map { d in trainF.map { $0[d] }.reduce(0, +) / Double(trainF.count) }
        let std = (0..<dims).map { (d: Int) -> Double in
            let sq: [Double] = trainF.map { (row: [Double]) -> Double in (row[d] - mean[d]) * (row[d] - mean[d]) }
            let variance: Double = sq.reduce(0, +) / Double(trainF.count)
            return variance.squareRoot() + 1e-9
        }
        func z(_ f: [Double]) -> [Double] { (0..<dims).map { (f[$0] - mean[$0]) / std[$0] } }
        let centroids = (0...1).map { cls -> [Double] in
            let rows = zip(trainF, trainY).filter { $0.1 == cls }.map { z($0.0) }
            return (0..<dims).map { d in rows.map { $0[d] }.reduce(0, +) / Double(rows.count) }
        }
        var correct = 0
        for (f, y) in zip(testF, testY) {
            let zf = z(f)
            let dist: [Double] = centroids.map { (c: [Double]) -> Double in
                zip(c, zf).map { (a: Double, b: Double) -> Double in (a - b) * (a - b) }.reduce(0, +)
            }
            if (dist[1] < dist[0] ? 1 : 0) == y { correct += 1 }
        }
        let acc = Double(correct) / Double(testY.count)
        print("builtin set: nearest-centroid accuracy on simple global features = \(acc)")
        XCTAssertLessThan(acc, 0.97, "the built-in set is trivially separable by global statistics")
    }

    /// The artefact is there to be found: a detector that knows where to look (the energy of the
    /// period-2 pattern after removing the local mean) beats chance clearly, yet is not perfect.
    func testArtefactIsLearnableButNotPerfect() {
        let size = 32, n = 200
        func checker(_ p: [UInt8]) -> Double {
            var acc = 0.0
            for y in 1..<(size - 1) { for x in 1..<(size - 1) {
                let o = (y * size + x) * 3
                let local = (Double(p[o - 3]) + Double(p[o + 3]) + Double(p[o - size * 3]) + Double(p[o + size * 3])) / 4
                acc += ((x + y) % 2 == 0 ? 1 : -1) * (Double(p[o]) - local)
            } }
            return abs(acc) / Double((size - 2) * (size - 2))
        }
        let real = (0..<n).map { checker(FaceRenderer.render(seed: 3, index: $0, fake: false, size: size)) }
        let fake = (0..<n).map { checker(FaceRenderer.render(seed: 3, index: $0, fake: true, size: size)) }
        // Best single threshold (an upper bound for this one feature).
        let best = (real + fake).map { t in
            Double(real.filter { $0 < t }.count + fake.filter { $0 >= t }.count) / Double(2 * n)
        }.max()!
        print("builtin set: best threshold on the checkerboard energy = \(best)")
        XCTAssertGreaterThan(best, 0.7)
        XCTAssertLessThan(best, 1.0)
    }
}
