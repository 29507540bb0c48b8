// Balanced (dataset, class) epoch order: the share of every group per epoch and per batch, the
// subsampling of large groups and the repetition of small ones, determinism per (seed, epoch),
// and that every rank (rebuilding the shuffler itself) takes its shard of the same batches.

import XCTest
import Core
@testable import Datasets

final class BalancedOrderTests: XCTestCase {
    /// Three groups of very different sizes: big/real 120, big/fake 60, small/fake 12 (192 images).
    let names = [String](repeating: "big", count: 180) + [String](repeating: "small", count: 12)
    let labels = [Int32](repeating: 0, count: 120) + [Int32](repeating: 1, count: 60) + [Int32](repeating: 1, count: 12)
    var indices: [Int] { Array(0..<192) }
    func group(_ i: Int) -> String { BalancedOrder.groupKey(dataset: names[i], label: labels[i]) }

    func testEveryGroupGetsAnEqualShareOfTheEpoch() {
        let b = BalancedOrder(indices: indices, datasetNames: names, labels: labels)
        XCTAssertEqual(b.keys, ["big/fake", "big/real", "small/fake"])
        XCTAssertEqual(b.members.map(\.count), [60, 120, 12])
        for epoch in 1...3 {
            let o = b.order(epoch: epoch, seed: 7)
            XCTAssertEqual(o.count, 192, "an epoch keeps the unbalanced number of images")
            let counts = Dictionary(grouping: o, by: group).mapValues(\.count)
            XCTAssertEqual(counts, ["big/real": 64, "big/fake": 64, "small/fake": 64])
            // big/real (120 > 64): a subset without repeats; small/fake (12): each image 5 or 6 times.
            let bigReal = o.filter { group($0) == "big/real" }
            XCTAssertEqual(Set(bigReal).count, 64)
            let small = Dictionary(grouping: o.filter { $0 >= 180 }, by: { $0 }).mapValues(\.count)
            XCTAssertEqual(Set(small.keys), Set(180..<192))
            XCTAssertTrue(small.values.allSatisfy { $0 == 5 || $0 == 6 }, "\(small)")
            // big/fake (60 < 64): every image once, 4 of them twice.
            let bigFake = Dictionary(grouping: o.filter { group($0) == "big/fake" }, by: { $0 }).mapValues(\.count)
            XCTAssertEqual(bigFake.count, 60)
            XCTAssertEqual(bigFake.values.filter { $0 == 2 }.count, 4)
        }
    }

    func testEveryBatchIsBalanced() {
        let s = EpochShuffler(indices: indices, seed: 7, balance: BalancedOrder(indices: indices, datasetNames: names, labels: labels))
        for epoch in 1...4 {
            for batch in s.batches(epoch: epoch, batchSize: 32) {
                let counts = Dictionary(grouping: batch, by: group).mapValues(\.count)
                // 32 images span at most 12 rounds of 3 and hold at least 10 whole ones.
                XCTAssertEqual(counts.count, 3)
                XCTAssertTrue(counts.values.allSatisfy { (10...12).contains($0) }, "epoch \(epoch): \(counts)")
            }
        }
        // The plain shuffle of the same images is not balanced: about 2/3 of a batch is big/real.
        let plain = EpochShuffler(indices: indices, seed: 7).order(epoch: 1)
        XCTAssertEqual(plain.filter { group($0) == "big/real" }.count, 120)
    }

    func testDeterministicPerSeedAndEpochAndEqualOnEveryRank() {
        let a = EpochShuffler(indices: indices, seed: 7, balance: BalancedOrder(indices: indices, datasetNames: names, labels: labels))
        // Another rank builds its own shuffler from the same inputs (as TrainingSession does on each rank).
        let b = EpochShuffler(indices: indices, seed: 7, balance: BalancedOrder(indices: indices, datasetNames: names, labels: labels))
        XCTAssertEqual(a.order(epoch: 3), b.order(epoch: 3))
        XCTAssertNotEqual(a.order(epoch: 3), a.order(epoch: 4))
        let other = EpochShuffler(indices: indices, seed: 8, balance: a.balance)
        XCTAssertNotEqual(a.order(epoch: 3), other.order(epoch: 3))
        // Ranks 0..2 of 3: their shards of every batch are disjoint, in order, and make up the batch.
        for batch in a.batches(epoch: 2, batchSize: 32) {
            let shards = (0..<3).map { EpochShuffler.shard(batch, rank: $0, size: 3) }
            XCTAssertEqual(shards.flatMap { $0 }, batch)
            let fromB = (0..<3).map { EpochShuffler.shard(b.batches(epoch: 2, batchSize: 32)[0], rank: $0, size: 3) }
            XCTAssertEqual(fromB.flatMap { $0 }, a.batches(epoch: 2, batchSize: 32)[0])
        }
    }

    func testSummaryAndEmptyIndices() {
        let b = BalancedOrder(indices: indices, datasetNames: names, labels: labels)
        XCTAssertEqual(b.summary, "balanced training: 3 (dataset, class) group(s) [big/fake 60, big/real 120, small/fake 12], each 64.0 of the 192 images of an epoch (as many images and steps as unbalanced)")
        XCTAssertEqual(BalancedOrder(indices: [], datasetNames: [], labels: []).order(epoch: 1, seed: 1), [])
    }
}
