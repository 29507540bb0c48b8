// The nonblocking gradient sums of an MPI world (the Trainer's gradient buckets start one per
// bucket during the backward pass and wait for all of them before the optimiser step), made of
// point-to-point messages moved on by MPI_Testall whenever a sum is tested or waited for: a
// reduce-scatter (each rank receives the peers' contributions to its part and adds them) for a
// sharded optimiser step, and for an unsharded one the same followed by an allgather of the
// summed parts. An allreduce's second phase is posted only when this rank polls its sums, so the
// communicator's blocking collectives poll them too while they wait (MPICommunicator.blocking).
//
// Why not MPI_Ireduce_scatter / MPI_Iallreduce: on ResNet-18's 45 MB of gradients on 2 ranks here
// Open MPI 4.1's reduce-scatters (libnbc's nonblocking one and every algorithm of the blocking
// tuned one) took 35-48 ms and its MPI_Iallreduce 44-49 ms, against 5.6-8.7 ms for the
// point-to-point reduce-scatter (one copy per message, CMA) and 10-12 ms for the allreduce made of
// it and an allgather (`bench collectives`; benchmarks/README, "Gradient sums by point-to-point
// messages"). Each part is added by its owner in rank order (`rankOrderSum`), so the sums do not
// depend on message timing, every rank ends with the same floats, and they equal the loopback
// group's on any rank count.

import CMPI
import Core

extension MPICommunicator {
    /// In place: a reduce-scatter into each rank's part of `buffer` (parts as RankBatch splits
    /// it), then an allgather of the summed parts.
    public func startAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        guard size > 1, buffer.count > 0 else { return CompletedCollective() }
        let counts = (0..<size).map { RankBatch(global: buffer.count, rank: $0, ranks: size).range.count }
        let lo = partOffset(counts, rank: rank)
        return startPairwiseSum(buffer, counts: counts, into: UnsafeMutableBufferPointer(rebasing: buffer[lo..<(lo + counts[rank])]),
                                thenAllgather: true)
    }

    /// Each peer's share of `mine`'s part is received into scratch (one message per peer), each peer
    /// is sent its part of `buffer`, and the contributions are added in rank order once all have
    /// arrived (in `test()` or `wait()`). Nothing is sent from this rank's own part, so `mine` may
    /// be that part (the gradient buckets sum in place, saving a copy of the part per step).
    public func startReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int],
                                      into mine: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        reduceScatter(buffer, counts: counts, into: mine, inPlace: true) { startPairwiseSum(buffer, counts: counts, into: mine, thenAllgather: false) }
    }

    /// The checks every reduce-scatter makes, and the copy that is all of it on one rank (nothing
    /// for an empty buffer, which is empty on every rank); else `start()`. `mine` lies outside
    /// `buffer` or, where `inPlace` is allowed, is exactly this rank's part of it.
    private func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int], into mine: UnsafeMutableBufferPointer<Float>,
                               inPlace: Bool, _ start: () -> PendingCollective) -> PendingCollective {
        checkParts(counts, total: buffer.count, "reduce-scatter")
        precondition(mine.count == counts[rank], "reduce-scatter: rank \(rank) receives \(counts[rank]) values, not \(mine.count)")
        if let b = buffer.baseAddress, let m = mine.baseAddress, mine.count > 0 {
            let disjoint = m + mine.count <= b || m >= b + buffer.count
            precondition(disjoint || (inPlace && m == b + partOffset(counts, rank: rank)),
                         "reduce-scatter: the receive buffer overlaps the send buffer other than as this rank's own part")
        }
        guard buffer.count > 0 else { return CompletedCollective() }
        guard size > 1 else {
            _ = mine.update(fromContentsOf: buffer)
            return CompletedCollective()
        }
        return start()
    }

    private func startPairwiseSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int], into mine: UnsafeMutableBufferPointer<Float>,
                                  thenAllgather: Bool) -> PendingCollective {
        precondition(buffer.count <= Int(Int32.max), "a gradient sum of \(buffer.count) floats: MPI counts are 32-bit")
        // Every rank starts its sums in the same order, so the sequence number names the same sum
        // on every rank: the allgather phases, which begin whenever a sum's own receives are in,
        // match by it (a fixed tag could pair one sum's message with another's).
        let gatherTag = thenAllgather ? MPICommunicator.gatherTagBase + Int32(pointToPoint.started % MPICommunicator.gatherTags) : nil
        pointToPoint.started &+= 1
        let pending = MPIPairwiseSum(buffer: buffer, counts: counts, own: UnsafePointer(buffer.baseAddress! + partOffset(counts, rank: rank)),
                                     into: mine, rank: rank, ranks: size, comm: nonblockingComm, gatherTag: gatherTag, sums: pointToPoint)
        PointToPointSums.track(pending)
        for peer in 0..<size where peer != rank {
            if mine.count > 0 {
                pending.post(receive: pending.received[peer]!, count: mine.count, from: peer, tag: MPICommunicator.reduceScatterTag)
            }
            if counts[peer] > 0 {
                pending.post(send: buffer.baseAddress! + partOffset(counts, rank: peer), count: counts[peer], to: peer,
                             tag: MPICommunicator.reduceScatterTag)
            }
        }
        return pending
    }

    /// Open MPI's own in-place MPI_Iallreduce, which `startAllreduceSum` replaced: the baseline of
    /// `bench collectives`.
    public func startLibraryAllreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        guard size > 1, buffer.count > 0 else { return CompletedCollective() }
        let pending = MPIPendingCollective()
        let rc = MPI_Iallreduce(df_MPI_IN_PLACE(), buffer.baseAddress, Int32(buffer.count), df_MPI_FLOAT(), df_MPI_SUM(),
                                nonblockingComm, &pending.request)
        precondition(rc == 0, "MPI_Iallreduce of \(buffer.count) floats failed (code \(rc))")
        return pending
    }

    /// Open MPI's own MPI_Ireduce_scatter, which `startReduceScatterSum` replaced: kept as the
    /// baseline of `bench collectives` (`mine` must lie outside `buffer`).
    public func startLibraryReduceScatterSum(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int],
                                             into mine: UnsafeMutableBufferPointer<Float>) -> PendingCollective {
        reduceScatter(buffer, counts: counts, into: mine, inPlace: false) {
            // MPI reads the counts until the collective completes: they live in the request.
            let pending = MPIPendingCollective(counts: counts.map { Int32($0) })
            let rc = MPI_Ireduce_scatter(buffer.baseAddress, mine.baseAddress ?? buffer.baseAddress, pending.counts, df_MPI_FLOAT(), df_MPI_SUM(),
                                         nonblockingComm, &pending.request)
            precondition(rc == 0, "MPI_Ireduce_scatter of \(buffer.count) floats failed (code \(rc))")
            return pending
        }
    }

    /// Message tags of the point-to-point sums on `nonblockingComm`. MPI matches messages of one tag
    /// between two ranks in the order they were posted: the reduce-scatter messages are posted in
    /// call order on every rank, an allreduce's allgather phase is not and takes a tag of its own
    /// (of `gatherTags`, reused cyclically; MPI allows at least 32767).
    static let reduceScatterTag: Int32 = 1, gatherTagBase: Int32 = 16, gatherTags = 16384
}

/// One MPI request; `done` once MPI_Test or MPI_Wait has completed (and freed) it.
final class MPIPendingCollective: PendingCollective {
    var request: MPI_Request?
    private var done = false
    /// The per-rank counts of a library reduce-scatter, kept allocated while MPI may read them.
    let counts: UnsafeMutablePointer<Int32>?

    init(counts: [Int32] = []) {
        if counts.isEmpty { self.counts = nil } else {
            self.counts = UnsafeMutablePointer<Int32>.allocate(capacity: counts.count)
            self.counts!.initialize(from: counts, count: counts.count)
        }
    }

    func test() -> Bool {
        if done { return true }
        var flag: Int32 = 0
        let rc = MPI_Test(&request, &flag, df_MPI_STATUS_IGNORE())
        precondition(rc == 0, "MPI_Test of a gradient sum failed (code \(rc))")
        done = flag != 0
        return done
    }

    func wait() {
        if done { return }
        let rc = MPI_Wait(&request, df_MPI_STATUS_IGNORE())
        precondition(rc == 0, "MPI_Wait of a gradient sum failed (code \(rc))")
        done = true
    }

    deinit {
        precondition(done, "a started MPI gradient sum was dropped without wait(): its buffer may still be written")
        counts?.deallocate()
    }
}

/// A point-to-point sum in flight. Phase one: the receives of the peers' contributions to this
/// rank's part and the sends of their parts; once all are done this rank's contribution and the
/// received ones are added in rank order into `mine`. Phase two (an allreduce's): `mine` to every
/// peer and the peers' summed parts into their places in the buffer.
final class MPIPairwiseSum: PendingCollective {
    /// Each peer's contribution to this rank's part (nil at this rank), in scratch taken for this sum.
    let received: [UnsafeMutablePointer<Float>?]
    private var requests: [MPI_Request?] = []
    private let buffer: UnsafeMutableBufferPointer<Float>
    private let counts: [Int]
    private let own: UnsafePointer<Float>
    private let mine: UnsafeMutableBufferPointer<Float>
    private let rank: Int
    private let comm: MPI_Comm
    private let gatherTag: Int32?
    private let sums: PointToPointSums
    private let block: UnsafeMutableBufferPointer<Float>?
    private var summed = false, done = false
    var isDone: Bool { done }

    /// `own`: this rank's contribution to its part (its part of `buffer`, which `mine` may be).
    init(buffer: UnsafeMutableBufferPointer<Float>, counts: [Int], own: UnsafePointer<Float>, into mine: UnsafeMutableBufferPointer<Float>,
         rank: Int, ranks: Int, comm: MPI_Comm, gatherTag: Int32?, sums: PointToPointSums) {
        self.buffer = buffer; self.counts = counts; self.own = own; self.mine = mine; self.rank = rank
        self.comm = comm; self.gatherTag = gatherTag; self.sums = sums
        // A rank with no share receives nothing and takes no scratch.
        let block = mine.count > 0 ? sums.take(mine.count * (ranks - 1)) : nil
        self.block = block
        var slots: [UnsafeMutablePointer<Float>?] = [], next = 0
        for peer in 0..<ranks {
            if peer == rank || block == nil { slots.append(nil) } else { slots.append(block!.baseAddress! + next * mine.count); next += 1 }
        }
        received = slots
    }

    func post(receive into: UnsafeMutablePointer<Float>, count: Int, from peer: Int, tag: Int32) {
        requests.append(nil)
        let rc = MPI_Irecv(into, Int32(count), df_MPI_FLOAT(), Int32(peer), tag, comm, &requests[requests.count - 1])
        precondition(rc == 0, "MPI_Irecv of \(count) floats from rank \(peer) failed (code \(rc))")
    }

    func post(send from: UnsafePointer<Float>, count: Int, to peer: Int, tag: Int32) {
        requests.append(nil)
        let rc = MPI_Isend(from, Int32(count), df_MPI_FLOAT(), Int32(peer), tag, comm, &requests[requests.count - 1])
        precondition(rc == 0, "MPI_Isend of \(count) floats to rank \(peer) failed (code \(rc))")
    }

    /// Moves every sum in flight on (without blocking); true once this one is done.
    func test() -> Bool {
        if !done { PointToPointSums.progress() }
        return done
    }

    /// Polls every sum in flight until this one is done (MPI_Wait on this sum's requests alone
    /// could wait for a peer that is itself waiting on another sum's allgather phase from us).
    func wait() {
        while !done { PointToPointSums.progress() }
    }

    /// One nonblocking turn: test the current phase's requests and advance when they are done.
    func step() {
        guard !done else { return }
        var flag: Int32 = 0
        let rc = MPI_Testall(Int32(requests.count), &requests, &flag, df_MPI_STATUSES_IGNORE())
        precondition(rc == 0, "MPI_Testall of a gradient sum failed (code \(rc))")
        if flag != 0 { advance() }
    }

    /// The current phase's requests are complete: add the part, then start the allgather or finish.
    private func advance() {
        requests.removeAll(keepingCapacity: true)
        if summed { done = true; return }
        if mine.count > 0 {
            let sources = received.indices.map { $0 == rank ? own : UnsafePointer(received[$0]!) }
            rankOrderSum(sources, count: mine.count, into: mine.baseAddress!)
        }
        if let block { sums.give(block) }
        summed = true
        guard let tag = gatherTag else { done = true; return }
        var lo = 0
        for (peer, count) in counts.enumerated() {
            if peer != rank && count > 0 { post(receive: buffer.baseAddress! + lo, count: count, from: peer, tag: tag) }
            if peer != rank && mine.count > 0 { post(send: UnsafePointer(mine.baseAddress!), count: mine.count, to: peer, tag: tag) }
            lo += count
        }
        if requests.isEmpty { done = true }
    }

    deinit { precondition(done, "a started MPI gradient sum was dropped without wait(): its buffers may still be written") }
}

/// What a communicator's point-to-point sums share: the receive buffers, reused from step to step
/// (a fresh allocation per bucket and step would fault in its pages every time, tens of MB a
/// step), and the count of sums started; and, process-wide, the sums in flight on every
/// communicator. Used from the process's one communicating thread.
final class PointToPointSums {
    private var free: [UnsafeMutableBufferPointer<Float>] = []
    var started = 0

    /// Sums started and not done, on every communicator of the process, held weakly: a sum its
    /// caller drops unfinished traps in its deinit (its buffers may still be written) instead of
    /// being moved on into freed memory. Waiting on one sum, or in any blocking collective, moves
    /// all of them on: a sum's allgather phase starts only when this rank sees its receives in,
    /// and a peer may be waiting on that phase while this rank waits elsewhere, on this or another
    /// communicator (the process grid's data and state groups).
    nonisolated(unsafe) private static var inFlight: [Weak] = []
    private struct Weak { weak var sum: MPIPairwiseSum? }

    static func track(_ sum: MPIPairwiseSum) { inFlight.append(Weak(sum: sum)) }

    /// A buffer of at least `count` floats (the smallest free one that fits, else a new one).
    func take(_ count: Int) -> UnsafeMutableBufferPointer<Float> {
        if let i = free.indices.filter({ free[$0].count >= count }).min(by: { free[$0].count < free[$1].count }) {
            return free.remove(at: i)
        }
        return .allocate(capacity: Swift.max(count, 1))
    }

    func give(_ buffer: UnsafeMutableBufferPointer<Float>) { free.append(buffer) }

    /// One nonblocking turn for every sum in flight; the done ones leave the list.
    static func progress() {
        for w in inFlight { w.sum?.step() }
        inFlight.removeAll { $0.sum?.isDone ?? true }
    }

    /// Moves every sum in flight on until all are done (before a blocking call that cannot poll).
    static func finishAll() {
        inFlight.removeAll { $0.sum?.isDone ?? true }
        while !inFlight.isEmpty { progress() }
    }

    deinit { for b in free { b.deallocate() } }
}
