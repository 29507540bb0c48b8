// Communicator: the only way library code learns about other processes.
//
// Libraries take `any Communicator`. A single process uses `SingleProcessCommunicator`; MPI runs
// use the implementation in the MPIComm target (checked with real mpirun ranks by
// scripts/mpi-check.sh).

public protocol Communicator: AnyObject, Sendable {
    var rank: Int { get }
    var size: Int { get }
    /// In-place elementwise sum over all ranks.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Starts an in-place elementwise sum over all ranks and returns at once (an allreduce):
    /// `buffer` must stay allocated and untouched until the returned request's `wait()`. Every
    /// rank starts the same nonblocking sums in the same order (as with every collective); they
    /// may overlap blocking collectives (MPICommunicator's blocking collectives move its sums on
    /// while they wait, since an allreduce's second phase needs every rank's polling). A conformer
    /// without its own gets `PendingCollective.swift`'s default, which sums at once (correct, with
    /// nothing overlapped).
    func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective
    /// Starts an elementwise sum over all ranks of `buffer` (the same length on every rank) of
    /// which each rank receives only its part (a reduce-scatter): rank r gets `counts[r]`
    /// values, the ones at offset counts[0] + ... + counts[r-1], written to `mine`, which holds
    /// counts[rank] values and either lies outside `buffer` or is exactly this rank's part of it
    /// (in place, as the gradient buckets use it). Both stay untouched until `wait()`. The
    /// sharded optimiser step (ZeRO-1) sums gradients this way. A conformer without its own gets
    /// `PendingCollective.swift`'s default: the blocking allreduce of a copy.
    func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int],
                               into mine: UnsafeMutableBufferPointer<Float>) -> PendingCollective
    /// In place: each rank's part of `buffer` (rank r's `counts[r]` values, at offset counts[0] +
    /// ... + counts[r-1]) is copied to every other rank (MPI_Allgatherv with MPI_IN_PLACE).
    func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int])
    /// In-place elementwise max over all ranks.
    func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Root's bytes are copied to every rank (buffers must have the same length everywhere).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int)
    /// Every rank's `mine` concatenated in rank order (lengths may differ between ranks).
    func allgather(_ mine: [Double]) -> [Double]
    /// Pairwise swap: sends `send` to `partner` and receives as many values from it into
    /// `receive` (both ranks call it with each other as partner). The sharded statevector does
    /// this for a gate on a qubit that is split across ranks.
    func exchange(_ send: UnsafeBufferPointer<Double>, _ receive: UnsafeMutableBufferPointer<Double>, partner: Int)
    func barrier()
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    public func allreduceSum(_ values: inout [Double]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }
    public func allreduceSum(_ values: inout [Float]) {
        values.withUnsafeMutableBufferPointer { allreduceSum($0) }
    }
    public func allreduceSum(_ value: Double) -> Double {
        var v = [value]
        allreduceSum(&v)
        return v[0]
    }
    public func allreduceMax(_ value: Double) -> Double {
        var v = [value]
        v.withUnsafeMutableBufferPointer { allreduceMax($0) }
        return v[0]
    }

    /// Checks the `counts` of a reduce-scatter or allgather over a buffer of `total` values: one
    /// non-negative count per rank, adding up to `total`.
    public func checkParts(_ counts: [Int], total: Int, _ what: String) {
        precondition(counts.count == size && counts.allSatisfy { $0 >= 0 } && counts.reduce(0, +) == total,
                     "\(what): counts \(counts) do not split \(total) values over \(size) rank(s)")
    }

    /// Where rank `r`'s part starts: counts[0] + ... + counts[r-1].
    public func partOffset(_ counts: [Int], rank r: Int) -> Int { counts[..<r].reduce(0, +) }
}

/// Each rank's share of `range` of a buffer split into consecutive `parts` (rank r's part is
/// parts[r] values from parts[0] + ... + parts[r-1]): how many of the range's values fall in each
/// part, zero where they do not meet. The counts of a reduce-scatter of that range.
public func partShares(of range: Range<Int>, parts: [Int]) -> [Int] {
    var shares: [Int] = [], lo = 0
    for p in parts {
        shares.append(Swift.max(0, Swift.min(range.upperBound, lo + p) - Swift.max(range.lowerBound, lo)))
        lo += p
    }
    return shares
}

/// The world of one process: every collective is the identity.
public final class SingleProcessCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective { CompletedCollective() }
    public func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) {
        checkParts(counts, total: buffer.count, "allgather")
    }
    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {}
    public func allgather(_ mine: [Double]) -> [Double] { mine }
    public func exchange(_ send: UnsafeBufferPointer<Double>, _ receive: UnsafeMutableBufferPointer<Double>, partner: Int) {
        precondition(partner == 0 && send.count == receive.count, "a single process can only exchange with itself")
        _ = receive.update(fromContentsOf: send)
    }
    public func barrier() {}
}
