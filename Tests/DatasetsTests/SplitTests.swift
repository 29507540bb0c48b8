// Split: determinism, stratification, official splits, save/load; epoch shuffling and sharding.

import Core
import Foundation
import XCTest
@testable import Datasets

final class SplitTests: XCTestCase {
    let labels: [Int32] = Array(repeating: 0, count: 589) + Array(repeating: 1, count: 700)
    var none: [Int32] { Array(repeating: 0, count: labels.count) }

    func testSameSeedSameSplitDifferentSeedDifferent() throws {
        let a = try DataSplit.make(labels: labels, officialSplits: none, valSize: 0.2, testSize: 0.5, seed: 999)
        let b = try DataSplit.make(labels: labels, officialSplits: none, valSize: 0.2, testSize: 0.5, seed: 999)
        let c = try DataSplit.make(labels: labels, officialSplits: none, valSize: 0.2, testSize: 0.5, seed: 1000)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.val, c.val)
        XCTAssertEqual(Set(a.train + a.val + a.test).count, labels.count)   // a partition
    }

    func testStratifiedWithinOneSample() throws {
        for (v, t) in [(0.2, 0.0), (0.3, 0.5), (0.25, 0.3)] {
            let s = try DataSplit.make(labels: labels, officialSplits: none, valSize: v, testSize: t, seed: 7)
            for cls: Int32 in [0, 1] {
                let n = Double(labels.filter { $0 == cls }.count)
                let held = Double((s.val + s.test).filter { labels[$0] == cls }.count)
                XCTAssertLessThanOrEqual(abs(held - v * n), 1, "class \(cls) held out \(held) of \(n) at valSize \(v)")
                let test = Double(s.test.filter { labels[$0] == cls }.count)
                XCTAssertLessThanOrEqual(abs(test - t * held), 1)
            }
            if t == 0 { XCTAssertTrue(s.test.isEmpty) }
        }
    }

    func testOfficialSplitsKept() throws {
        // 140k-style: train/val/test all official -> kept exactly, fractions ignored.
        let splits: [Int32] = (0..<labels.count).map { Int32($0 % 3 + 1) }
        let s = try DataSplit.make(labels: labels, officialSplits: splits, valSize: 0.2, testSize: 0.5, seed: 1)
        XCTAssertEqual(s.train, (0..<labels.count).filter { splits[$0] == 1 })
        XCTAssertEqual(s.val, (0..<labels.count).filter { splits[$0] == 2 })
        XCTAssertEqual(s.test, (0..<labels.count).filter { splits[$0] == 3 })
        // CIFAKE-style: train/test official, no val -> val carved from official train only.
        let cif: [Int32] = (0..<labels.count).map { $0 % 4 == 0 ? 3 : 1 }
        let s2 = try DataSplit.make(labels: labels, officialSplits: cif, valSize: 0.2, testSize: 0, seed: 1)
        XCTAssertEqual(s2.test, (0..<labels.count).filter { cif[$0] == 3 })
        XCTAssertTrue(s2.val.allSatisfy { cif[$0] == 1 })
        XCTAssertEqual(Double(s2.val.count), 0.2 * Double(cif.filter { $0 == 1 }.count), accuracy: 2)
    }

    func testSaveLoadRoundTripAndMismatch() throws {
        let s = try DataSplit.make(labels: labels, officialSplits: none, valSize: 0.2, testSize: 0.1, seed: 5, cacheKey: "k1")
        let path = tempDir("split") + "/split.json"
        try s.save(to: path)
        XCTAssertEqual(try DataSplit.load(from: path, expectedCount: labels.count, cacheKey: "k1"), s)
        XCTAssertThrowsError(try DataSplit.load(from: path, expectedCount: 10)) { XCTAssertTrue("\($0)".contains("other data")) }
        XCTAssertThrowsError(try DataSplit.load(from: path, expectedCount: labels.count, cacheKey: "k2"))
    }

    func testBadFractions() {
        XCTAssertThrowsError(try DataSplit.make(labels: labels, officialSplits: none, valSize: 1.5, testSize: 0, seed: 1)) {
            XCTAssertTrue("\($0)".contains("valSize"))
        }
    }

    func testEpochShufflerIsPerEpochAndSameOnEveryRank() {
        let idx = Array(stride(from: 0, to: 200, by: 2))
        let a = EpochShuffler(indices: idx, seed: 999), b = EpochShuffler(indices: idx, seed: 999)
        XCTAssertEqual(a.order(epoch: 3), b.order(epoch: 3))            // "another rank"
        XCTAssertNotEqual(a.order(epoch: 3), a.order(epoch: 4))
        XCTAssertEqual(a.order(epoch: 0).sorted(), idx)
        let batches = a.batches(epoch: 1, batchSize: 32)
        XCTAssertEqual(batches.map { $0.count }, [32, 32, 32, 4])
        XCTAssertEqual(a.batches(epoch: 1, batchSize: 32, dropLast: true).count, 3)
        // Shards of 3 ranks tile each global batch contiguously, in order.
        for batch in batches {
            let shards = (0..<3).map { EpochShuffler.shard(batch, rank: $0, size: 3) }
            XCTAssertEqual(shards.flatMap { $0 }, batch)
            XCTAssertLessThanOrEqual(shards.map { $0.count }.max()! - shards.map { $0.count }.min()!, 1)
        }
    }
}
