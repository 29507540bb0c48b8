// PendingCollective: a nonblocking collective in flight (Communicator.startAllreduceSum), so the
// data-parallel gradient sum can run while the backward pass computes the next layers' gradients.

/// A started nonblocking collective. Its buffer holds the result once `wait()` returned (or
/// `test()` returned true); until then the caller must neither read nor write it.
public protocol PendingCollective: AnyObject {
    /// Lets the collective make progress without blocking (MPI progresses nonblocking
    /// collectives only inside MPI calls); true once it has completed.
    func test() -> Bool
    /// Blocks until the collective has completed.
    func wait()
}

/// A collective that completed when it was started.
public final class CompletedCollective: PendingCollective {
    public init() {}
    public func test() -> Bool { true }
    public func wait() {}
}

extension Communicator {
    /// Fallback for communicators without a nonblocking sum (test doubles): the blocking sum,
    /// done at once, so callers that overlap still get exactly the blocking result.
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        allreduceSum(buffer)
        return CompletedCollective()
    }

    /// Fallback reduce-scatter: the blocking sum of a copy of `buffer`, of which this rank keeps its
    /// part (the same values as a real reduce-scatter that sums in rank order).
    public func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int],
                                      into mine: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        checkParts(counts, total: buffer.count, "reduce-scatter")
        precondition(mine.count == counts[rank], "reduce-scatter: rank \(rank) receives \(counts[rank]) values, not \(mine.count)")
        var sum = Array(buffer)
        allreduceSum(&sum)
        let lo = partOffset(counts, rank: rank)
        sum.withUnsafeBufferPointer { _ = mine.update(fromContentsOf: $0[lo..<(lo + counts[rank])]) }
        return CompletedCollective()
    }
}
