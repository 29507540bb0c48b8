// GradientBuckets: the data-parallel gradient sum overlapped with the backward pass, as PyTorch
// DDP does it. The flat gradient buffer is cut into buckets of whole parameters in reverse
// registration order (the order backward finishes them: fc first, conv1 last); when every
// parameter of a bucket has its final gradient (the network's GradientReadiness reports it), the
// bucket's nonblocking allreduce starts, and `finish()` waits for all of them before the optimiser
// step. Buckets start strictly in index order on every rank (a ready bucket waits for the ones
// before it), so all ranks issue the same collectives in the same order whatever their timing.
//
// With a sharded optimiser step (ShardedOptimizer's `parts`) each bucket is reduce-scattered
// instead, in place: a rank receives the sum of the bucket's values inside its own part only, so
// after `finish()` that part of the gradient buffer holds the sum (the rest keeps this rank's own values).
//
// The result is the blocking path's: each bucket is an elementwise sum of the same values, and
// elementwise sums do not depend on how the buffer is cut. MPICommunicator and the loopback group
// add every part in rank order, so bucketed, reduce-scattered and allreduced sums agree bitwise on
// any rank count (Open MPI's own allreduce, which SyncBatchNorm's statistics use, may order more
// ranks' sums otherwise).

import Core
import Models
import NN

public final class GradientBuckets {
    /// PyTorch DDP's default bucket is 25 MiB; ResNet-18's 11 M gradients (45 MB) then make only
    /// two buckets, the first ready late. 4 MiB buckets start the first sum after the last block.
    public static let defaultBucketFloats = 1 << 20

    /// One bucket: gradients `range` of the flat buffer, made of whole parameters.
    public struct Bucket: Equatable, Sendable {
        public let range: Range<Int>
        /// Indices into the network's trainable entries (in `Network.entries` order).
        public let entries: [Int]
    }

    public let buckets: [Bucket]
    private let network: Network
    private let communicator: any Communicator
    /// Bucket of each entry of `network.entries` (nil for state).
    private let bucketOfEntry: [Int?]
    /// Entries under a reported prefix, looked up once per prefix.
    private var entriesUnder: [String: [Int]] = [:]
    // Per step.
    private var entryReady: [Bool]
    private var pending: [Int]
    private var started: [PendingCollective?]
    private var nextToStart = 0
    /// Buckets the last backward started before `finish()` (0 on one rank): the overlap achieved.
    public private(set) var startedDuringBackward = 0
    /// Floats of the gradient buffer each rank receives summed (in rank order), when reduce-scattering.
    public let parts: [Int]?
    /// The part of the gradient buffer that holds the sum over the ranks after `finish()`.
    public let summedRange: Range<Int>
    /// When reduce-scattering: per bucket, each rank's share of it (the bucket's overlap with that
    /// rank's part), and where this rank's share starts in the gradient buffer (summed in place).
    private let scatter: [(counts: [Int], at: Int)]

    /// `parts`: nil to allreduce every bucket, or the floats each rank updates (ShardedOptimizer's
    /// `counts`) to reduce-scatter them.
    public init(network: Network, communicator: any Communicator, bucketFloats: Int = GradientBuckets.defaultBucketFloats,
                parts: [Int]? = nil) {
        precondition(bucketFloats > 0, "gradient buckets need a positive size")
        self.network = network
        self.communicator = communicator
        self.parts = communicator.size > 1 ? parts : nil
        if let parts = self.parts {
            communicator.checkParts(parts, total: network.parameterCount, "gradient parts")
            let lo = communicator.partOffset(parts, rank: communicator.rank)
            summedRange = lo..<(lo + parts[communicator.rank])
        } else {
            summedRange = 0..<network.parameterCount
        }
        var buckets: [Bucket] = []
        var owner = [Int?](repeating: nil, count: network.entries.count)
        var current: [Int] = [], lo = 0, hi = 0
        for i in network.entries.indices.reversed() where network.entries[i].kind == .trainable {
            let e = network.entries[i]
            if current.isEmpty { hi = e.offset + e.count }
            precondition(e.offset + e.count == (current.isEmpty ? hi : lo), "trainable parameters are not contiguous in registration order")
            lo = e.offset
            current.append(i)
            owner[i] = buckets.count
            if hi - lo >= bucketFloats {
                buckets.append(Bucket(range: lo..<hi, entries: current))
                current = []
            }
        }
        if !current.isEmpty { buckets.append(Bucket(range: lo..<hi, entries: current)) }
        self.buckets = buckets
        let summedLow = summedRange.lowerBound
        scatter = self.parts.map { parts in
            buckets.map { b in (partShares(of: b.range, parts: parts), Swift.max(b.range.lowerBound, summedLow)) }
        } ?? []
        bucketOfEntry = owner
        entryReady = Array(repeating: false, count: network.entries.count)
        pending = buckets.map(\.entries.count)
        started = Array(repeating: nil, count: buckets.count)
    }

    /// What the backward pass reports to (nothing on one rank: there is nothing to sum).
    public var readiness: GradientReadiness {
        communicator.size == 1 ? .none : GradientReadiness { [unowned self] prefix in self.ready(prefix) }
    }

    /// Runs `model`'s backward from `dLogits` with the buckets' readiness and then `finish()`:
    /// on return the gradients are summed over all ranks.
    public func backwardAndSum(_ model: ClassifierModel, _ dLogits: Tensor) {
        model.backward(dLogits, readiness: readiness)
        finish()
    }

    /// Starts every bucket not started yet (in order) and waits for all of them; the gradient
    /// buffer then holds the sum over all ranks. Resets the buckets for the next step.
    public func finish() {
        if communicator.size > 1 {
            startedDuringBackward = nextToStart
            for b in nextToStart..<buckets.count { pending[b] = 0 }
            startReady()
            for request in started { request!.wait() }
        }
        for i in entryReady.indices { entryReady[i] = false }
        pending = buckets.map(\.entries.count)
        started = Array(repeating: nil, count: buckets.count)
        nextToStart = 0
    }

    /// Every parameter under `prefix` has its final gradient.
    private func ready(_ prefix: String) {
        let under: [Int]
        if let known = entriesUnder[prefix] { under = known } else {
            under = network.entries.indices.filter { bucketOfEntry[$0] != nil && network.entries[$0].name.hasPrefix(prefix) }
            entriesUnder[prefix] = under
        }
        for i in under where !entryReady[i] {
            entryReady[i] = true
            pending[bucketOfEntry[i]!] -= 1
        }
        startReady()
        // MPI moves a nonblocking collective on only inside MPI calls: give the ones in flight a turn.
        for b in 0..<nextToStart { _ = started[b]!.test() }
    }

    /// Starts the ready buckets at the head of the order.
    private func startReady() {
        while nextToStart < buckets.count && pending[nextToStart] == 0 {
            let r = buckets[nextToStart].range
            let values = UnsafeMutableBufferPointer(rebasing: network.gradients[r])
            if parts != nil {
                let (counts, at) = scatter[nextToStart]
                let share = counts[communicator.rank], from = share == 0 ? r.lowerBound : at
                let mine = UnsafeMutableBufferPointer(rebasing: network.gradients[from..<(from + share)])
                started[nextToStart] = communicator.startReduceScatterSum(values, counts: counts, into: mine)
            } else {
                started[nextToStart] = communicator.startAllreduceSum(values)
            }
            nextToStart += 1
        }
    }
}
