// MPICommunicator: the Communicator of an MPI world (Open MPI), for data-parallel training.
import Foundation
//
// A binary started without mpirun/srun runs as a singleton world of size 1, so the same
// executable serves laptops, login nodes and batch jobs. MPI may be initialised once per process
// and never again after finalisation: `MPICommunicator.world()` initialises on first use and
// `finalize()` is called once at exit by the executable.

import CMPI
import Core

public final class MPICommunicator: SplittableCommunicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    private let comm: MPI_Comm
    /// A duplicate of `comm` for the nonblocking gradient sums (MPIPendingCollective.swift), so
    /// their messages never match another collective of the same ranks (SyncBatchNorm's) by mistake.
    let nonblockingComm: MPI_Comm
    /// The point-to-point gradient sums' receive buffers and the sums in flight (MPIPendingCollective.swift).
    let pointToPoint = PointToPointSums()

    nonisolated(unsafe) private static var shared: MPICommunicator?

    /// The world communicator, initialising MPI on first call.
    public static func world() -> MPICommunicator {
        if let s = shared { return s }
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 { MPI_Init(nil, nil) }
        let comm = df_MPI_COMM_WORLD()!
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(comm, &r)
        MPI_Comm_size(comm, &s)
        var dup: MPI_Comm? = comm
        if s > 1 { MPI_Comm_dup(comm, &dup) }
        let c = MPICommunicator(comm: comm, nonblockingComm: dup ?? comm, rank: Int(r), size: Int(s))
        shared = c
        return c
    }

    /// The process's communicator: the MPI world when started by mpirun/srun, else a single
    /// process (without loading the MPI runtime). Only the executables call it.
    public static func processWorld() -> any Communicator {
        launchedUnderMPI ? world() : SingleProcessCommunicator()
    }

    /// True when this process was started by a launcher that set up a multi-process world
    /// (checked without initialising MPI, so single-process runs need not load the runtime).
    public static var launchedUnderMPI: Bool {
        let env = ProcessInfo.processInfo.environment
        return env["OMPI_COMM_WORLD_SIZE"] != nil || env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil
    }

    /// True when this process initialised MPI and has not finalised it.
    public static var isActive: Bool {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        return shared != nil && finalized == 0
    }

    /// Ends every rank of the world with `code` (MPI_Abort) when the world has more than one rank:
    /// the way out of an error on one rank while the others wait in a collective. Returns only in a
    /// single-process world (or when MPI was never started).
    public static func abortIfMultiRank(code: Int32) {
        guard isActive, let world = shared, world.size > 1 else { return }
        fflush(nil)
        MPI_Abort(world.comm, code)
    }

    /// Finalises MPI if this process initialised it.
    public static func finalize() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if shared != nil && finalized == 0 { MPI_Finalize() }
    }

    private init(comm: MPI_Comm, nonblockingComm: MPI_Comm, rank: Int, size: Int) {
        self.comm = comm; self.nonblockingComm = nonblockingComm; self.rank = rank; self.size = size
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard size > 1, buffer.count > 0 else { return }
        blocking("MPI_Allreduce of \(buffer.count) floats",
                 { MPI_Iallreduce(df_MPI_IN_PLACE(), buffer.baseAddress, Int32(buffer.count), df_MPI_FLOAT(), df_MPI_SUM(), comm, $0) })
    }

    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard size > 1, buffer.count > 0 else { return }
        blocking("MPI_Allreduce of \(buffer.count) doubles",
                 { MPI_Iallreduce(df_MPI_IN_PLACE(), buffer.baseAddress, Int32(buffer.count), df_MPI_DOUBLE(), df_MPI_SUM(), comm, $0) })
    }

    public func allreduceMax(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard size > 1, buffer.count > 0 else { return }
        blocking("MPI_Allreduce (max) of \(buffer.count) doubles",
                 { MPI_Iallreduce(df_MPI_IN_PLACE(), buffer.baseAddress, Int32(buffer.count), df_MPI_DOUBLE(), df_MPI_MAX(), comm, $0) })
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {
        guard size > 1, buffer.count > 0 else { return }
        blocking("MPI_Bcast of \(buffer.count) bytes",
                 { MPI_Ibcast(buffer.baseAddress, Int32(buffer.count), df_MPI_BYTE(), Int32(root), comm, $0) })
    }

    /// A blocking collective, started nonblocking and polled together with the point-to-point sums
    /// in flight (on every communicator of the process): a peer may need one of this rank's sums
    /// moved on (an allreduce's second phase is posted only when this rank polls it) before it can
    /// join this collective, and SyncBatchNorm's
    /// sums run during the backward pass beside the buckets'. Always nonblocking, since MPI does not
    /// match a blocking collective on one rank with a nonblocking one on another (0.4-3 us more per
    /// call on 64-1024 doubles here).
    private func blocking(_ what: String, _ start: (UnsafeMutablePointer<MPI_Request?>) -> Int32) {
        var request: MPI_Request? = nil
        let rc = start(&request)
        precondition(rc == 0, "\(what) failed to start (code \(rc))")
        var flag: Int32 = 0
        while true {
            let rt = MPI_Test(&request, &flag, df_MPI_STATUS_IGNORE())
            precondition(rt == 0, "\(what) failed (code \(rt))")
            if flag != 0 { return }
            PointToPointSums.progress()
        }
    }

    public func allgather(_ mine: [Double]) -> [Double] {
        guard size > 1 else { return mine }
        PointToPointSums.finishAll()
        var counts = [Int32](repeating: 0, count: size)
        var myCount = Int32(mine.count)
        MPI_Allgather(&myCount, 1, df_MPI_INT(), &counts, 1, df_MPI_INT(), comm)
        var displs = [Int32](repeating: 0, count: size)
        for i in 1..<size { displs[i] = displs[i - 1] + counts[i - 1] }
        var out = [Double](repeating: 0, count: Int(counts.reduce(0, +)))
        var send = mine
        MPI_Allgatherv(&send, myCount, df_MPI_DOUBLE(), &out, &counts, &displs, df_MPI_DOUBLE(), comm)
        return out
    }
    /// MPI_Allgatherv in place (one message per pair straight into its place measured the same,
    /// 3.6-4.3 ms for 45 MB on 2 ranks here: `bench collectives`).
    public func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) {
        checkParts(counts, total: buffer.count, "allgather")
        guard size > 1, buffer.count > 0 else { return }
        precondition(buffer.count <= Int(Int32.max), "allgather of \(buffer.count) floats: MPI counts are 32-bit")
        PointToPointSums.finishAll()
        var counts32 = counts.map { Int32($0) }
        var displs = (0..<size).map { Int32(partOffset(counts, rank: $0)) }
        let rc = MPI_Allgatherv(df_MPI_IN_PLACE(), 0, df_MPI_FLOAT(), buffer.baseAddress, &counts32, &displs, df_MPI_FLOAT(), comm)
        precondition(rc == 0, "MPI_Allgatherv of \(buffer.count) floats failed (code \(rc))")
    }

    public func exchange(_ send: UnsafeBufferPointer<Double>, _ receive: UnsafeMutableBufferPointer<Double>, partner: Int) {
        precondition(send.count == receive.count && partner >= 0 && partner < size, "exchange: bad partner or sizes")
        if partner == rank { _ = receive.update(fromContentsOf: send); return }
        PointToPointSums.finishAll()
        // MPI counts are Int32: large shards go in chunks of 2^26 doubles (512 MB).
        let chunk = 1 << 26
        var off = 0, tag: Int32 = 0
        while off < send.count {
            let n = Swift.min(chunk, send.count - off)
            MPI_Sendrecv(send.baseAddress! + off, Int32(n), df_MPI_DOUBLE(), Int32(partner), tag,
                         receive.baseAddress! + off, Int32(n), df_MPI_DOUBLE(), Int32(partner), tag, comm, df_MPI_STATUS_IGNORE())
            off += n; tag &+= 1
        }
    }

    public func barrier() {
        guard size > 1 else { return }
        blocking("MPI_Barrier") { MPI_Ibarrier(comm, $0) }
    }

    /// MPI_Comm_split: the ranks with the same `color` become one communicator, ordered by `key`.
    /// (The new communicator lives until MPI_Finalize; a run splits once.)
    public func split(color: Int, key: Int) -> any SplittableCommunicator {
        PointToPointSums.finishAll()
        var newComm: MPI_Comm? = nil
        let rc = MPI_Comm_split(comm, Int32(color), Int32(key), &newComm)
        precondition(rc == 0 && newComm != nil, "MPI_Comm_split failed with code \(rc)")
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(newComm, &r)
        MPI_Comm_size(newComm, &s)
        // Like world(): the gradient buckets' nonblocking sums get their own duplicate.
        var dup: MPI_Comm? = nil
        if s > 1 { MPI_Comm_dup(newComm, &dup) }
        return MPICommunicator(comm: newComm!, nonblockingComm: dup ?? newComm!, rank: Int(r), size: Int(s))
    }
}
