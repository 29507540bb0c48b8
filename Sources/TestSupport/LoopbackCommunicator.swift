// LoopbackGroup: N ranks inside one process, each on its own thread, whose collectives go through
// shared memory: the stand-in for mpirun under plain `swift test` (a data-parallel trainer, the
// SyncBatchNorm group). The real-MPI counterpart is MPICommunicator, checked by scripts/mpi-check.sh.
//
// Why results are combined in rank order by one thread: every rank must get bit-identical values
// (data-parallel ranks that disagree by one rounding drift apart), and the values must not depend
// on which thread arrives first, so a test that compares 1, 2 and 4 ranks is reproducible.
//
// Like MPI, every rank must call the same collectives in the same order. A rank that calls a
// different one, or never arrives (it failed), stops the group with a message after `timeout`
// seconds instead of hanging the test run.

import Core
import Foundation

/// The shared state of N in-process ranks. Create one per run; `run` starts the rank threads.
public final class LoopbackGroup: @unchecked Sendable {
    public let size: Int
    /// Seconds a rank waits for the others in one collective before the process stops with an error.
    public let timeout: Double
    private let cond = NSCondition()
    // One collective at a time: contributions of this generation, then the published result.
    private var slots: [(op: String, value: Any)?]
    private var arrived = 0
    private var generation = 0
    private var published: Any = ()
    /// Pairwise messages, FIFO per (from, to): consecutive exchanges between a pair stay in order.
    private var mailbox: [Int: [[Double]]] = [:]
    /// Nonblocking sums by sequence number (each rank numbers its own starts 0, 1, 2, ...):
    /// they complete independently of the one-at-a-time blocking collectives above, as in MPI.
    private var nonblocking: [Int: NonblockingSum] = [:]

    public init(size: Int, timeout: Double = 300) {
        precondition(size >= 1, "a group needs at least one rank")
        self.size = size
        self.timeout = timeout
        slots = Array(repeating: nil, count: size)
    }

    /// The communicator of rank `rank` (for a body run on a thread of the caller's own).
    public func communicator(rank: Int) -> LoopbackCommunicator {
        precondition(rank >= 0 && rank < size, "rank \(rank) is outside a group of \(size)")
        return LoopbackCommunicator(rank: rank, group: self)
    }

    /// Runs `body` once per rank, each on its own thread (8 MiB stack) at the same time, waits
    /// for all of them and returns their results in rank order; rethrows the lowest rank's error.
    public func run<T>(_ body: @escaping @Sendable (LoopbackCommunicator) throws -> T) throws -> [T] {
        let results = ResultBox<T>(count: size)
        let done = DispatchSemaphore(value: 0)
        for r in 0..<size {
            let comm = communicator(rank: r)
            let thread = Thread {
                let result = Result { try body(comm) }
                results.set(r, result)
                done.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for _ in 0..<size { done.wait() }
        return try results.values()
    }

    /// Rank `rank`'s part in collective `op`: blocks until every rank has handed in its value,
    /// then returns `combine(values in rank order)`, computed once by the last rank to arrive and
    /// the same object for every rank.
    func collective(_ op: String, rank: Int, _ value: Any, combine: ([Any]) -> Any) -> Any {
        cond.lock()
        defer { cond.unlock() }
        let mine = generation
        precondition(slots[rank] == nil, "loopback rank \(rank) entered \(op) twice")
        slots[rank] = (op, value)
        arrived += 1
        if arrived == size {
            let all = slots.map { $0! }
            let ops = Set(all.map(\.op))
            precondition(ops.count == 1, "loopback ranks called different collectives at once: "
                + all.enumerated().map { "rank \($0.offset) \($0.element.op)" }.joined(separator: ", "))
            published = combine(all.map(\.value))
            slots = Array(repeating: nil, count: size)
            arrived = 0
            generation += 1
            cond.broadcast()
            return published
        }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while generation == mine {
            if !cond.wait(until: deadline) && generation == mine {
                preconditionFailure("loopback rank \(rank) waited \(timeout) s in \(op) for ranks "
                    + "\((0..<size).filter { slots[$0] == nil }) that never joined (they failed or called another collective)")
            }
        }
        return published
    }

    /// Rank `rank` hands in its values for nonblocking sum `sequence`; the last rank to arrive sums
    /// all of them in rank order (the same result as the blocking `allreduceSum`).
    func startSum(_ sequence: Int, rank: Int, _ values: [Float]) {
        cond.lock()
        defer { cond.unlock() }
        let sum = nonblocking[sequence] ?? NonblockingSum(size: size)
        nonblocking[sequence] = sum
        precondition(sum.parts[rank] == nil, "loopback rank \(rank) started nonblocking sum \(sequence) twice")
        sum.parts[rank] = values
        if sum.parts.allSatisfy({ $0 != nil }) {
            let arrays = sum.parts.map { $0! }
            precondition(Set(arrays.map(\.count)).count == 1,
                         "nonblocking sum \(sequence): buffer lengths differ between ranks: \(arrays.map(\.count))")
            var acc = arrays[0]
            acc.withUnsafeMutableBufferPointer { a in
                for next in arrays.dropFirst() {
                    next.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } }
                }
            }
            sum.result = acc
            sum.parts = Array(repeating: nil, count: size)
            cond.broadcast()
        }
    }

    /// The result of nonblocking sum `sequence` for `rank`: waits up to `timeout` when `block`,
    /// else returns nil while some rank has not started it yet.
    func finishSum(_ sequence: Int, rank: Int, block: Bool) -> [Float]? {
        cond.lock()
        defer { cond.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while nonblocking[sequence]?.result == nil {
            if !block { return nil }
            if !cond.wait(until: deadline) && nonblocking[sequence]?.result == nil {
                preconditionFailure("loopback rank \(rank) waited \(timeout) s for nonblocking sum \(sequence): ranks "
                    + "\((0..<size).filter { nonblocking[sequence]?.parts[$0] == nil }) never started it")
            }
        }
        let sum = nonblocking[sequence]!
        sum.collected += 1
        if sum.collected == size { nonblocking[sequence] = nil }
        return sum.result
    }

    /// Sends `values` to `partner` and returns what `partner` sent to `rank`.
    func swap(_ values: [Double], rank: Int, partner: Int) -> [Double] {
        cond.lock()
        defer { cond.unlock() }
        mailbox[rank * size + partner, default: []].append(values)
        cond.broadcast()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while mailbox[partner * size + rank]?.isEmpty ?? true {
            if !cond.wait(until: deadline) && (mailbox[partner * size + rank]?.isEmpty ?? true) {
                preconditionFailure("loopback rank \(rank) waited \(timeout) s for an exchange with rank \(partner)")
            }
        }
        return mailbox[partner * size + rank]!.removeFirst()
    }
}

/// One rank of a LoopbackGroup: a real `Communicator`, usable wherever an MPI rank is. Like an
/// MPI rank it is used by one thread (its rank's), which alone touches its sequence counter.
public final class LoopbackCommunicator: SplittableCommunicator, @unchecked Sendable {
    public let rank: Int
    public let group: LoopbackGroup
    public var size: Int { group.size }

    /// Sequence number of this rank's next nonblocking sum.
    private var nextSum = 0

    init(rank: Int, group: LoopbackGroup) { self.rank = rank; self.group = group }

    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        let sequence = nextSum
        nextSum += 1
        group.startSum(sequence, rank: rank, Array(buffer))
        return LoopbackPendingSum(group: group, sequence: sequence, rank: rank, buffer: buffer)
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        reduce("allreduceSum(Float)", buffer) { acc, next, n in for i in 0..<n { acc[i] += next[i] } }
    }
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        reduce("allreduceSum(Double)", buffer) { acc, next, n in for i in 0..<n { acc[i] += next[i] } }
    }
    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {
        reduce("allreduceMax(Double)", buffer) { acc, next, n in for i in 0..<n { acc[i] = Swift.max(acc[i], next[i]) } }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {
        precondition(root >= 0 && root < size, "broadcast root \(root) is outside a group of \(size)")
        let all = group.collective("broadcast(root \(root))", rank: rank, [UInt8](buffer)) { values in
            let lengths = values.map { ($0 as! [UInt8]).count }
            precondition(Set(lengths).count == 1, "broadcast buffers differ in length between ranks: \(lengths)")
            return values[root]
        } as! [UInt8]
        all.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    public func allgather(_ mine: [Double]) -> [Double] {
        group.collective("allgather", rank: rank, mine) { values in values.flatMap { $0 as! [Double] } } as! [Double]
    }

    public func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) {
        checkParts(counts, total: buffer.count, "allgather")
        let lo = partOffset(counts, rank: rank)
        let all = group.collective("allgather(Float, in place)", rank: rank, Array(buffer[lo..<(lo + counts[rank])])) { values in
            values.flatMap { $0 as! [Float] }
        } as! [Float]
        precondition(all.count == buffer.count, "allgather: the ranks' parts add up to \(all.count) values, not \(buffer.count)")
        _ = buffer.update(fromContentsOf: all)
    }

    public func exchange(_ send: UnsafeBufferPointer<Double>, _ receive: UnsafeMutableBufferPointer<Double>, partner: Int) {
        precondition(partner >= 0 && partner < size, "exchange partner \(partner) is outside a group of \(size)")
        let got = group.swap(Array(send), rank: rank, partner: partner)
        precondition(got.count == receive.count, "exchange: rank \(partner) sent \(got.count) values, rank \(rank) expects \(receive.count)")
        _ = receive.update(fromContentsOf: got)
    }

    public func barrier() { _ = group.collective("barrier", rank: rank, ()) { _ in () } }

    /// Like MPI_Comm_split: every rank hands in (color, key); the last to arrive builds one new
    /// LoopbackGroup per color (same timeout), ranked by key then by rank, and each rank gets its
    /// communicator in the group of its color (the rank threads stay the caller's).
    public func split(color: Int, key: Int) -> any SplittableCommunicator {
        let placed = group.collective("split", rank: rank, (color, key)) { values in
            let pairs = values.map { $0 as! (Int, Int) }
            var groups: [Int: LoopbackGroup] = [:]
            var placement: [(group: LoopbackGroup, rank: Int)] = []
            for (r, (c, _)) in pairs.enumerated() {
                let members = pairs.indices.filter { pairs[$0].0 == c }.sorted { (pairs[$0].1, $0) < (pairs[$1].1, $1) }
                let g = groups[c] ?? LoopbackGroup(size: members.count, timeout: group.timeout)
                groups[c] = g
                placement.append((g, members.firstIndex(of: r)!))
            }
            return placement
        } as! [(group: LoopbackGroup, rank: Int)]
        return placed[rank].group.communicator(rank: placed[rank].rank)
    }

    /// Every rank's buffer folded in rank order, ((r0 op r1) op r2) ..., by `fold(acc, next, count)`
    /// (a whole-buffer loop over pointers: gradient buffers have millions of elements).
    private func reduce<T>(_ name: String, _ buffer: UnsafeMutableBufferPointer<T>,
                           _ fold: @escaping (UnsafeMutablePointer<T>, UnsafePointer<T>, Int) -> Void) {
        let result = group.collective(name, rank: rank, Array(buffer)) { values in
            let arrays = values.map { $0 as! [T] }
            precondition(Set(arrays.map(\.count)).count == 1, "\(name): buffer lengths differ between ranks: \(arrays.map(\.count))")
            var acc = arrays[0]
            acc.withUnsafeMutableBufferPointer { a in
                for next in arrays.dropFirst() {
                    next.withUnsafeBufferPointer { b in
                        if let ap = a.baseAddress, let bp = b.baseAddress { fold(ap, bp, a.count) }
                    }
                }
            }
            return acc
        } as! [T]
        _ = buffer.update(fromContentsOf: result)
    }
}

/// One nonblocking sum of a LoopbackGroup: each rank's part until all arrived, then the result
/// until every rank collected it.
private final class NonblockingSum {
    var parts: [[Float]?]
    var result: [Float]?
    var collected = 0
    init(size: Int) { parts = Array(repeating: nil, count: size) }
}

/// A rank's started nonblocking sum: the result is copied into its buffer on completion.
private final class LoopbackPendingSum: PendingCollective {
    let group: LoopbackGroup
    let sequence: Int, rank: Int
    let buffer: UnsafeMutableBufferPointer<Float>
    private var done = false

    init(group: LoopbackGroup, sequence: Int, rank: Int, buffer: UnsafeMutableBufferPointer<Float>) {
        self.group = group; self.sequence = sequence; self.rank = rank; self.buffer = buffer
    }

    func test() -> Bool { finish(block: false) }
    func wait() { _ = finish(block: true) }

    private func finish(block: Bool) -> Bool {
        if done { return true }
        guard let result = group.finishSum(sequence, rank: rank, block: block) else { return false }
        _ = buffer.update(fromContentsOf: result)
        done = true
        return true
    }
}

/// Results of the rank threads, written once each under a lock.
private final class ResultBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<T, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ rank: Int, _ result: Result<T, Error>) { lock.lock(); results[rank] = result; lock.unlock() }

    func values() throws -> [T] {
        lock.lock()
        defer { lock.unlock() }
        return try results.map { try $0!.get() }
    }
}
