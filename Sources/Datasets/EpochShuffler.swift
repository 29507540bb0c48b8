// Epoch order of the training images, identical on every MPI rank without communication.

import Core

/// A permutation of a fixed index list per epoch, derived from (seed, epoch) only, and each
/// rank's contiguous shard of every global batch (data parallelism: rank r of R takes rows
/// [B*r/R, B*(r+1)/R) of each global batch of B).
public struct EpochShuffler: Sendable {
    public let indices: [Int]
    public let seed: UInt64
    /// Set: epochs follow this balanced (dataset, class) order instead of a plain permutation.
    public let balance: BalancedOrder?

    public init(indices: [Int], seed: UInt64, balance: BalancedOrder? = nil) {
        self.indices = indices; self.seed = seed; self.balance = balance
    }

    /// `indices` in the order of `epoch` (a seeded Fisher-Yates over stream "shuffle", index epoch),
    /// or the balanced order of `balance` (BalancedOrder.swift).
    public func order(epoch: Int) -> [Int] {
        if let balance { return balance.order(epoch: epoch, seed: seed) }
        var rng = SeededRNG(seed: seed, stream: "shuffle", index: UInt64(epoch))
        return rng.permutation(indices.count).map { indices[$0] }
    }

    /// Global batches of `epoch`; the last one is shorter unless `dropLast`.
    public func batches(epoch: Int, batchSize: Int, dropLast: Bool = false) -> [[Int]] {
        precondition(batchSize > 0)
        let o = order(epoch: epoch)
        var out: [[Int]] = []
        var lo = 0
        while lo < o.count {
            let hi = min(lo + batchSize, o.count)
            if hi - lo < batchSize && dropLast { break }
            out.append(Array(o[lo..<hi]))
            lo = hi
        }
        return out
    }

    /// Rank `rank` of `size`'s contiguous part of a global batch (`RankBatch`; may be empty for tiny batches).
    public static func shard(_ batch: [Int], rank: Int, size: Int) -> [Int] {
        Array(batch[RankBatch(global: batch.count, rank: rank, ranks: size).range])
    }
}
