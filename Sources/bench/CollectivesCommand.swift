// `bench collectives`: the data-parallel step's two collectives on real MPI ranks, checked and
// timed. The check: every rank's contributions are chosen so that adding them in another order
// gives other floats (for 3 or more ranks), and the reduce-scatter (out of place and in place) and
// the allreduce must equal the sum added in rank order bitwise, on uneven parts and a rank with an
// empty part; the allgather must hand every rank every part exactly. The timing: our sums
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
        var orderSensitive = 0
        for counts in Self.splits(n, ranks: size) {
            let lo = comm.partOffset(counts, rank: rank), mine = counts[rank]
            var expected = [Float](repeating: 0, count: mine)
            for k in 0..<mine {
                let i = lo + k
                var s = Self.contribution(0, i)
                for r in 1..<size { s += Self.contribution(r, i) }
                expected[k] = s
                var reversed = Self.contribution(size - 1, i)
                for r in stride(from: size - 2, through: 0, by: -1) { reversed += Self.contribution(r, i) }
                if reversed != s { orderSensitive += 1 }
            }
            // Out of place and in place (into this rank's own part, as the gradient buckets do).
            for inPlace in [false, true] {
                var buffer = (0..<n).map { Self.contribution(rank, $0) }
                var out = [Float](repeating: .nan, count: mine)
                buffer.withUnsafeMutableBufferPointer { b in
                    if inPlace {
                        let part = UnsafeMutableBufferPointer(rebasing: b[lo..<(lo + mine)])
                        comm.startReduceScatterSum(b, counts: counts, into: part).wait()
                        out = Array(part)
                    } else {
                        out.withUnsafeMutableBufferPointer { comm.startReduceScatterSum(b, counts: counts, into: $0).wait() }
                    }
                }
                let wrong = zip(out, expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                if comm.allreduceSum(Double(wrong)) > 0 {
                    throw DeepfakeError("reduce-scatter\(inPlace ? " in place" : "") over parts \(counts): \(wrong) value(s) on rank \(rank) differ from the rank-order sum")
                }
            }
            var summed = (0..<n).map { Self.contribution(rank, $0) }
            summed.withUnsafeMutableBufferPointer { comm.startAllreduceSum($0).wait() }
            var wrongSums = 0
            for i in 0..<n {
                var s = Self.contribution(0, i)
                for r in 1..<size { s += Self.contribution(r, i) }
                if summed[i].bitPattern != s.bitPattern { wrongSums += 1 }
            }
            if comm.allreduceSum(Double(wrongSums)) > 0 {
                throw DeepfakeError("allreduce: \(wrongSums) value(s) on rank \(rank) differ from the rank-order sum")
            }
            // Several allreduces in flight, completed in a different order on even and odd ranks:
            // their allgather phases start in different orders and must still pair up.
            let sizes = [n, n / 2 + 1, 17]
            let buffers = sizes.map { count in UnsafeMutableBufferPointer<Float>.allocate(capacity: count) }
            defer { for b in buffers { b.deallocate() } }
            for (b, count) in zip(buffers, sizes) { for i in 0..<count { b[i] = Self.contribution(rank, i + count) } }
            let inFlight = buffers.map { comm.startAllreduceSum($0) }
            for k in (rank % 2 == 0 ? [2, 1, 0] : [0, 1, 2]) { inFlight[k].wait() }
            var wrongInFlight = 0
            for (b, count) in zip(buffers, sizes) {
                for i in 0..<count {
                    var s = Self.contribution(0, i + count)
                    for r in 1..<size { s += Self.contribution(r, i + count) }
                    if b[i].bitPattern != s.bitPattern { wrongInFlight += 1 }
                }
            }
            if comm.allreduceSum(Double(wrongInFlight)) > 0 {
                throw DeepfakeError("allreduces in flight together: \(wrongInFlight) value(s) on rank \(rank) differ from the rank-order sum")
            }
            var gathered = [Float](repeating: .nan, count: n)
            for k in 0..<mine { gathered[lo + k] = Self.contribution(rank, lo + k) }
            gathered.withUnsafeMutableBufferPointer { comm.allgather($0, counts: counts) }
            var wrong = 0, owner = 0, ownerEnd = counts[0]
            for i in 0..<n {
                while i >= ownerEnd { owner += 1; ownerEnd += counts[owner] }
                if gathered[i].bitPattern != Self.contribution(owner, i).bitPattern { wrong += 1 }
            }
            if comm.allreduceSum(Double(wrong)) > 0 {
                throw DeepfakeError("allgather over parts \(counts): \(wrong) value(s) on rank \(rank) are not their owner's")
            }
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
