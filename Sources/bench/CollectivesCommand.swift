// `bench collectives`: the data-parallel step's two collectives on real MPI ranks, checked and
// timed. The check: every rank's contributions are chosen so that adding them in another order
// gives other floats (for 3 or more ranks), and the reduce-scatter (out of place, in place, and cut
// into buckets all in flight) and the allreduce (several in flight, down to 1 float, and with
// blocking collectives, of this communicator or another, between start and wait on some ranks) must
// equal the sum added in rank order
// bitwise, on uneven parts and a rank with an empty part, leaving the rest of the buffer untouched;
// the allgather must hand every rank every part exactly. The timing: our sums
// (point-to-point, MPIPendingCollective.swift) beside Open MPI's own MPI_Ireduce_scatter and
// MPI_Iallreduce, and the allgather (MPI_Allgatherv), median of the repeats.

import ArgumentParser
import Core
import Foundation
import MPIComm

struct CollectivesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collectives",
        abstract: "The gradient sums (reduce-scatter, allreduce) and parameter allgather of a data-parallel step on MPI ranks: checked, then timed against Open MPI's own; rank 0 prints `<key> <value>` lines.",
        discussion: """
        Run under a launcher, e.g.
          mpirun -np 2 --bind-to core bench collectives
          mpirun -np 4 bench collectives --floats 1000 --repeats 1
        scripts/mpi-check.sh requires collectives_check ok on 2, 3 and 4 ranks. The default size is
        ResNet-18's 11.2M gradients (45 MB).
        """)

    @Option(help: "Floats in the buffer.")
    var floats = 11_200_000
    @Option(help: "Timed repeats (median printed; 0: check only).")
    var repeats = 9

    func validate() throws {
        guard floats >= 1 else { throw ValidationError("--floats must be at least 1, got \(floats)") }
        guard repeats >= 0 else { throw ValidationError("--repeats must be at least 0, got \(repeats)") }
    }

    func run() throws {
        try asRank { any in
            guard let comm = any as? MPICommunicator else {
                throw DeepfakeError("bench collectives needs an MPI launch (mpirun or srun); it ran as a single process without MPI")
            }
            var lines = try check(comm)
            if repeats > 0 { lines += time(comm) }
            if comm.isRoot { for (k, v) in lines { print("\(k) \(v)") } }
        }
    }

    /// Rank r's contribution at index i: large terms of alternating sign beside small ones, so the
    /// order of the additions shows in the rounding from three ranks on.
    static func contribution(_ r: Int, _ i: Int) -> Float {
        let big: Float = 1e8 * Float(1 + i % 5)
        switch r % 3 {
        case 0: return big + Float(r) * 0.5
        case 1: return -big + Float(i % 7)
        default: return 1 + Float(i % 13) * 0.25
        }
    }

    /// Splits to check: uneven parts, and (on 2 or more ranks) the same with rank 1's part given to rank 0.
    static func splits(_ n: Int, ranks: Int) -> [[Int]] {
        var uneven: [Int] = [], left = n
        for r in 0..<(ranks - 1) { let c = Swift.min(left, n / ranks + 3 * r + 1); uneven.append(c); left -= c }
        uneven.append(left)
        guard ranks > 1 else { return [uneven] }
        var empty = uneven
        empty[0] += empty[1]; empty[1] = 0
        return [uneven, empty]
    }

    func check(_ comm: MPICommunicator) throws -> [(String, String)] {
        let n = Swift.min(floats, 100_003), size = comm.size, rank = comm.rank
        /// The rank-order sum of the contributions at index i (of a buffer whose values start at `shift`).
        func sum(_ i: Int, shift: Int = 0) -> Float {
            var s = Self.contribution(0, i + shift)
            for r in 1..<size { s += Self.contribution(r, i + shift) }
            return s
        }
        /// Fails every rank when any rank counted a wrong value.
        func require(_ wrong: Int, _ what: String) throws {
            if comm.allreduceSum(Double(wrong)) > 0 { throw DeepfakeError("\(what): \(wrong) value(s) on rank \(rank) are wrong") }
        }
        func mine(_ counts: [Int]) -> Range<Int> { let lo = comm.partOffset(counts, rank: rank); return lo..<(lo + counts[rank]) }
        /// Values of `buffer` that are not the sum inside `part` and this rank's own contribution outside it.
        func wrongInPlace(_ buffer: [Float], _ part: Range<Int>) -> Int {
            (0..<n).filter { buffer[$0].bitPattern != (part.contains($0) ? sum($0) : Self.contribution(rank, $0)).bitPattern }.count
        }
        var orderSensitive = 0
        for i in 0..<n {
            var reversed = Self.contribution(size - 1, i)
            for r in stride(from: size - 2, through: 0, by: -1) { reversed += Self.contribution(r, i) }
            if reversed != sum(i) { orderSensitive += 1 }
        }
        let own = (0..<n).map { Self.contribution(rank, $0) }
        for counts in Self.splits(n, ranks: size) {
            let part = mine(counts)
            // Out of place: the part summed, the buffer untouched.
            var buffer = own, out = [Float](repeating: .nan, count: part.count)
            buffer.withUnsafeMutableBufferPointer { b in out.withUnsafeMutableBufferPointer { comm.startReduceScatterSum(b, counts: counts, into: $0).wait() } }
            try require(zip(out, part).filter { $0.0.bitPattern != sum($0.1).bitPattern }.count + zip(buffer, own).filter { $0.0 != $0.1 }.count,
                        "reduce-scatter over parts \(counts)")
            // In place (into this rank's own part, as the gradient buckets do): the rest untouched.
            buffer = own
            buffer.withUnsafeMutableBufferPointer { b in
                comm.startReduceScatterSum(b, counts: counts, into: UnsafeMutableBufferPointer(rebasing: b[part])).wait()
            }
            try require(wrongInPlace(buffer, part), "reduce-scatter in place over parts \(counts)")
            // Buckets as GradientBuckets cuts them, all in flight, waited in opposite orders on even and odd ranks.
            buffer = own
            let cuts = [0, n / 7, n / 2, n - 3, n]
            buffer.withUnsafeMutableBufferPointer { b in
                let pending = (0..<(cuts.count - 1)).map { k -> PendingCollective in
                    let share = partShares(of: cuts[k]..<cuts[k + 1], parts: counts)
                    let bucket = UnsafeMutableBufferPointer(rebasing: b[cuts[k]..<cuts[k + 1]])
                    let from = share[rank] == 0 ? cuts[k] : Swift.max(cuts[k], part.lowerBound)
                    return comm.startReduceScatterSum(bucket, counts: share, into: UnsafeMutableBufferPointer(rebasing: b[from..<(from + share[rank])]))
                }
                for p in (rank % 2 == 0 ? pending.reversed() : pending) { p.wait() }
            }
            try require(wrongInPlace(buffer, part), "bucketed reduce-scatters in flight together over parts \(counts)")
            var gathered = [Float](repeating: .nan, count: n)
            for i in part { gathered[i] = own[i] }
            gathered.withUnsafeMutableBufferPointer { comm.allgather($0, counts: counts) }
            var wrong = 0, owner = 0, ownerEnd = counts[0]
            for i in 0..<n {
                while i >= ownerEnd { owner += 1; ownerEnd += counts[owner] }
                if gathered[i].bitPattern != Self.contribution(owner, i).bitPattern { wrong += 1 }
            }
            try require(wrong, "allgather over parts \(counts)")
        }
        // Allreduces in flight together (down to 1 float, so some ranks' parts are empty), waited
        // in opposite orders on even and odd ranks.
        let sizes = [n, n / 2 + 1, 17, 3, 1]
        let buffers = sizes.map { UnsafeMutableBufferPointer<Float>.allocate(capacity: $0) }
        defer { for b in buffers { b.deallocate() } }
        func fill() { for (b, count) in zip(buffers, sizes) { for i in 0..<count { b[i] = Self.contribution(rank, i + count) } } }
        func wrongSums(_ ks: [Int]) -> Int {
            ks.map { k in (0..<sizes[k]).filter { buffers[k][$0].bitPattern != sum($0, shift: sizes[k]).bitPattern }.count }.reduce(0, +)
        }
        fill()
        let pending = buffers.map { comm.startAllreduceSum($0) }
        for p in (rank % 2 == 0 ? pending.reversed() : pending) { p.wait() }
        try require(wrongSums(Array(sizes.indices)), "allreduces in flight together")
        // Blocking collectives between two allreduces' start and their wait on odd ranks only (even
        // ranks wait first): the blocking calls must move the sums on, or the even ranks would wait
        // forever for the odd ranks' summed parts. Then the same across communicators: a barrier
        // of another communicator of the same ranks (as the process grid's state group beside its
        // data group) while the sums of this one are in flight.
        let other = comm.split(color: 0, key: rank)
        let between: [(String, () -> Void)] = [
            ("a barrier and a blocking allreduce", { comm.barrier(); _ = comm.allreduceSum(1.0) }),
            ("an allgather", { _ = comm.allgather([Double(rank)]) }),
            ("another communicator's barrier", { other.barrier() }),
        ]
        for (what, call) in between {
            fill()
            let p = [comm.startAllreduceSum(buffers[0]), comm.startAllreduceSum(buffers[3])]
            if rank % 2 == 0 { for q in p { q.wait() }; call() } else { call(); for q in p.reversed() { q.wait() } }
            try require(wrongSums([0, 3]), "allreduces with \(what) between their start and their wait")
        }
        let sensitive = Int(comm.allreduceSum(Double(orderSensitive)))
        return [("collectives_ranks", "\(size)"), ("collectives_check", "ok"),
                ("collectives_checked_floats", "\(n)"), ("collectives_order_sensitive_values", "\(sensitive)")]
    }

    func time(_ comm: MPICommunicator) -> [(String, String)] {
        let counts = (0..<comm.size).map { RankBatch(global: floats, rank: $0, ranks: comm.size).range.count }
        let lo = comm.partOffset(counts, rank: comm.rank), mine = counts[comm.rank]
        var buffer = (0..<floats).map { Float($0 % 1000) }
        var out = [Float](repeating: 0, count: mine)
        /// Median milliseconds over the repeats (the slowest rank's time each repeat), after one warm-up.
        func median(_ body: () -> Void) -> String {
            var times: [Double] = []
            for k in 0...repeats {
                comm.barrier()
                let t0 = Date()
                body()
                let t = comm.allreduceMax(Date().timeIntervalSince(t0) * 1000)
                if k > 0 { times.append(t) }
            }
            return String(format: "%.2f", times.sorted()[times.count / 2])
        }
        return buffer.withUnsafeMutableBufferPointer { b in
            out.withUnsafeMutableBufferPointer { o in
                let part = UnsafeMutableBufferPointer(rebasing: b[lo..<(lo + mine)])
                return [("collectives_floats", "\(floats)"),
                        ("reduce_scatter_ms", median { comm.startReduceScatterSum(b, counts: counts, into: part).wait() }),
                        ("reduce_scatter_ms_library", median { comm.startLibraryReduceScatterSum(b, counts: counts, into: o).wait() }),
                        ("allgather_ms", median { comm.allgather(b, counts: counts) }),
                        ("allreduce_ms", median { comm.startAllreduceSum(b).wait() }),
                        ("allreduce_ms_library", median { comm.startLibraryAllreduceSum(b).wait() })]
            }
        }
    }
}
