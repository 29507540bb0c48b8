// RankBatch: how one global batch splits over the ranks of a data-parallel run. `batchSize` in a
// config is the GLOBAL batch (the user's number, whatever the rank count); every per-rank size
// (a training shard, an evaluation chunk, the quantum memory guard's batch) comes from here.

/// Rank `rank` of `ranks` takes the contiguous rows [B*r/R, B*(r+1)/R) of a global batch of B, so
/// shares differ by at most one and add up to B.
public struct RankBatch: Sendable, Equatable {
    public let global: Int
    public let rank: Int
    public let ranks: Int

    public init(global: Int, rank: Int, ranks: Int) {
        precondition(global >= 0 && ranks > 0 && rank >= 0 && rank < ranks, "RankBatch needs 0 <= rank < ranks and global >= 0")
        self.global = global; self.rank = rank; self.ranks = ranks
    }

    /// This rank's rows of the global batch (empty when the batch has fewer rows than ranks).
    public var range: Range<Int> { (global * rank / ranks)..<(global * (rank + 1) / ranks) }

    /// This rank's share of the global batch.
    public var count: Int { range.count }

    /// The largest share any rank gets, ceil(global / ranks): what one rank must hold in memory.
    public static func largestShare(global: Int, ranks: Int) -> Int {
        precondition(ranks > 0)
        return (global + ranks - 1) / ranks
    }
}
